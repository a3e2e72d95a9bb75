"""What more than one test module needs: the test server, fixtures' helpers, fingerprints, crafted files.

Test modules import from here and never from each other (tests/test_import_cycles.py checks it).
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

"""Which backups were read in full and found whole: a small JSON file in the state folder.

The backup history (app/engine/stores/history.py) records what this workstation wrote, not whether it
verifies; verification is recorded here, per file, with the manifest's checksum and the file's size, so a
file replaced by another under the same name is not taken for verified. A scheduled run verifies each
backup it writes; prune verifies the newest backups of a clinic that have no record yet. A damaged record
file is treated as empty (prune then verifies again; it never deletes more for it).
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from app import paths
from app.engine.archive.verify import verify_archive
from app.engine.errors import ArchiveError
from app.engine.routine.found import FoundBackup
from app.engine.safety.naming import utc_now_iso
from app.engine.stores.files import write_atomically

log = logging.getLogger(__name__)

MAX_ENTRIES = 5000


class VerifiedStore:
    _lock = threading.Lock()

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.state_dir() / "verified.json"

    def _read(self) -> dict[str, Any]:  # path -> {"checksum", "size", "verified_utc"}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("Ignoring unreadable verification record %s: %s", self.path, exc)
            return {}
        return data if isinstance(data, dict) else {}

    def is_verified(self, backup: FoundBackup) -> bool:
        entry = self._read().get(str(backup.path.resolve()))
        return (
            isinstance(entry, dict)
            and entry.get("checksum") == backup.checksum
            and entry.get("size") == backup.size_bytes
        )

    def record(self, backup: FoundBackup) -> None:
        with self._lock:
            data = self._read()
            data.pop(str(backup.path.resolve()), None)
            data[str(backup.path.resolve())] = {
                "checksum": backup.checksum,
                "size": backup.size_bytes,
                "verified_utc": utc_now_iso(),
            }
            kept = dict(list(data.items())[-MAX_ENTRIES:])
            write_atomically(self.path, json.dumps(kept, indent=2, ensure_ascii=False).encode())

    def verify(self, backup: FoundBackup) -> bool:
        """True when the record says so, else reads the file in full (and records a success)."""
        if self.is_verified(backup):
            return True
        try:
            verify_archive(backup.path)
        except ArchiveError as exc:
            log.warning("%s does not verify: %s", backup.path, exc)
            return False
        self.record(backup)
        return True

"""Where the window's resources are. Their one source is the checkout's top-level `resources/`; the wheel and the
PyInstaller bundle carry them as `app/resources/` (setup.py, packaging/resguardo.spec), beside this package."""

from __future__ import annotations

from pathlib import Path


def resources_dir() -> Path:
    package = Path(__file__).resolve().parents[1]
    installed = package / "resources"
    return installed if installed.is_dir() else package.parent / "resources"

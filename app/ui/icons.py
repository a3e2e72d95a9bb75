"""The application icon from `resources/` (beside the package in a checkout, or bundled)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QIcon

ICON_NAME = "resguardo.svg"


def resources_dir() -> Path:
    """`resources/` of a checkout, or of a PyInstaller bundle (`sys._MEIPASS`)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def app_icon() -> QIcon:
    path = resources_dir() / ICON_NAME
    return QIcon(str(path)) if path.exists() else QIcon.fromTheme("resguardo")

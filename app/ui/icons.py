"""The application icon and the window's own icon set (`resources/icons/`, drawn for Resguardo, MIT)."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from app.ui.resources import resources_dir

ICON_NAME = "resguardo.svg"


def app_icon() -> QIcon:
    path = resources_dir() / ICON_NAME
    return QIcon(str(path)) if path.exists() else QIcon.fromTheme("resguardo")


def icon(name: str) -> QIcon:
    """One of the bundled SVG icons by its file name without `.svg` (QIcon greys it when disabled)."""
    path = resources_dir() / "icons" / f"{name}.svg"
    if not path.is_file():
        raise FileNotFoundError(f"No icon {name!r} in {path.parent}")
    return QIcon(str(path))

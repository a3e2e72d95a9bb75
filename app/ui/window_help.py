"""The Help menu: the log file and its folder, opened with the desktop's own programs, and About."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from app import __version__, paths
from app.engine.errors import ResguardoError
from app.ui.job_runner import BackgroundPool
from app.ui.logging_setup import log_file

translate = QCoreApplication.translate


def open_log_file(pool: BackgroundPool, failed: Callable[[ResguardoError], None]) -> None:
    """The log file in the desktop's text viewer; made first, on a worker, if nothing was logged yet."""

    def ensure() -> Path:  # the log folder and file are created on disk: off the UI thread
        path = log_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
        return path

    def open_file(path: Path) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    pool.call(ensure, open_file, failed, name="log")


def open_log_folder() -> None:
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.log_dir())))


def about(parent: QWidget) -> None:
    QMessageBox.about(
        parent,
        translate("Window", "About Resguardo"),
        translate(
            "Window",
            "<b>Resguardo {version}</b><p>Backs up and restores one clinic at a time in a "
            "PostgreSQL database that keeps each clinic apart. A restore never touches another "
            "clinic and can be undone.</p><p>Log file: {log}</p><p>Icons drawn for Resguardo; "
            "MIT licence.</p>",
        ).format(version=__version__, log=log_file()),
    )

"""Start the Qt application and the main window.

`open_window(None)` opens on the last used profile (asking for a missing or
wrong password, or showing the profiles dialog when there is none);
`resguardo demo` passes the demo server's target.
"""

from __future__ import annotations

import logging
import sys

from app.engine.connection import ConnectionTarget
from app.engine.errors import ResguardoError

log = logging.getLogger(__name__)


def open_window(target: ConnectionTarget | None) -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from app.ui.error_dialog import ErrorDialog, install_excepthook
    from app.ui.icons import app_icon
    from app.ui.logging_setup import setup_logging
    from app.ui.main_window import MainWindow

    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Resguardo")
    app.setApplicationDisplayName("Resguardo")
    app.setDesktopFileName("resguardo")
    app.setWindowIcon(app_icon())
    path = setup_logging(debug=logging.getLogger().level == logging.DEBUG)
    log.info("Resguardo window starting; log file %s", path)
    window = MainWindow(target)

    def show_unexpected(error: ResguardoError) -> None:
        ErrorDialog(window if window.isVisible() else None, error, "Unexpected error").exec()

    install_excepthook(show_unexpected)
    window.show()
    return int(app.exec())

"""Start the Qt application and the main window."""

from __future__ import annotations

import sys

from app.engine.connection import ConnectionTarget


def open_window(target: ConnectionTarget | None) -> int:
    from PySide6.QtWidgets import QApplication

    from app.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Resguardo")
    window = MainWindow(target)
    window.show()
    return int(app.exec())

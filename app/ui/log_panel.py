"""The current job's messages, as the engine and the window wrote them (plain text, never markup)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QWidget

MAX_LINES = 5000


class LogPanel(QPlainTextEdit):
    """Read-only, selectable, bounded; shows one job's lines at a time."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(MAX_LINES)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setPlaceholderText(QCoreApplication.translate("LogPanel", "Messages of the current job appear here."))
        self.setAccessibleName(QCoreApplication.translate("LogPanel", "Log of the current job"))
        self._shown: object | None = None

    def show_job(self, job: object, lines: list[str]) -> None:
        self._shown = job
        self.setPlainText("\n".join(lines))
        self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())

    def append_for(self, job: object, line: str) -> None:
        if job is self._shown:
            self.appendPlainText(line)
            self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())


def stamped(text: str) -> str:
    return f"{datetime.now().strftime('%H:%M:%S')}  {text}"

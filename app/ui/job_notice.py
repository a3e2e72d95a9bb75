"""A job that ends while nobody is looking (the window minimised or behind another) is told by the desktop: a
notification from the system tray where the desktop has one, else the taskbar entry asks for attention. A
failure is always told; a success only after a long job, which is when the user went to do something else. A
cancel was the user's own doing and is not told."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QSystemTrayIcon, QWidget

from app.ui.icons import app_icon
from app.ui.job_panel import JobPanel, JobsArea, PanelState

log = logging.getLogger(__name__)
LONG_SECONDS = 10.0
SHOWN_MS = 15_000


def worth_telling(state: PanelState, seconds: float, seen: bool, long_seconds: float = LONG_SECONDS) -> bool:
    if seen:
        return False
    return state == PanelState.FAILED or (state == PanelState.SUCCEEDED and seconds >= long_seconds)


class JobNotices(QObject):
    def __init__(self, window: QWidget, jobs: JobsArea) -> None:
        super().__init__(window)
        self.window = window
        self.long_seconds = LONG_SECONDS
        self._tray: QSystemTrayIcon | None = None
        jobs.job_ended.connect(self._ended)

    def _ended(self, panel: JobPanel) -> None:
        seen = self.window.isActiveWindow() and not self.window.isMinimized()
        if not worth_telling(panel.state, panel.seconds(), seen, self.long_seconds):
            return
        title, text = panel.title.full_text(), panel.summary.full_text()
        failed = panel.state == PanelState.FAILED
        if QSystemTrayIcon.isSystemTrayAvailable():
            tray = self._tray_icon()
            kind = QSystemTrayIcon.MessageIcon.Critical if failed else QSystemTrayIcon.MessageIcon.Information
            tray.showMessage(title, text, kind, SHOWN_MS)
            log.info("Told the desktop (tray): %s: %s", title, text)
        else:
            QApplication.alert(self.window)
            log.info("Told the desktop (taskbar): %s: %s", title, text)

    def _tray_icon(self) -> QSystemTrayIcon:
        if self._tray is None:
            self._tray = QSystemTrayIcon(app_icon(), self)
            self._tray.setToolTip("Resguardo")
            self._tray.messageClicked.connect(self._bring_back)
            self._tray.activated.connect(lambda _reason: self._bring_back())
        self._tray.show()
        return self._tray

    def _bring_back(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

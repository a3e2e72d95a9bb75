"""The jobs area: one panel per job with its progress bar, stage, table, times and Cancel.

Progress is a bar with a percentage plus the stage and current table, never
only free text. A finished panel keeps its result (and buttons such as Undo)
until dismissed. Each panel keeps its own log lines for the log panel.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.engine.errors import Cancelled, ResguardoError
from app.engine.jobs import CancelToken, Progress, ProgressCallback
from app.formatting import human_duration, remaining_estimate
from app.ui.job_runner import BackgroundPool, Worker
from app.ui.log_panel import LogPanel, stamped

RUNNING, WAITING, SUCCEEDED, FAILED, CANCELLED = "running", "waiting", "succeeded", "failed", "cancelled"
KEEP_FINISHED = 6  # older finished panels are removed as new jobs start


class JobPanel(QFrame):
    """One job (a backup, a restore with its preview, an undo, a verify)."""

    def __init__(self, area: JobsArea, title: str, tenant: str | None) -> None:
        super().__init__()
        self.area = area
        self.tenant = tenant
        self.state = WAITING
        self.lines: list[str] = []
        self.error: ResguardoError | None = None
        self.result: Any = None
        self._worker: Worker | None = None
        self._started = 0.0
        self._fraction = 0.0
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        self.title = QLabel(f"<b>{title}</b>")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setFormat("%p%")
        self.bar.setTextVisible(True)
        self.stage = QLabel("")
        self.detail = QLabel("")
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.times = QLabel("")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.details_button = QPushButton("Details…")
        self.details_button.clicked.connect(self._show_details)
        self.details_button.hide()
        self.log_button = QPushButton("Log")
        self.log_button.setToolTip("Show this job's messages in the log panel")
        self.log_button.clicked.connect(lambda: self.area.show_log(self))
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.clicked.connect(lambda: self.area.remove(self))
        self.dismiss_button.hide()

        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.times)
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        for button in (self.details_button, self.log_button, self.cancel_button, self.dismiss_button):
            self.buttons.addWidget(button)
        status = QHBoxLayout()
        status.addWidget(self.stage)
        status.addWidget(self.detail, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.bar)
        layout.addLayout(status)
        layout.addWidget(self.message)
        layout.addLayout(self.buttons)

        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)

    # -- running -------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.state in (RUNNING, WAITING)

    def run(self, fn: Callable[[ProgressCallback, CancelToken], Any], stage: str,
            on_success: Callable[[Any], None], on_failure: Callable[[ResguardoError], None]) -> None:
        """Run one engine call in this panel; the callbacks decide what the panel says at the end."""
        self.state = RUNNING
        self.error = None
        self._fraction = 0.0
        self._started = time.monotonic()
        self.bar.setValue(0)
        self.bar.show()
        self.stage.setText(stage)
        self.detail.setText("")
        self.message.hide()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.dismiss_button.hide()
        self.details_button.hide()
        self.log(stage)
        self._clock.start()
        self._tick()
        self._worker = self.area.pool.start(
            Worker(fn, self.title.text()), on_success=on_success, on_failure=on_failure,
            on_progress=self._progress, on_log=self.log,
        )

    def wait_for_user(self, text: str) -> None:
        """Between two calls (e.g. preview shown, confirmation pending)."""
        self.state = WAITING
        self._clock.stop()
        self.stage.setText(text)
        self.cancel_button.setEnabled(False)

    def cancel(self) -> None:
        if self._worker is not None and self.state == RUNNING:
            self._worker.cancel()
            self.cancel_button.setEnabled(False)
            self.stage.setText("Cancelling…")
            self.log("Cancel requested.")

    def _progress(self, progress: Progress) -> None:
        self._fraction = max(self._fraction, progress.fraction)
        self.bar.setValue(int(self._fraction * 1000))
        if progress.stage != self.stage.text() or progress.detail != self.detail.text():
            self.log(progress.stage + (f": {progress.detail}" if progress.detail else ""))
            self.stage.setText(progress.stage)
            self.detail.setText(progress.detail)
        self._tick()

    def _tick(self) -> None:
        elapsed = time.monotonic() - self._started
        left = remaining_estimate(self._fraction, elapsed)
        self.times.setText(f"{human_duration(elapsed)} elapsed" + (f" · {left}" if left else ""))

    def log(self, text: str) -> None:
        line = stamped(text)
        self.lines.append(line)
        self.area.log_panel.append_for(self, line)

    # -- ending --------------------------------------------------------------------

    def _end(self, state: str, text: str) -> None:
        self.state = state
        self._clock.stop()
        self._tick()
        self.cancel_button.hide()
        self.dismiss_button.show()
        self.message.setText(text)
        self.message.show()
        colour = {SUCCEEDED: "", FAILED: "color: #b3261e;", CANCELLED: ""}[state]
        self.message.setStyleSheet(colour)
        if state == SUCCEEDED:
            self.bar.setValue(1000)
            self.stage.setText("Done")
            self.detail.setText("")
        else:
            self.bar.hide()
            self.stage.setText("")
            self.detail.setText("")
        self.log(text)
        self.area.job_ended.emit(self)

    def succeed(self, text: str, result: Any = None) -> None:
        self.result = result
        self._end(SUCCEEDED, text)

    def fail(self, error: ResguardoError, note: str = "") -> None:
        """Show a failure (or a cancel) in words; `note` says what state things are in."""
        self.error = error
        if isinstance(error, Cancelled):
            self._end(CANCELLED, f"Cancelled. {note}".strip())
            return
        text = error.message
        if note and note.lower().rstrip(".") not in text.lower():
            text = f"{text} {note}"
        self._end(FAILED, text)
        self.details_button.show()
        if error.details:
            self.log(error.details)

    def add_button(self, label: str, callback: Callable[[], None]) -> QPushButton:
        button = QPushButton(label)
        button.clicked.connect(callback)
        self.buttons.insertWidget(1, button)
        return button

    def _show_details(self) -> None:
        if self.error is not None:
            self.area.dialogs.show_error(self.window(), self.error)


class JobsArea(QScrollArea):
    """Stacks the job panels; knows which tenants are busy."""

    job_started = Signal(object)  # JobPanel
    job_ended = Signal(object)  # JobPanel

    def __init__(self, pool: BackgroundPool, log_panel: LogPanel, dialogs: Any) -> None:
        super().__init__()
        self.pool = pool
        self.log_panel = log_panel
        self.dialogs = dialogs
        self.panels: list[JobPanel] = []
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        self._layout = QVBoxLayout(inner)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.empty = QLabel("No jobs yet. Select a clinic and choose Back up… or Restore….")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setEnabled(False)
        self._layout.addWidget(self.empty)
        self._layout.addStretch(1)
        self.setWidget(inner)

    def busy_tenants(self) -> set[str]:
        return {p.tenant for p in self.panels if p.running and p.tenant}

    def running(self) -> list[JobPanel]:
        return [p for p in self.panels if p.running]

    def new_panel(self, title: str, tenant: str | None) -> JobPanel:
        finished = [p for p in self.panels if not p.running]
        for old in finished[: max(0, len(finished) - KEEP_FINISHED + 1)]:
            self.remove(old)
        panel = JobPanel(self, title, tenant)
        self.panels.append(panel)
        self._layout.insertWidget(0, panel)
        self.empty.hide()
        self.show_log(panel)
        self.job_started.emit(panel)
        QTimer.singleShot(0, lambda: self.ensureWidgetVisible(panel))
        return panel

    def remove(self, panel: JobPanel) -> None:
        if panel.running or panel not in self.panels:
            return
        self.panels.remove(panel)
        panel.setParent(None)
        panel.deleteLater()
        self.empty.setVisible(not self.panels)

    def show_log(self, panel: JobPanel) -> None:
        self.log_panel.show_job(panel, panel.lines)

    def cancel_all(self) -> None:
        for panel in self.running():
            panel.cancel()

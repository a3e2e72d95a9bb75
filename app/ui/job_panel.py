"""The jobs area: one panel per job with its progress bar, stage, table, times and Cancel.

Progress is a bar with a percentage plus the stage and current table, never
only free text. A finished panel keeps its result (and buttons such as Undo)
until dismissed, and shows the time the job took, not a time left. Long
titles are elided and the buttons wrap, so Cancel stays visible in a narrow
column. When a new job starts, the finished ones fold to one line (title,
result, time), so that at 1024×600 the jobs that matter fit; a click on the
line, or its arrow, shows the whole panel again. Each panel keeps its own log
lines (plain text) for the log panel: the window's words, in its language,
also written to the log file; what is technical (the engine's sentence,
internal names) goes to the log file only (`note`).
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.engine.errors import Cancelled, ResguardoError
from app.engine.jobs import CancelToken, Progress, ProgressCallback
from app.ui import engine_words, locale_format
from app.ui.icons import icon
from app.ui.job_runner import BackgroundPool, Worker
from app.ui.log_panel import LogPanel, stamped
from app.ui.style import DANGER, muted, set_text_colour
from app.ui.widgets import ButtonRow, ElidedLabel

log = logging.getLogger(__name__)
translate = QCoreApplication.translate


class PanelState(enum.StrEnum):
    WAITING = "waiting"  # not started yet, or between two calls (a confirmation pending)
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    HELD = "held"  # waits for something outside any job (a connection to a server): not running, dismissable


KEEP_FINISHED = 6  # older finished panels are removed as new jobs start


class JobPanel(QFrame):
    """One job (a backup, a restore with its preview, an undo, a verify)."""

    def __init__(self, area: JobsArea, title: str, tenant: str | None) -> None:
        super().__init__()
        self.area = area
        self.tenant = tenant
        self.also_busy: set[str] = set()  # more tenants the job holds while it runs (Back up all clinics)
        self.state = PanelState.WAITING
        self.lines: list[str] = []
        self.error: ResguardoError | None = None
        self.result: Any = None
        self._worker: Worker | None = None
        self._started = 0.0
        self._ended = 0.0
        self._fraction = 0.0
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Maximum)
        self.setAccessibleName(title)

        self.title = ElidedLabel(title)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.times = muted(QLabel(""))
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setFormat("%p%")
        self.bar.setTextVisible(True)
        self.bar.setAccessibleName(translate("JobPanel", "Progress of {title}").format(title=title))
        self.stage = ElidedLabel("")
        self.message = QLabel("")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.message.hide()
        self.cancel_button = self._button(
            translate("JobPanel", "Cancel"),
            "cancel",
            self.cancel,
            translate("JobPanel", "Stop this job; nothing is left half-done"),
        )
        self.details_button = self._button(
            translate("JobPanel", "Details…"),
            "details",
            self._show_details,
            translate("JobPanel", "The technical details of what went wrong"),
        )
        self.details_button.hide()
        self.log_button = self._button(
            translate("JobPanel", "Log"),
            "log",
            lambda: self.area.show_log(self),
            translate("JobPanel", "Show this job's messages in the log panel"),
        )
        self.dismiss_button = self._button(
            translate("JobPanel", "Dismiss"),
            "dismiss",
            lambda: self.area.remove(self),
            translate("JobPanel", "Remove this finished job from the list"),
        )
        self.dismiss_button.hide()

        self.collapsed = False
        self._folded: list[QWidget] = []  # what folding hid, shown again when unfolded
        self.toggle = QToolButton()
        self.toggle.setAutoRaise(True)
        self.toggle.clicked.connect(lambda: self.set_collapsed(not self.collapsed))
        self.toggle.hide()  # only a finished job folds
        self.summary = ElidedLabel("")  # the result, on the folded line
        self.summary.hide()

        head = QHBoxLayout()
        head.addWidget(self.toggle)
        head.addWidget(self.title, 1)
        head.addWidget(self.summary, 2)
        head.addWidget(self.times)
        self.buttons = ButtonRow()
        for button in (self.details_button, self.log_button, self.cancel_button, self.dismiss_button):
            self.buttons.add(button)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.bar)
        layout.addWidget(self.stage)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.body = layout
        self._margins = layout.contentsMargins()  # the whole panel's; a folded one is tighter

        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)

    @staticmethod
    def _button(text: str, icon_name: str, slot: Callable[[], object], tip: str) -> QPushButton:
        button = QPushButton(icon(icon_name), text)
        button.setToolTip(tip)
        button.setAccessibleDescription(tip)
        button.clicked.connect(slot)
        return button

    # -- running -------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.state in (PanelState.RUNNING, PanelState.WAITING)

    def run(
        self,
        fn: Callable[[ProgressCallback, CancelToken], Any],
        stage: str,
        on_success: Callable[[Any], None],
        on_failure: Callable[[ResguardoError], None],
    ) -> None:
        """Run one engine call in this panel; the callbacks decide what the panel says at the end."""
        self.set_collapsed(False)
        self.toggle.hide()
        self.state = PanelState.RUNNING
        self.error = None
        self._fraction = 0.0
        self._started = time.monotonic()
        self.bar.setValue(0)
        self.bar.show()
        self.stage.show()
        self.stage.set_full_text(stage)
        self.message.hide()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.dismiss_button.hide()
        self.details_button.hide()
        self.log(stage)
        self._clock.start()
        self._tick()
        self._worker = self.area.pool.start(
            Worker(fn, self.title.full_text()),
            on_success=on_success,
            on_failure=on_failure,
            on_progress=self._progress,
        )

    def wait_for_user(self, text: str) -> None:
        """Between two calls (e.g. preview shown, confirmation pending)."""
        self.state = PanelState.WAITING
        self._clock.stop()
        self.stage.set_full_text(text)
        self.cancel_button.setEnabled(False)

    def cancel(self) -> None:
        if self._worker is not None and self.state == PanelState.RUNNING:
            self._worker.cancel()
            self.cancel_button.setEnabled(False)
            self.stage.set_full_text(translate("JobPanel", "Cancelling…"))
            self.log(translate("JobPanel", "Cancel requested."))

    def _progress(self, progress: Progress) -> None:
        self._fraction = max(self._fraction, progress.fraction)
        self.bar.setValue(int(self._fraction * 1000))
        detail = engine_words.detail(progress.detail) if progress.detail else ""
        text = engine_words.stage(progress.stage) + (f": {detail}" if detail else "")
        if text != self.stage.full_text():
            self.log(text, logging.DEBUG)
            self.stage.set_full_text(text)
        self._tick()

    def seconds(self) -> float:
        """How long its last engine call took, or has taken so far."""
        return (self._ended if not self.running else time.monotonic()) - self._started

    def _tick(self) -> None:
        self.times.setText(locale_format.times(self.seconds(), self._fraction, self.running))

    def log(self, text: str, level: int = logging.INFO) -> None:
        """A line of the job's log, in the window's words: the log panel, and the log file (a stage at DEBUG)."""
        line = stamped(text)
        self.lines.append(line)
        self.area.log_panel.append_for(self, line)
        log.log(level, "%s: %s", self.title.full_text(), text)

    def note(self, text: str) -> None:
        """A technical line (the engine's sentence, internal names): the log file only."""
        log.info("%s (details): %s", self.title.full_text(), text)

    # -- ending --------------------------------------------------------------------

    def _end(self, state: PanelState, text: str) -> None:
        self.state = state
        self._ended = time.monotonic()
        self._clock.stop()
        self._tick()
        self.cancel_button.hide()
        self.dismiss_button.show()
        self.message.setText(text)
        self.message.show()
        self.summary.set_full_text(text)
        self.toggle.show()
        self._show_toggle()
        if state == PanelState.FAILED:
            set_text_colour(self.message, DANGER)
            set_text_colour(self.summary, DANGER)
        if state == PanelState.SUCCEEDED:
            self.bar.setValue(1000)
            self.stage.set_full_text(engine_words.stage("Done"))
        else:
            self.bar.hide()
            self.stage.set_full_text("")
        self.stage.setVisible(state == PanelState.SUCCEEDED)
        self.log(text)
        self.area.job_ended.emit(self)

    def succeed(self, text: str, result: Any = None) -> None:
        self.result = result
        self._end(PanelState.SUCCEEDED, text)

    def fail(self, error: ResguardoError, outcome: str = "") -> None:
        """Show a failure (or a cancel) in words; `outcome` says what state things are in."""
        self.error = error
        if isinstance(error, Cancelled):
            self._end(PanelState.CANCELLED, " ".join(filter(None, [translate("JobPanel", "Cancelled."), outcome])))
            return
        text = engine_words.headline(error)
        if outcome and outcome.lower().rstrip(".") not in text.lower():
            text = f"{text} {outcome}"
        self._end(PanelState.FAILED, text)
        technical = engine_words.technical(error)
        self.details_button.setVisible(bool(technical))
        if technical:
            self.note(technical)

    def hold(self, text: str) -> None:
        """Say why the job has not started yet; `run` starts it later in this panel."""
        self._end(PanelState.HELD, text)

    def add_button(self, label: str, callback: Callable[[], None], icon_name: str, tip: str) -> QPushButton:
        """A button of the result (Undo, Show in folder…), placed first."""
        button = self._button(label, icon_name, callback, tip)
        self.buttons.add(button, first=True)
        return button

    # -- folding -------------------------------------------------------------------

    def set_collapsed(self, folded: bool) -> None:
        """A finished job on one line (title, result, time), or whole; a running job never folds."""
        if folded == self.collapsed or (folded and self.running):
            return
        self.collapsed = folded
        layout = self.body
        whole = self._margins
        layout.setContentsMargins(
            whole.left(), 2 if folded else whole.top(), whole.right(), 2 if folded else whole.bottom()
        )
        if folded:
            items = [layout.itemAt(i) for i in range(1, layout.count())]  # all but the title line
            body = [item.widget() for item in items if item is not None]
            self._folded = [w for w in body if w is not None and not w.isHidden()]
            for widget in self._folded:
                widget.hide()
        else:
            for widget in self._folded:
                widget.show()
            self._folded = []
        self.summary.setVisible(folded)
        self._show_toggle()

    def _show_toggle(self) -> None:
        self.toggle.setArrowType(Qt.ArrowType.RightArrow if self.collapsed else Qt.ArrowType.DownArrow)
        tip = (
            translate("JobPanel", "Show this job's result and buttons")
            if self.collapsed
            else translate("JobPanel", "Fold this finished job to one line")
        )
        self.toggle.setToolTip(tip)
        self.toggle.setAccessibleName(tip)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.collapsed and event.button() == Qt.MouseButton.LeftButton:
            self.set_collapsed(False)
            self.area.show_log(self)
            return
        super().mousePressEvent(event)

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
        self.setAccessibleName(translate("JobPanel", "Jobs"))
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # panels wrap instead
        self.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        self._layout = QVBoxLayout(inner)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.empty = muted(
            QLabel(translate("JobPanel", "No jobs yet. Select a clinic and choose Back up… or Restore…."))
        )
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._layout.addWidget(self.empty)
        self._layout.addStretch(1)
        self.setWidget(inner)

    def busy_tenants(self) -> set[str]:
        return {t for p in self.panels if p.running for t in (p.tenant, *p.also_busy) if t}

    def running(self) -> list[JobPanel]:
        return [p for p in self.panels if p.running]

    def new_panel(self, title: str, tenant: str | None) -> JobPanel:
        finished = [p for p in self.panels if not p.running]
        for old in finished[: max(0, len(finished) - KEEP_FINISHED + 1)]:
            self.remove(old)
        for old in finished:
            old.set_collapsed(True)  # the new job is the one to watch; each finished one keeps a line
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

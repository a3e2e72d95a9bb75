"""The per-clinic list inside the job panel of "Back up all clinics…": each clinic's state as the run goes.

Waiting, being backed up (and at which try), done with its size, failed with its sentence, skipped because
another job was using it, or not backed up because the run was cancelled. The engine reports from its worker
threads; the list's signals bring each report to the UI thread (queued), where the rows change. Names are
the database's words: plain text in the rows (item views never render markup), escaped in the tooltips.
"""

from __future__ import annotations

import enum
from contextlib import suppress

from PySide6.QtCore import QCoreApplication, Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.backup.many import ClinicOutcome, ClinicStatus, FailureKind
from app.engine.stores.history import BackupRecord
from app.ui import locale_format as fmt
from app.ui.job_panel import JobPanel
from app.ui.style import DANGER
from app.ui.widgets import plain_tooltip

translate = QCoreApplication.translate
VISIBLE_ROWS = 6  # the list scrolls beyond this, so a long run keeps the panel's buttons in view


class ClinicState(enum.StrEnum):
    WAITING = "waiting"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    BUSY = "busy"  # skipped: another backup or restore of it was running
    CANCELLED = "cancelled"


def reason(outcome: ClinicOutcome) -> str:
    """Why a clinic has no file, by the kind of failure, in the window's words; the engine's sentence, which
    names the exact cause (and internal names), is in the panel's Details and the log file."""
    kind = outcome.kind
    if kind is FailureKind.CONNECTION:
        return translate("BackupAll", "the database server could not be reached, or the connection was lost")
    if kind is FailureKind.BUSY:
        return translate("BackupAll", "another backup or restore of this clinic was running")
    if kind is FailureKind.REFUSED:
        return translate("BackupAll", "this clinic cannot be backed up as it is (Details… says why)")
    if kind is FailureKind.CANNOT_WRITE:
        return translate(
            "BackupAll", "the file could not be written: the disk is full, or the folder cannot be written"
        )
    if kind is FailureKind.NOT_A_CLINIC:
        return translate("BackupAll", "it is not a clinic of this database")
    return translate("BackupAll", "the backup failed on the server (Details… says why)")


class ClinicList(QTreeWidget):
    """Two columns, clinic and state; one row per clinic, in the order of the list of clinics."""

    started = Signal(str, int)  # schema, attempt: emitted on a worker thread
    finished = Signal(object)  # ClinicOutcome: emitted on a worker thread
    recorded = Signal(object)  # BackupRecord of a clinic backed up (in the history): emitted on a worker thread
    changed = Signal(str, str)  # schema, ClinicState: on the UI thread, after the row changed

    def __init__(self, clinics: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        """`clinics`: (internal name, name as the window shows it) of each clinic the run will back up."""
        super().__init__(parent)
        self.setObjectName("clinic-states")
        self.setColumnCount(2)
        self.setHeaderLabels([translate("BackupAll", "Clinic"), translate("BackupAll", "State")])
        self.setAccessibleName(translate("BackupAll", "The clinics and how each backup went"))
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 180)
        self.rows: dict[str, QTreeWidgetItem] = {}
        self.states: dict[str, ClinicState] = {}
        self.names: dict[str, str] = {}
        self.errors: dict[str, str] = {}  # the engine's sentence of each clinic not backed up, for the log file
        self.tally = QLabel("")  # "2 of 5 clinics finished: 1 backed up, 1 not"; placed above the list by attach()
        self.tally.setTextFormat(Qt.TextFormat.PlainText)
        self.tally.setWordWrap(True)
        for schema, name in clinics:
            self._row(schema, name)
        row_height = max(self.sizeHintForRow(0), self.fontMetrics().height() + 6)
        rows = min(max(len(clinics), 1), VISIBLE_ROWS)  # no empty rows under a short list: 1024×600 is small
        self.setMaximumHeight(self.header().sizeHint().height() + row_height * rows + 2 * self.frameWidth())
        self.started.connect(self._started)
        self.finished.connect(self._finished)

    def _row(self, schema: str, name: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem([name, ""])
        item.setToolTip(0, plain_tooltip(name))
        self.addTopLevelItem(item)
        self.rows[schema], self.names[schema] = item, name
        self._set(schema, ClinicState.WAITING, translate("BackupAll", "Waiting"))
        return item

    def _set(self, schema: str, state: ClinicState, text: str) -> None:
        item = self.rows.get(schema) or self._row(schema, schema)
        self.states[schema] = state
        item.setText(1, text)
        item.setToolTip(1, plain_tooltip(text))
        if state in (ClinicState.FAILED, ClinicState.BUSY):
            item.setForeground(1, QBrush(QColor(DANGER)))
        else:
            item.setForeground(1, QBrush())
        self._count()
        self.changed.emit(schema, state.value)

    def _count(self) -> None:
        finished = [s for s in self.states.values() if s not in (ClinicState.WAITING, ClinicState.RUNNING)]
        running = [name for schema, name in self.names.items() if self.states.get(schema) is ClinicState.RUNNING]
        text = translate("BackupAll", "{finished} of {total} clinics finished: {done} backed up, {failed} not.").format(
            finished=fmt.number(len(finished)),
            total=fmt.number(len(self.states)),
            done=fmt.number(self.how_many(ClinicState.DONE)),
            failed=fmt.number(len(finished) - self.how_many(ClinicState.DONE)),
        )
        if running:
            text += " " + translate("BackupAll", "Now: {clinics}.").format(clinics=", ".join(running))
        self.tally.setText(text)

    # -- reports from the engine (worker threads) -------------------------------------------------------

    def report_start(self, schema: str, attempt: int) -> None:
        with suppress(RuntimeError):  # the list is gone: the window closed while the run ended
            self.started.emit(schema, attempt)

    def report_record(self, record: BackupRecord) -> None:
        with suppress(RuntimeError):
            self.recorded.emit(record)

    def report_outcome(self, outcome: ClinicOutcome) -> None:
        with suppress(RuntimeError):
            self.finished.emit(outcome)

    # -- on the UI thread ----------------------------------------------------------------------------------

    @Slot(str, int)
    def _started(self, schema: str, attempt: int) -> None:
        if attempt == 1:
            self._set(schema, ClinicState.RUNNING, translate("BackupAll", "Backing up…"))
        else:
            self._set(schema, ClinicState.RUNNING, translate("BackupAll", "Backing up again (second try)…"))

    @Slot(object)
    def _finished(self, outcome: ClinicOutcome) -> None:
        if outcome.error:
            self.errors[outcome.schema] = outcome.error
        if outcome.status is ClinicStatus.BACKED_UP:
            text = translate("BackupAll", "Done: {size} in {time}").format(
                size=fmt.size(outcome.size_bytes), time=fmt.duration(outcome.seconds)
            )
            if outcome.attempts > 1:
                text += " " + translate("BackupAll", "(at the second try)")
            self._set(outcome.schema, ClinicState.DONE, text)
        elif outcome.status is ClinicStatus.BUSY:
            self._set(
                outcome.schema,
                ClinicState.BUSY,
                translate("BackupAll", "Skipped: another backup or restore of this clinic was running"),
            )
        else:
            self._set(
                outcome.schema,
                ClinicState.FAILED,
                translate("BackupAll", "Failed: {reason}").format(reason=reason(outcome)),
            )

    def cancel_rest(self) -> None:
        """The run stopped (cancelled, or the server went away): the clinics not done are not backed up."""
        for schema, state in list(self.states.items()):
            if state in (ClinicState.WAITING, ClinicState.RUNNING):
                self._set(schema, ClinicState.CANCELLED, translate("BackupAll", "Not backed up (the run stopped)"))

    def how_many(self, state: ClinicState) -> int:
        return sum(1 for s in self.states.values() if s is state)


def attach(panel: JobPanel, clinics: ClinicList) -> None:
    """Put the list in the job panel, under its progress bar and stage, above its message and buttons."""
    layout = panel.layout()
    if isinstance(layout, QVBoxLayout):
        layout.insertWidget(3, clinics.tally)
        layout.insertWidget(4, clinics)

"""Recover records…: the backup's contents, browsed to pick the record to bring back.

The left list holds the backup's tables in the clinic's words ("custom user", "appointment"), with their
rows; the table's own name is in its tooltip. The right side shows a table's first rows, or only those
deleted since the backup, narrowed by a search in one column or in any, or to the rows where a column has no
value (app/ui/recover_search.py; the rows are shown by app/ui/recover_rows.py); each reading runs on a worker
(app/engine/recovery/browse.py through the flow's `Browser`), with a bar and Stop, and a newer reading
replaces the one still running. The record picked is one row of the table; Continue hands it back with
whether what belongs to it comes along (a patient's profile, appointments and messages). Nothing is changed
here: the flow then works out and shows the plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QBrush, QCloseEvent, QColor, QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.engine.errors import Cancelled, ResguardoError
from app.engine.jobs import CancelToken, Progress, ProgressCallback
from app.engine.recovery.browse import BackupContents, BackupTable, RowsPage, Search
from app.engine.recovery.several import MAX_RECORDS
from app.text_safety import shown, visible
from app.ui import engine_words
from app.ui import locale_format as fmt
from app.ui.job_runner import BackgroundPool, Worker
from app.ui.recover_rows import RowsTable, chosen_text, count_text
from app.ui.recover_search import SearchBar
from app.ui.style import DANGER, MUTED, set_text_colour
from app.ui.table_names import model_text
from app.ui.widgets import plain_tooltip

translate = QCoreApplication.translate
Reading = Callable[[BackupTable, Search | None, bool, ProgressCallback, CancelToken], RowsPage]


@dataclass(frozen=True)
class BrowseContext:
    """What the dialog shows and how it reads: `read(table, search, deleted_only, progress, cancel)` on a worker."""

    clinic: str
    file_name: str
    contents: BackupContents
    pool: BackgroundPool
    read: Reading


@dataclass(frozen=True)
class PickedRecord:
    """The records chosen: each row's key as (column, value) pairs, what `plan_several` is asked for."""

    table: BackupTable
    matches: tuple[tuple[tuple[str, str], ...], ...]
    with_dependents: bool
    label: str  # the records as the dialog said them ("custom user id 5")


def table_label(table: BackupTable) -> str:
    """A table in the clinic's words, with its rows: "custom user (9 rows)"."""
    return translate("RecoverDialog", "{words} (%Ln rows)", None, table.rows).format(
        words=model_text(table.model, table.name)
    )


class RecoverDialog(QDialog):
    def __init__(self, parent: QWidget | None, context: BrowseContext) -> None:
        super().__init__(parent)
        self.context = context
        self.page: RowsPage | None = None
        self._worker: Worker | None = None
        self._generation = 0
        self._closed = False
        contents = context.contents
        self.setWindowTitle(translate("RecoverDialog", "Recover records into {clinic}").format(clinic=context.clinic))

        intro = QLabel(
            translate(
                "RecoverDialog",
                "Find the record to bring back from {file} (backup of {when}). It is added to {clinic} as it was "
                "then; nothing that {clinic} holds now is changed or removed.",
            ).format(file=shown(context.file_name), when=fmt.when(contents.created_utc) or "?", clinic=context.clinic)
        )
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setWordWrap(True)

        self.tables = QListWidget()
        self.tables.setAccessibleName(translate("RecoverDialog", "What the backup holds"))
        for table in contents.tables:
            item = QListWidgetItem(table_label(table))
            item.setData(Qt.ItemDataRole.UserRole, table.name)
            tip = translate("RecoverDialog", "Table {name}").format(name=visible(table.name))
            if not table.can_pick:
                tip += "\n" + translate(
                    "RecoverDialog", "Its rows cannot be told apart (no key): it can only come back with a restore."
                )
                item.setForeground(QBrush(QColor(MUTED)))
            item.setToolTip(plain_tooltip(tip))
            self.tables.addItem(item)
        self.tables.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.tables.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tables.currentItemChanged.connect(lambda *_: self._table_chosen())
        tables_label = QLabel(translate("RecoverDialog", "&What the backup holds:"))
        tables_label.setBuddy(self.tables)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(tables_label)
        left_layout.addWidget(self.tables, 1)

        self.all_rows = QRadioButton(translate("RecoverDialog", "&All its rows in the backup"))
        self.deleted_rows = QRadioButton(translate("RecoverDialog", "Only those &deleted since the backup"))
        self.all_rows.setChecked(True)
        modes = QButtonGroup(self)
        modes.addButton(self.all_rows)
        modes.addButton(self.deleted_rows)
        self.deleted_rows.toggled.connect(lambda _on: self.load())
        mode_row = QHBoxLayout()
        mode_row.addWidget(self.all_rows)
        mode_row.addWidget(self.deleted_rows)
        mode_row.addStretch(1)

        self.search_bar = SearchBar()
        self.search_bar.requested.connect(self.load)
        self.column, self.text, self.search_button = (
            self.search_bar.column,
            self.search_bar.text,
            self.search_bar.button,
        )

        self.status = QLabel("")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self._status_palette = self.status.palette()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(10)
        self.stop_button = QPushButton(translate("RecoverDialog", "S&top"))
        self.stop_button.setAutoDefault(False)
        self.stop_button.clicked.connect(self.stop)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.bar)
        status_row.addWidget(self.stop_button)

        self.rows = RowsTable()
        self.rows.itemSelectionChanged.connect(self._update_buttons)
        self.rows.doubleClicked.connect(lambda _index: self.accept())

        self.with_dependents = QCheckBox(
            translate(
                "RecoverDialog", "Also bring back what belongs to it (a patient's profile, appointments, messages…)"
            )
        )
        self.with_dependents.setChecked(True)
        self.chosen = QLabel("")
        self.chosen.setTextFormat(Qt.TextFormat.PlainText)
        self.chosen.setWordWrap(True)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(mode_row)
        right_layout.addWidget(self.search_bar)
        right_layout.addLayout(status_row)
        right_layout.addWidget(self.rows, 1)
        right_layout.addWidget(self.chosen)
        right_layout.addWidget(self.with_dependents)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)

        buttons = QDialogButtonBox()
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.continue_button = QPushButton(translate("RecoverDialog", "&Continue…"))
        self.continue_button.setToolTip(
            translate("RecoverDialog", "Work out what comes back with the chosen record, and show it before anything")
        )
        buttons.addButton(self.continue_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.continue_button.setAutoDefault(False)
        self.cancel_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(splitter, 1)
        layout.addWidget(buttons)
        self._fit(splitter)
        self._set_running(False)
        self._update_buttons()
        first = next((i for i, t in enumerate(contents.tables) if t.can_pick and t.rows), 0)
        if contents.tables:
            self.tables.setCurrentRow(first)

    # -- what is shown -------------------------------------------------------------------------------------

    def current_table(self) -> BackupTable | None:
        item = self.tables.currentItem()
        if item is None:
            return None
        return self.context.contents.table(str(item.data(Qt.ItemDataRole.UserRole)))

    def select_table(self, name: str) -> None:
        for row in range(self.tables.count()):
            if self.tables.item(row).data(Qt.ItemDataRole.UserRole) == name:
                self.tables.setCurrentRow(row)
                return
        raise KeyError(name)

    def _table_chosen(self) -> None:
        table = self.current_table()
        self.search_bar.set_table(table)
        if table is not None:
            self.load()

    def search(self) -> Search | None:
        return self.search_bar.search()

    def load(self) -> None:
        """Read the current table's rows as the mode and the search say, on a worker (replacing any reading)."""
        table = self.current_table()
        if table is None or self._closed:
            return
        self.stop()
        self._generation += 1
        generation = self._generation
        search, deleted = self.search(), self.deleted_rows.isChecked()
        self.page = None
        self.rows.setRowCount(0)
        self._update_buttons()
        self.status.setPalette(self._status_palette)
        self.status.setText(
            translate("RecoverDialog", "Comparing the backup with {clinic} now…").format(clinic=self.context.clinic)
            if deleted
            else translate("RecoverDialog", "Reading the backup…")
        )
        self.bar.setValue(0)
        self._set_running(True)
        read = self.context.read
        self._worker = self.context.pool.start(
            Worker(lambda progress, cancel: read(table, search, deleted, progress, cancel), "browse the backup"),
            on_success=lambda page: self._shown(generation, page),
            on_failure=lambda error: self._failed(generation, error),
            on_progress=lambda progress: self._progress(generation, progress),
        )

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
        self._set_running(False)

    def _progress(self, generation: int, progress: Progress) -> None:
        if generation == self._generation and not self._closed:
            self.bar.setValue(int(progress.fraction * 1000))

    def _shown(self, generation: int, page: RowsPage) -> None:
        if generation != self._generation or self._closed:
            return
        self._worker = None
        self._set_running(False)
        self.page = page
        self.rows.show_page(page)
        self.status.setText(count_text(page, self.deleted_rows.isChecked(), self.search() is not None))
        self._update_buttons()

    def _failed(self, generation: int, error: ResguardoError) -> None:
        if generation != self._generation or self._closed:
            return
        self._worker = None
        self._set_running(False)
        if isinstance(error, Cancelled):
            self.status.setText(translate("RecoverDialog", "Stopped."))
            return
        self.status.setText(engine_words.headline(error))
        set_text_colour(self.status, DANGER)

    def _set_running(self, running: bool) -> None:
        self.bar.setVisible(running)
        self.stop_button.setVisible(running)

    @property
    def reading(self) -> bool:
        return self._worker is not None

    # -- the choice ----------------------------------------------------------------------------------------

    def picked_rows(self) -> list[int]:
        """The rows chosen in the page, in its order."""
        return self.rows.chosen(len(self.page.rows) if self.page is not None else 0)

    def _update_buttons(self) -> None:
        page, table, rows = self.page, self.current_table(), self.picked_rows()
        can = page is not None and table is not None and table.can_pick and 0 < len(rows) <= MAX_RECORDS
        self.continue_button.setEnabled(bool(can))
        if table is not None and not table.can_pick:
            self.chosen.setText(
                translate(
                    "RecoverDialog", "The rows of this table cannot be told apart, so none can be brought back alone."
                )
            )
        elif page is None or table is None or not rows:
            self.chosen.setText(translate("RecoverDialog", "Choose one record or more (Ctrl or Shift for several)."))
        elif len(rows) > MAX_RECORDS:
            self.chosen.setText(
                translate("RecoverDialog", "Choose at most {most} records at once.").format(
                    most=fmt.number(MAX_RECORDS)
                )
            )
        else:
            self.chosen.setText(
                translate("RecoverDialog", "Chosen: {records}.").format(records=chosen_text(table, page, rows))
            )

    def picked(self) -> PickedRecord | None:
        page, table, rows = self.page, self.current_table(), self.picked_rows()
        if page is None or table is None or not table.can_pick or not 0 < len(rows) <= MAX_RECORDS:
            return None
        return PickedRecord(
            table,
            tuple(page.key_values(page.rows[r]) for r in rows),
            self.with_dependents.isChecked(),
            chosen_text(table, page, rows),
        )

    def _fit(self, splitter: QSplitter) -> None:
        parent = self.parentWidget()
        screen = (parent.screen() if parent is not None else None) or QGuiApplication.primaryScreen()
        available = screen.availableGeometry()
        self.setMaximumSize(available.size())
        width = min(1100, available.width() - 40)
        self.resize(width, min(680, available.height() - 60))
        splitter.setSizes([width // 4, 3 * width // 4])

    def accept(self) -> None:
        if self.picked() is None:
            return
        self._end()
        super().accept()

    def reject(self) -> None:
        self._end()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._end()
        super().closeEvent(event)

    def _end(self) -> None:
        self.stop()
        self._closed = True

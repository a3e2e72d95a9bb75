"""Recover records…'s rows: a page of the backup's rows shown to pick from, and the sentences about them.

Values are shown as plain, visible text (the file's words: never markup, hidden characters written out), a
long one cut with its whole text in the tooltip, a secret column's as dots, NULL as ∅.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from app.engine.recovery.browse import BackupTable, RowsPage
from app.text_safety import visible
from app.ui import locale_format as fmt
from app.ui.recover_preview import SECRET_COLUMNS
from app.ui.table_names import model_text
from app.ui.widgets import plain_tooltip

translate = QCoreApplication.translate
CELL_CHARACTERS = 120  # a cell shows this much of a long value; the whole value is in its tooltip
SHOWN_KEYS = 5  # keys of the chosen records said in a sentence
WIDEST_COLUMN = 260


def chosen_text(table: BackupTable, page: RowsPage, rows: list[int]) -> str:
    """ "custom user id 5", or "3 chat messages: id 5, id 10, id 15" (the first few keys)."""
    keys = [", ".join(f"{visible(c)} {visible(v)}" for c, v in page.key_values(page.rows[r])) for r in rows]
    what = model_text(table.model, table.name)
    if len(keys) == 1:
        return f"{what} {keys[0]}"
    shown_keys = "; ".join(keys[:SHOWN_KEYS]) + ("; …" if len(keys) > SHOWN_KEYS else "")
    return translate("RecoverDialog", "%Ln records of {what}: {keys}", None, len(keys)).format(
        what=what, keys=shown_keys
    )


def count_text(page: RowsPage, deleted: bool, searched: bool) -> str:
    """What the page holds, said under the search."""
    if not page.matching:
        if deleted:
            return translate("RecoverDialog", "Nothing of this was deleted since the backup.")
        return translate("RecoverDialog", "No row found.") if searched else translate("RecoverDialog", "No rows.")
    if page.more:
        return translate(
            "RecoverDialog", "Showing the first {shown} of {found} rows found; search to narrow them down."
        ).format(shown=fmt.number(len(page.rows)), found=fmt.number(page.matching))
    if deleted:
        return translate("RecoverDialog", "%Ln rows deleted since the backup.", None, page.matching)
    return translate("RecoverDialog", "%Ln rows found.", None, page.matching)


class RowsTable(QTableWidget):
    """The rows found; several may be chosen (Ctrl, Shift)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 0, parent)
        self.setAccessibleName(translate("RecoverDialog", "Rows found; choose the ones to bring back"))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)

    def show_page(self, page: RowsPage) -> None:
        self.setColumnCount(len(page.columns))
        self.setHorizontalHeaderLabels([visible(c) for c in page.columns])
        self.setRowCount(len(page.rows))
        secret = [any(s in c.lower() for s in SECRET_COLUMNS) for c in page.columns]
        for r, values in enumerate(page.rows):
            for c, value in enumerate(values):
                text = "∅" if value is None else "•••" if secret[c] else visible(value)
                item = QTableWidgetItem(text if len(text) <= CELL_CHARACTERS else text[:CELL_CHARACTERS] + "…")
                if value is None:
                    item.setToolTip(translate("RecoverDialog", "No value (NULL)"))
                elif len(text) > CELL_CHARACTERS:
                    item.setToolTip(plain_tooltip(text[:2000]))
                self.setItem(r, c, item)
        self.resizeColumnsToContents()
        header = self.horizontalHeader()
        for c in range(len(page.columns)):
            header.resizeSection(c, min(header.sectionSize(c), WIDEST_COLUMN))
        if len(page.rows) == 1:
            self.selectRow(0)

    def chosen(self, count: int) -> list[int]:
        """The rows chosen among the first `count`, in their order."""
        model = self.selectionModel()
        return sorted(i.row() for i in (model.selectedRows() if model is not None else []) if i.row() < count)

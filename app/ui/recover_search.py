"""Recover records…'s search: a text in one column or in any, or the rows where one column has no value.

"No value" (NULL) is a choice of its own, never a text: the empty text, or a text such as `\\N`, is a value a
row may hold (the command line's `--match-null COLUMN`, apart from `--match`, for the same reason).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from app.engine.recovery.browse import BackupTable, Search
from app.text_safety import visible

translate = QCoreApplication.translate


class SearchBar(QWidget):
    """The search's row; `requested` when the user asks to search (Enter, Search, the no-value box)."""

    requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.column = QComboBox()
        self.column.setAccessibleName(translate("RecoverDialog", "Search in"))
        self.text = QLineEdit()
        self.text.setPlaceholderText(translate("RecoverDialog", "Text to look for, e.g. part of an email"))
        self.text.setAccessibleName(translate("RecoverDialog", "Text to look for"))
        self.text.setClearButtonEnabled(True)
        self.text.returnPressed.connect(self.requested)
        self.no_value = QCheckBox(translate("RecoverDialog", "&No value"))
        self.no_value.setToolTip(
            translate("RecoverDialog", "Only the rows where this column is empty (NULL), which no text stands for")
        )
        self.no_value.toggled.connect(self._no_value_toggled)
        self.button = QPushButton(translate("RecoverDialog", "&Search"))
        self.button.setAutoDefault(False)
        self.button.clicked.connect(self.requested)
        self.column.currentIndexChanged.connect(lambda _index: self._column_changed())
        label = QLabel(translate("RecoverDialog", "Searc&h in:"))
        label.setBuddy(self.column)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(label)
        row.addWidget(self.column)
        row.addWidget(self.text, 1)
        row.addWidget(self.no_value)
        row.addWidget(self.button)
        self._column_changed()

    def set_table(self, table: BackupTable | None) -> None:
        """The table's columns to search in, and no search yet (signals held: the caller reads it afresh)."""
        blocked = self.blockSignals(True)
        try:
            self.column.clear()
            self.text.clear()
            self.no_value.setChecked(False)
            if table is not None:
                self.column.addItem(translate("RecoverDialog", "any column"), None)
                for name in table.columns:
                    self.column.addItem(visible(name), name)
        finally:
            self.blockSignals(blocked)
        self._column_changed()

    def search(self) -> Search | None:
        column = self.column.currentData()
        if self.no_value.isChecked() and column is not None:
            return Search("", str(column), null=True)
        text = self.text.text().strip()
        if not text:
            return None
        return Search(text, str(column) if column is not None else None)

    def _column_changed(self) -> None:
        one = self.column.currentData() is not None
        self.no_value.setEnabled(one)
        if not one and self.no_value.isChecked():
            self.no_value.setChecked(False)

    def _no_value_toggled(self, on: bool) -> None:
        self.text.setEnabled(not on)
        self.requested.emit()

"""The restore confirmation: what the verified file will do, and the typed name; the default button is Cancel.

Only a file whose every checksum matched gets here. The summary sentence says
what changes; the table lists each table's rows in the backup and now, the
ones that differ highlighted and estimates marked. Restore is enabled once the
clinic's internal name is typed, and Enter then restores (before that, Enter
does nothing). Until then a line under the name says why Restore stays off:
what was typed reads like the name but is not it (a look-alike letter, a hidden
character), or it names another clinic. Every name is the database's or the
file's, shown as plain, visible text (`app/text_safety.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.restore.preview import TablePreview
from app.text_safety import describe_character, first_difference, looks_alike, shown, skeleton, visible
from app.ui import locale_format as fmt
from app.ui import preview_text
from app.ui.icons import icon
from app.ui.preview_text import PreviewContext
from app.ui.style import DANGER, danger_button, muted, set_text_colour

translate = QCoreApplication.translate
HIGHLIGHT = "#fff1c2"  # rows whose counts differ; black text on it is 18:1


def _now_text(table: TablePreview) -> str:
    if table.rows_now is None:
        return translate("RestoreDialog", "none (new table)")
    if not table.rows_now_exact:
        return translate("RestoreDialog", "≈{rows} (estimate)").format(rows=fmt.number(table.rows_now))
    return fmt.number(table.rows_now)


def _change_text(table: TablePreview) -> str:
    change = preview_text.row_change(table)
    if change is None:
        return "?" if table.rows_in_file is None or table.rows_now is not None else ""
    return "" if change == 0 else ("+" if change > 0 else "−") + fmt.number(abs(change))


def _character(ch: str | None) -> str:
    return describe_character(ch) if ch is not None else translate("RestoreDialog", "nothing more")


class RestoreConfirmDialog(QDialog):
    def __init__(self, parent: QWidget | None, context: PreviewContext) -> None:
        super().__init__(parent)
        preview = context.preview
        self.schema = preview.tenant
        self.clinic = context.clinic
        self.others = {schema: name for schema, name in context.names.items() if schema != self.schema}
        self.setWindowTitle(translate("RestoreDialog", "Restore {clinic}?").format(clinic=context.clinic))
        self.summary = QLabel(preview_text.summary(context))
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        font = self.summary.font()
        font.setBold(True)
        self.summary.setFont(font)
        self.facts = QLabel(
            "<table cellspacing='3'>"
            + "".join(
                f"<tr><td valign='top'><b>{escape(k)}:</b></td><td>{escape(v)}</td></tr>"
                for k, v in preview_text.facts(context)
            )
            + "</table>"
        )
        self.facts.setTextFormat(Qt.TextFormat.RichText)  # our table; every text in it is escaped
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        found = preview_text.warnings(context)
        self.warnings = QLabel("\n".join(f"⚠ {w}" for w in found))
        self.warnings.setTextFormat(Qt.TextFormat.PlainText)
        self.warnings.setWordWrap(True)
        set_text_colour(self.warnings, DANGER)
        self.warnings.setVisible(bool(found))

        self.table = self._table(preview.tables, preview_text.table_words(context))
        legend = muted(
            QLabel(
                translate(
                    "RestoreDialog",
                    "Highlighted: tables whose number of rows changes. Every "
                    "row of every table is replaced by the backup's.",
                )
            )
        )
        legend.setWordWrap(True)

        self.ask = QLabel(
            translate("RestoreDialog", "To confirm, type the clinic's internal name, <b>{name}</b>:").format(
                name=escape(shown(self.schema))
            )
        )
        self.ask.setTextFormat(Qt.TextFormat.RichText)
        self.typed = QLineEdit()
        self.typed.setPlaceholderText(visible(self.schema))
        self.typed.setAccessibleName(
            translate("RestoreDialog", "Type {name} to confirm").format(name=shown(self.schema))
        )
        self.why = QLabel("")
        self.why.setTextFormat(Qt.TextFormat.PlainText)
        self.why.setWordWrap(True)
        set_text_colour(self.why, DANGER)
        self.why.hide()
        self.ask.setBuddy(self.typed)
        self.typed.textChanged.connect(self._check_typed)
        buttons = QDialogButtonBox()
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = QPushButton(
            icon("restore"),
            translate("RestoreDialog", "&Restore {clinic}").format(clinic=context.clinic.replace("&", "&&")),
        )
        danger_button(self.restore_button)
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setEnabled(False)
        self.restore_button.setAutoDefault(False)
        self.cancel_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.warnings)  # before the file's details: what must be read comes first
        layout.addWidget(self.facts)
        layout.addWidget(self.table, 1)
        layout.addWidget(legend)
        layout.addWidget(self.ask)
        layout.addWidget(self.typed)
        layout.addWidget(self.why)
        layout.addWidget(buttons)
        self._fit()
        self.typed.setFocus()

    def _table(self, tables: list[TablePreview], words: dict[str, str]) -> QTableWidget:
        table = QTableWidget(len(tables), 4)
        table.setAccessibleName(translate("RestoreDialog", "Rows of each table, in the backup and now"))
        table.setHorizontalHeaderLabels(
            [
                translate("RestoreDialog", "Table"),
                translate("RestoreDialog", "In the backup"),
                translate("RestoreDialog", "Now"),
                translate("RestoreDialog", "Change"),
            ]
        )
        for row, entry in enumerate(tables):
            in_file = fmt.number(entry.rows_in_file) if entry.rows_in_file is not None else "?"
            cells = [visible(words.get(entry.name, entry.name)), in_file, _now_text(entry), _change_text(entry)]
            highlight = preview_text.differs(entry)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if not column and entry.name in words:  # the table's own name, in the details
                    item.setToolTip(visible(entry.name))
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if highlight:
                    item.setBackground(QBrush(QColor(HIGHLIGHT)))
                    item.setForeground(QBrush(QColor("#000000")))
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                table.setItem(row, column, item)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        table.setMinimumHeight(self.fontMetrics().height() * 6)
        return table

    def _fit(self) -> None:
        """Wide enough to read, never larger than the screen it opens on."""
        parent = self.parentWidget()
        screen = (parent.screen() if parent is not None else None) or QGuiApplication.primaryScreen()
        available = screen.availableGeometry()
        self.setMaximumSize(available.size())
        self.resize(min(760, available.width() - 40), min(self.sizeHint().height() + 120, available.height() - 60))

    def _check_typed(self, text: str) -> None:
        self.restore_button.setEnabled(text == self.schema)
        why = self.why_not(text)
        self.why.setText(why)
        self.why.setVisible(bool(why))

    def why_not(self, typed: str) -> str:
        """Why Restore stays off for what is typed; empty when it is on, or while the name is being typed.

        Another clinic's exact name comes first, then a look-alike of this clinic's internal name (where it
        differs), then a look-alike of another clinic."""
        if self.schema.startswith(typed):
            return ""
        other = self._other_clinic(typed, str)  # exactly
        if other is None and not looks_alike(typed, self.schema):
            other = self._other_clinic(typed, skeleton)
        if other is not None:
            return translate(
                "RestoreDialog",
                "{typed} is another clinic, {clinic} (internal name {schema}), or reads like it. This restore "
                "replaces {this}: Restore stays off.",
            ).format(
                typed=shown(typed), clinic=shown(self.others[other] or other), schema=shown(other), this=self.clinic
            )
        difference = first_difference(typed, self.schema)
        assert difference is not None
        where = translate("RestoreDialog", "character {n} is {typed}, the internal name has {expected}").format(
            n=fmt.number(difference.position + 1),
            typed=_character(difference.typed),
            expected=_character(difference.expected),
        )
        if looks_alike(typed, self.schema):
            return translate(
                "RestoreDialog",
                "What you typed reads like the internal name but is not the same ({where}): a letter in another "
                "case, a look-alike letter or a hidden character. Restore stays off until it is exactly the same.",
            ).format(where=where)
        return translate(
            "RestoreDialog", "That is not the internal name ({where}). Restore stays off until it is the same."
        ).format(where=where)

    def _other_clinic(self, typed: str, reading: Callable[[str], str]) -> str | None:
        """The internal name of another clinic whose name or internal name reads as `typed` does."""
        reads_as = reading(typed)
        return next((s for s, n in sorted(self.others.items()) if reads_as in (reading(s), reading(n or s))), None)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.focusWidget() is self.typed and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.typed.text() == self.schema:
                self.restore_button.click()  # the name is typed: Enter does what the user just confirmed
            return  # before that, Enter presses neither Cancel (the default) nor Restore
        super().keyPressEvent(event)

    def accept(self) -> None:
        if self.typed.text() == self.schema:  # a stray click or key cannot skip the typing
            super().accept()

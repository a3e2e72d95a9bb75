"""The restore preview and its typed confirmation; the default button is Cancel.

Everything the engine's preview found is shown before anything changes: the
file's source and date, each table's rows in the file and now, warnings
(another tenant's file, migrations that differ, tables that would disappear),
the administrator accounts kept and the safety copy that will be left.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
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

from app.engine.restore_preview import RestorePreview
from app.formatting import human_size, local_time


def _rows(value: int | None, exact: bool = True) -> str:
    if value is None:
        return "—"
    return f"{value:,}" if exact else f"≈{value:,}"


def preview_warnings(preview: RestorePreview) -> list[str]:
    """The things the IT person must read before typing the name, most serious first."""
    source = preview.source
    warnings = []
    if preview.other_tenant:
        warnings.append(f"This file was made from another clinic ({source.source_schema}); its data will replace "
                        f"{preview.tenant}'s.")
    if preview.busy:
        warnings.append(f"Another backup or restore of {preview.tenant} is running now; wait for it to finish.")
    if preview.tables_only_live:
        warnings.append("These tables exist now but not in the file, and will be gone: "
                        + ", ".join(preview.tables_only_live) + ".")
    if preview.needs_migrate:
        warnings.append(
            f"The file's database migrations differ from the clinic's ({len(preview.migrations_only_in_file)} only "
            f"in the file, {len(preview.migrations_only_live)} only in the clinic): after the restore, run the web "
            "application's migrate_schemas for this clinic.")
    if not preview.schema_exists:
        warnings.append(f"The clinic has no schema yet; the restore creates {preview.tenant}.")
    return warnings


def preview_facts(preview: RestorePreview) -> list[tuple[str, str]]:
    source = preview.source
    made = local_time(source.created_utc or "") or "an unknown date"
    by = f" by {source.tool_version}" if source.tool_version else ""
    admins = ", ".join(preview.superusers_kept) or "none found"
    if preview.safety_copy_kept:
        copy = f"The current data of {preview.tenant} is kept as a safety copy, so this restore can be undone."
        if preview.safety_copies_dropped:
            copy += " The older safety copy " + ", ".join(preview.safety_copies_dropped) + " is dropped."
    else:
        copy = "There is no current data to keep (the clinic has no schema)."
    return [
        ("File", f"{source.path} ({source.kind}, {human_size(preview.size_bytes)} of rows)"),
        ("Backed up from", f"{source.source_schema or 'an unknown schema'}, {made}{by}"),
        ("Administrators kept", f"{admins} (their accounts and current passwords survive the restore)"),
        ("Safety copy", copy),
    ]


class RestoreConfirmDialog(QDialog):
    def __init__(self, parent: QWidget | None, preview: RestorePreview, schema: str) -> None:
        super().__init__(parent)
        self.schema = schema
        self.setWindowTitle(f"Restore {schema}?")
        intro = QLabel(f"Replace the data of clinic <b>{escape(schema)}</b> with the backup file. "
                       "No other clinic is touched.")
        intro.setWordWrap(True)
        facts = QLabel("<table cellspacing='4'>" + "".join(
            f"<tr><td valign='top'><b>{escape(k)}:</b></td><td>{escape(v)}</td></tr>"
            for k, v in preview_facts(preview)) + "</table>")
        facts.setWordWrap(True)
        facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warnings = QLabel("".join(f"<p>⚠ {escape(w)}</p>" for w in preview_warnings(preview)))
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #b3261e;")
        self.warnings.setVisible(bool(preview_warnings(preview)))

        self.table = QTableWidget(len(preview.tables), 3)
        self.table.setHorizontalHeaderLabels(["Table", "Rows in the file", "Rows now"])
        for row, table in enumerate(preview.tables):
            cells = [table.name, _rows(table.rows_in_file), _rows(table.rows_now, table.rows_now_exact)]
            differs = table.rows_in_file != table.rows_now
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if differs:  # the rows the restore will change stand out
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(160)

        ask = QLabel(f"To confirm, type the clinic's schema name <b>{escape(schema)}</b>:")
        self.typed = QLineEdit()
        self.typed.setPlaceholderText(schema)
        self.typed.textChanged.connect(self._check_typed)
        buttons = QDialogButtonBox()
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = QPushButton(f"&Restore {schema}")
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setEnabled(False)
        self.restore_button.setAutoDefault(False)
        self.cancel_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        for widget in (intro, facts, self.warnings, self.table, ask, self.typed, buttons):
            layout.addWidget(widget)
        self.setMinimumWidth(640)
        self.typed.setFocus()

    def _check_typed(self, text: str) -> None:
        self.restore_button.setEnabled(text == self.schema)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.typed.hasFocus() and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return  # Enter after typing must not press the default (Cancel) nor Restore: click it
        super().keyPressEvent(event)

    def accept(self) -> None:
        if self.typed.text() == self.schema:  # Enter or a stray click cannot skip the typing
            super().accept()

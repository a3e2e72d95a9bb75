"""The recovery's preview and confirmation: every record to add, table by table, why it comes along, what is
skipped and what is already there; Cancel is the default button.

The plan (app/engine/recovery/model.py) is shown in the clinic's words: a table is named as Django names its
model ("appointment"), its own name only in the tooltip; each record by its key and a few of its values (never
a password column). Nothing in the clinic is changed or removed by a recovery: it only adds, so the question
needs no typed name, but it says what will be added, and that Undo recovery… removes exactly that again.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.comparison.copy_text import NULL, unescape
from app.engine.recovery.model import Conflict, PlannedRow, RecoveryPlan, TablePlan, Why
from app.text_safety import shown, visible
from app.ui import locale_format as fmt
from app.ui.style import DANGER, MUTED, set_text_colour
from app.ui.table_names import model_text
from app.ui.widgets import plain_tooltip

translate = QCoreApplication.translate
SHOWN_VALUES = 3  # values of each record shown beside its key
VALUE_CHARACTERS = 40
SECRET_COLUMNS = ("password", "token", "secret", "session_data")


@dataclass(frozen=True)
class RecoverContext:
    plan: RecoveryPlan
    clinic: str
    file_name: str  # the file the user chose (not a decrypted copy's name)
    chosen: str  # the record the user picked, as the browsing dialog said it
    encrypted: bool = False
    source_name: str = ""  # the clinic the backup was made from, by its name, when it is another


def what(table: TablePlan) -> str:
    return model_text(table.model, table.name)


def why_text(why: Why) -> str:
    if why is Why.CHOSEN:
        return translate("RecoverPreview", "you chose it")
    if why is Why.DEPENDENT:
        return translate("RecoverPreview", "it belongs to a record that comes back")
    return translate("RecoverPreview", "a record that comes back needs it, and the clinic no longer has it")


def values_text(table: TablePlan, row: PlannedRow) -> str:
    """A few of the record's values, so people recognise it (its key and secrets left out)."""
    shown_values: list[str] = []
    for column, field in zip(table.columns, row.line.split(b"\t"), strict=False):
        if column in table.key or column.endswith("_id") or any(s in column.lower() for s in SECRET_COLUMNS):
            continue  # its key is shown already; a reference is a number that says nothing; a secret stays unsaid
        text = visible(unescape(field).decode("utf-8", "replace"))
        if field == NULL or text in ("", "t", "f"):
            continue
        shown_values.append(text if len(text) <= VALUE_CHARACTERS else text[:VALUE_CHARACTERS] + "…")
        if len(shown_values) == SHOWN_VALUES:
            break
    return ", ".join(shown_values)


def counts(plan: RecoveryPlan) -> str:
    """ "custom user: 1; appointment: 4; other records: 1" for the tables with records to add: tables the clinic
    does not name in words (links between records) are counted together, their names are in the details."""
    parts = [
        translate("RecoverPreview", "{what}: {count}").format(what=what(t), count=fmt.number(len(t.rows)))
        for t in plan.tables
        if t.rows and t.model is not None
    ]
    others = sum(len(t.rows) for t in plan.tables if t.model is None)
    if others:
        parts.append(
            translate("RecoverPreview", "{what}: {count}").format(
                what=translate("RecoverPreview", "other records"), count=fmt.number(others)
            )
        )
    return "; ".join(parts)


def summary(context: RecoverContext) -> str:
    plan = context.plan
    if not plan.rows_to_insert:
        return translate(
            "RecoverPreview", "Nothing to bring back: {clinic} already has everything this record needs."
        ).format(clinic=context.clinic)
    return (
        translate("RecoverPreview", "%Ln records come back into {clinic}", None, plan.rows_to_insert).format(
            clinic=context.clinic
        )
        + " ("
        + counts(plan)
        + "). "
        + translate("RecoverPreview", "Nothing that {clinic} holds now is changed or removed.").format(
            clinic=context.clinic
        )
    )


def conflict_text(table: TablePlan, conflict: Conflict) -> str:
    columns = ", ".join(visible(c) for c in conflict.columns)
    if conflict.taken_by:
        return translate(
            "RecoverPreview", "skipped: {columns} is now used by another record ({key}), which is left as it is"
        ).format(columns=columns, key=visible(conflict.taken_by))
    return translate(
        "RecoverPreview", "skipped: the clinic has this record with other values now ({columns}); they are kept"
    ).format(columns=columns)


class RecoverConfirmDialog(QDialog):
    def __init__(self, parent: QWidget | None, context: RecoverContext) -> None:
        super().__init__(parent)
        plan = context.plan
        self.context = context
        self.setWindowTitle(translate("RecoverPreview", "Recover records into {clinic}?").format(clinic=context.clinic))
        self.summary = QLabel(summary(context))
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        font = self.summary.font()
        font.setBold(True)
        self.summary.setFont(font)

        found = list(plan.warnings)
        if plan.source_schema != plan.tenant:  # said in the window's words (the engine's sentence is English)
            found = [
                translate(
                    "RecoverPreview", "This backup is of another clinic, {other}: its records go into {clinic}."
                ).format(other=context.source_name or shown(plan.source_schema), clinic=context.clinic)
            ] + [w for w in found if not w.startswith("The backup is of the clinic")]
        self.warnings = QLabel("\n".join(f"⚠ {visible(w)}" for w in found))
        self.warnings.setTextFormat(Qt.TextFormat.PlainText)
        self.warnings.setWordWrap(True)
        set_text_colour(self.warnings, DANGER)
        self.warnings.setVisible(bool(found))

        file_text = shown(context.file_name)
        if context.encrypted:
            file_text = translate("RecoverPreview", "{file} (encrypted)").format(file=file_text)
        facts = [
            translate("RecoverPreview", "From: {file}, backup of {when}").format(
                file=file_text, when=fmt.when(plan.created_utc) or "?"
            ),
            translate("RecoverPreview", "Chosen: {record}").format(record=context.chosen),
        ]
        if plan.already_there:
            facts.append(
                translate(
                    "RecoverPreview",
                    "%Ln records are already in the clinic as in the backup: left as they are.",
                    None,
                    plan.already_there,
                )
            )
        if plan.conflicts:
            facts.append(
                translate(
                    "RecoverPreview",
                    "%Ln records are skipped: the clinic holds other data under the same number now, which is kept.",
                    None,
                    plan.conflicts,
                )
            )
        self.facts = QLabel("\n".join(facts))
        self.facts.setTextFormat(Qt.TextFormat.PlainText)
        self.facts.setWordWrap(True)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.tree = self._tree(plan)
        undo_note = QLabel(
            translate(
                "RecoverPreview",
                "Clinic → Undo recovery… removes exactly these records again, as long as nobody has changed them.",
            )
        )
        undo_note.setWordWrap(True)
        set_text_colour(undo_note, MUTED)

        buttons = QDialogButtonBox()
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.recover_button = QPushButton(
            translate("RecoverPreview", "&Bring back %Ln records", None, plan.rows_to_insert)
        )
        buttons.addButton(self.recover_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.recover_button.setEnabled(plan.rows_to_insert > 0)
        self.recover_button.setAutoDefault(False)
        self.cancel_button.setDefault(True)
        self.cancel_button.setFocus()
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.warnings)
        layout.addWidget(self.facts)
        layout.addWidget(self.tree, 1)
        layout.addWidget(undo_note)
        layout.addWidget(buttons)
        self._fit()

    def _tree(self, plan: RecoveryPlan) -> QTreeWidget:
        tree = QTreeWidget()
        tree.setAccessibleName(translate("RecoverPreview", "The records to add, table by table"))
        tree.setColumnCount(3)
        tree.setHeaderLabels(
            [
                translate("RecoverPreview", "Record"),
                translate("RecoverPreview", "Why"),
                translate("RecoverPreview", "Some of its values"),
            ]
        )
        tree.setUniformRowHeights(True)
        for table in plan.tables:
            if not (table.rows or table.conflicts or table.already_there):
                continue
            head = QTreeWidgetItem(
                [
                    translate("RecoverPreview", "{what}: %Ln to add", None, len(table.rows)).format(what=what(table)),
                    "",
                    "",
                ]
            )
            head.setToolTip(
                0, plain_tooltip(translate("RecoverPreview", "Table {name}").format(name=visible(table.name)))
            )
            font = head.font(0)
            font.setBold(True)
            head.setFont(0, font)
            tree.addTopLevelItem(head)
            for row in table.rows:
                item = QTreeWidgetItem(
                    [f"{what(table)} {visible(row.key)}", why_text(row.why), values_text(table, row)]
                )
                item.setToolTip(2, plain_tooltip(values_text(table, row)))
                head.addChild(item)
            for conflict in table.conflicts:
                item = QTreeWidgetItem([f"{what(table)} {visible(conflict.key)}", conflict_text(table, conflict), ""])
                item.setForeground(0, QBrush(QColor(DANGER)))
                item.setForeground(1, QBrush(QColor(DANGER)))
                head.addChild(item)
            for key in table.already_there:
                item = QTreeWidgetItem(
                    [
                        f"{what(table)} {visible(key)}",
                        translate("RecoverPreview", "already in the clinic, as it was"),
                        "",
                    ]
                )
                item.setForeground(0, QBrush(QColor(MUTED)))
                item.setForeground(1, QBrush(QColor(MUTED)))
                head.addChild(item)
            head.setExpanded(True)
        header = tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        tree.setMinimumHeight(self.fontMetrics().height() * 8)
        return tree

    def _fit(self) -> None:
        parent = self.parentWidget()
        screen = (parent.screen() if parent is not None else None) or QGuiApplication.primaryScreen()
        available = screen.availableGeometry()
        self.setMaximumSize(available.size())
        self.resize(min(860, available.width() - 40), min(self.sizeHint().height() + 200, available.height() - 60))

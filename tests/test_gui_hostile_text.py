"""The window with names a compromised web application wrote (issue 19, item 6): every name is plain, visible text.

The web application's role writes the tenants table and names the schemas, so it chooses what the window says.
Here its names are markup that forges a reassuring sentence beside the red button of a question that deletes
data, an `<img src=/dev/zero>` that made a tooltip read an endless file (the window aborted), an unclosed bidi
override that reversed sentences, look-alike letters and zero-width characters that made several rows read
"Bienestar", and a newline that added a forged line to a job's title. The questions, tooltips, list, job panels
and the restore confirmation are driven for real; only the answers are scripted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from psycopg import sql
from PySide6 import QtGui
from PySide6.QtCore import QEvent, QPoint, Qt, QTimer
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QTableView, QToolTip, QWidget
from pytestqt.qtbot import QtBot

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.errors import Cancelled, ResguardoError
from app.engine.safety.registry import SchemaKind, ensure_registry, record
from app.text_safety import FSI, PDI
from app.ui.banner import Banner
from app.ui.dialogs import DialogProvider
from app.ui.error_dialog import ErrorDialog
from app.ui.preview_text import PreviewContext
from app.ui.restore_dialog import RestoreConfirmDialog
from tests.support.gui import WAIT_MS, ScriptedDialogs, back_up, open_window, run_job, wait_idle, wait_listed

pytestmark = pytest.mark.gui

FORGED = (
    'Mindcare<br><span style="color:green">✔ Copia verificada: no se borra nada.</span><br>'
    "Pulse el botón rojo <a href='https://example.invalid/'>aquí</a><!--"
)
IMG = "<img src=/dev/zero>"  # 19 characters: rendered as rich text, Qt reads /dev/zero for ever
HIDDEN = ("\u202e", "\u200b", "\n", "\x1b")


def set_tenant(target: ConnectionTarget, schema: str, *, name: str, new_schema: str | None = None) -> None:
    """Rename a demo clinic as its web application's role could: its name, and its schema with the row."""
    with target.connect() as conn:
        conn.execute("ALTER TABLE public.customers_client ALTER COLUMN name TYPE varchar(300)")
        if new_schema is not None:
            conn.execute(
                sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(schema), sql.Identifier(new_schema))
            )
        conn.execute(
            "UPDATE public.customers_client SET name = %s, schema_name = %s WHERE schema_name = %s",
            [name, new_schema or schema, schema],
        )


def add_tenant_row(target: ConnectionTarget, schema: str, name: str) -> None:
    """A tenant row without a schema (listed as a clinic with no data yet)."""
    with target.connect() as conn:
        conn.execute("ALTER TABLE public.customers_client ALTER COLUMN name TYPE varchar(300)")
        conn.execute(
            "INSERT INTO public.customers_client (schema_name, name, paid_until, on_trial, created_on)"
            " VALUES (%s, %s, '2030-01-01', false, '2025-01-01')",
            [schema, name],
        )


def add_recorded(target: ConnectionTarget, name: str, kind: SchemaKind, tenant: str) -> None:
    """An empty schema recorded as Resguardo records a previous version or an unfinished restore."""
    with target.connect() as conn:
        ensure_registry(conn)
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        [(oid, owner)] = conn.execute("SELECT oid, nspowner FROM pg_namespace WHERE nspname = %s", [name]).fetchall()
        record(conn, oid, name, kind, tenant, owner)


@dataclass
class Question:
    text_format: Qt.TextFormat
    label_format: Qt.TextFormat
    text: str


@dataclass
class RealQuestions(ScriptedDialogs):
    """The real question boxes (`DialogProvider.confirm`), read while they are open and answered Cancel."""

    questions: list[Question] = field(default_factory=list)

    def confirm(self, parent: QWidget, title: str, text: str, yes_label: str, danger: bool = False) -> bool:
        QTimer.singleShot(0, self._read_and_cancel)
        return DialogProvider.confirm(self, parent, title, text, yes_label, danger)

    def _read_and_cancel(self) -> None:
        box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
        label = box.findChild(QLabel, "qt_msgbox_label")
        assert label is not None
        self.questions.append(Question(box.textFormat(), label.textFormat(), label.text()))
        box.reject()


def hover(widget: QWidget, at: QPoint) -> str:
    """What the tooltip says when the pointer rests at `at` in `widget` (as Qt asks on a real hover)."""
    QToolTip.hideText()
    QApplication.sendEvent(widget, QHelpEvent(QEvent.Type.ToolTip, at, widget.mapToGlobal(at)))
    QApplication.processEvents()
    return QToolTip.text().replace("\xa0", " ")  # spaces kept as they are: non-breaking in the tooltip's markup


def hover_rows(view: QTableView) -> list[str]:
    model = view.model()
    return [hover(view.viewport(), view.visualRect(model.index(row, 0)).center()) for row in range(model.rowCount())]


def assert_plain_tooltip(tip: str, *raw: str) -> None:
    """A tooltip Qt renders as rich text that says exactly the plain text, so no markup in it acts."""
    assert QtGui.Qt.mightBeRichText(tip), tip
    for text in raw:
        assert text not in tip, tip
        assert QtGui.Qt.convertFromPlainText(text)[3:-4] in tip, tip  # escaped, as <p>…</p> holds it


def test_questions_that_delete_data_show_a_forged_name_as_plain_text(qtbot: QtBot, demo_db: ConnectionTarget) -> None:
    set_tenant(demo_db, "mindcare", name=FORGED)
    add_recorded(demo_db, "rg_safety_20260101100000_mindcare", SchemaKind.SAFETY_COPY, "mindcare")
    dialogs = RealQuestions()
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    qtbot.waitUntil(lambda: "mindcare" in window.model.safety_copies, timeout=WAIT_MS)

    window.select("mindcare")
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: len(dialogs.questions) == 1, timeout=WAIT_MS)
    window.select("mindcare")
    window.discard_action.trigger()
    qtbot.waitUntil(lambda: len(dialogs.questions) == 2, timeout=WAIT_MS)
    panel = window.jobs.new_panel("Back up", "mindcare")  # a job waiting: closing the window asks first
    window.close()
    qtbot.waitUntil(lambda: len(dialogs.questions) == 3, timeout=WAIT_MS)
    assert window.isVisible()  # Cancel kept it open

    for question in dialogs.questions:
        assert question.text_format == question.label_format == Qt.TextFormat.PlainText
        assert FORGED in question.text  # every character shown as it is, the markup included
    assert "Put back the version of " + FORGED in dialogs.questions[0].text
    assert "Delete the previous version of " + FORGED in dialogs.questions[1].text
    assert "A job is still running (" + FORGED + ")" in dialogs.questions[2].text
    assert window.jobs.panels == [panel]  # nothing was started
    panel.fail(Cancelled("Cancelled.", changed=False))


def test_tooltips_are_plain_and_img_dev_zero_is_hovered_safely(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    set_tenant(demo_db, "bienestar", name=IMG, new_schema=IMG)
    add_recorded(demo_db, "rg_safety_20260101100000_" + IMG, SchemaKind.SAFETY_COPY, IMG)
    add_recorded(demo_db, "rg_staging_abc123_" + IMG, SchemaKind.STAGING, IMG)
    with demo_db.connect() as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier("<img src=/dev/zero >")))  # data, no clinic
        conn.execute(
            "INSERT INTO public.customers_domain (domain, is_primary, tenant_id)"
            " SELECT %s, false, id FROM public.customers_client WHERE schema_name = 'mindcare'",
            [IMG],
        )
    dialogs = ScriptedDialogs(save_to=tmp_path / "img.resguardo")
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    qtbot.waitUntil(lambda: window.others.rowCount() == 4, timeout=WAIT_MS)  # and the shared data

    model = window.model
    tips = [model.data(model.index(row, 0), Qt.ItemDataRole.ToolTipRole) for row in range(model.rowCount())]
    assert all(QtGui.Qt.mightBeRichText(tip) and "<img" not in tip for tip in tips)
    clinic_tips = hover_rows(window.clinic_view)  # the real hover: an <img> here read /dev/zero until bad_alloc
    other_tips = hover_rows(window.other_view)
    assert all(QtGui.Qt.mightBeRichText(tip) and "<img" not in tip for tip in clinic_tips + other_tips)
    assert any("Internal name (schema): &lt;img src=/dev/zero&gt;" in tip for tip in clinic_tips)
    assert any("Other web addresses: &lt;img src=/dev/zero&gt;" in tip for tip in clinic_tips)
    hostile = [tip for tip in other_tips if "Data all clinics share" not in tip]  # the shared data's is not
    assert len(hostile) == 3 and all("&lt;img src=/dev/zero" in tip for tip in hostile)
    assert any(tip.startswith("<p>Previous version of &lt;img") for tip in other_tips)
    assert any(tip.startswith("<p>Unfinished restore of &lt;img") for tip in other_tips)
    assert any(tip.startswith("<p>Data without a clinic: &lt;img") for tip in other_tips)
    row = next(r for r in range(window.clinics.rowCount()) if window.clinics.schema_at(r) == IMG)
    assert window.clinics.index(row, 0).data() == IMG  # the list shows the name as it is

    window.select(IMG)
    window.backup_action.trigger()
    qtbot.waitUntil(lambda: bool(window.jobs.panels), timeout=WAIT_MS)
    title = window.jobs.panels[-1].title
    assert title.full_text() == "Back up " + IMG and title.textFormat() == Qt.TextFormat.PlainText
    assert_plain_tooltip(title.toolTip(), IMG)
    assert "&lt;img src=/dev/zero&gt;" in hover(title, title.rect().center())
    wait_idle(qtbot, window)
    assert window.isVisible()


def test_hidden_characters_are_visible_and_right_to_left_names_isolated(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    set_tenant(demo_db, "mindcare", name="Mindcare\n✔ Copia verificada\u202e")
    set_tenant(demo_db, "bienestar", name="מרפאה 12")
    dialogs = ScriptedDialogs(save_to=tmp_path / "a.resguardo")
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)

    row = next(r for r in range(window.clinics.rowCount()) if window.clinics.schema_at(r) == "mindcare")
    assert window.clinics.index(row, 0).data() == "Mindcare‹U+000A›✔ Copia verificada‹U+202E›"
    back_up(qtbot, window, "mindcare")
    title = window.jobs.panels[-1].title.full_text()
    assert title == "Back up Mindcare‹U+000A›✔ Copia verificada‹U+202E›"  # one line, nothing reversed
    assert window.jobs.panels[-1].state == "succeeded"

    dialogs.save_to = tmp_path / "b.resguardo"
    back_up(qtbot, window, "bienestar")
    assert window.jobs.panels[-1].title.full_text() == f"Back up {FSI}מרפאה 12{PDI}"  # "12" stays with its name
    everything = [p.title.full_text() + p.message.text() + "".join(p.lines) for p in window.jobs.panels]
    assert not any(ch in text for text in everything for ch in HIDDEN)


def test_the_restore_confirmation_flags_look_alikes_and_says_why_restore_stays_off(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    backup = tmp_path / "mindcare.resguardo"
    backup_tenant(demo_db, "mindcare", backup)
    set_tenant(demo_db, "bienestar", name="Bienestar")
    set_tenant(demo_db, "mindcare", name="B\u0456enestar\u202e")  # Cyrillic і, and an unclosed override
    add_tenant_row(demo_db, "bi\u200benestar", "Bi\u200benestar")  # zero-width space
    add_tenant_row(demo_db, "bienestar_2", "Віеnеstаr")  # Cyrillic В, і, е, а
    seen: dict[str, object] = {}

    def inspect(parent: QWidget, context: PreviewContext) -> bool:
        dialog = RestoreConfirmDialog(parent, context)
        qtbot.addWidget(dialog)
        seen["warnings"] = dialog.warnings.text()
        seen["formats"] = {dialog.summary.textFormat(), dialog.warnings.textFormat(), dialog.why.textFormat()}
        seen["button"] = dialog.restore_button.text()
        seen["ask"] = dialog.ask.text()
        answers = {}
        for typed in ("bienes", "mindcare", "b\u0456enestar", "bienestaR", "bienestar"):
            dialog.typed.setText(typed)
            answers[typed] = (dialog.restore_button.isEnabled(), dialog.why.isVisibleTo(dialog), dialog.why.text())
        seen["answers"] = answers
        return False

    dialogs = ScriptedDialogs(open_file=backup, restore_answer=inspect)
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    run_job(qtbot, window, "restore_action", "bienestar")
    assert window.jobs.panels[-1].state == "cancelled"

    warnings = str(seen["warnings"])
    assert "another clinic (B\u0456enestar‹U+202E›)" in warnings  # the override shown, not obeyed
    assert "Other clinics have names that look like this one's but are different:" in warnings
    for flagged in (
        "B\u0456enestar‹U+202E› (mindcare)",
        "Bi‹U+200B›enestar (bi‹U+200B›enestar)",
        "Віеnеstаr (bienestar_2)",
    ):
        assert flagged in warnings
    assert all(line.startswith("⚠ ") for line in warnings.split("\n"))  # one line per warning, none forged
    assert not any(ch in warnings.replace("\n", "") + str(seen["button"]) for ch in HIDDEN)
    assert seen["formats"] == {Qt.TextFormat.PlainText}
    assert "<b>bienestar</b>" in str(seen["ask"])

    answers = seen["answers"]
    assert isinstance(answers, dict)
    assert answers["bienes"] == (False, False, "")  # still typing: nothing to say yet
    enabled, shown, why = answers["mindcare"]
    assert (
        not enabled and shown and "mindcare is another clinic, B\u0456enestar‹U+202E› (internal name mindcare)" in why
    )
    enabled, shown, why = answers["b\u0456enestar"]
    assert not enabled and shown
    assert "reads like the internal name but is not the same (character 2 is «і» (U+0456 CYRILLIC" in why
    assert "the internal name has «i» (U+0069 LATIN SMALL LETTER I)" in why
    enabled, shown, why = answers["bienestaR"]
    assert not enabled and shown and "character 9 is «R»" in why
    assert answers["bienestar"] == (True, False, "")


def test_the_engines_sentences_quoting_a_name_show_it_visibly(qtbot: QtBot) -> None:
    error = ResguardoError(
        "Tenant '\u202eratseneiB' failed.\n<b>✔ Verified</b>", details="table \x1b[2Jx\nline two", changed=False
    )
    dialog = ErrorDialog(None, error)
    qtbot.addWidget(dialog)
    banner = Banner(lambda _error: None)
    qtbot.addWidget(banner)
    banner.show_error(error)
    for label in (dialog.message, banner.text):
        assert label.textFormat() == Qt.TextFormat.PlainText
        assert label.text() == "Tenant '‹U+202E›ratseneiB' failed.\n<b>✔ Verified</b>"  # its own lines kept
    assert dialog.details.toPlainText() == "table ‹U+001B›[2Jx\nline two"

"""The restore preview tells the truth: the file is verified before any confirmation, rows now are exact counts,
changed tables stand out, and one sentence says what will happen."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTableWidgetItem
from pytestqt.qtbot import QtBot

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.inspection.verify import verify_file
from app.engine.restore.preview import preview_restore
from app.ui import locale_format as fmt
from app.ui.preview_text import PreviewContext
from app.ui.restore_dialog import HIGHLIGHT, RestoreConfirmDialog
from tests.support.gui import ScriptedDialogs, open_window, rows_fingerprint, run_job, schemas, wait_listed

pytestmark = pytest.mark.gui


def cell(dialog: RestoreConfirmDialog, row: int, column: int) -> QTableWidgetItem:
    """The confirmation's table item at (row, column); every cell of it is filled."""
    item = dialog.table.item(row, column)
    assert item is not None, (row, column)
    return item


def add_messages(target: ConnectionTarget, count: int) -> None:
    with target.connect() as conn:
        conn.execute(
            "INSERT INTO bienestar.chat_chatmessage (sender_id, recipient_id, content, sent_at, is_read)"
            " SELECT u.id, u.id, 'hola ' || g, now(), false FROM generate_series(1, %s) g,"
            " (SELECT min(id) AS id FROM bienestar.users_customuser) u",
            [count],
        )
        conn.execute("ANALYZE bienestar.chat_chatmessage")


def delete_messages(target: ConnectionTarget, count: int) -> None:
    """As the web application would: rows go, the planner's statistics are not refreshed."""
    with target.connect() as conn:
        conn.execute(
            "DELETE FROM bienestar.chat_chatmessage WHERE id IN"
            " (SELECT id FROM bienestar.chat_chatmessage ORDER BY id DESC LIMIT %s)",
            [count],
        )


def test_rows_now_are_exact_after_deleted_rows_and_the_changed_table_stands_out(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    add_messages(demo_db, 940)
    backup = tmp_path / "bienestar.resguardo"
    backup_tenant(demo_db, "bienestar", backup)
    delete_messages(demo_db, 500)
    dialogs = ScriptedDialogs(open_file=backup, restore_answer=False)
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    run_job(qtbot, window, "restore_action", "bienestar")

    context = dialogs.contexts[0]
    messages = next(t for t in context.preview.tables if t.name == "chat_chatmessage")
    assert (messages.rows_in_file, messages.rows_now, messages.rows_now_exact) == (1000, 500, True)
    assert all(t.rows_now_exact for t in context.preview.tables)
    assert context.check.rows == sum(t.rows_in_file or 0 for t in context.preview.tables)  # it was verified

    dialog = RestoreConfirmDialog(window, context)
    qtbot.addWidget(dialog)
    when = fmt.when(context.check.created_utc)
    assert dialog.summary.text() == f"Bienestar goes back to {when}: 500 rows come back in chat message."
    highlighted = {
        cell(dialog, r, 0).text()
        for r in range(dialog.table.rowCount())
        if cell(dialog, r, 0).background().color() == QColor(HIGHLIGHT)
    }
    assert highlighted == {"chat message"}  # in Django's words; the table's own name is in the details
    row = next(r for r in range(dialog.table.rowCount()) if cell(dialog, r, 0).text() == "chat message")
    assert cell(dialog, row, 0).toolTip() == "chat_chatmessage"
    assert [cell(dialog, row, c).text() for c in (1, 2, 3)] == [fmt.number(1000), "500", "+500"]
    assert "every checksum verified" in dialog.facts.text()
    assert "bienestar" not in dialog.summary.text() and "rg_safety" not in dialog.facts.text()


def test_another_clinics_backup_reads_as_a_replacement_with_the_warning_first(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    """Bienestar's backup into Mindcare is not Mindcare "going back" to anything (issue 23.1)."""
    backup = tmp_path / "bienestar.resguardo"
    backup_tenant(demo_db, "bienestar", backup)
    preview = preview_restore(demo_db, "mindcare", backup, allow_other_tenant=True)
    assert preview.other_tenant
    names = {"bienestar": "Bienestar", "mindcare": "Mindcare"}
    context = PreviewContext(preview, verify_file(backup), backup.stat().st_size, "Mindcare", names, {})
    dialog = RestoreConfirmDialog(None, context)
    qtbot.addWidget(dialog)

    when = fmt.when(context.check.created_utc)
    assert dialog.summary.text().startswith(f"Mindcare's data will be replaced by Bienestar's (backup of {when})")
    assert "goes back" not in dialog.summary.text()
    assert "made from another clinic (Bienestar)" in dialog.warnings.text()
    layout = dialog.layout()
    assert layout is not None and layout.indexOf(dialog.warnings) < layout.indexOf(
        dialog.facts
    )  # read before the file's details


def test_counts_beyond_the_time_budget_are_estimates_and_say_so(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    backup = tmp_path / "bienestar.resguardo"
    backup_tenant(demo_db, "bienestar", backup)
    preview = preview_restore(demo_db, "bienestar", backup, count_budget=0)
    live = [t for t in preview.tables if t.rows_now is not None]
    assert len(live) == 15 and not any(t.rows_now_exact for t in live)  # every table of the tenant

    context = PreviewContext(preview, verify_file(backup), backup.stat().st_size, "Bienestar", {}, {})
    dialog = RestoreConfirmDialog(None, context)
    qtbot.addWidget(dialog)
    now = [cell(dialog, r, 2).text() for r in range(dialog.table.rowCount())]
    assert all(text.startswith("≈") and text.endswith("(estimate)") for text in now if text != "none (new table)")
    assert f"The rows now of {len(live)} large tables are estimates." in dialog.summary.text()


def test_a_damaged_file_is_stopped_before_the_confirmation(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    backup = tmp_path / "bienestar.resguardo"
    backup_tenant(demo_db, "bienestar", backup)
    data = bytearray(backup.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    damaged = tmp_path / "damaged.resguardo"
    damaged.write_bytes(bytes(data))
    before, names = rows_fingerprint(demo_db, "bienestar"), schemas(demo_db)

    dialogs = ScriptedDialogs(open_file=damaged, restore_answer=True)
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    run_job(qtbot, window, "restore_action", "bienestar")

    panel = window.jobs.panels[-1]
    assert panel.state == "failed"
    assert dialogs.contexts == []  # the typing step was never offered
    assert "damaged.resguardo" in panel.message.text() and "Nothing was changed." in panel.message.text()
    assert any("Checking" in line for line in panel.lines)  # the checksums were being read when it stopped
    assert rows_fingerprint(demo_db, "bienestar") == before and schemas(demo_db) == names

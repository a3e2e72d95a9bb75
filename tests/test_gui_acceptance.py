"""The brief's acceptance story, driven through the window on a real server.

Only the file dialogs are answered by the test; the restore confirmation is the
real dialog, typed into as a user would.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.engine.connection import ConnectionTarget
from app.engine.server.demo import django_password_hash, django_password_verifies
from app.ui.main_window import MainWindow
from app.ui.preview_text import PreviewContext
from app.ui.restore_dialog import RestoreConfirmDialog
from tests.support.gui import ScriptedDialogs, open_window, rows_fingerprint, schemas, wait_idle, wait_listed
from tests.support.patients import count_user, delete_user
from tests.support.pg import one_value

pytestmark = pytest.mark.gui


def type_and_confirm(qtbot: QtBot, seen: list[RestoreConfirmDialog]) -> Callable[[QWidget, PreviewContext], bool]:
    """The real confirmation dialog: Cancel is the default, Restore only once the name is typed."""

    def answer(parent: QWidget, context: PreviewContext) -> bool:
        schema = context.preview.tenant
        dialog = RestoreConfirmDialog(parent, context)
        qtbot.addWidget(dialog)
        seen.append(dialog)
        assert dialog.cancel_button.isDefault() and not dialog.restore_button.isDefault()
        assert not dialog.restore_button.isEnabled()
        QTest.keyClicks(dialog.typed, schema[:-1])
        assert not dialog.restore_button.isEnabled()
        QTest.keyClicks(dialog.typed, schema[-1])
        assert dialog.restore_button.isEnabled()
        dialog.restore_button.click()
        return dialog.result() == RestoreConfirmDialog.DialogCode.Accepted

    return answer


def trigger_and_wait(qtbot: QtBot, window: MainWindow, action: QAction) -> None:
    action.trigger()
    wait_idle(qtbot, window)


def test_acceptance_story(qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path) -> None:
    backup = tmp_path / "bienestar.resguardo"
    seen: list[RestoreConfirmDialog] = []
    dialogs = ScriptedDialogs(save_to=backup, open_file=backup, restore_answer=type_and_confirm(qtbot, seen))
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    others_before = {s: rows_fingerprint(demo_db, s) for s in ("mindcare", "public")}

    # 1-2. Pick bienestar, back it up to the file chosen in the dialog; the bar moves.
    assert window.select("bienestar")
    values: list[int] = []
    window.jobs.job_started.connect(lambda panel: panel.bar.valueChanged.connect(values.append))
    trigger_and_wait(qtbot, window, window.backup_action)
    assert window.jobs.panels[-1].state == "succeeded", window.jobs.panels[-1].message.text()
    assert backup.is_file() and any(0 < v < 1000 for v in values)

    # 3. Delete paciente1 in SQL; the administrator changes their password after the backup.
    new_hash = django_password_hash("changed-after-backup", "saltsaltsalt")
    with demo_db.connect() as conn:
        delete_user(conn, "bienestar", "paciente1@test.com")
        conn.execute("UPDATE bienestar.users_customuser SET password = %s WHERE email = 'admin@gmail.com'", [new_hash])
    at_step_3 = rows_fingerprint(demo_db, "bienestar")

    # 4. Restore into bienestar after the preview and the typed confirmation.
    window.refresh()
    wait_idle(qtbot, window)
    assert window.select("bienestar")
    trigger_and_wait(qtbot, window, window.restore_action)
    panel = window.jobs.panels[-1]
    assert panel.state == "succeeded", panel.message.text()
    preview = dialogs.previews[0]
    users = next(t for t in preview.tables if t.name == "users_customuser")
    assert users.rows_now is not None
    assert users.rows_in_file == users.rows_now + 1
    assert "admin@gmail.com" in preview.superusers_kept
    assert "admin@gmail.com" in seen[0].facts.text()  # shown in the facts
    assert "previous version" in panel.message.text()

    # 5. The patient is back, the administrator keeps the current password, the others are unchanged.
    assert count_user(demo_db, "bienestar", "paciente1@test.com") == 1
    with demo_db.connect() as conn:
        current = one_value(conn, "SELECT password FROM bienestar.users_customuser WHERE email = 'admin@gmail.com'")
    assert django_password_verifies("changed-after-backup", current)
    assert {s: rows_fingerprint(demo_db, s) for s in ("mindcare", "public")} == others_before

    # The list marks the previous version kept for undo, and shows it apart.
    qtbot.waitUntil(lambda: bool(window.model.safety_copies.get("bienestar")), timeout=30_000)
    assert window.other_box.isVisible()
    row = next(r for r in range(window.clinics.rowCount()) if window.clinics.schema_at(r) == "bienestar")
    assert window.clinics.index(row, 6).data().startswith("Possible (kept ")

    # 6. Undo from the result's button: bienestar is as it was at step 3.
    undo = next(b for b in panel.findChildren(type(panel.cancel_button)) if b.text() == "Undo this restore")
    qtbot.waitUntil(undo.isEnabled, timeout=30_000)
    undo.click()
    wait_idle(qtbot, window)
    assert window.jobs.panels[-1].state == "succeeded", window.jobs.panels[-1].message.text()
    assert rows_fingerprint(demo_db, "bienestar") == at_step_3
    assert {s: rows_fingerprint(demo_db, s) for s in ("mindcare", "public")} == others_before

    # The undo kept the restored state as the previous version: discard it from the list of previous versions.
    wait_idle(qtbot, window)
    copy = window.model.safety_copies["bienestar"][0]
    assert window.select(copy) and window.other_view.selectionModel().hasSelection()
    trigger_and_wait(qtbot, window, window.discard_action)
    assert window.jobs.panels[-1].state == "succeeded", window.jobs.panels[-1].message.text()
    assert copy not in schemas(demo_db)
    assert rows_fingerprint(demo_db, "bienestar") == at_step_3
    qtbot.waitUntil(lambda: not window.model.safety_copies.get("bienestar"), timeout=30_000)


def test_not_confirming_and_a_corrupted_file_change_nothing(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    backup = tmp_path / "bienestar.resguardo"
    dialogs = ScriptedDialogs(save_to=backup, open_file=backup, restore_answer=False)
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    window.select("bienestar")
    trigger_and_wait(qtbot, window, window.backup_action)
    before, names = rows_fingerprint(demo_db, "bienestar"), schemas(demo_db)

    # The preview is shown, the user does not confirm: nothing changes, and the panel says so.
    trigger_and_wait(qtbot, window, window.restore_action)
    assert len(dialogs.previews) == 1
    panel = window.jobs.panels[-1]
    assert panel.state == "cancelled" and "Nothing was changed." in panel.message.text()

    # A damaged file, confirmed: the restore stops with a sentence naming the file; nothing changed.
    data = bytearray(backup.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    damaged = tmp_path / "damaged.resguardo"
    damaged.write_bytes(bytes(data))
    dialogs.open_file = damaged
    dialogs.restore_answer = True
    trigger_and_wait(qtbot, window, window.restore_action)
    panel = window.jobs.panels[-1]
    assert panel.state == "failed"
    assert "damaged.resguardo" in panel.message.text()
    assert "nothing was changed" in panel.message.text().lower()
    assert rows_fingerprint(demo_db, "bienestar") == before and schemas(demo_db) == names

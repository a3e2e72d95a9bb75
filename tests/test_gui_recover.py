"""Recover records… through the window (issue 23.2): a deleted patient found in the backup and brought back with
their appointments and messages, nothing else changed; Cancel at the preview changes nothing; Undo recovery…
removes exactly them; the words in Spanish.

The backup dialog, the browsing dialog and the preview are the real ones, driven as a user would; only the file
dialog and the yes/no questions are answered by the test. The engine, its workers and the database are real.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pyrage import x25519
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.engine.backup.native import backup_tenant
from app.engine.comparison.model_name import ModelName
from app.engine.connection import ConnectionTarget
from app.engine.encryption.stream import encrypt_file
from app.engine.jobs import CancelToken
from app.engine.recovery.model import Conflict, PlannedRow, RecoveryPlan, TablePlan, Why
from app.ui import recover_flow
from app.ui.main_window import MainWindow
from app.ui.passphrase_dialog import KeyAnswer
from app.ui.recover_dialog import BrowseContext, PickedRecord, RecoverDialog
from app.ui.recover_preview import RecoverConfirmDialog, RecoverContext
from tests.support.encryption import job_folders, plain_identity
from tests.support.gui import WAIT_MS, ScriptedDialogs, installed, open_window, rows_fingerprint, wait_idle, wait_listed
from tests.support.patients import count_user, delete_user
from tests.support.pg import one_value

pytestmark = pytest.mark.gui
PATIENT = "paciente1@test.com"
OTHER_PATIENT = "paciente2@test.com"


@dataclass
class RecoverDialogs(ScriptedDialogs):
    """Drives the real browsing dialog: the users' table, only what was deleted, a search for the patient."""

    qtbot: QtBot | None = None
    confirm_recover: bool = True
    deleted_only: bool = True  # the rows deleted since the backup, else all the table's rows in it
    search: str = "PACIENTE1"  # in the email column; every row found is chosen
    found: int = 1
    browsed: list[RecoverDialog] = field(default_factory=list)
    shown_previews: list[RecoverConfirmDialog] = field(default_factory=list)

    def pick_records(self, parent: QWidget, context: BrowseContext) -> PickedRecord | None:
        assert self.qtbot is not None
        dialog = RecoverDialog(parent, context)
        self.qtbot.addWidget(dialog)
        self.browsed.append(dialog)
        dialog.show()
        self.qtbot.waitUntil(lambda: dialog.page is not None, timeout=WAIT_MS)  # a first table shown at once
        dialog.select_table("users_customuser")
        dialog.deleted_rows.setChecked(self.deleted_only)
        self.qtbot.waitUntil(lambda: dialog.page is not None and not dialog.reading, timeout=WAIT_MS)
        dialog.column.setCurrentIndex(dialog.column.findData("email"))
        dialog.text.setText(self.search)
        dialog.search_button.click()
        self.qtbot.waitUntil(lambda: dialog.page is not None and not dialog.reading, timeout=WAIT_MS)
        assert dialog.page is not None and len(dialog.page.rows) == self.found, dialog.status.text()
        dialog.rows.selectAll()
        assert dialog.continue_button.isEnabled()
        picked = dialog.picked()
        dialog.accept()
        return picked

    def confirm_recovery(self, parent: QWidget, context: RecoverContext) -> bool:
        dialog = RecoverConfirmDialog(parent, context)
        self.shown_previews.append(dialog)
        assert dialog.cancel_button.isDefault() and not dialog.recover_button.isDefault()
        return self.confirm_recover


def recover(qtbot: QtBot, window: MainWindow) -> None:
    assert window.select("bienestar")
    qtbot.waitUntil(window.commands.recover.isEnabled, timeout=WAIT_MS)
    window.commands.recover.trigger()
    qtbot.waitUntil(lambda: bool(window.jobs.panels), timeout=WAIT_MS)
    wait_idle(qtbot, window)


def appointments_of(target: ConnectionTarget, email: str) -> int:
    with target.connect() as conn:
        return int(
            one_value(
                conn,
                "SELECT count(*) FROM bienestar.appointments_appointment a JOIN bienestar.patients_patientprofile p"
                " ON p.id = a.patient_id JOIN bienestar.users_customuser u ON u.id = p.user_id WHERE u.email = %s",
                [email],
            )
        )


def deleted_since_backup(
    demo_db: ConnectionTarget, tmp_path: Path, patients: tuple[str, ...] = (PATIENT,)
) -> tuple[Path, dict[str, str]]:
    """bienestar backed up; an appointment booked for another patient since; then the patients deleted. Returns the
    backup and bienestar's rows before the deletion."""
    backup = backup_tenant(demo_db, "bienestar", tmp_path / "bienestar.resguardo").path
    with demo_db.connect() as conn:
        conn.execute(
            "INSERT INTO bienestar.appointments_appointment (patient_id, psychologist_id, scheduled_at,"
            " duration_minutes, status, notes, created_at, updated_at) SELECT a.patient_id, a.psychologist_id,"
            " now() + interval '3 days', 50, a.status, 'booked since the backup', now(), now()"
            " FROM bienestar.appointments_appointment a JOIN bienestar.patients_patientprofile p ON p.id = a.patient_id"
            " JOIN bienestar.users_customuser u ON u.id = p.user_id WHERE u.email <> ALL(%s) LIMIT 1",
            [list(patients)],
        )
    before = rows_fingerprint(demo_db, "bienestar")
    with demo_db.connect() as conn:
        for email in patients:
            delete_user(conn, "bienestar", email)
    assert all(count_user(demo_db, "bienestar", email) == 0 for email in patients)
    return backup, before


def test_deleted_patients_are_recovered_through_the_window_and_the_recovery_undone(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    appointments = appointments_of(demo_db, PATIENT)
    assert appointments > 0
    others = {s: rows_fingerprint(demo_db, s) for s in ("mindcare", "public")}
    backup, before = deleted_since_backup(demo_db, tmp_path, (PATIENT, OTHER_PATIENT))
    after_delete = rows_fingerprint(demo_db, "bienestar")
    dialogs = RecoverDialogs(open_file=backup, qtbot=qtbot, search="paciente", found=2)  # both chosen
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)

    recover(qtbot, window)
    panel = window.jobs.panels[-1]
    assert panel.state == "succeeded", panel.message.text()
    # The patients are back with their appointments and messages, and every other row is as it was: bienestar
    # holds exactly what it held before the deletion (the appointment booked since the backup included).
    assert count_user(demo_db, "bienestar", PATIENT) == count_user(demo_db, "bienestar", OTHER_PATIENT) == 1
    assert appointments_of(demo_db, PATIENT) == appointments
    assert rows_fingerprint(demo_db, "bienestar") == before
    assert {s: rows_fingerprint(demo_db, s) for s in ("mindcare", "public")} == others
    # The preview said it in words: the records table by table, why each comes, the default Cancel.
    preview = dialogs.shown_previews[0]
    assert "2 records of custom user" in preview.facts.text()
    assert "custom user" in preview.summary.text() and "appointment" in preview.summary.text()
    assert "Bienestar" in preview.summary.text() and "users_customuser" not in preview.summary.text()
    items = [preview.tree.topLevelItem(i) for i in range(preview.tree.topLevelItemCount())]
    heads = [item.text(0) for item in items if item is not None]
    assert any(h.startswith("custom user") for h in heads) and any(h.startswith("chat message") for h in heads)
    children = [item.child(j) for item in items if item is not None for j in range(item.childCount())]
    whys = {child.text(1) for child in children if child is not None}
    assert {"you chose it", "it belongs to a record that comes back"} <= whys
    assert "brought back into Bienestar" in panel.message.text()

    # Undo recovery… asks, then removes exactly the recovered rows.
    assert window.select("bienestar")
    window.commands.undo_recovery.trigger()
    qtbot.waitUntil(lambda: len(window.jobs.panels) == 2, timeout=WAIT_MS)
    wait_idle(qtbot, window)
    undo = window.jobs.panels[-1]
    assert undo.state == "succeeded", undo.message.text()
    assert any(kind == "confirm" and "Remove the" in text for kind, text in dialogs.asked)
    assert rows_fingerprint(demo_db, "bienestar") == after_delete
    assert {s: rows_fingerprint(demo_db, s) for s in ("mindcare", "public")} == others


def test_cancel_at_the_preview_changes_nothing_and_the_window_speaks_spanish(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    backup, _before = deleted_since_backup(demo_db, tmp_path)
    after_delete = rows_fingerprint(demo_db, "bienestar")
    dialogs = RecoverDialogs(open_file=backup, qtbot=qtbot, confirm_recover=False)
    with installed("es"):
        window = open_window(qtbot, demo_db, dialogs)
        wait_listed(qtbot, window)
        assert window.commands.recover.text() == "Recuperar re&gistros…"
        recover(qtbot, window)
        panel = window.jobs.panels[-1]
        assert panel.state == "cancelled", panel.message.text()
        assert "No se cambió nada" in panel.message.text()
        browse = dialogs.browsed[0]
        assert browse.windowTitle() == "Recuperar registros en Bienestar"
        assert "eliminad" in browse.deleted_rows.text()
        preview = dialogs.shown_previews[0]
        assert preview.summary.text().startswith("Vuelven") and "Bienestar" in preview.summary.text()
        assert preview.cancel_button.isDefault()
        window.commands.undo_recovery.trigger()  # nothing recovered: nothing to undo, said in Spanish
        qtbot.waitUntil(lambda: bool(dialogs.errors), timeout=WAIT_MS)
        assert dialogs.errors[0].message == "En este equipo no hay ninguna recuperación de Bienestar que deshacer."
    assert rows_fingerprint(demo_db, "bienestar") == after_delete
    assert count_user(demo_db, "bienestar", PATIENT) == 0


def test_a_backup_of_another_clinic_is_used_only_when_the_user_says_so(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    backup = backup_tenant(demo_db, "mindcare", tmp_path / "mindcare.resguardo").path
    before = rows_fingerprint(demo_db, "bienestar")
    dialogs = RecoverDialogs(open_file=backup, qtbot=qtbot, deleted_only=False, confirm_answer=False)
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    recover(qtbot, window)
    panel = window.jobs.panels[-1]
    assert panel.state == "cancelled", panel.message.text()
    asked = [text for kind, text in dialogs.asked if kind == "confirm"]
    assert asked and "a backup of Mindcare, not of Bienestar" in asked[0]
    assert not dialogs.shown_previews  # nothing was planned
    # Said yes: the preview warns first, in the window's words; Cancel there changes nothing either.
    dialogs.confirm_answer, dialogs.confirm_recover = True, False
    recover(qtbot, window)
    assert window.jobs.panels[-1].state == "cancelled"
    warning = dialogs.shown_previews[0].warnings
    assert not warning.isHidden() and "another clinic, Mindcare: its records go into Bienestar" in warning.text()
    assert rows_fingerprint(demo_db, "bienestar") == before


def test_the_preview_shows_the_backups_words_as_plain_visible_text(qtbot: QtBot) -> None:
    """A crafted backup's table words and values (markup, a bidi override, a newline) are shown as they are."""
    line = "7\tx\u202eevil\t<b>bold</b>\nsecond line\tsecret".encode().replace(b"\n", b"\\n")
    table = TablePlan(
        name="t<i>x</i>",
        model=ModelName("<img src=/dev/zero>"),
        key=("id",),
        columns=("id", "a", "b", "password"),
        rows=(PlannedRow("7", Why.CHOSEN, line),),
        already_there=(),
        conflicts=(Conflict("8", ("a",), None),),
    )
    plan = RecoveryPlan(
        "bienestar", Path("b.resguardo"), "bienestar", None, "t<i>x</i>", (("id", "7"),), True, (table,)
    )
    dialog = RecoverConfirmDialog(None, RecoverContext(plan, "Bienestar", "b.resguardo", "t 7"))
    qtbot.addWidget(dialog)
    assert dialog.summary.textFormat() == Qt.TextFormat.PlainText
    assert "<img src=/dev/zero>: 1" in dialog.summary.text()
    head = dialog.tree.topLevelItem(0)
    assert head is not None
    row = head.child(0)
    assert row is not None and row.text(0) == "<img src=/dev/zero> 7"
    assert "x‹U+202E›evil" in row.text(2) and "<b>bold</b>‹U+000A›second line" in row.text(2)
    assert "secret" not in row.text(2)  # a password column's value is never shown
    assert dialog.cancel_button.isDefault()


@dataclass
class KeyedRecoverDialogs(RecoverDialogs):
    key: KeyAnswer | None = None
    key_questions: list[str] = field(default_factory=list)

    def ask_key(self, parent: QWidget, file_name: str, problem: str | None, key_file: Path | None) -> KeyAnswer | None:
        self.key_questions.append(file_name)
        return self.key


def test_an_encrypted_backup_is_decrypted_once_off_the_ui_thread_and_removed_after(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain, before = deleted_since_backup(demo_db, tmp_path)
    key_file, public = plain_identity(tmp_path)
    sealed = encrypt_file(
        plain, tmp_path / "b.resguardo.age", [x25519.Recipient.from_str(public)], cancel=CancelToken()
    )
    plain.unlink()
    threads: list[tuple[str, bool]] = []  # each engine call of the flow, and whether it ran on the UI thread
    for name in ("list_tables", "read_backup_rows", "deleted_since", "plan_several", "apply_recovery"):
        real = getattr(recover_flow, name)

        def recorded(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            threads.append((_name, threading.current_thread() is threading.main_thread()))
            return _real(*args, **kwargs)

        monkeypatch.setattr(recover_flow, name, recorded)
    dialogs = KeyedRecoverDialogs(open_file=sealed, qtbot=qtbot, key=KeyAnswer(key_file))
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    recover(qtbot, window)
    panel = window.jobs.panels[-1]
    assert panel.state == "succeeded", panel.message.text()
    assert dialogs.key_questions == [sealed.name]  # asked once: browsing, planning and applying read one copy
    assert "b.resguardo.age (encrypted)" in dialogs.shown_previews[0].facts.text()
    assert rows_fingerprint(demo_db, "bienestar") == before
    assert {n for n, _ in threads} == {
        "list_tables",
        "read_backup_rows",
        "deleted_since",
        "plan_several",
        "apply_recovery",
    }
    assert not any(on_ui for _, on_ui in threads), threads
    qtbot.waitUntil(lambda: not job_folders(), timeout=WAIT_MS)  # the decrypted copy is gone

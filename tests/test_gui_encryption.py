"""Encryption in the window (issue 22): a key made from the profile dialog, a profile's backup written as an age
file, and that file verified and restored from the window, its key asked for in a dialog (answered by the test);
a wrong passphrase or a wrong key is said in a sentence and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from psycopg import sql
from PySide6.QtWidgets import QLineEdit, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from app.engine.connection import ConnectionTarget
from app.engine.encryption.header import read_header
from app.engine.encryption.identities import create_key, load_identities
from app.engine.errors import KeyRefused
from app.engine.stores.profiles import Profile, ProfileStore
from app.engine.stores.secrets import SecretStore
from app.ui.encrypted_reading import KeyFiles, key_sentence
from app.ui.logging_setup import REDACTOR
from app.ui.main_window import MainWindow
from app.ui.passphrase_dialog import KeyAnswer, KeyPromptDialog
from app.ui.profile_dialog import ProfileDialog
from tests.support.encryption import job_folders, plain_identity
from tests.support.gui import (
    WAIT_MS,
    ScriptedDialogs,
    installed,
    open_window,
    rows_fingerprint,
    schemas,
    wait_idle,
    wait_listed,
)
from tests.support.profiles import save_profile

pytestmark = pytest.mark.gui
PASSPHRASE = "correct horse battery"


@dataclass
class KeyDialogs(ScriptedDialogs):
    keys: list[KeyAnswer | None] = field(default_factory=list)
    key_questions: list[tuple[str, str | None, Path | None]] = field(default_factory=list)

    def ask_key(self, parent: QWidget, file_name: str, problem: str | None, key_file: Path | None) -> KeyAnswer | None:
        self.key_questions.append((file_name, problem, key_file))
        return self.keys.pop(0) if self.keys else None


def encrypted_profile(target: ConnectionTarget, public: str) -> None:
    save_profile(target, encrypt_to=[public])


def delete_some_rows(target: ConnectionTarget, schema: str) -> None:
    """Rows of a table no other table refers to, gone: what the restore must bring back."""
    with target.connect() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s"
                " AND c.relkind = 'r' AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.confrelid = c.oid)"
                " ORDER BY 1",
                [schema],
            )
        ]
        for table in tables:
            if conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(schema, table))).rowcount:
                return
    raise AssertionError("no rows to delete")


def run(qtbot: QtBot, window: MainWindow, action: str) -> str:
    getattr(window, action).trigger()
    wait_idle(qtbot, window)
    return window.jobs.panels[-1].state


def test_an_encrypted_window_backup_is_verified_and_restored_with_its_key_asked_for(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    KeyFiles.last = None  # no key file used yet in this process
    key_file = tmp_path / "clinic-key.age"
    public = create_key(key_file, PASSPHRASE)
    other_key, _ = plain_identity(tmp_path, "other.txt")
    encrypted_profile(demo_db, public)
    out = tmp_path / "backups" / "bienestar.resguardo"
    dialogs = KeyDialogs(save_to=out)
    window = open_window(qtbot, None, dialogs, profile_name="clinics")
    wait_listed(qtbot, window)
    assert window.select("bienestar")
    assert run(qtbot, window, "backup_action") == "succeeded", window.jobs.panels[-1].message.text()
    backup = out.parent / "bienestar.resguardo.age"
    assert [p.name for p in out.parent.iterdir()] == [backup.name]
    assert read_header(backup) is not None  # an age file, to the profile's key

    dialogs.open_file = backup  # verify: the key asked for, the file decrypted on the worker and checked in full
    dialogs.keys = [KeyAnswer(key_file, PASSPHRASE)]
    assert run(qtbot, window, "verify_action") == "succeeded", window.jobs.panels[-1].message.text()
    assert "bienestar.resguardo.age is complete and readable" in window.jobs.panels[-1].message.text()
    assert dialogs.key_questions == [(backup.name, None, None)]

    delete_some_rows(demo_db, "bienestar")
    changed, before = rows_fingerprint(demo_db, "bienestar"), schemas(demo_db)
    dialogs.keys = [KeyAnswer(key_file, "not the passphrase"), KeyAnswer(other_key, ""), None]
    dialogs.key_questions.clear()
    assert window.select("bienestar")
    assert run(qtbot, window, "restore_action") == "cancelled"  # a wrong passphrase, another key, then Cancel
    (_, first, offered), (_, wrong_passphrase, _), (_, wrong_key, _) = dialogs.key_questions
    assert first is None and offered == key_file  # the key file used last, offered again (never the passphrase)
    assert wrong_passphrase == "The passphrase does not open the key file clinic-key.age. Type it again."
    assert wrong_key == (
        "The key file other.txt does not open bienestar.resguardo.age: the backup was encrypted to another key."
    )
    panel = window.jobs.panels[-1]
    assert "Nothing was changed" in panel.message.text()
    assert not dialogs.previews  # nothing was read, no confirmation offered
    assert rows_fingerprint(demo_db, "bienestar") == changed and schemas(demo_db) == before
    assert job_folders() == []  # no decrypted copy left behind

    dialogs.keys = [KeyAnswer(key_file, PASSPHRASE)]
    assert run(qtbot, window, "restore_action") == "succeeded", window.jobs.panels[-1].message.text()
    panel = window.jobs.panels[-1]
    assert panel.result.path == backup
    assert sum("Decrypting the backup" in line for line in panel.lines) == 1  # once, for the preview and the restore
    assert dialogs.contexts[-1].encrypted_name == backup.name
    assert rows_fingerprint(demo_db, "bienestar") != changed  # the deleted rows are back
    assert job_folders() == []
    assert not any(PASSPHRASE in line or "not the passphrase" in line for line in panel.lines)


def test_a_key_created_from_the_profile_dialog_is_an_age_identity_its_passphrase_protects(
    qtbot: QtBot, tmp_path: Path, memory_keyring: object
) -> None:
    store = ProfileStore()
    store.save(Profile(name="clinics"))
    key_file, sheet = tmp_path / "clinic-key.age", tmp_path / "sheet.html"
    asked = ScriptedDialogs(save_files=[key_file, sheet])  # the window's file dialog, answered
    dialog = ProfileDialog(None, SecretStore(), store, dialogs=asked)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=WAIT_MS)
    assert dialog.name.text() == "clinics" and dialog.keys.encryption.text() == "Backups are not encrypted."
    dialog.keys.create_button.click()
    keys = dialog.keys.key_dialog
    assert keys is not None and keys.isVisible()
    assert keys.passphrase.echoMode() == keys.again.echoMode() == QLineEdit.EchoMode.Password  # never echoed
    assert keys.key_file.text() == ""  # no folder suggested: not beside the backups
    [choose] = [b for b in keys.findChildren(QPushButton) if b.text() == "Ch&oose…"]
    choose.click()
    assert keys.key_file.text() == str(key_file)
    assert asked.asked == [("save file", "Where the key file goes")]
    assert asked.suggested == [Path.home() / "clinics-key.age"]
    keys.passphrase.setText("short")
    keys.again.setText("short")
    assert not keys.create_button.isEnabled() and keys.hint.text().startswith("At least 8 characters")
    keys.passphrase.setText(PASSPHRASE)
    keys.again.setText(PASSPHRASE + "!")
    assert not keys.create_button.isEnabled() and keys.hint.text() == "The two passphrases differ."
    keys.again.setText(PASSPHRASE)
    assert keys.create_button.isEnabled()
    keys.create_button.click()
    qtbot.waitUntil(lambda: bool(keys.public), timeout=WAIT_MS)

    header = read_header(key_file)
    assert header is not None and header.passphrase and header.armored  # age-encrypted with the passphrase
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert [str(i.to_public()) for i in load_identities(key_file, lambda _name: PASSPHRASE)] == [keys.public]
    with pytest.raises(KeyRefused):
        load_identities(key_file, lambda _name: "another passphrase")
    assert keys.public_field.text() == keys.public.strip() and keys.public.startswith("age1")
    assert (
        str(key_file) in keys.summary.text() and "every backup of profile clinics is encrypted" in keys.summary.text()
    )
    assert not keys.passphrase.text() and not keys.again.text()  # not kept in the form
    assert store.get("clinics").encrypt_to == [keys.public]  # the profile's backups are encrypted to it

    keys.include_key.setChecked(True)
    keys.sheet_button.click()  # where it goes is asked, beside the key file
    assert asked.asked[-1] == ("save file", "Save the recovery sheet")
    assert asked.suggested[-1] == tmp_path / "clinic-key-recovery-sheet.html"
    qtbot.waitUntil(lambda: keys.status.text().startswith("Recovery sheet written"), timeout=WAIT_MS)
    page = sheet.read_text()
    assert keys.public in page and "BEGIN AGE ENCRYPTED FILE" in page and "AGE-SECRET-KEY" not in page

    keys.reject()
    assert dialog.keys.key_dialog is None
    assert dialog.keys.encryption.text().startswith("Backups are encrypted to one key")


def test_the_key_prompt_never_echoes_and_says_what_was_wrong_in_spanish_too(qtbot: QtBot, tmp_path: Path) -> None:
    prompt = KeyPromptDialog(None, "b.resguardo.age", "The passphrase does not open the key file k.age.", None)
    qtbot.addWidget(prompt)
    assert prompt.passphrase.echoMode() == QLineEdit.EchoMode.Password
    assert prompt.problem.text().startswith("The passphrase does not open") and not prompt.problem.isHidden()
    assert not prompt.open_button.isEnabled()  # no key file chosen yet
    prompt.key_file.setText(str(tmp_path / "k.age"))
    prompt.passphrase.setText("typed-7731-passphrase")
    assert prompt.open_button.isEnabled()
    answer = prompt.answer()
    assert (
        answer == KeyAnswer(tmp_path / "k.age", "typed-7731-passphrase") and answer.prompt("k.age") == answer.passphrase
    )
    assert "typed-7731-passphrase" not in repr(answer)
    assert REDACTOR.scrub("said typed-7731-passphrase") != "said typed-7731-passphrase"  # never in a log line

    wrong = KeyRefused("Any sentence.", reason=KeyRefused.WRONG_PASSPHRASE)  # told by its reason, not its words
    other = KeyRefused("Any sentence.", reason=KeyRefused.OTHER_KEY)
    with installed("es"):
        assert key_sentence(wrong, answer, Path("b.resguardo.age")) == (
            "La frase de contraseña no abre el archivo de clave k.age. Escríbala de nuevo."
        )
        assert key_sentence(other, answer, Path("b.resguardo.age")) == (
            "El archivo de clave k.age no abre b.resguardo.age: la copia se cifró para otra clave."
        )

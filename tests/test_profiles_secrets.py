"""Profiles and passwords: the password lives in the keyring (or this session's memory), never in a file."""

from __future__ import annotations

import logging
from pathlib import Path

import keyring.backends.fail
import pytest
from pytestqt.qtbot import QtBot

from app import paths
from app.engine.connection import ConnectionTarget
from app.engine.stores.profiles import ProfileStore
from app.engine.stores.secrets import SERVICE, SecretStore
from app.ui.logging_setup import REDACTOR, setup_logging
from app.ui.profile_dialog import ProfileDialog
from tests.support.gui import WAIT_MS, ScriptedDialogs, fill_profile, open_window, press, wait_listed
from tests.support.memory_keyring import MemoryKeyring

pytestmark = pytest.mark.gui


def _files_containing(text: str) -> list[Path]:
    found = []
    for folder in (paths.config_dir(), paths.data_dir(), paths.log_dir(), paths.state_dir()):
        for path in folder.rglob("*"):
            if path.is_file() and text.encode() in path.read_bytes():
                found.append(path)
    return found


def _no_keyring() -> keyring.backends.fail.Keyring:
    """The backend keyring picks on a machine with no keyring."""
    return keyring.backends.fail.Keyring()  # type: ignore[no-untyped-call]  # keyring leaves its __init__ unannotated


def open_dialog(qtbot: QtBot, secrets: SecretStore) -> ProfileDialog:
    """The dialog once it has read the profiles and the keyring (on its worker pool)."""
    dialog = ProfileDialog(None, secrets)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=WAIT_MS)
    return dialog


def test_remembered_password_is_in_the_keyring_and_in_no_file(
    qtbot: QtBot, demo_db: ConnectionTarget, memory_keyring: MemoryKeyring
) -> None:
    setup_logging()
    password = "Pw-only-in-the-keyring-7731"
    dialog = open_dialog(qtbot, SecretStore())
    assert "system keyring" in dialog.keyring_note.text()
    fill_profile(dialog, "clinics", demo_db, password)

    dialog.test_button.click()  # the test runs on a worker; the dialog says what happened
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=WAIT_MS)
    assert dialog.status.text().startswith("Connected to PostgreSQL")
    assert "(a superuser)" in dialog.status.text()
    press(qtbot, dialog, dialog.save_button)
    assert "keyring" in dialog.status.text()

    assert memory_keyring.store[(SERVICE, "clinics")] == password
    profile = ProfileStore().get("clinics")
    assert profile.remember_password and profile.dbname == demo_db.dbname

    # Use it: the window opens on it, logs what it does; a careless log line with the password is scrubbed.
    window = open_window(qtbot, None, ScriptedDialogs(), secrets=SecretStore(), profile_name="clinics")
    wait_listed(qtbot, window)
    logging.getLogger("app.test").warning("connecting with password=%s", password)
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert (paths.log_dir() / "resguardo.log").stat().st_size > 0
    assert _files_containing(password) == []


def test_without_a_keyring_the_dialog_says_so_and_nothing_is_written(
    qtbot: QtBot, memory_keyring: MemoryKeyring, demo_db: ConnectionTarget
) -> None:
    password = "Pw-session-only-4410"
    secrets = SecretStore(_no_keyring())
    dialog = open_dialog(qtbot, secrets)
    assert not dialog.remember.isEnabled() and not dialog.remember.isChecked()  # it could not keep its promise
    assert "cannot be remembered on this computer: there is no system keyring" in dialog.keyring_note.text()
    fill_profile(dialog, "clinics", demo_db, password)
    press(qtbot, dialog, dialog.save_button)

    assert "The password is not remembered" in dialog.status.text()
    assert not ProfileStore().get("clinics").remember_password
    assert secrets.get("clinics") == password  # usable for this session
    assert memory_keyring.store == {}
    assert SecretStore(_no_keyring()).get("clinics") is None  # a new session forgets it
    assert _files_containing(password) == []


def test_rename_moves_and_delete_removes_the_keyring_entry(
    qtbot: QtBot, memory_keyring: MemoryKeyring, demo_db: ConnectionTarget
) -> None:
    dialog = open_dialog(qtbot, SecretStore())
    fill_profile(dialog, "old name", demo_db, "pw-1")
    press(qtbot, dialog, dialog.save_button)
    dialog.name.setText("new name")
    press(qtbot, dialog, dialog.save_button)  # password field left empty: the remembered one follows the rename
    assert memory_keyring.store == {(SERVICE, "new name"): "pw-1"}
    assert [p.name for p in ProfileStore().all()] == ["new name"]

    press(qtbot, dialog, dialog.delete_button)
    assert memory_keyring.store == {}
    assert ProfileStore().all() == []


def test_unticking_remember_forgets_the_stored_password(
    qtbot: QtBot, memory_keyring: MemoryKeyring, demo_db: ConnectionTarget
) -> None:
    dialog = open_dialog(qtbot, SecretStore())
    fill_profile(dialog, "clinics", demo_db, "pw-2")
    press(qtbot, dialog, dialog.save_button)
    dialog.remember.setChecked(False)
    press(qtbot, dialog, dialog.save_button)
    assert memory_keyring.store == {}
    assert not ProfileStore().get("clinics").remember_password


def test_redactor_scrubs_connection_strings() -> None:
    REDACTOR.add("hunter2")
    assert "hunter2" not in REDACTOR.scrub("dsn=postgresql://u:hunter2@h/db")
    assert REDACTOR.scrub("host=h password='a b' user=u") == "host=h password=******** user=u"
    assert REDACTOR.scrub("postgresql://u:zzz@h/db") == "postgresql://u:********@h/db"

"""Removing a profile's key from the profile dialog (rotation, a lost key, a wrong key pasted): asked first in plain
words, Cancel changing nothing; once removed, the profile's next window backup is plain and no trace of the key is
left in the profiles file or the keyring; a profile a schedule uses keeps its last key, the schedule named."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.engine.connection import ConnectionTarget
from app.engine.encryption.header import read_header
from app.engine.routine.schedules import Schedule, ScheduleStore
from app.engine.stores.profiles import ProfileStore
from app.engine.stores.secrets import SecretStore
from app.ui.profile_dialog import ProfileDialog
from tests.support.encryption import plain_identity
from tests.support.gui import WAIT_MS, ScriptedDialogs, open_window, wait_idle, wait_listed
from tests.support.memory_keyring import MemoryKeyring
from tests.support.profiles import save_profile

pytestmark = pytest.mark.gui


def opened(qtbot: QtBot, store: ProfileStore, dialogs: ScriptedDialogs) -> ProfileDialog:
    dialog = ProfileDialog(None, SecretStore(), store, dialogs=dialogs)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled() and dialog.name.text() == "clinics", timeout=WAIT_MS)
    return dialog


def test_removing_the_key_asks_first_and_the_next_backup_is_plain(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    key_file, public = plain_identity(tmp_path, "clinic-key.txt")
    store = save_profile(demo_db, encrypt_to=[public])
    dialogs = ScriptedDialogs(confirm_answer=False)
    dialog = opened(qtbot, store, dialogs)
    assert dialog.keys.list.count() == 1 and dialog.keys.remove_button.isEnabled()

    dialog.keys.remove_button.click()  # the schedules read first, then asked; Cancel: nothing changes
    qtbot.waitUntil(lambda: bool(dialogs.asked) and dialog.keys.remove_button.isEnabled(), timeout=WAIT_MS)
    [(kind, question)] = dialogs.asked
    assert kind == "confirm"
    assert "Backups already written stay encrypted to it" in question
    assert "New backups of clinics will be written plain" in question
    assert "nor in the system keyring, and the key file stays where you put it" in question
    assert store.get("clinics").encrypt_to == [public]
    assert dialog.keys.encryption.text().startswith("Backups are encrypted to one key")

    dialogs.confirm_answer = True
    dialog.keys.remove_button.click()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Removed the key"), timeout=WAIT_MS)
    assert "New backups of clinics are plain" in dialog.status.text()
    assert store.get("clinics").encrypt_to == []
    assert public not in store.path.read_text(encoding="utf-8")
    assert not any(public in str(v) or str(key_file) in str(v) for v in memory_keyring.store.values())
    assert key_file.exists()  # the user's own file is never touched
    assert dialog.keys.encryption.text() == "Backups are not encrypted."
    assert not dialog.keys.remove_button.isEnabled()
    dialog.save()  # saving the form again does not bring the key back
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Saved"), timeout=WAIT_MS)
    assert store.get("clinics").encrypt_to == []
    dialog.close()

    out = tmp_path / "backups" / "bienestar.resguardo"
    window = open_window(qtbot, None, ScriptedDialogs(save_to=out), profile_name="clinics")
    wait_listed(qtbot, window)
    assert window.select("bienestar")
    window.backup_action.trigger()
    wait_idle(qtbot, window)
    assert window.jobs.panels[-1].state == "succeeded", window.jobs.panels[-1].message.text()
    assert [p.name for p in out.parent.iterdir()] == [out.name]
    assert read_header(out) is None  # a plain archive, no .age


def test_one_of_two_keys_goes_and_a_scheduled_profile_keeps_its_last_key(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    _, first = plain_identity(tmp_path, "first.txt")
    _, second = plain_identity(tmp_path, "second.txt")
    store = save_profile(demo_db, encrypt_to=[first, second])
    ScheduleStore().save(Schedule(name="nightly", times=("02:00",), folder=str(tmp_path), profile="clinics"))
    dialogs = ScriptedDialogs(confirm_answer=True)
    dialog = opened(qtbot, store, dialogs)
    assert dialog.keys.list.count() == 2

    dialog.keys.list.setCurrentRow(0)
    dialog.keys.remove_button.click()
    [(_, question)] = dialogs.asked
    assert "encrypted only to the other key" in question
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Removed the key"), timeout=WAIT_MS)
    assert store.get("clinics").encrypt_to == [second]  # the schedule goes on encrypting, to the other key

    dialog.keys.remove_button.click()  # the last key: refused before anything is asked
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Not removed"), timeout=WAIT_MS)
    assert "the schedule nightly backs up with this profile" in dialog.status.text()
    assert len(dialogs.asked) == 1
    assert store.get("clinics").encrypt_to == [second]
    assert dialog.keys.remove_button.isEnabled()

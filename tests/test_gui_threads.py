"""The UI thread never touches the profiles file, the history or the keyring (D-Bus can block for seconds).

The real stores are wrapped so that every use of them notes which thread made
it; the window and the profiles dialog are then driven through connecting on
the last used profile, a wrong password asked again and remembered, and saving
and deleting a profile with a remembered password.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, TypeVar

import keyring
import pytest
from keyring.backend import KeyringBackend
from pytestqt.qtbot import QtBot

from app.engine.connection import ConnectionTarget
from app.engine.stores.history import History
from app.engine.stores.profiles import ProfileStore
from app.engine.stores.secrets import SERVICE, SecretStore
from app.ui.dialogs import PasswordAnswer
from app.ui.profile_dialog import ProfileDialog
from tests.support.gui import ScriptedDialogs, fill_profile, open_window, press, wait_idle, wait_listed
from tests.support.memory_keyring import MemoryKeyring
from tests.support.profiles import save_profile

pytestmark = pytest.mark.gui

Uses = list[tuple[str, bool]]  # (Class.attribute, used on the main thread)
T = TypeVar("T")


def recording(cls: type[T], uses: Uses) -> T:
    """`cls` itself, noting the thread of every use of a public method or property."""

    def noted(self: T, name: str) -> Any:
        if not name.startswith("_"):
            uses.append((f"{cls.__name__}.{name}", threading.current_thread() is threading.main_thread()))
        return cls.__getattribute__(self, name)

    made: T = type(f"Recording{cls.__name__}", (cls,), {"__getattribute__": noted})()
    return made


def test_profiles_history_and_keyring_are_used_only_off_the_ui_thread(
    qtbot: QtBot, demo_db: ConnectionTarget, password_role: tuple[str, str], memory_keyring: MemoryKeyring
) -> None:
    user, password = password_role
    setup = save_profile(demo_db, user=user, last_used=True)

    uses: Uses = []
    profiles, secrets, history = recording(ProfileStore, uses), recording(SecretStore, uses), recording(History, uses)
    dialogs = ScriptedDialogs(passwords=[PasswordAnswer("not-the-password", False), PasswordAnswer(password, True)])
    window = open_window(qtbot, None, dialogs, profiles=profiles, secrets=secrets, history=history)
    wait_listed(qtbot, window)
    wait_idle(qtbot, window)  # the last used profile is noted on a worker too
    assert [kind for kind, _ in dialogs.asked] == ["password", "password"]
    assert f"user {user}" in window.server_label.full_text()
    assert memory_keyring.store[(SERVICE, "clinics")] == password
    assert setup.get("clinics").remember_password and setup.last_used == "clinics"

    dialog = ProfileDialog(window, window.secrets, window.profiles, window.pool)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(dialog.save_button.isEnabled)
    assert dialog.list.currentItem().text() == "clinics"  # opens on the last used profile
    assert "system keyring" in dialog.keyring_note.text()
    fill_profile(dialog, "second", demo_db, "pw-second")
    press(qtbot, dialog, dialog.save_button)
    assert memory_keyring.store[(SERVICE, "second")] == "pw-second"
    assert "keyring" in dialog.status.text()
    press(qtbot, dialog, dialog.delete_button)
    assert (SERVICE, "second") not in memory_keyring.store
    assert [p.name for p in setup.all()] == ["clinics"]
    assert dialog.list.currentItem().text() == "clinics"

    used = {name for name, _ in uses}
    assert {
        "ProfileStore.last_used",
        "ProfileStore.get",
        "ProfileStore.all",
        "ProfileStore.save",
        "ProfileStore.delete",
        "SecretStore.get",
        "SecretStore.available",
        "SecretStore.remember",
        "SecretStore.remember_for_session",
        "SecretStore.forget",
        "History.last_backups",
    } <= used
    assert sorted({name for name, on_main in uses if on_main}) == []


def test_a_window_with_its_own_stores_looks_up_the_keyring_off_the_ui_thread(
    qtbot: QtBot,
    demo_db: ConnectionTarget,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    private_home: Path,
) -> None:
    looked_up: list[bool] = []
    real = keyring.get_keyring

    def recorded() -> KeyringBackend:
        looked_up.append(threading.current_thread() is threading.main_thread())
        return real()

    monkeypatch.setattr(keyring, "get_keyring", recorded)
    save_profile(demo_db)
    folders = sorted(p.name for p in private_home.iterdir())
    window = open_window(qtbot, None, ScriptedDialogs(), profile_name="clinics")  # builds its own stores
    assert sorted(p.name for p in private_home.iterdir()) == folders  # building the window created no folder
    wait_listed(qtbot, window)
    wait_idle(qtbot, window)
    assert looked_up and not any(looked_up)


def test_the_language_setting_and_its_catalogue_are_used_only_off_the_ui_thread(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QLocale
    from PySide6.QtWidgets import QApplication

    from app.ui import language
    from app.ui.job_runner import BackgroundPool
    from app.ui.launch import Launcher
    from app.ui.settings import UiSettings

    uses: Uses = []
    settings = recording(UiSettings, uses)
    compiled: list[bool] = []
    real = language.prepare_catalogue

    def recorded(code: str) -> Path | None:
        compiled.append(threading.current_thread() is threading.main_thread())
        return real(code)

    monkeypatch.setattr(language, "prepare_catalogue", recorded)
    before = QLocale()
    target = ConnectionTarget("host=127.0.0.1 port=1 dbname=x")
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    launcher = Launcher(app, target, settings, BackgroundPool(None))
    try:
        launcher.start()
        qtbot.waitUntil(lambda: launcher.window is not None, timeout=10_000)
        first = launcher.window
        assert first is not None
        first.commands.languages["es"].trigger()
        qtbot.waitUntil(lambda: launcher.window is not first, timeout=10_000)
        qtbot.addWidget(launcher.window)  # closed and deleted by Qt after the test
    finally:
        language.install(language.ENGLISH, real(language.ENGLISH))
        QLocale.setDefault(before)
    assert {name for name, _ in uses} >= {"UiSettings.language"}
    assert compiled == [False, False]  # at start and for the new language
    assert sorted({name for name, on_main in uses if on_main}) == []

"""The window when the login or the server is not as expected: it says why, in words, and stays usable."""

from __future__ import annotations

import socket

import pytest
from pytestqt.qtbot import QtBot

from app.engine.connection import ConnectionTarget
from app.engine.stores.profiles import Profile, ProfileStore
from app.engine.stores.secrets import SERVICE
from app.ui.dialogs import PasswordAnswer
from tests.support.gui import WAIT_MS, ScriptedDialogs, open_window, wait_listed
from tests.support.memory_keyring import MemoryKeyring
from tests.support.profiles import save_profile

pytestmark = pytest.mark.gui


def test_wrong_password_is_asked_again_then_remembered_in_the_keyring(
    qtbot: QtBot, demo_db: ConnectionTarget, password_role: tuple[str, str], memory_keyring: MemoryKeyring
) -> None:
    user, password = password_role
    store = save_profile(demo_db, user=user, last_used=True)
    dialogs = ScriptedDialogs(passwords=[PasswordAnswer("not-the-password", False), PasswordAnswer(password, True)])

    window = open_window(qtbot, None, dialogs)  # opens on the last used profile
    wait_listed(qtbot, window)

    reasons = [reason for kind, reason in dialogs.asked if kind == "password"]
    assert len(reasons) == 2
    assert "asks for a password" in reasons[0]
    assert reasons[1].startswith("Wrong user name or password")
    assert f"user {user}" in window.server_label.full_text()
    # Qt adds the program's name to a title that does not end with it: "Resguardo — … — Resguardo" before
    assert window.windowTitle() == f"{demo_db.dbname} on {demo_db.params['host']} — Resguardo"
    assert memory_keyring.store[(SERVICE, "clinics")] == password
    assert store.get("clinics").remember_password
    assert not window.banner.isVisible()


def test_refusing_to_give_a_password_leaves_a_sentence_and_no_connection(
    qtbot: QtBot, demo_db: ConnectionTarget, password_role: tuple[str, str]
) -> None:
    user, _ = password_role
    save_profile(demo_db, user=user)
    dialogs = ScriptedDialogs(passwords=[None])
    window = open_window(qtbot, None, dialogs, profile_name="clinics")
    qtbot.waitUntil(window.banner.isVisible, timeout=WAIT_MS)
    assert "asks for a password" in window.banner.text.text()
    assert window.session is None
    assert not window.backup_action.isEnabled()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_server_is_explained(qtbot: QtBot) -> None:
    target = ConnectionTarget(f"host=127.0.0.1 port={_closed_port()} user=postgres dbname=clinics")
    window = open_window(qtbot, target, ScriptedDialogs())
    qtbot.waitUntil(window.banner.isVisible, timeout=WAIT_MS)
    assert "cannot be reached" in window.banner.text.text()
    assert window.banner.error is not None and "refused" in window.banner.error.details.lower()
    assert window.clinics.rowCount() == 0


def test_a_new_profiles_cancelled_password_leaves_one_truthful_state(
    qtbot: QtBot, demo_db: ConnectionTarget, password_role: tuple[str, str]
) -> None:
    """Connected to one server, the user picks another profile, is asked its password and cancels: the window is
    connected to nothing, and says so everywhere (no action may reach the server it had before)."""
    user, _ = password_role
    params = demo_db.params
    ProfileStore().save(
        Profile(name="other", host=params["host"], port=int(params["port"]), dbname=demo_db.dbname, user=user)
    )
    dialogs = ScriptedDialogs(passwords=[None])
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    window.select("mindcare")
    assert window.backup_action.isEnabled() and window.list_area.isEnabled()
    previous = window.server_label.full_text()
    assert previous

    dialogs.edit_profiles = lambda parent: "other"  # type: ignore[method-assign]
    window.edit_profiles()
    qtbot.waitUntil(window.banner.isVisible, timeout=WAIT_MS)

    assert [kind for kind, _ in dialogs.asked] == ["password"]
    assert window.session is None
    assert window.listing_label.full_text() == "Not connected."
    assert not window.list_area.isEnabled()
    assert not any(a.isEnabled() for a in (window.backup_action, window.restore_action, window.refresh_action))
    assert window.server_label.full_text() == "" and window.windowTitle() == "Resguardo"
    assert "asks for a password" in window.banner.text.text()

"""The window tells the truth about its state: a lost server, a missing keyring, a finished or failed job."""

from __future__ import annotations

from pathlib import Path

import keyring.backends.fail
import pytest
from psycopg import sql
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.engine.connection import ConnectionTarget
from app.engine.errors import ArchiveError, ResguardoError
from app.engine.stores.secrets import SecretStore
from app.ui.password_dialog import PasswordDialog
from tests.support.gui import WAIT_MS, ScriptedDialogs, back_up, open_window, run_job, wait_idle, wait_listed

pytestmark = pytest.mark.gui


def allow_connections(target: ConnectionTarget, allowed: bool) -> None:
    """Open or close the database to new connections, ending the open ones: the server is gone for the window."""
    with target.with_dbname("postgres").connect(autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {}").format(
                sql.Identifier(target.dbname), sql.SQL("true" if allowed else "false")
            )
        )
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [target.dbname],
        )


def test_a_lost_server_greys_the_list_switches_actions_off_and_offers_reconnect(
    qtbot: QtBot, demo_db: ConnectionTarget
) -> None:
    dialogs = ScriptedDialogs(save_to=Path("/nonexistent/never.resguardo"))
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    assert window.select("bienestar") and window.backup_action.isEnabled()

    allow_connections(demo_db, False)
    try:
        window.backup_action.trigger()  # the action checks the server first: no file is asked for
        qtbot.waitUntil(lambda: window.connection.is_lost, timeout=WAIT_MS)
        assert dialogs.suggested == []
        assert not window.list_area.isEnabled()  # greyed, but still showing what it showed
        assert window.clinics.rowCount() == 2
        for action in (
            window.backup_action,
            window.restore_action,
            window.undo_action,
            window.discard_action,
            window.refresh_action,
        ):
            assert not action.isEnabled()
        assert window.commands.reconnect.isEnabled()
        assert window.banner.isVisible() and window.banner.action.text() == "Reconnect"
        assert "connection to the server was lost" in window.banner.text.text()
        assert not window.banner.close_button.isVisible()  # the state cannot be dismissed, only ended
        assert window.banner.error is not None
        assert "not currently accepting connections" in window.banner.error.details
        assert window.listing_label.full_text() == "Disconnected."

        window.banner.action.click()  # Reconnect while the server is still away: still disconnected, and says so
        qtbot.waitUntil(lambda: "Could not connect" in window.banner.text.text(), timeout=WAIT_MS)
        assert not window.list_area.isEnabled() and not window.backup_action.isEnabled()
        assert window.banner.action.text() == "Reconnect" and window.listing_label.full_text() == "Disconnected."
    finally:
        allow_connections(demo_db, True)

    window.commands.reconnect.trigger()
    qtbot.waitUntil(lambda: window.connection.usable and window.list_area.isEnabled(), timeout=WAIT_MS)
    wait_idle(qtbot, window)
    assert not window.banner.isVisible()
    assert window.select("bienestar") and window.backup_action.isEnabled()
    assert not window.commands.reconnect.isEnabled()


def test_a_failed_job_that_lost_the_server_turns_the_window_disconnected(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    window = open_window(qtbot, demo_db, ScriptedDialogs(save_to=tmp_path / "b.resguardo"))
    wait_listed(qtbot, window)
    allow_connections(demo_db, False)
    try:
        window.refresh()  # fails: the window checks the server, finds it gone
        qtbot.waitUntil(lambda: window.connection.is_lost, timeout=WAIT_MS)
        assert not window.list_area.isEnabled() and not window.refresh_action.isEnabled()
    finally:
        allow_connections(demo_db, True)


def test_without_a_keyring_remember_password_is_off_and_says_why(qtbot: QtBot) -> None:
    dialog = PasswordDialog(None, "The server at x asks for a password.", keyring_available=False)
    qtbot.addWidget(dialog)
    assert not dialog.remember.isEnabled() and not dialog.remember.isChecked()
    assert dialog.note.text().startswith("Passwords cannot be remembered on this computer: there is no system keyring")
    with_keyring = PasswordDialog(None, "The server at x asks for a password.", keyring_available=True)
    qtbot.addWidget(with_keyring)
    assert with_keyring.remember.isEnabled()
    assert "kept in the system keyring" in with_keyring.note.text()


def test_the_window_asks_for_a_password_without_offering_to_remember_it_when_there_is_no_keyring(
    qtbot: QtBot, demo_db: ConnectionTarget, password_role: tuple[str, str]
) -> None:
    user, _ = password_role
    target = ConnectionTarget(f"{demo_db.conninfo} user={user}")
    dialogs = ScriptedDialogs(passwords=[None])
    no_keyring = SecretStore(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]  # unannotated in keyring
    window = open_window(qtbot, target, dialogs, secrets=no_keyring)
    qtbot.waitUntil(window.banner.isVisible, timeout=WAIT_MS)
    assert dialogs.keyring_offered == [False]


def test_finished_and_failed_panels_show_the_time_taken_plain_text_logs_and_useful_details(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    damaged = tmp_path / "a <b>bold<b> name.resguardo"
    damaged.write_bytes(b"not a backup" * 10)
    dialogs = ScriptedDialogs(save_to=tmp_path / "mindcare.resguardo", open_file=damaged)
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    done = back_up(qtbot, window, "mindcare")
    assert done.state == "succeeded"
    assert done.times.text().startswith("took ") and "left" not in done.times.text()
    assert not done.details_button.isVisible()  # nothing went wrong: no Details

    failed = run_job(qtbot, window, "verify_action")
    assert failed.state == "failed"
    assert failed.times.text().startswith("took ") and "left" not in failed.times.text()
    assert failed.details_button.isVisible() == bool(failed.error and failed.error.details)
    assert failed.title.full_text() == "Verify a <b>bold<b> name.resguardo"  # as it is, never as markup
    assert failed.title.textFormat() == failed.message.textFormat() == Qt.TextFormat.PlainText
    assert "a <b>bold<b> name.resguardo" in window.log_panel.toPlainText()
    assert not any(line.split("  ", 1)[1].startswith("<") for line in failed.lines + done.lines)


def test_details_is_hidden_when_there_are_none(qtbot: QtBot) -> None:
    from app.ui.error_dialog import ErrorDialog

    plain = ErrorDialog(None, ResguardoError("Something failed."))
    qtbot.addWidget(plain)
    assert not plain.toggle.isVisibleTo(plain)
    detailed = ErrorDialog(None, ArchiveError("x.resguardo is damaged.", "member data/1: sha256 mismatch"))
    qtbot.addWidget(detailed)
    assert detailed.toggle.isVisibleTo(detailed)

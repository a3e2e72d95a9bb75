"""A backup file the desktop gives the window (a double-click: `resguardo-gui FILE`, or macOS's QFileOpenEvent):
checked, then its restore offered into the clinic it names, with the usual confirmation; a file that is no
backup is said to be one and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.ui.launch import FileOpenEvents, Launcher
from app.ui.preview_text import PreviewContext
from app.ui.settings import UiSettings
from tests.support.gui import WAIT_MS, ScriptedDialogs, open_window, rows_fingerprint, wait_idle, wait_listed

pytestmark = pytest.mark.gui


def test_a_backup_given_before_the_connection_reaches_its_clinics_restore_confirmation(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    backup = tmp_path / "bienestar.resguardo"
    backup_tenant(demo_db, "bienestar", backup)
    before = rows_fingerprint(demo_db, "bienestar")
    seen: list[tuple[str | None, str]] = []

    def answer(_parent: QWidget, context: PreviewContext) -> bool:
        seen.append((window.selected_schema, context.clinic))
        return False  # the user reads the confirmation and cancels

    dialogs = ScriptedDialogs(restore_answer=answer)
    window = open_window(qtbot, demo_db, dialogs)
    window.open_flow.open(backup)  # as the launcher does, before the window has connected
    panel = window.jobs.panels[-1]
    assert panel.state == "held" and not panel.running
    assert "opens once Resguardo is connected to a server" in panel.message.text()

    wait_listed(qtbot, window)
    qtbot.waitUntil(lambda: bool(dialogs.contexts), timeout=WAIT_MS)
    wait_idle(qtbot, window)
    (context,) = dialogs.contexts
    assert context.preview.tenant == "bienestar" and context.check.path == backup
    assert seen == [("bienestar", window.clinic_name("bienestar"))]  # the clinic selected in the list
    assert panel.tenant == "bienestar"
    assert any("every checksum matches" in line for line in panel.lines)
    assert panel.state == "cancelled" and "Nothing was changed." in panel.message.text()
    assert rows_fingerprint(demo_db, "bienestar") == before


def test_a_file_that_is_no_backup_is_said_so_and_nothing_is_asked_or_changed(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.resguardo"
    notes.write_text("the clinic's notes, not a backup\n", encoding="utf-8")
    before = rows_fingerprint(demo_db, "bienestar")
    dialogs = ScriptedDialogs()
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    window.select("mindcare")
    window.open_flow.open(notes)
    wait_idle(qtbot, window)
    panel = window.jobs.panels[-1]
    assert panel.state == "failed"
    text = panel.message.text()
    assert "notes.resguardo" in text and "Nothing was changed." in text, text
    assert "not a Resguardo" in text or "not a backup" in text, text
    assert not dialogs.contexts and not dialogs.asked
    assert window.selected_schema == "mindcare"  # the selection stays the user's
    assert rows_fingerprint(demo_db, "bienestar") == before


def test_a_backup_of_a_clinic_the_server_lacks_is_described_with_what_to_do(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    backup = tmp_path / "bienestar.resguardo"
    backup_tenant(demo_db, "bienestar", backup)
    with demo_db.connect(autocommit=True) as conn:
        conn.execute("ALTER SCHEMA bienestar RENAME TO bienestar_moved")
    dialogs = ScriptedDialogs()
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    window.open_flow.open(backup)
    wait_idle(qtbot, window)
    panel = window.jobs.panels[-1]
    assert panel.state == "succeeded", panel.message.text()
    assert "Every checksum matches." in panel.message.text()
    assert "This server has no clinic" in panel.message.text()
    assert "Clinic > Restore…" in panel.message.text()
    assert not dialogs.contexts


def test_macos_file_open_event_opens_the_file_in_the_window(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    """The Finder gives a double-clicked file to the running application as a QFileOpenEvent, not in argv."""
    backup = tmp_path / "bienestar.resguardo"
    backup_tenant(demo_db, "bienestar", backup)
    dialogs = ScriptedDialogs(restore_answer=False)
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    launcher = Launcher(app, demo_db, UiSettings(), window.pool)
    launcher.window = window
    events = FileOpenEvents(launcher)
    app.installEventFilter(events)
    try:
        QCoreApplication.sendEvent(app, QFileOpenEvent(str(backup)))
    finally:
        app.removeEventFilter(events)
    qtbot.waitUntil(lambda: bool(dialogs.contexts), timeout=WAIT_MS)
    wait_idle(qtbot, window)
    assert dialogs.contexts[0].preview.tenant == "bienestar"
    assert window.jobs.panels[-1].title.full_text() == "Open bienestar.resguardo"


def test_a_file_given_at_start_waits_in_the_window_and_in_its_rebuilt_one(qtbot: QtBot, tmp_path: Path) -> None:
    """`resguardo-gui FILE` hands the file over before the window exists; a window rebuilt in another language
    (a server still not reached) keeps it waiting."""
    from app.engine.connection import ConnectionTarget
    from app.ui import language
    from app.ui.job_runner import BackgroundPool

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    given = tmp_path / "bienestar.resguardo"
    launcher = Launcher(app, ConnectionTarget("host=127.0.0.1 port=1 dbname=x"), UiSettings(), BackgroundPool(None))
    launcher.open_file(given)
    try:
        launcher.start()
        qtbot.waitUntil(lambda: launcher.window is not None, timeout=10_000)
        first = launcher.window
        assert first is not None  # closed and deleted by the launcher once rebuilt
        assert [path for path, _panel in first.open_flow.waiting] == [given]
        assert first.jobs.panels[-1].state == "held"
        first.commands.languages["es"].trigger()
        qtbot.waitUntil(lambda: launcher.window is not first, timeout=10_000)
        rebuilt = launcher.window
        assert rebuilt is not None
        qtbot.addWidget(rebuilt)
        assert [path for path, _panel in rebuilt.open_flow.waiting] == [given]
        assert "se abrirá cuando Resguardo esté conectado" in rebuilt.jobs.panels[-1].message.text()
    finally:
        language.install(language.ENGLISH, language.prepare_catalogue(language.ENGLISH))

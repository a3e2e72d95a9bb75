"""Undo that cannot lie: each Undo button puts back only the previous version its own restore kept.

The story of issue 13: after a second restore, or an undo, or a discard, an
older panel's Undo no longer acts; and where the window's list is stale (another
program undid meanwhile), the engine refuses and nothing changes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.restore.undo import undo_restore
from app.ui.job_panel import JobPanel
from app.ui.main_window import MainWindow
from tests.support.gui import (
    WAIT_MS,
    ScriptedDialogs,
    open_window,
    rows_fingerprint,
    run_job,
    schemas,
    wait_idle,
    wait_listed,
)

pytestmark = pytest.mark.gui


def undo_button(panel: JobPanel) -> QPushButton:
    window = panel.window()
    assert isinstance(window, MainWindow)
    return next(b.button for b in window.restore_flow.bound if b.panel is panel)


def restore(qtbot: QtBot, window: MainWindow) -> JobPanel:
    panel = run_job(qtbot, window, "restore_action", "bienestar")
    assert panel.state == "succeeded", panel.message.text()
    return panel


def latest_copy(window: MainWindow) -> str:
    return window.model.safety_copies["bienestar"][0]


def test_an_undo_button_acts_only_on_the_version_its_restore_kept(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    backup = tmp_path / "bienestar.resguardo"
    backup_tenant(demo_db, "bienestar", backup)
    dialogs = ScriptedDialogs(open_file=backup, restore_answer=True)
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)

    first = restore(qtbot, window)
    qtbot.waitUntil(undo_button(first).isEnabled, timeout=WAIT_MS)  # once the list shows its version
    first_copy = first.result.safety_copy
    assert latest_copy(window) == first_copy

    second = restore(qtbot, window)  # replaces (drops) the first restore's version
    qtbot.waitUntil(undo_button(second).isEnabled, timeout=WAIT_MS)
    assert not undo_button(first).isEnabled()
    assert undo_button(first).text() == "Can no longer be undone"
    assert "No longer possible" in undo_button(first).toolTip()
    assert first_copy not in schemas(demo_db)

    undo_button(second).click()
    wait_idle(qtbot, window)
    undone = window.jobs.panels[-1]
    assert undone.state == "succeeded", undone.message.text()
    assert "is back to the version kept on" in undone.message.text()
    qtbot.waitUntil(lambda: latest_copy(window) != second.result.safety_copy, timeout=WAIT_MS)
    assert not undo_button(second).isEnabled() and not undo_button(first).isEnabled()

    # The window's list is stale when another program undoes meanwhile: the engine refuses the stale button.
    third = restore(qtbot, window)
    qtbot.waitUntil(undo_button(third).isEnabled, timeout=WAIT_MS)
    undo_restore(demo_db, "bienestar", expected_copy=third.result.safety_copy)  # as the CLI would
    state, names = rows_fingerprint(demo_db, "bienestar"), schemas(demo_db)
    assert undo_button(third).isEnabled()  # the window has not looked again yet
    undo_button(third).click()
    wait_idle(qtbot, window)
    refused = window.jobs.panels[-1]
    assert refused.state == "failed"
    assert "Nothing was changed." in refused.message.text()
    assert rows_fingerprint(demo_db, "bienestar") == state and schemas(demo_db) == names
    window.refresh()
    wait_idle(qtbot, window)
    assert not undo_button(third).isEnabled()


def test_discarding_the_version_disables_its_undo(qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path) -> None:
    backup = tmp_path / "bienestar.resguardo"
    backup_tenant(demo_db, "bienestar", backup)
    window = open_window(qtbot, demo_db, ScriptedDialogs(open_file=backup, restore_answer=True))
    wait_listed(qtbot, window)
    panel = restore(qtbot, window)
    qtbot.waitUntil(undo_button(panel).isEnabled, timeout=WAIT_MS)

    run_job(qtbot, window, "discard_action", panel.result.safety_copy)
    assert window.jobs.panels[-1].state == "succeeded", window.jobs.panels[-1].message.text()
    qtbot.waitUntil(lambda: not window.model.safety_copies.get("bienestar"), timeout=WAIT_MS)
    assert not undo_button(panel).isEnabled()
    assert not window.undo_action.isEnabled()


def test_undo_is_off_while_another_job_of_the_clinic_runs(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    backup = tmp_path / "bienestar.resguardo"
    backup_tenant(demo_db, "bienestar", backup)
    dialogs = ScriptedDialogs(open_file=backup, restore_answer=True, save_to=tmp_path / "again.resguardo")
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    panel = restore(qtbot, window)
    qtbot.waitUntil(undo_button(panel).isEnabled, timeout=WAIT_MS)
    window.select("bienestar")
    window.backup_action.trigger()
    qtbot.waitUntil(lambda: window.jobs.panels[-1] is not panel, timeout=WAIT_MS)
    assert not undo_button(panel).isEnabled()  # busy clinic: no undo in the middle of its backup
    wait_idle(qtbot, window)
    qtbot.waitUntil(undo_button(panel).isEnabled, timeout=WAIT_MS)  # free again, and still its latest version

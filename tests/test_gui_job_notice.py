"""A job that ends while the window is minimised is told by the desktop (issue 21.5): a failure always, a success
after a long job, a cancel never; nothing is told while the user is looking at the window."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.engine.connection import ConnectionTarget
from app.ui.job_notice import worth_telling
from app.ui.job_panel import PanelState
from tests.support.gui import ScriptedDialogs, back_up, open_window, run_job, wait_listed

pytestmark = pytest.mark.gui


def told(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("Told the desktop")]


def test_the_rule_failures_always_long_successes_never_cancels() -> None:
    assert worth_telling(PanelState.FAILED, 0.1, seen=False)
    assert not worth_telling(PanelState.SUCCEEDED, 2.0, seen=False)
    assert worth_telling(PanelState.SUCCEEDED, 12.0, seen=False)
    assert not worth_telling(PanelState.CANCELLED, 60.0, seen=False)
    assert not worth_telling(PanelState.FAILED, 60.0, seen=True)


def test_a_job_ending_while_the_window_is_minimised_is_told_by_the_desktop(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    not_a_backup = tmp_path / "copia.resguardo"
    not_a_backup.write_bytes(b"not a backup" * 100)
    dialogs = ScriptedDialogs(save_to=tmp_path / "b.resguardo", open_file=not_a_backup)
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    window.activateWindow()

    quick = back_up(qtbot, window, "bienestar")  # a short success: not worth a notification
    assert quick.state == "succeeded" and told(caplog) == []

    window.showMinimized()
    qtbot.waitUntil(window.isMinimized)
    failed = run_job(qtbot, window, "verify_action")
    assert failed.state == "failed"
    (said,) = told(caplog)
    assert failed.title.full_text() in said and failed.summary.full_text() in said

    window.notices.long_seconds = 0.0  # as if the backup had taken minutes
    dialogs.save_to = tmp_path / "c.resguardo"
    long = back_up(qtbot, window, "mindcare")
    assert long.state == "succeeded" and len(told(caplog)) == 2

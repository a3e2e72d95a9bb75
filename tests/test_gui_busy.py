"""When an undo or a restore gives up because the web application kept the clinic busy, the window asks what to
do (issue 20): try again (the default), keep trying longer, or interrupt the application's work on the clinic;
the answer runs the job again so, and the result says whose work was interrupted."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest
from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.errors import Choice, RestoreFailed
from app.engine.restore.restore import restore_tenant
from app.engine.restore.swap import LockPolicy
from app.ui import busy_clinic
from app.ui.error_dialog import BusyAnswer, BusyClinicDialog
from tests.support.attacks import owner
from tests.support.gui import ScriptedDialogs, open_window, wait_idle, wait_listed

pytestmark = pytest.mark.gui


def test_the_busy_question_defaults_to_trying_again_and_interrupting_is_a_choice(qtbot: QtBot) -> None:
    error = RestoreFailed(
        "The undo gave up after 60 s and 200 attempts.", choices=(Choice.LONGER_LOCK_WAIT, Choice.INTERRUPT_APP)
    )
    dialog = BusyClinicDialog(None, error)
    qtbot.addWidget(dialog)
    texts = {b.text(): b for b in dialog.buttons.buttons() if isinstance(b, QPushButton)}
    assert (
        texts["Try again"].isDefault() and not texts["Interrupt the web application's work on this clinic"].isDefault()
    )
    assert "Keep trying longer" in texts
    texts["Interrupt the web application's work on this clinic"].click()
    assert dialog.answer is BusyAnswer.INTERRUPT


def test_an_undo_that_gave_up_runs_again_interrupting_the_application_when_asked(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = backup_tenant(demo_db, "bienestar", tmp_path / "b.resguardo").path
    restore_tenant(demo_db, "bienestar", archive)
    monkeypatch.setattr(busy_clinic, "LOCKS", LockPolicy(total_seconds=1))
    monkeypatch.setitem(
        busy_clinic.BUSY_POLICIES, BusyAnswer.INTERRUPT, LockPolicy(total_seconds=20, interrupt_after=0.3)
    )
    outcome: list[str] = []

    def report() -> None:  # a long report of the web application on the clinic's users
        try:
            with psycopg.connect(owner(demo_db).conninfo, application_name="clinic-report") as conn:
                conn.execute("SELECT pg_sleep(30) FROM bienestar.users_customuser LIMIT 1")
            outcome.append("finished")
        except psycopg.errors.QueryCanceled:
            outcome.append("cancelled")

    dialogs = ScriptedDialogs(busy_answers=[BusyAnswer.INTERRUPT])
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    running = threading.Thread(target=report, daemon=True)
    running.start()
    qtbot.wait(300)
    window.select("bienestar")
    window.undo_selected()
    qtbot.waitUntil(lambda: bool(outcome), timeout=30_000)
    wait_idle(qtbot, window)
    running.join(5)
    busy = [text for kind, text in dialogs.asked if kind == "busy"]
    assert len(busy) == 1 and "gave up" in busy[0]
    panel = window.jobs.panels[-1]
    assert panel.state == "succeeded", panel.message.text()
    assert "The web application's work on this clinic was interrupted: connection " in panel.message.text()
    assert "clinic-report" in panel.message.text() and outcome == ["cancelled"]

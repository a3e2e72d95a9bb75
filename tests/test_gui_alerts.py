"""The window warns about the schedules (issue 21.5): a failed run and a clinic whose newest backup is too old,
in the clinics' names, with Schedule backups… as the thing to do; a dismissed warning stays dismissed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.engine.connection import ConnectionTarget
from app.engine.routine.alerts import Alert
from app.engine.routine.records import ClinicRecord, RunRecord, write_record
from app.engine.routine.schedules import Schedule, ScheduleStore
from app.ui.schedule_alerts import alert_sentence
from tests.support.gui import ScriptedDialogs, installed, open_window, wait_listed

pytestmark = pytest.mark.gui
WAIT_MS = 15_000


def test_a_failed_scheduled_run_is_said_in_the_banner_until_dismissed(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    ScheduleStore().save(Schedule(name="noche", times=("02:00",), folder=str(tmp_path), profile="clinicas"))
    write_record(
        RunRecord(
            "noche",
            "2026-12-07T02:00:00Z",
            "2026-12-07T02:00:09Z",
            clinics=[ClinicRecord("bienestar", error="The tenant 'bienestar' is busy."), ClinicRecord("mindcare")],
        )
    )
    opened: list[str] = []
    window = open_window(qtbot, demo_db, ScriptedDialogs(save_to=tmp_path / "x.resguardo"))
    window.schedule_flow.start = lambda: opened.append("schedules")  # type: ignore[method-assign]
    wait_listed(qtbot, window)
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=WAIT_MS)
    assert window.banner.text.text() == "The scheduled backup “noche” did not back up Bienestar."
    assert window.banner.error is not None and "is busy" in window.banner.error.details
    window.banner.action.click()
    assert opened == ["schedules"] and not window.banner.isVisible()

    window.refresh()  # the same warning again after a refresh: shown again until dismissed
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=WAIT_MS)
    window.banner.close_button.click()
    window.refresh()
    wait_listed(qtbot, window)
    qtbot.wait(300)
    assert not window.banner.isVisible()


def test_the_warning_names_the_clinics_in_spanish() -> None:
    alerts = [Alert("noche", failed=("bienestar", "mindcare"), detail="x"), Alert("tarde", run_error="No password.")]
    names = {"bienestar": "Bienestar", "mindcare": "Mindcare"}
    with installed("es"):
        said = alert_sentence(alerts, names.__getitem__)
    assert said == (
        "La copia programada «noche» no hizo la copia de Bienestar y Mindcare. La copia programada «tarde» falló."
    )

"""What the window warns about (issue 21.5): a failed scheduled run, and a clinic whose newest backup is too old."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.routine.alerts import ALLOWED_AGE, Alert, schedule_alerts
from app.engine.routine.records import ClinicRecord, RunRecord, write_record
from app.engine.routine.schedules import Schedule


def _schedule(folder: Path, *clinics: str) -> Schedule:
    return Schedule(name="noche", times=("02:00",), folder=str(folder), profile="clinicas", clinics=clinics)


def test_a_schedule_that_never_ran_says_nothing(tmp_path: Path) -> None:
    assert schedule_alerts([_schedule(tmp_path)], datetime.now(UTC)) == []


def test_a_failed_run_names_its_clinics_and_why(tmp_path: Path) -> None:
    write_record(
        RunRecord(
            "noche",
            "2026-12-06T02:00:00Z",
            "2026-12-06T02:01:00Z",
            clinics=[
                ClinicRecord("mindcare", file=str(tmp_path / "m.resguardo"), verified=True),
                ClinicRecord("bienestar", error="The tenant 'bienestar' is busy."),
            ],
        )
    )
    (alert,) = schedule_alerts([_schedule(tmp_path)], datetime.now(UTC))
    assert alert == Alert("noche", failed=("bienestar",), detail="The tenant 'bienestar' is busy.")
    write_record(RunRecord("noche", "2026-12-07T02:00:00Z", "2026-12-07T02:00:01Z", error="No password."))
    (alert,) = schedule_alerts([_schedule(tmp_path)], datetime.now(UTC))  # the newest run is the one that counts
    assert (alert.failed, alert.run_error, alert.detail) == ((), "No password.", "No password.")


def test_a_clinic_whose_newest_backup_is_too_old_is_named(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    (folder / "bienestar").mkdir(parents=True)
    made = backup_tenant(demo_db, "bienestar", folder / "bienestar" / "b.resguardo")
    write_record(
        RunRecord("noche", "2026-12-07T02:00:00Z", "2026-12-07T02:00:05Z", clinics=[ClinicRecord("bienestar")])
    )
    now = datetime.now(UTC)
    assert schedule_alerts([_schedule(folder)], now) == []  # a backup of today: nothing to say
    later = now + ALLOWED_AGE + timedelta(minutes=5)  # no run since: the newest backup is now too old
    (alert,) = schedule_alerts([_schedule(folder)], later)
    ((schema, newest),) = alert.stale
    assert schema == "bienestar" and abs(newest - now) < timedelta(minutes=5) and not alert.failed
    assert schedule_alerts([_schedule(folder, "mindcare")], later) == []  # only the schedule's own clinics
    assert made.path.exists()

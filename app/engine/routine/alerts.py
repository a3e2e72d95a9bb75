"""What the window warns about (issue 21.5): a schedule whose last run failed, and a clinic whose newest backup in
a schedule's folder is older than a day plus a grace (a run that was missed, or that never reached it).

Read from what the runs leave (their records, app/engine/routine/records.py) and what their folders hold
(app/engine/routine/found.py, each file known by its manifest), never from the scheduler: a run the OS never
started leaves no record, only an old newest backup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from app.engine.errors import UsageError
from app.engine.routine.found import scan_folder
from app.engine.routine.records import last_record
from app.engine.routine.schedules import Schedule

# Schedules run every day: a clinic's newest backup may be a day old, plus this for a run that is slow, or a
# computer that starts a missed run late (systemd's Persistent=true, Task Scheduler's StartWhenAvailable).
GRACE = timedelta(hours=3)
ALLOWED_AGE = timedelta(days=1) + GRACE


@dataclass(frozen=True)
class Alert:
    schedule: str
    failed: tuple[str, ...] = ()  # clinics (schemas) the last run did not back up
    run_error: str = ""  # what stopped the last run as a whole
    detail: str = ""  # the first failure's sentence, as the run recorded it
    stale: tuple[tuple[str, datetime], ...] = ()  # (schema, its newest backup, UTC) older than ALLOWED_AGE


def schedule_alerts(schedules: Sequence[Schedule], now: datetime) -> list[Alert]:
    """One alert per schedule with something to say; `now` aware. A folder that cannot be read gives no stale
    clinics: the schedule's next run fails on it, and its record says why."""
    found: list[Alert] = []
    for schedule in schedules:
        record = last_record(schedule.name) or {}
        failed = tuple(
            str(c.get("schema", "")) for c in record.get("clinics", []) if isinstance(c, dict) and c.get("error")
        )
        errors = [str(c.get("error")) for c in record.get("clinics", []) if isinstance(c, dict) and c.get("error")]
        run_error = str(record.get("error") or "")
        stale = _stale(schedule, now) if record else ()  # a schedule that never ran has nothing old yet
        if failed or run_error or stale:
            found.append(Alert(schedule.name, failed, run_error, run_error or (errors[0] if errors else ""), stale))
    return found


def _stale(schedule: Schedule, now: datetime) -> tuple[tuple[str, datetime], ...]:
    try:
        folder = scan_folder(Path(schedule.folder))
    except UsageError:  # the folder is gone or unreadable: the run's own record says so
        return ()
    newest: dict[str, datetime] = {}
    for backup in folder.backups:
        if backup.created > newest.get(backup.schema, datetime.min.replace(tzinfo=backup.created.tzinfo)):
            newest[backup.schema] = backup.created
    wanted = schedule.clinics or tuple(newest)
    return tuple(
        (schema, newest[schema]) for schema in sorted(wanted) if schema in newest and now - newest[schema] > ALLOWED_AGE
    )

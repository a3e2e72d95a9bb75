"""Add and remove a schedule: its record in the schedules file and its entry in the OS's scheduler, together.

`resguardo schedule add|remove` and the window's "Schedule backups…" both call these, so a schedule made in
either is the same record and the same scheduler entry. The scheduler's commands go through `runner`
(app/engine/routine/install.py), which tests replace; `activate=False` only writes the files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.engine.errors import UsageError
from app.engine.routine.install import Installed, Runner, install, run_os_command, uninstall
from app.engine.routine.schedules import Schedule, ScheduleStore


@dataclass(frozen=True)
class Added:
    schedule: Schedule
    installed: Installed
    replaced: Schedule | None  # the schedule of that name it replaced, if any


def add_schedule(
    schedule: Schedule,
    *,
    store: ScheduleStore | None = None,
    runner: Runner = run_os_command,
    activate: bool = True,
) -> Added:
    """Install `schedule` in its scheduler (`schedule.scheduler`) and save it; one of the same name is replaced
    (its old entry taken out first). When the scheduler refuses, nothing is saved and no entry is left."""
    if not schedule.scheduler:
        raise UsageError(f"The schedule {schedule.name!r} names no scheduler to install it in.")
    if not Path(schedule.folder).is_dir():
        raise UsageError(f"The folder {schedule.folder} does not exist; create it first.")
    store = store or ScheduleStore()
    old = next((s for s in store.all() if s.name == schedule.name), None)
    if old is not None and old.scheduler:
        uninstall(old.name, old.scheduler, runner=runner, activate=activate)
    done = install(schedule, schedule.scheduler, runner=runner, activate=activate)
    store.save(schedule)
    return Added(schedule, done, old)


def remove_schedule(
    name: str,
    *,
    store: ScheduleStore | None = None,
    runner: Runner = run_os_command,
    activate: bool = True,
) -> tuple[Schedule, list[Path]]:
    """Take the schedule `name` out of its scheduler and forget it; its backups and run records stay."""
    store = store or ScheduleStore()
    schedule = store.get(name)
    removed = uninstall(schedule.name, schedule.scheduler, runner=runner, activate=activate)
    store.delete(schedule.name)
    return schedule, removed

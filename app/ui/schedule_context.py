"""Schedule backups…: what the schedules' dialog works with, and the engine calls it makes on a worker.

The dialog adds and removes schedules with the same engine functions as `resguardo schedule add|remove`
(app/engine/routine/manage.py), so a schedule made in the window is the same record and the same entry in
the OS's scheduler as one made on the command line. Reading the schedules and the profiles, and adding or
removing one, touch the disk and the OS's scheduler: each is a call on the window's worker pool.
Tests replace `runner` (the scheduler's own commands) and `scheduler`, never installing a real timer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.engine.errors import UsageError
from app.engine.routine.install import Runner, detect_scheduler, run_os_command
from app.engine.routine.keep import KeepRules
from app.engine.routine.manage import Added, add_schedule, remove_schedule
from app.engine.routine.password import unattended_password
from app.engine.routine.records import last_record
from app.engine.routine.schedules import Schedule, ScheduleStore
from app.engine.stores.profiles import ProfileStore
from app.engine.stores.secrets import SecretStore
from app.ui.job_runner import BackgroundPool


@dataclass(frozen=True)
class Listed:
    """The saved schedules with their last run record (or None), and the saved profiles' names."""

    schedules: list[tuple[Schedule, dict[str, Any] | None]]
    profiles: list[str]


@dataclass(frozen=True)
class Request:
    """A schedule as the dialog filled it in (checked by the engine's `Schedule` on the worker)."""

    name: str
    times: tuple[str, ...]
    folder: Path
    profile: str
    clinics: tuple[str, ...]
    keep: dict[str, int]
    format: str
    restore_test: str = ""  # a weekday of WEEKDAYS, or "": never
    ping_url: str = ""


@dataclass
class ScheduleContext:
    pool: BackgroundPool
    clinics: list[tuple[str, str]]  # (internal name, name as the window shows it) of the connected database
    folder: Path  # proposed for a new schedule
    profile: str | None  # the window's profile, proposed first
    store: ScheduleStore = field(default_factory=ScheduleStore)
    profiles: ProfileStore = field(default_factory=ProfileStore)
    secrets: SecretStore = field(default_factory=SecretStore)
    runner: Runner = run_os_command
    scheduler: str = ""  # "": this computer's own (detect_scheduler)
    activate: bool = True

    # -- on a worker ------------------------------------------------------------------------------------

    def read(self) -> Listed:
        schedules = [(s, last_record(s.name)) for s in self.store.all()]
        return Listed(schedules, [p.name for p in self.profiles.all()])

    def add(self, request: Request) -> tuple[Added, str]:
        """Save and install the schedule; what the engine did, and where an unattended run's password comes from."""
        profile = self.profiles.get(request.profile)
        schedule = Schedule(
            name=request.name,
            times=request.times,
            folder=str(request.folder.absolute()),
            profile=profile.name,
            clinics=request.clinics,
            keep=KeepRules(**request.keep),
            format=request.format,
            ping_url=request.ping_url,
            restore_test=request.restore_test,
            scheduler=self.scheduler or detect_scheduler(),
        )
        try:
            request.folder.mkdir(mode=0o700, exist_ok=True)  # the folder chosen; never its missing parents
        except FileNotFoundError:
            raise UsageError(f"The folder {request.folder.parent} does not exist; choose a folder that does.") from None
        except OSError as exc:
            raise UsageError(f"The folder {request.folder} cannot be created: {exc.strerror or exc}.") from None
        added = add_schedule(schedule, store=self.store, runner=self.runner, activate=self.activate)
        return added, unattended_password(profile, self.secrets).said

    def remove(self, name: str) -> Schedule:
        schedule, _removed = remove_schedule(name, store=self.store, runner=self.runner, activate=self.activate)
        return schedule

"""Saved schedules: a JSON file in the user config dir (what to back up, when, where, how long to keep).

The OS's scheduler holds only "run `resguardo schedule run NAME` at these times"; everything else is read
from here at each run, so changing a schedule's folder or rules needs no reinstall.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from app import paths
from app.engine.errors import UsageError
from app.engine.routine.keep import KeepRules
from app.engine.stores.files import write_atomically

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")  # goes into unit, task and agent names
_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # datetime.weekday()'s order


@dataclass(frozen=True)
class Schedule:
    name: str
    times: tuple[str, ...]  # "HH:MM", local time of day
    folder: str  # each clinic's backups go in FOLDER/<schema>/
    profile: str
    clinics: tuple[str, ...] = ()  # empty: every clinic
    keep: KeepRules = field(default_factory=KeepRules)
    format: str = "native"
    ping_url: str = ""
    scheduler: str = ""  # the OS scheduler it was installed in (app/engine/routine/install.py), for `remove`
    restore_test: str = ""  # a weekday (WEEKDAYS): that day's run also restore-tests each new backup; "": never

    def __post_init__(self) -> None:
        check_name(self.name)
        if not self.times:
            raise UsageError("Give at least one time of day (--at HH:MM).")
        for t in self.times:
            if not _TIME.fullmatch(t):
                raise UsageError(f"{t!r} is not a time of day; write it as HH:MM, 00:00 to 23:59.")
        if not Path(self.folder).is_absolute():
            raise UsageError(
                f"The folder {self.folder!r} must be an absolute path (the scheduler has no current folder)."
            )
        if self.restore_test and self.restore_test not in WEEKDAYS:
            raise UsageError(f"{self.restore_test!r} is not a day of the week; use one of {', '.join(WEEKDAYS)}.")
        if self.ping_url and not re.match(r"https?://", self.ping_url):
            raise UsageError(f"The ping URL {self.ping_url!r} must start with http:// or https://.")

    def hours_minutes(self) -> list[tuple[int, int]]:
        return sorted((int(t[:2]), int(t[3:])) for t in set(self.times))

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["times"], data["clinics"], data["keep"] = list(self.times), list(self.clinics), self.keep.as_dict()
        return data

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Schedule:
        return cls(
            name=str(raw["name"]),
            times=tuple(raw["times"]),
            folder=str(raw["folder"]),
            profile=str(raw["profile"]),
            clinics=tuple(raw.get("clinics", ())),
            keep=KeepRules(**raw.get("keep", {})),
            format=str(raw.get("format", "native")),
            ping_url=str(raw.get("ping_url", "")),
            scheduler=str(raw.get("scheduler", "")),
            restore_test=str(raw.get("restore_test", "")),
        )


def check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise UsageError(
            f"{name!r} is not a schedule name: use 1 to 40 letters, digits, - or _, starting with a letter or digit."
        )


class ScheduleStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.config_dir() / "schedules.json"

    def all(self) -> list[Schedule]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise UsageError(f"The schedules file {self.path} cannot be read: {exc}") from None
        try:
            return [Schedule.from_dict(raw) for raw in data["schedules"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(f"The schedules file {self.path} is damaged: {exc}") from None

    def get(self, name: str) -> Schedule:
        for schedule in self.all():
            if schedule.name == name:
                return schedule
        raise UsageError(f"There is no schedule named {name!r} (see `resguardo schedule list`).")

    def save(self, schedule: Schedule) -> None:
        kept = [s for s in self.all() if s.name != schedule.name]
        self._write([*kept, schedule])

    def delete(self, name: str) -> None:
        self._write([s for s in self.all() if s.name != name])

    def _write(self, schedules: list[Schedule]) -> None:
        data = {"schedules": [s.as_dict() for s in schedules]}
        write_atomically(self.path, json.dumps(data, indent=2, ensure_ascii=False).encode())

"""Every scheduled run leaves a record: a JSON file per run in the state folder, written atomically.

`runs/<schedule>/<UTC start>.json`: start, end, where the password came from, per clinic its file, size,
seconds and whether it verifies (or the error sentence), what the keep rules removed, and the run's own
error when it stopped before any clinic. The newest `KEEP_RECORDS` per schedule are kept.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from app import paths
from app.engine.stores.files import write_atomically

log = logging.getLogger(__name__)

KEEP_RECORDS = 100


@dataclass
class ClinicRecord:
    schema: str
    file: str = ""
    size_bytes: int = 0
    seconds: float = 0.0
    verified: bool = False
    error: str = ""  # the sentence, when this clinic has no good backup from this run
    restore_test: str = ""  # "passed", when the schedule's restore-test day tested the new backup ("" not tested)


@dataclass
class RunRecord:
    schedule: str
    started_utc: str
    ended_utc: str = ""
    password: str = ""  # where it came from (a sentence; never the password)
    clinics: list[ClinicRecord] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # files the keep rules removed
    error: str = ""  # what stopped the run as a whole
    ping: str = ""  # what calling the ping URL gave

    @property
    def failed(self) -> bool:
        return bool(self.error) or any(c.error for c in self.clinics)

    def summary(self) -> str:
        good = sum(1 for c in self.clinics if not c.error)
        text = f"Schedule {self.schedule!r}: {good} of {len(self.clinics)} clinics backed up and verified"
        failed = [c.schema for c in self.clinics if c.error]
        if failed:
            text += f"; failed: {', '.join(repr(s) for s in failed)}"
        if self.error:
            text += f"; the run failed: {self.error}"
        return text + "."

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "failed": self.failed}


def runs_dir(schedule: str) -> Path:
    return paths.state_dir() / "runs" / schedule


def write_record(record: RunRecord) -> Path:
    stamp = record.started_utc.replace(":", "").replace("-", "")
    folder = runs_dir(record.schedule)
    path = folder / f"{stamp}.json"
    write_atomically(path, json.dumps(record.as_dict(), indent=2, ensure_ascii=False).encode())
    for old in sorted(folder.glob("*.json"))[:-KEEP_RECORDS]:
        old.unlink(missing_ok=True)
    return path


def last_record(schedule: str) -> dict[str, Any] | None:
    """The newest run's record as written, or None when there is none (or it cannot be read)."""
    records = sorted(runs_dir(schedule).glob("*.json"))
    if not records:
        return None
    try:
        data = json.loads(records[-1].read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("Cannot read the run record %s: %s", records[-1], exc)
        return None
    return data if isinstance(data, dict) else None

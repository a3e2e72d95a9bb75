"""Every backup of each clinic in the folders a profile backs up into (issue 21.3): what the window's Backups view
lists and its "Last backup" column reads, from one scan on a worker.

The folders are the schedules' (each clinic in FOLDER/<clinic>/), the ones the window backed up into and any the
user added. A native archive says its clinic and time in its manifest (app/engine/routine/found.py, bounded and
checked). An encrypted file (`.age`) and a pg_dump file do not say them where Resguardo can read without a key or
a database: they are given to a clinic by their place and name only (FOLDER/<clinic>/, `<clinic>_<UTC time>.…`,
app/engine/backup/destination.py) and dated by the file's modification time, marked as such. A file that names
no known clinic is left out. Which backups a schedule made comes from its runs' records
(app/engine/routine/records.py), and from its folder's layout for runs whose records are gone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app.engine.backup.destination import ARCHIVE_SUFFIX, safe_name
from app.engine.errors import UsageError
from app.engine.routine.alerts import ALLOWED_AGE
from app.engine.routine.found import FUTURE_SLACK, FoundBackup, backup_files, read_backup
from app.engine.routine.records import runs_dir
from app.engine.routine.schedules import Schedule
from app.engine.routine.verified import VerifiedStore, read_restore_test

if TYPE_CHECKING:
    from app.engine.rehearsal.rehearsal import RehearsalResult

_STAMPED = re.compile(r"_\d{4}-\d{2}-\d{2}_\d{6}Z(_\d+)?\.")  # after the clinic's safe name in a backup's file name
_INNER_KINDS = {ARCHIVE_SUFFIX: "native", ".dump": "custom", ".sql": "sql"}
# Manifests already read, by (path, size, modification time): the scan runs after every listing, and a folder of
# backups changes by a file a night. Cleared when full; read and written by worker threads (dict operations).
_MANIFESTS: dict[tuple[str, int, int], FoundBackup | None] = {}
MAX_CACHED = 50_000


@dataclass(frozen=True)
class ClinicBackup:
    path: Path
    schema: str
    kind: str  # "native", "custom" (pg_dump's), "sql"; of an encrypted file, what its name says it holds ("" unknown)
    encrypted: bool
    created: datetime  # aware, UTC: the manifest's, or the file's modification time when `dated_by_file`
    dated_by_file: bool
    size_bytes: int
    verified: bool  # read in full and found whole (verified.py), or restore-tested and passed
    restore_test: str  # "passed", "failed", or "" (never tested)
    schedule: str  # the schedule that made it; "" by hand (or Back up all clinics…)
    checksum: str | None = None  # a native archive's manifest checksum

    @property
    def created_iso(self) -> str:
        return self.created.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Catalogue:
    backups: dict[str, list[ClinicBackup]]  # schema -> its backups, newest first
    overdue: dict[str, str]  # schema -> the schedule whose daily backup of it is missing (alerts.py's rule)
    folders: list[Path]  # looked in, in the order given
    unread: dict[Path, str] = field(default_factory=dict)  # folders that could not be read, and why

    def newest(self, schema: str) -> ClinicBackup | None:
        found = self.backups.get(schema)
        return found[0] if found else None


def find_clinic_backups(
    folders: Iterable[Path],
    clinics: Sequence[str],
    schedules: Sequence[Schedule],
    now: datetime,
    store: VerifiedStore | None = None,
) -> Catalogue:
    """Every backup of `clinics` (schemas) in `folders` and the `schedules`' folders, newest first; `now` aware.
    A folder that is missing is skipped; one that cannot be read is named in `unread`."""
    verified = (store or VerifiedStore()).checker()
    roots = _unique([*(Path(s.folder) for s in schedules), *map(Path, folders)])
    by_safe = {safe_name(schema): schema for schema in clinics}
    made_by = _scheduled_files(schedules)
    latest = now + FUTURE_SLACK
    seen: set[Path] = set()
    backups: dict[str, list[ClinicBackup]] = {}
    unread: dict[Path, str] = {}
    for root in roots:
        if not root.is_dir():
            continue
        try:
            files = backup_files(root)
        except (UsageError, OSError) as exc:
            unread[root] = str(exc)
            continue
        for path, kind in files:
            resolved = path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            backup = _backup(path, kind, by_safe, clinics, verified)
            if backup is None or backup.created > latest:  # a file dated ahead is never "the newest" (found.py)
                continue
            schedule = made_by.get(resolved) or _by_layout(path, backup.schema, schedules)
            backups.setdefault(backup.schema, []).append(replace(backup, schedule=schedule))
    for found in backups.values():
        found.sort(key=lambda b: (b.created, b.path.name), reverse=True)
    catalogue = Catalogue(backups, {}, roots, unread)
    return Catalogue(backups, overdue(catalogue, clinics, schedules, now), roots, unread)


def overdue(
    catalogue: Catalogue, clinics: Sequence[str], schedules: Sequence[Schedule], now: datetime
) -> dict[str, str]:
    """The clinics a schedule backs up whose newest backup is older than a day plus the grace (alerts.py), or that
    have none; only schedules that have run (a new schedule has nothing old yet)."""
    late: dict[str, str] = {}
    for schedule in schedules:
        if not any(runs_dir(schedule.name).glob("*.json")):
            continue
        for schema in schedule.clinics or clinics:
            newest = catalogue.newest(schema)
            if schema in clinics and schema not in late and (newest is None or now - newest.created > ALLOWED_AGE):
                late[schema] = schedule.name
    return late


def record_verified(path: Path, store: VerifiedStore | None = None) -> None:
    """`path` was just read in full and found whole: record it, so the Backups view says so. A native archive by
    its manifest's checksum (as prune and the scheduled runs record it); any other file by its size and time."""
    store = store or VerifiedStore()
    found = read_backup(path)
    store.record(found if isinstance(found, FoundBackup) else _file_identity(path, ""))


def rehearsal_outcome(result: RehearsalResult, server: str) -> dict[str, object]:
    """A restore test's result as its record beside the file holds it (app/engine/routine/verified.py)."""
    return {
        "ok": result.ok,
        "server": server,
        "tenant": result.tenant,
        "source_schema": result.source_schema,
        "kind": result.kind,
        "seconds": round(result.seconds, 3),
        "rows": result.rows,
        "tables": [
            {"name": t.name, "rows": t.rows, "expected_rows": t.expected_rows, "checksum_ok": t.checksum_ok}
            for t in result.tables
        ],
    }


# -- one file ------------------------------------------------------------------------------------------------------


def _backup(
    path: Path, kind: str, by_safe: dict[str, str], clinics: Sequence[str], is_verified: Callable[[FoundBackup], bool]
) -> ClinicBackup | None:
    if kind == "native":
        found = _manifest(path)
        if found is None or found.schema not in clinics:
            return None  # damaged, or another clinic's
        tested = _restore_test(path)
        verified = is_verified(found) or tested == "passed"
        return ClinicBackup(
            path, found.schema, "native", False, found.created, False, found.size_bytes, verified, tested, "",
            found.checksum,
        )  # fmt: skip
    schema = _named_clinic(path, by_safe)
    if schema is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    if kind == "encrypted":
        inner = _INNER_KINDS.get(Path(path.name.removesuffix(".age")).suffix, "")
    else:
        inner = "custom" if _starts_with(path, b"PGDMP") else "sql"
    tested = _restore_test(path)
    verified = is_verified(_file_identity(path, schema)) or tested == "passed"
    created = datetime.fromtimestamp(stat.st_mtime, UTC)
    return ClinicBackup(
        path, schema, inner, kind == "encrypted", created, True, stat.st_size, verified, tested, ""
    )  # fmt: skip


def _manifest(path: Path) -> FoundBackup | None:
    """A native archive's clinic and time (found.read_backup), or None when they cannot be read; each file read
    once while it stays the same size and age."""
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key in _MANIFESTS:
        return _MANIFESTS[key]
    found = read_backup(path)
    if len(_MANIFESTS) >= MAX_CACHED:
        _MANIFESTS.clear()
    _MANIFESTS[key] = found if isinstance(found, FoundBackup) else None
    return _MANIFESTS[key]


def _named_clinic(path: Path, by_safe: dict[str, str]) -> str | None:
    """The clinic a file's place or name gives: FOLDER/<clinic>/…, or `<clinic>_<UTC time>.…`."""
    if path.parent.name in by_safe:
        return by_safe[path.parent.name]
    for safe, schema in by_safe.items():
        if path.name.startswith(safe) and _STAMPED.match(path.name, len(safe)):
            return schema
    return None


def _file_identity(path: Path, schema: str) -> FoundBackup:
    """A file that is not a native archive, as the verified store knows it: its size and modification time stand
    for the manifest's checksum (another file put in its place differs in one of them)."""
    stat = path.stat()
    created = datetime.fromtimestamp(stat.st_mtime, UTC)
    return FoundBackup(path, "", schema, created, stat.st_size, f"file:{stat.st_size}:{stat.st_mtime_ns}")


def _restore_test(path: Path) -> str:
    try:
        entry = read_restore_test(path)
    except OSError:
        return ""
    outcome = entry.get("restore_test") if entry else None
    if not isinstance(outcome, dict):
        return ""
    return "passed" if outcome.get("ok") is True else "failed"


def _starts_with(path: Path, magic: bytes) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(magic)) == magic
    except OSError:
        return False


# -- which schedule made it ----------------------------------------------------------------------------------------


def _scheduled_files(schedules: Sequence[Schedule]) -> dict[Path, str]:
    """Every file the schedules' kept run records name (at most KEEP_RECORDS small files per schedule)."""
    files: dict[Path, str] = {}
    for schedule in schedules:
        for record in sorted(runs_dir(schedule.name).glob("*.json")):
            try:
                data = json.loads(record.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            clinics = data.get("clinics") if isinstance(data, dict) else None
            for clinic in clinics if isinstance(clinics, list) else []:
                if isinstance(clinic, dict) and isinstance(clinic.get("file"), str) and clinic["file"]:
                    files[Path(clinic["file"]).resolve()] = schedule.name
    return files


def _by_layout(path: Path, schema: str, schedules: Sequence[Schedule]) -> str:
    """A schedule writes each clinic into FOLDER/<clinic>/: a file there was made by it (its record may be gone)."""
    for schedule in schedules:
        if (schedule.clinics and schema not in schedule.clinics) or path.parent.name != safe_name(schema):
            continue
        if path.parent.parent.resolve() == Path(schedule.folder).resolve():
            return schedule.name
    return ""


def _unique(folders: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for folder in folders:
        if folder not in out:
            out.append(folder)
    return out

"""Back up every clinic (or a chosen few) into one folder: `DIR/<clinic>/<clinic>_<UTC time>.<ext>`.

The tenants list is read once, in one transaction, for all clinics; each clinic is then its own backup
(app/engine/backup/backup.py `Backup`: its own transaction, snapshot and tenant lock), `jobs` at a
time on threads; a native backup runs in its worker's session, kept from one clinic to the next. Each backup
reads its own clinic's catalog (through the oid index: docs/routine.md), and takes the tenants table found here
(locked and checked again in its own snapshot) instead of detecting it again, which scans the whole pg_class.
A failure is retried once, after the others; a clinic whose tenant lock another job holds is not waited for:
it is tried again at the end, then reported busy. Nothing one clinic does stops the others; only cancel does.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg

from app.engine.backup.backup import BACKUP_FORMATS, Backup
from app.engine.backup.destination import safe_name
from app.engine.backup.result import BackupResult
from app.engine.catalog.discovery import TenantInfo, TenantKind, list_tenants
from app.engine.catalog.tenants_table import TenantsTable
from app.engine.connection import ConnectionTarget
from app.engine.encryption.recipients import parse_recipients
from app.engine.errors import (
    ArchiveError,
    Cancelled,
    ConnectionFailed,
    PreflightError,
    ResguardoError,
    TenantBusy,
    UsageError,
)
from app.engine.jobs import CancelToken, Progress, ProgressCallback, ignore_progress
from app.formatting import human_size

MAX_JOBS = 16  # each job holds two connections; more would crowd the server's connection slots
_CLINIC_KINDS = (TenantKind.TENANT, TenantKind.SCHEMA)  # never public, orphans, staging schemas, safety copies


class ClinicStatus(enum.StrEnum):
    BACKED_UP = "backed up"
    FAILED = "failed"
    BUSY = "busy"  # another backup or restore of it held its lock, at the first try and at the retry


class FailureKind(enum.StrEnum):
    """Why a clinic has no file, by kind, so that a front end can say it in its own words (the sentence says it
    exactly, in English)."""

    NONE = ""  # backed up
    CONNECTION = "connection"  # the server could not be reached, refused the login, or the connection was lost
    BUSY = "busy"  # another backup or restore of it held its lock
    REFUSED = "refused"  # the clinic cannot be backed up as it is (an object the format cannot carry, privileges)
    CANNOT_WRITE = "cannot write"  # the file could not be written (disk full, no permission)
    NOT_A_CLINIC = "not a clinic"  # a chosen name that is no clinic of the database
    FAILED = "failed"  # anything else (the server or pg_dump failed)


def failure_kind(exc: BaseException) -> FailureKind:
    if isinstance(exc, ConnectionFailed):
        return FailureKind.CONNECTION
    if isinstance(exc, TenantBusy):
        return FailureKind.BUSY
    if isinstance(exc, (PreflightError, UsageError)):
        return FailureKind.REFUSED
    if isinstance(exc, (ArchiveError, OSError)):  # a backup's ArchiveError is its file not written
        return FailureKind.CANNOT_WRITE
    return FailureKind.FAILED


@dataclass(frozen=True)
class ClinicOutcome:
    """One clinic's result: its file, or the sentence that says why there is none."""

    schema: str
    status: ClinicStatus
    path: Path | None
    size_bytes: int
    seconds: float  # of the last attempt
    attempts: int
    format: str = ""  # the format written ("native", "custom", "sql")
    error: str = ""  # the engine's sentence, when not backed up
    note: str = ""  # why `auto` wrote the format it wrote
    kind: FailureKind = FailureKind.NONE  # the error's kind, when not backed up

    @property
    def ok(self) -> bool:
        return self.status is ClinicStatus.BACKED_UP


@dataclass(frozen=True)
class ManyResult:
    clinics: tuple[ClinicOutcome, ...]  # in the order of the tenants list
    seconds: float

    @property
    def ok(self) -> bool:
        """Every clinic backed up (what makes the command's exit status 0)."""
        return all(c.ok for c in self.clinics)

    @property
    def not_backed_up(self) -> tuple[ClinicOutcome, ...]:
        return tuple(c for c in self.clinics if not c.ok)

    def summary(self) -> str:
        """One sentence for the end of a run."""
        done = sum(1 for c in self.clinics if c.ok)
        size = sum(c.size_bytes for c in self.clinics)
        text = f"{done} of {len(self.clinics)} clinics backed up ({human_size(size)}) in {self.seconds:.1f} s"
        for status in (ClinicStatus.FAILED, ClinicStatus.BUSY):
            names = [c.schema for c in self.clinics if c.status is status]
            if names:
                text += f"; {status.value}: {', '.join(repr(n) for n in names)}"
        return text + "."


def backup_all(
    target: ConnectionTarget,
    out_dir: Path,
    *,
    schemas: Sequence[str] | None = None,
    jobs: int = 2,
    fmt: str = "native",
    tenants_table: str | None = None,
    progress: ProgressCallback = ignore_progress,
    on_clinic: Callable[[ClinicOutcome], None] = lambda _: None,
    on_start: Callable[[str, int], None] = lambda _schema, _attempt: None,
    cancel: CancelToken | None = None,
    encrypt_to: Sequence[str] = (),
    verify_plain: bool = False,
) -> ManyResult:
    """Back up every clinic of the database (or `schemas`) into `out_dir`, which must exist.

    `on_clinic` is called (from a worker thread, one call at a time) as each clinic's final outcome is known, and
    `on_start` (schema, attempt) as each attempt starts (from the worker thread that makes it);
    `progress` moves by the clinics' sizes. Raises only for what stops the whole run (bad arguments, the
    tenants list cannot be read, cancel); a clinic's failure is in its outcome. `encrypt_to`: each file is an age
    file encrypted to these public keys, checked first in full when `verify_plain` (app/engine/backup/backup.py)."""
    started = time.monotonic()
    cancel = cancel or CancelToken()
    if fmt not in BACKUP_FORMATS:
        raise UsageError(f"Unknown backup format {fmt!r}; use one of {', '.join(BACKUP_FORMATS)}.")
    if not 1 <= jobs <= MAX_JOBS:
        raise UsageError(f"--jobs must be between 1 and {MAX_JOBS} (clinics backed up at a time); {jobs} was given.")
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise UsageError(
            f"The folder {out_dir} does not exist; create it first (Resguardo does not create it, so that a "
            "mistyped folder or a share that is not mounted fails here)."
        )
    progress(Progress(0.0, "Reading the list of clinics"))
    with target.connect() as conn:
        listing = list_tenants(conn, tenants_table)
        conn.rollback()
    clinics, unknown = _chosen(listing.tenants, schemas)
    if encrypt_to:
        parse_recipients(encrypt_to)  # a wrong key is refused before any clinic is backed up
    run = _Run(target, out_dir, fmt, listing.tenants_table, clinics, progress, on_clinic, cancel)
    run.encrypt_to, run.verify_plain = list(encrypt_to), verify_plain
    run.on_start = on_start
    run.keep_sessions = not encrypt_to and fmt == "native"
    for schema in unknown:
        run.report(_not_a_clinic(schema))
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="backup-all") as pool:
        try:
            first = list(pool.map(lambda c: run.attempt(c, 1), clinics))
            again = [c for c, outcome in zip(clinics, first, strict=True) if outcome is None]
            list(pool.map(lambda c: run.attempt(c, 2), again))
        except BaseException:  # Ctrl-C in the CLI: the queued clinics must not run while the pool shuts down
            cancel.cancel()
            raise
        finally:
            pool.shutdown(wait=True)
            run.close_sessions()
    if cancel.cancelled:
        kept = sum(1 for c in run.outcomes.values() if c.ok)
        raise Cancelled(f"Cancelled; the {kept} clinics backed up before are kept, each file complete.")
    order = [*unknown, *(c.schema for c in clinics)]
    progress(Progress(1.0, "Backups complete"))
    return ManyResult(tuple(run.outcomes[s] for s in order), time.monotonic() - started)


def _chosen(tenants: list[TenantInfo], schemas: Sequence[str] | None) -> tuple[list[TenantInfo], list[str]]:
    """The clinics to back up, in the list's order, and the chosen names that are not a clinic."""
    clinics = [t for t in tenants if t.kind in _CLINIC_KINDS]
    if schemas is None:
        return clinics, []
    wanted = set(schemas)
    found = [t for t in clinics if t.schema in wanted]
    named = {t.schema for t in found}
    return found, [s for s in dict.fromkeys(schemas) if s not in named]


def _not_a_clinic(schema: str) -> ClinicOutcome:
    return ClinicOutcome(
        schema,
        ClinicStatus.FAILED,
        None,
        0,
        0.0,
        0,
        error=f"{schema!r} is not a clinic of this database.",
        kind=FailureKind.NOT_A_CLINIC,
    )


class _Run:
    """The shared state of one run: outcomes, and the progress of the clinics under way."""

    def __init__(
        self,
        target: ConnectionTarget,
        out_dir: Path,
        fmt: str,
        tenants_table: TenantsTable | None,
        clinics: list[TenantInfo],
        progress: ProgressCallback,
        on_clinic: Callable[[ClinicOutcome], None],
        cancel: CancelToken,
    ) -> None:
        self.target, self.out_dir, self.fmt, self.tenants_table = target, out_dir, fmt, tenants_table
        self.encrypt_to: list[str] = []  # each file an age file encrypted to these keys
        self.verify_plain = False
        self.progress, self.on_clinic, self.cancel = progress, on_clinic, cancel
        self.weight = {c.schema: float(max(c.size_bytes, 8192)) for c in clinics}
        self.total = sum(self.weight.values()) or 1.0
        self.done: dict[str, float] = dict.fromkeys(self.weight, 0.0)
        self.done_sum = 0.0
        self.outcomes: dict[str, ClinicOutcome] = {}
        self.lock = threading.Lock()
        self.on_start: Callable[[str, int], None] = lambda _schema, _attempt: None
        # A native backup runs in its worker's own session, kept from one clinic to the next: a new session reads
        # the catalog's caches afresh (a quarter of a small clinic's time). Each backup is still its own
        # transaction, snapshot and tenant lock, and leaves the session idle; one that fails closes it.
        self.keep_sessions = False
        self.sessions = threading.local()
        self.opened: list[psycopg.Connection] = []

    def report(self, outcome: ClinicOutcome) -> None:
        with self.lock:
            self.outcomes[outcome.schema] = outcome
            self.on_clinic(outcome)

    def attempt(self, clinic: TenantInfo, attempt: int) -> ClinicOutcome | None:
        """Back up one clinic; its outcome (also reported), or None when it is to be tried again."""
        schema = clinic.schema
        if self.cancel.cancelled:
            return None
        started = time.monotonic()
        folder = self.out_dir / safe_name(schema)
        self.on_start(schema, attempt)
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            result = self._write(schema, folder)
        except Cancelled:
            _remove_if_empty(folder)
            return None
        except (ResguardoError, OSError) as exc:
            message = exc.message if isinstance(exc, ResguardoError) else _os_error(exc)
            if self.cancel.cancelled:
                _remove_if_empty(folder)
                return None
            if attempt == 1 and not isinstance(exc, UsageError):
                self._moved(schema, 0.0)
                return None
            _remove_if_empty(folder)  # a first backup that failed leaves no empty folder; older backups stay
            status = ClinicStatus.BUSY if isinstance(exc, TenantBusy) else ClinicStatus.FAILED
            seconds = time.monotonic() - started
            outcome = ClinicOutcome(schema, status, None, 0, seconds, attempt, error=message, kind=failure_kind(exc))
        else:
            outcome = ClinicOutcome(
                schema,
                ClinicStatus.BACKED_UP,
                Path(result.path),
                result.size_bytes,
                result.seconds,
                attempt,
                format=result.format,
                note=result.note,
            )
        self._moved(schema, 1.0)
        self.report(outcome)
        return outcome

    def _write(self, schema: str, folder: Path) -> BackupResult:
        session = self._session()
        try:
            result = Backup(
                self.target,
                schema,
                folder,
                fmt=self.fmt,
                encrypt_to=self.encrypt_to,
                verify_plain=self.verify_plain,
                progress=lambda p: self._moved(schema, p.fraction),
                cancel=self.cancel,
                tenants_table=self.tenants_table,
                session=session,
            ).run()
        except BaseException:
            self._drop(session)
            raise
        if session is not None and session.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            self._drop(session)  # never kept inside a transaction (a backup leaves it idle)
        return result

    def _drop(self, session: psycopg.Connection | None) -> None:
        if session is not None:
            self.sessions.conn = None
            session.close()

    def _session(self) -> psycopg.Connection | None:
        """This worker's kept session (opened on first use), or None when each backup opens its own."""
        if not self.keep_sessions:
            return None
        conn: psycopg.Connection | None = getattr(self.sessions, "conn", None)
        if conn is None or conn.closed or conn.broken:
            conn = self.target.connect()
            self.sessions.conn = conn
            with self.lock:
                self.opened.append(conn)
        return conn

    def close_sessions(self) -> None:
        with self.lock:
            opened, self.opened = self.opened, []
        for conn in opened:
            conn.close()

    def _moved(self, schema: str, fraction: float) -> None:
        with self.lock:
            now = self.weight[schema] * min(max(fraction, 0.0), 1.0)
            self.done_sum += now - self.done[schema]
            self.done[schema] = now
            overall = self.done_sum / self.total
            finished = len(self.outcomes)
        self.progress(Progress(min(overall, 0.999), "Backing up clinics", f"{finished}/{len(self.weight)}"))


def _remove_if_empty(folder: Path) -> None:
    with suppress(OSError):  # rmdir removes only an empty folder: older backups stay, and so does their folder
        folder.rmdir()


def _os_error(exc: OSError) -> str:
    return f"Cannot write in {exc.filename or 'the folder'}: {exc.strerror or exc}; no file was written."

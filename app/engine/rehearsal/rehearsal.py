"""A rehearsed restore ("restore test"): prove that a backup restores, without touching the live clinic.

`rehearse_restore` runs the restore's own phase A (app/engine/restore/restore.py): the same gate over every
statement, the same sign-in with the clinic owner's rights only, the same proven steps into a fresh staging
schema beside the clinic, recorded in Resguardo's record. Then, instead of the swap, it reads every loaded
table back (`COPY ... TO STDOUT`, the backup's own query, on the owner's session, row security off so that a
policy can never hide a row) and compares its row count and the SHA-256 of its COPY text with the manifest;
then the staging schema is dropped, whatever happened. Not done: the administrators' rows are not written in
(the rows must be the backup's), owners and grants are not copied, no table of the live clinic is locked, the
tenants table is not read for writing, nothing is swapped. The clinic's job lock (an advisory lock, which the
web application never takes) is held meanwhile, as by a backup or a restore: another Resguardo job on the same
clinic says "busy" rather than dropping the rehearsal's staging schema as a leftover.

pg_dump files and Django exports carry no per-table checksums: their tables' rows are counted and the file's
own counts (when it has them) compared.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from app.engine.archive.manifest import Manifest, TableEntry
from app.engine.connection import ConnectionTarget
from app.engine.errors import PreflightError, ResguardoError, RestoreFailed, first_line
from app.engine.jobs import CancelToken, ProgressCallback, ignore_progress
from app.engine.output_settings import Settings, pin
from app.engine.restore.checks import check_target
from app.engine.restore.restore import Restore, RestoreOptions, _explained, _opened, _session
from app.engine.restore.sources import open_restore_source
from app.engine.restore.statement_cancel import cancel_statements_on
from app.engine.safety.load_login import load_login
from app.engine.safety.locks import tenant_lock
from app.engine.safety.proven import Witness
from app.engine.sources.native import NativeArchiveSource

_CHECK_SHARE = 0.1  # of the progress bar, after the restore's load share


@dataclass(frozen=True)
class TableCheck:
    name: str
    rows: int  # read back from the staging schema
    expected_rows: int | None  # the file's count; None when the file has none
    checksum_ok: bool | None  # the COPY text's SHA-256 against the manifest's; None when the file has none

    @property
    def ok(self) -> bool:
        return self.checksum_ok is not False and (self.expected_rows is None or self.rows == self.expected_rows)


@dataclass(frozen=True)
class RehearsalResult:
    tenant: str  # whose owner and neighbours the staging schema had
    source_schema: str | None
    path: Path
    kind: str  # the source's kind: native, sql, pg_dump-custom, django-json
    tables: list[TableCheck]
    seconds: float
    staging_dropped: bool  # False: it stays, recorded, and the clinic's next restore or rehearsal drops it
    warnings: list[str] = field(default_factory=list)

    @property
    def failed_tables(self) -> list[TableCheck]:
        return [t for t in self.tables if not t.ok]

    @property
    def ok(self) -> bool:
        return not self.failed_tables

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


class RehearsalFailed(RestoreFailed):
    """The backup did not restore, or restored other rows than it says; `result` when it loaded."""

    def __init__(self, message: str, details: str = "", *, result: RehearsalResult | None = None) -> None:
        super().__init__(message, details, changed=False)
        self.result = result


def rehearse_restore(
    target: ConnectionTarget,
    path: Path,
    *,
    tenant: str | None = None,
    tenants_table: str | None = None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> RehearsalResult:
    """Load `path` into a staging schema of `tenant` (default: the clinic the file was made from), check every
    table against the file, drop the staging schema. Raises RehearsalFailed (a table named) or the restore's
    own errors; the live clinic and the tenants table are never changed, and no staging schema is left unless
    the server could not be reached to drop it (then the next job of the clinic drops it)."""
    options = RestoreOptions(keep_superusers=False, allow_other_tenant=tenant is not None, tenants_table=tenants_table)
    return Rehearsal(target, tenant, Path(path), options, progress, cancel or CancelToken()).rehearse()


class Rehearsal(Restore):
    """The restore's phase A, then checks instead of the swap; the staging schema always dropped."""

    def __init__(
        self,
        target: ConnectionTarget,
        tenant: str | None,
        path: Path,
        options: RestoreOptions,
        progress: ProgressCallback,
        cancel: CancelToken,
    ) -> None:
        super().__init__(target, tenant or "", path, options, progress, cancel)

    def rehearse(self) -> RehearsalResult:
        self.reporter.stage("Checking the file")
        failure: BaseException | None = None
        checks: list[TableCheck] = []
        with ExitStack() as stack:
            self.source = stack.enter_context(
                _opened(open_restore_source(self.path, self.cancel, self.target, self.schema or None))
            )
            summary = self.source.summary()
            if not self.schema:
                if not summary.source_schema:
                    raise PreflightError(
                        "The file does not say which clinic it was made from; name the clinic to rehearse with "
                        "(--tenant SCHEMA)."
                    )
                self.schema = summary.source_schema
            self.user = stack.enter_context(self.target.connect())
            self.observer = stack.enter_context(self.target.connect(autocommit=True))
            self.tenant = check_target(
                self.user,
                self.schema,
                summary,
                allow_other_tenant=self.options.allow_other_tenant,
                tenants_table=self.options.tenants_table,
            )
            stack.enter_context(tenant_lock(self.user, self.schema))
            login = stack.enter_context(load_login(self.user, self.target, self.tenant.owner))
            self.witness = Witness(self.observer, self.user.info.backend_pid, self.schema)
            self.main, self.second = (stack.enter_context(_session(login)) for _ in range(2))
            try:
                self._drop_leftovers()  # staging schemas of killed runs of this clinic
                self._make_staging()  # the user's session: an empty schema, recorded
                self._load_schema()
                self._run_superuser_ddl()
                self._load_tables()
                self._finish_staging()  # keep_superusers is off: the rows stay the backup's
                checks = self._check_tables()
            except BaseException as exc:
                failure = exc
        dropped, warnings = self._discard_staging()
        if failure is not None:
            error = _explained(failure, self.cancel)
            if isinstance(error, ResguardoError) and not dropped:
                error.message += f" {warnings[0]}"
            raise error from None
        self.reporter.finish("Restore test finished")
        result = RehearsalResult(
            tenant=self.schema,
            source_schema=summary.source_schema,
            path=self.path,
            kind=summary.kind,
            tables=checks,
            seconds=time.monotonic() - self.started,
            staging_dropped=dropped,
            warnings=self.warnings + self.load.warnings + warnings,
        )
        if not result.ok:
            bad = result.failed_tables
            raise RehearsalFailed(
                f"The backup restored other rows than it holds: table {_table_problem(bad[0])}"
                + (f", and {len(bad) - 1} more tables" if len(bad) > 1 else "")
                + ". The clinic was not touched.",
                result=result,
            )
        return result

    # -- the checks -------------------------------------------------------------------------------

    def _check_tables(self) -> list[TableCheck]:
        """Every loaded table read back on the owner's sessions, each in a transaction rolled back."""
        self.reporter.stage("Checking every table against the file")
        if isinstance(self.source, NativeArchiveSource):
            return self._check_manifest(self.source.manifest)
        with _reading(self.main, self.cancel):
            return self._count_tables(self.main)

    def _check_manifest(self, manifest: Manifest) -> list[TableCheck]:
        """Both load sessions read tables back at once, each taking the largest left (as the load does); the first
        failure stops the other. The result is in the manifest's order."""
        queue = sorted(manifest.tables, key=lambda t: t.bytes, reverse=True)
        share = _CHECK_SHARE / max(len(queue), 1)
        lock = threading.Lock()
        stop = CancelToken()
        found: dict[str, TableCheck] = {}
        failures: list[BaseException] = []

        def share_out(conn: psycopg.Connection) -> None:
            try:
                with _reading(conn, stop, manifest.output_settings):
                    while True:
                        with lock:
                            if not queue:
                                return
                            entry = queue.pop(0)
                        check = self._check_table(conn, entry, stop)
                        with lock:
                            found[entry.name] = check
            except BaseException as exc:
                with lock:
                    failures.append(exc)
                stop.cancel()

        threads = [
            threading.Thread(target=share_out, args=(c,), name=f"resguardo-check-{i}", daemon=True)
            for i, c in enumerate((self.main, self.second))
        ]
        try:
            for thread in threads:
                thread.start()
            done = 0
            while any(t.is_alive() for t in threads):
                for thread in threads:
                    thread.join(0.1)
                if self.cancel.cancelled:
                    stop.cancel()
                with lock:
                    now = len(found)
                if now > done:
                    self.reporter.advance(share * (now - done), "Checking every table against the file")
                    done = now
        finally:
            stop.cancel()
            for thread in threads:
                thread.join()
        self.cancel.raise_if_cancelled()
        if failures:
            raise failures[0]
        return [found[t.name] for t in manifest.tables]

    def _check_table(self, conn: psycopg.Connection, entry: TableEntry, cancel: CancelToken) -> TableCheck:
        """The table's COPY text as the backup read it (its query, its columns), hashed and its rows counted."""
        table = sql.Identifier(self._staged.name, entry.name)
        if entry.columns:
            columns = sql.SQL(", ").join(sql.Identifier(c) for c in entry.columns)
            query = sql.SQL("COPY {} ({}) TO STDOUT").format(table, columns)
        else:
            query = sql.SQL("COPY {} TO STDOUT").format(table)
        digest, rows, size = hashlib.sha256(), 0, 0
        with conn.cursor().copy(query) as copy:
            for chunk in copy:
                data = bytes(chunk)
                digest.update(data)
                rows += data.count(b"\n")  # COPY text: one line a row, line breaks inside escaped
                size += len(data)
                cancel.raise_if_cancelled()
        return TableCheck(entry.name, rows, entry.rows, size == entry.bytes and digest.hexdigest() == entry.sha256)

    def _count_tables(self, conn: psycopg.Connection) -> list[TableCheck]:
        expected = {t.name: t.rows for t in self.source.summary().tables}
        names = [
            str(r[0])
            for r in conn.execute(
                "SELECT c.relname FROM pg_catalog.pg_class c WHERE c.relnamespace = %s AND c.relkind = 'r'"
                " ORDER BY c.relname",
                [self._staged.oid],
            ).fetchall()
        ]
        checks = []
        for name in names:
            self.cancel.raise_if_cancelled()
            self.reporter.advance(_CHECK_SHARE / max(len(names), 1), "Checking every table against the file", name)
            row = conn.execute(
                sql.SQL("SELECT pg_catalog.count(*) FROM ONLY {}").format(sql.Identifier(self._staged.name, name))
            ).fetchone()
            checks.append(TableCheck(name, int(row[0]) if row else 0, expected.get(name), None))
        return checks

    # -- the end ----------------------------------------------------------------------------------

    def _discard_staging(self) -> tuple[bool, list[str]]:
        """Drop the staging schema on fresh sessions (the job's own are closed, maybe broken), under the clinic's
        lock; (dropped, the sentence when it could not be)."""
        staged = self.staging
        if staged is None:
            return True, []
        left = (
            f"The test copy {staged.name} could not be removed now; the clinic's next restore or restore test "
            "removes it."
        )
        try:
            self._drop_staging_now(staged)
        except (psycopg.Error, ResguardoError) as exc:
            return False, [f"{left} ({first_line(exc)})"]
        self.staging = None
        return True, []


@contextmanager
def _reading(conn: psycopg.Connection, cancel: CancelToken, settings: Settings | None = None) -> Iterator[None]:
    """A read-only look at the staging schema: a transaction rolled back, row security off (a policy that would
    hide a row makes COPY fail instead), a running statement cancelled on `cancel`; values written under the
    `settings` the backup wrote its rows under (None: the session's own, as an older backup was read)."""
    with cancel_statements_on(conn, cancel), conn.transaction(force_rollback=True):
        conn.execute("SELECT pg_catalog.set_config('row_security', 'off', true)")
        pin(conn, settings)
        yield


def _table_problem(check: TableCheck) -> str:
    if check.expected_rows is not None and check.rows != check.expected_rows:
        return f"{check.name} has {check.rows} rows, the file {check.expected_rows}"
    return f"{check.name}'s rows differ from the file's (checksum)"

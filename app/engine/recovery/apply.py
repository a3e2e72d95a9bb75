"""`apply_recovery`: a plan's rows into the live clinic, in one transaction, with a restore's protections.

The clinic's job lock (the user's session, to the end); the rows go in by `COPY ... FROM STDIN` in the load
session, which has the owner's rights and no more, so the file's data never becomes SQL text and the owner's
triggers, checks and defaults run with the owner's rights; the tables written are locked ROW EXCLUSIVE in
attempts that never wait while holding (app/engine/recovery/locking.py); under the lock, the planned rows are
checked to be still absent and the tables still shaped as planned; identity and serial sequences move past the
inserted keys (forwards only); before COMMIT, the transaction's own counters prove it only inserted the planned
rows (app/engine/recovery/proof.py) and the isolation proof that it changed nothing outside the clinic. The
undo record is written before the COMMIT and marked committed after it.
"""

from __future__ import annotations

import secrets
import time
from contextlib import suppress
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from app.engine.comparison.live import LiveTable
from app.engine.connection import ConnectionTarget
from app.engine.errors import Cancelled, PreflightError, ResguardoError, RestoreFailed, all_or_nothing, first_line
from app.engine.jobs import CancelToken, ProgressCallback, ProgressReporter, ignore_progress
from app.engine.output_settings import pinned
from app.engine.recovery import record as records
from app.engine.recovery.live_rows import lookup
from app.engine.recovery.locking import bound_row_waits, lock_for_writing, row_waits_retried, with_attempts
from app.engine.recovery.model import (
    RecordedTable,
    RecoveryPlan,
    RecoveryRecord,
    RecoveryResult,
    TablePlan,
    row_checksum,
)
from app.engine.recovery.proof import prove_only
from app.engine.recovery.sequences import move_sequences
from app.engine.recovery.sessions import Sessions, recovery_sessions
from app.engine.restore.statement_cancel import cancel_statements_on
from app.engine.restore.swap import LockPolicy
from app.engine.safety.isolation import write_counts
from app.engine.safety.proven import proven_step

ACTION = "The recovery"


@all_or_nothing
def apply_recovery(
    target: ConnectionTarget,
    plan: RecoveryPlan,
    *,
    tenants_table: str | None = None,
    locks: LockPolicy = LockPolicy(),
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> RecoveryResult:
    """Insert the plan's rows (never its conflicts, never the rows already there), all or nothing."""
    started = time.monotonic()
    cancel = cancel or CancelToken()
    tables = [t for t in plan.tables if t.rows]
    if not tables:
        raise PreflightError(
            "Nothing to recover: every row of the plan is already in the clinic, or in conflict with a row there."
        )
    reporter = ProgressReporter(progress, float(plan.rows_to_insert + 2))
    reporter.stage("Connecting")
    with recovery_sessions(target, plan.tenant, tenants_table) as s:
        written: list[RecoveryRecord] = []

        moved = [0]

        def attempt() -> RecoveryRecord:
            moved[0] = 0
            return _insert(s, plan, tables, locks, reporter, cancel, written, moved)

        try:
            record = with_attempts(s.load, attempt, locks, cancel, ACTION)
        except BaseException as exc:
            for pending in written:  # the transaction did not commit: its record goes (else undo settles it)
                with suppress(OSError, PreflightError):
                    records.replace(pending, None)
            raise explained(exc, cancel) from None
    done = RecoveryRecord(**{**record.__dict__, "committed": True})
    warnings = list(plan.warnings)
    try:
        records.replace(record, done)
    except OSError as exc:  # the rows are in; the record written before the COMMIT is settled by undo itself
        warnings.append(f"The undo record could not be marked complete ({exc.strerror or exc}); undo still finds it.")
    reporter.finish("Recovered")
    return RecoveryResult(
        tenant=plan.tenant,
        inserted={t.name: len(t.rows) for t in tables},
        record=done,
        seconds=time.monotonic() - started,
        warnings=warnings,
        sequences_moved=moved[0],
    )


def _insert(
    s: Sessions,
    plan: RecoveryPlan,
    tables: list[TablePlan],
    locks: LockPolicy,
    reporter: ProgressReporter,
    cancel: CancelToken,
    written: list[RecoveryRecord],
    moved: list[int],
) -> RecoveryRecord:
    conn = s.load
    with cancel_statements_on(conn, cancel), proven_step(conn, s.witness, {s.tenant_oid}, ACTION):
        bound_row_waits(conn, locks)
        conn.execute("SELECT pg_catalog.set_config('row_security', 'off', true)")  # a policy fails, never hides
        reporter.stage("Locking the tables to write")
        live = lock_for_writing(conn, plan.tenant, [t.name for t in tables])
        # Counted once the tables are locked: an earlier attempt of this session, rolled back, still counts in
        # their counters until the session hands them over, and write_counts reads the relations locked now.
        before = write_counts(conn)
        with pinned(conn, plan.output_settings):  # keys and rows read as the backup wrote them
            _still_as_planned(conn, tables, live)
        expected: dict[int, int] = {}
        with row_waits_retried():
            for table in tables:
                cancel.raise_if_cancelled()
                reporter.stage("Inserting rows", table.name)
                _copy_in(conn, plan.tenant, table)
                expected[live[table.name].relation.oid] = len(table.rows)
                reporter.advance(len(table.rows), "Inserting rows", table.name)
            conn.execute("SET CONSTRAINTS ALL IMMEDIATE")  # deferred keys and triggers run now, before the proofs
        conn.execute("SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true)")
        for table in tables:
            moved[0] += move_sequences(conn, s.tenant_oid, live[table.name].relation.oid, table)
        prove_only(conn, before, expected, "insert", ACTION)
        cancel.raise_if_cancelled()
        with pinned(conn, plan.output_settings):
            record = _record(s, plan, tables, live, conn)
        try:
            records.add(record)  # before COMMIT; a kill after it is settled by the transaction's status
        except OSError as exc:
            raise RestoreFailed(
                f"The record that lets the recovery be undone could not be written ({exc.strerror or exc}); "
                "without it the recovery is not made.",
                str(exc),
            ) from None
        written.append(record)
    return record


def _still_as_planned(conn: psycopg.Connection, tables: list[TablePlan], live: dict[str, LiveTable]) -> None:
    """Under the lock: the tables have the planned columns and key, and no planned row's key is taken."""
    for table in tables:
        now = live[table.name]
        names = {c.name for c in now.columns}
        if now.key != table.key or not set(table.columns) <= names:
            raise RestoreFailed(
                f"The clinic's table {table.name} changed since the preview (its columns or key); preview again."
            )
        at = [table.columns.index(c) for c in table.key]
        keys = [tuple(r.line.split(b"\t")[i] for i in at) for r in table.rows]
        taken = lookup(conn, now, table.key, keys, table.key)
        if taken:
            shown = ", ".join(line.decode("utf-8", "replace").replace("\t", "/") for line in taken[:5])
            raise RestoreFailed(
                f"Since the preview, the clinic gained rows of {table.name} with keys the recovery would insert "
                f"({shown}); preview again."
            )


def _copy_in(conn: psycopg.Connection, schema: str, table: TablePlan) -> None:
    """The rows as COPY text, in the owner's session: the file's data is never SQL text. The clinic's own
    search path (as the web application has it) while its triggers run; Resguardo's after."""
    conn.execute("SELECT pg_catalog.set_config('search_path', %s, true)", [_clinic_path(conn, schema)])
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(schema, table.name), sql.SQL(", ").join(sql.Identifier(c) for c in table.columns)
    )
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for row in table.rows:
            copy.write(row.line + b"\n")
    conn.execute("SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true)")


def _clinic_path(conn: psycopg.Connection, schema: str) -> str:
    row = conn.execute("SELECT pg_catalog.quote_ident(%s) || ', public'", [schema]).fetchone()
    assert row is not None
    return str(row[0])


def _record(
    s: Sessions, plan: RecoveryPlan, tables: list[TablePlan], live: dict[str, LiveTable], conn: psycopg.Connection
) -> RecoveryRecord:
    """The inserted rows as they are now (a trigger of the clinic may have changed them on their way in)."""
    row = conn.execute("SELECT pg_catalog.pg_current_xact_id()::text").fetchone()
    assert row is not None
    recorded = []
    for table in tables:
        at = [table.columns.index(c) for c in table.key]
        keys = [tuple(r.line.split(b"\t")[i] for i in at) for r in table.rows]
        now = {
            tuple(line.split(b"\t")[i] for i in at): row_checksum(line)
            for line in lookup(conn, live[table.name], table.key, keys, table.columns)
        }
        rows = []
        for key in keys:
            if key not in now:
                raise RestoreFailed(
                    f"A row inserted into {table.name} is not there with its key (a trigger of the clinic changed "
                    "it or left it out), so undo could not find it; it was rolled back."
                )
            rows.append((tuple(v.decode() for v in key), now[key]))
        recorded.append(RecordedTable(table.name, table.key, table.columns, tuple(rows)))
    return RecoveryRecord(
        id=secrets.token_hex(8),
        tenant=plan.tenant,
        database=s.database,
        file=plan.path.name,
        recovered_utc=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        xid=str(row[0]),
        tables=tuple(recorded),
        output_settings=plan.output_settings,
    )


def explained(exc: BaseException, cancel: CancelToken, *, undoing: bool = False) -> BaseException:
    """Any failure, as the sentence the user reads: nothing was changed."""
    if isinstance(exc, Cancelled) or (isinstance(exc, psycopg.errors.QueryCanceled) and cancel.cancelled):
        return Cancelled("Cancelled.")
    if isinstance(exc, ResguardoError):
        return exc
    if isinstance(exc, psycopg.errors.UniqueViolation):
        return RestoreFailed(
            f"A row to recover takes a key or a unique value another row of the clinic now holds "
            f"({first_line(exc)}); preview again.",
            str(exc),
        )
    if isinstance(exc, psycopg.errors.ForeignKeyViolation) and undoing:
        return RestoreFailed(
            f"Rows made since the recovery refer to recovered rows ({first_line(exc)}); undo removes only the "
            "recovered rows, so it removed none.",
            str(exc),
        )
    if isinstance(exc, psycopg.errors.ForeignKeyViolation):
        return RestoreFailed(
            f"A row to recover refers to a row the clinic no longer has ({first_line(exc)}); preview again.", str(exc)
        )
    if isinstance(exc, psycopg.errors.LockNotAvailable):
        return RestoreFailed("A row the recovery needed stayed locked by another session; try again later.", str(exc))
    if isinstance(exc, psycopg.OperationalError):
        return RestoreFailed("The connection to the server was lost during the recovery.", str(exc))
    if isinstance(exc, psycopg.Error):
        return RestoreFailed(f"The recovery failed: {first_line(exc)}.", str(exc))
    return exc

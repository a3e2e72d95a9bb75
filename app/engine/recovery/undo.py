"""`undo_recovery`: delete exactly the rows the clinic's latest recovery inserted, or refuse naming them.

The record (app/engine/recovery/record.py) names each row by its key and the SHA-256 of its COPY text. In one
transaction with a recovery's protections (the job lock, the owner-rights load session, ROW EXCLUSIVE in
attempts, the proofs): each recorded row is read under a row lock (`FOR UPDATE`) and must be there, unchanged;
then the rows are deleted children first, and the counters must show exactly those deletes and nothing else
(a row made since that refers to a recovered one makes its foreign key refuse, or, with ON DELETE CASCADE,
the proof: either way nothing is deleted).
"""

from __future__ import annotations

import time

import psycopg

from app.engine.comparison.live import LiveTable
from app.engine.connection import ConnectionTarget
from app.engine.errors import PreflightError, RestoreFailed, all_or_nothing
from app.engine.jobs import CancelToken, ProgressCallback, ProgressReporter, ignore_progress
from app.engine.output_settings import pinned
from app.engine.recovery import record as records
from app.engine.recovery.apply import explained
from app.engine.recovery.live_rows import Values, delete_rows, lookup
from app.engine.recovery.locking import bound_row_waits, lock_for_writing, row_waits_retried, with_attempts
from app.engine.recovery.model import RecoveryRecord, UndoRecoveryResult, row_checksum
from app.engine.recovery.proof import prove_only
from app.engine.recovery.sessions import Sessions, database_of, recovery_sessions
from app.engine.restore.statement_cancel import cancel_statements_on
from app.engine.restore.swap import LockPolicy
from app.engine.safety.isolation import write_counts
from app.engine.safety.proven import proven_step

ACTION = "Undoing the recovery"


def last_recovery(target: ConnectionTarget, schema: str) -> RecoveryRecord | None:
    """The clinic's latest recovery made from this computer that undo would remove, if any."""
    with target.connect() as conn:
        found = _settled(conn, database_of(conn), schema)
        conn.rollback()
    return found


@all_or_nothing
def undo_recovery(
    target: ConnectionTarget,
    schema: str,
    *,
    tenants_table: str | None = None,
    locks: LockPolicy = LockPolicy(),
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> UndoRecoveryResult:
    started = time.monotonic()
    cancel = cancel or CancelToken()
    reporter = ProgressReporter(progress, 2.0)
    reporter.stage("Connecting")
    with recovery_sessions(target, schema, tenants_table) as s:
        record = _settled(s.user, s.database, schema)
        s.user.rollback()
        if record is None:
            raise PreflightError(f"There is no recovery of {schema!r} to undo (made from this computer).")
        try:
            deleted = with_attempts(s.load, lambda: _delete(s, record, locks, reporter, cancel), locks, cancel, ACTION)
        except BaseException as exc:
            raise explained(exc, cancel, undoing=True) from None
    warnings = []
    try:
        records.replace(record, None)
    except OSError as exc:  # the rows are gone; a later undo finds them gone and refuses, changing nothing
        warnings.append(f"The undo record could not be removed ({exc.strerror or exc}).")
    reporter.finish("Undone")
    return UndoRecoveryResult(schema, deleted, record, time.monotonic() - started, warnings)


def _settled(conn: psycopg.Connection, database: str, schema: str) -> RecoveryRecord | None:
    """The newest record whose transaction committed; records of transactions that did not are dropped."""
    found = records.records(database, schema)
    while found:
        newest = found[-1]
        if newest.committed:
            return newest
        row = conn.execute("SELECT pg_catalog.pg_xact_status(%s::pg_catalog.xid8)", [newest.xid]).fetchone()
        status = row[0] if row else None
        if status in ("committed", None):  # None: too old for the server to say; every row is checked anyway
            settled = RecoveryRecord(**{**newest.__dict__, "committed": True})
            records.replace(newest, settled)
            return settled
        if status == "in progress":
            raise PreflightError("The clinic's latest recovery is still running; try again when it has finished.")
        records.replace(newest, None)  # it never committed: nothing of it is in the clinic
        found = found[:-1]
    return None


def _delete(
    s: Sessions, record: RecoveryRecord, locks: LockPolicy, reporter: ProgressReporter, cancel: CancelToken
) -> dict[str, int]:
    conn = s.load
    with cancel_statements_on(conn, cancel), proven_step(conn, s.witness, {s.tenant_oid}, ACTION):
        bound_row_waits(conn, locks)
        conn.execute("SELECT pg_catalog.set_config('row_security', 'off', true)")
        reporter.stage("Locking the tables")
        live = lock_for_writing(conn, record.tenant, [t.name for t in record.tables])
        # Counted once the tables are locked: an earlier attempt of this session, rolled back, still counts in
        # their counters until the session hands them over, and write_counts reads the relations locked now.
        before = write_counts(conn)
        keys = {t.name: [tuple(v.encode() for v in k if v is not None) for k, _ in t.rows] for t in record.tables}
        expected: dict[int, int] = {}
        deleted: dict[str, int] = {}
        # The rows read, and found by their keys' text, as the recovery read them.
        with row_waits_retried(), pinned(conn, record.output_settings):
            _refuse_changed(conn, record, live, keys)
            for table in reversed(record.tables):  # children first
                cancel.raise_if_cancelled()
                reporter.stage("Removing the recovered rows", table.name)
                count = delete_rows(conn, live[table.name], table.key, keys[table.name])
                expected[live[table.name].relation.oid] = len(table.rows)
                deleted[table.name] = count
            conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        prove_only(conn, before, expected, "delete", ACTION)
        cancel.raise_if_cancelled()
    return deleted


def _refuse_changed(
    conn: psycopg.Connection, record: RecoveryRecord, live: dict[str, LiveTable], keys: dict[str, list[Values]]
) -> None:
    """Every recorded row still there with the content it was inserted with, locked against change; or a refusal
    naming the rows that changed or went."""
    changed: list[str] = []
    for table in record.tables:
        now = live[table.name]
        if now.key != table.key or not set(table.columns) <= {c.name for c in now.columns}:
            raise RestoreFailed(f"The clinic's table {table.name} changed since the recovery (its columns or key).")
        at = [table.columns.index(c) for c in table.key]
        found = {
            tuple(line.split(b"\t")[i] for i in at): row_checksum(line)
            for line in lookup(conn, now, table.key, keys[table.name], table.columns, for_update=True)
        }
        for (shown_key, checksum), key in zip(table.rows, keys[table.name], strict=True):
            if found.get(key) != checksum:
                gone = key not in found
                changed.append(f"{table.name} {'/'.join(v or '' for v in shown_key)} ({'gone' if gone else 'changed'})")
    if changed:
        more = f" and {len(changed) - 10} more" if len(changed) > 10 else ""
        raise RestoreFailed(
            f"Rows the recovery inserted changed or went since: {', '.join(changed[:10])}{more}; undo removes only "
            "rows exactly as they were recovered, so it removed none.",
            "\n".join(changed),
        )

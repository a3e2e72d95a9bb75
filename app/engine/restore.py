"""Restore one tenant, all or nothing, provably touching no other tenant (docs/restore.md).

Phase A, three committed steps in a staging schema, each proven isolated:
A1 drops staging schemas left by killed runs, creates the staging schema and
the file's objects; A2 loads the tables' rows with their keys and indexes, two
tables at a time on two connections; A3 adds the rest (foreign keys...), makes
sequences continue after the restored rows, gives objects the live tenant's
owners and grants and checks the administrators can be kept. Sources:
app/engine/restore_source.py. The live tenant keeps serving meanwhile.
Phase B, one short transaction: keep the administrator accounts, move the live
schema aside as the safety copy, give the staging schema the tenant's name,
prove isolation, commit. A kill or a failure anywhere leaves the tenant as it
was; a staging schema committed by A and orphaned is dropped by the next run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from app.engine.connection import ConnectionTarget
from app.engine.errors import Cancelled, ResguardoError, RestoreFailed, first_line
from app.engine.jobs import CancelToken, ProgressCallback, ProgressReporter, ignore_progress
from app.engine.locks import tenant_lock
from app.engine.naming import STAGING, SchemaMarker, staging_name, utc_now_iso
from app.engine.ownership import apply_owners_and_grants
from app.engine.restore_checks import RestoreTarget, check_target
from app.engine.restore_source import LoadResult, RestoreSource, open_restore_source
from app.engine.safety_copies import commit_proven, drop_leftover_staging, marked_schemas, swap_in
from app.engine.statement_cancel import cancel_statements_on
from app.engine.superusers import apply_keep, find_user_table, plan_keep, refuse_conflicts

_LOAD_SHARE = 0.85  # of the progress bar
_SWAP_LOCK_TIMEOUT = "30s"  # phase B waits at most this long for the live user table
# Memory for the load's index builds and foreign-key checks (PostgreSQL checks a new foreign key with
# work_mem = maintenance_work_mem): sorts and hashes stay in memory, and a btree build gets its parallel
# workers (each needs 32 MB of it). A ceiling, not an allocation; a server already set higher keeps its value.
_LOAD_MAINTENANCE_MEM = "512MB"


@dataclass(frozen=True)
class RestoreResult:
    tenant: str
    source_schema: str | None
    path: Path
    tables: int
    rows: int
    safety_copy: str | None  # the tenant as it was, kept for undo; None when it had no schema
    dropped_safety_copies: list[str]
    cleaned_leftovers: list[str]  # staging schemas of killed runs, dropped
    kept_superusers: list[str]
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class _Staged:
    name: str
    oid: int
    load: LoadResult
    cleaned: list[str]
    warnings: list[str]


_OWNED_SEQUENCES = """
SELECT s.relname, t.relname, a.attname FROM pg_class s
JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid
 AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
JOIN pg_sequence q ON q.seqrelid = s.oid
WHERE s.relkind = 'S' AND s.relnamespace = %s AND q.seqincrement > 0 AND (%s::text IS NULL OR t.relname = %s)
"""


def continue_sequences(conn: psycopg.Connection, schema: str, nsp: int, table: str | None = None) -> None:
    """Identity and serial sequences continue after the largest restored value: no duplicate key on insert."""
    for seq, tab, col in conn.execute(_OWNED_SEQUENCES, [nsp, table, table]).fetchall():
        q_seq = sql.Identifier(schema, seq)
        conn.execute(sql.SQL(
            "SELECT setval(%s::regclass, m) FROM (SELECT max({col})::bigint AS m FROM {tab}) x"
            " WHERE m IS NOT NULL AND m >= (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END"
            " FROM {seq})").format(col=sql.Identifier(col), tab=sql.Identifier(schema, tab), seq=q_seq),
            [q_seq.as_string(conn)])


def restore_tenant(
    target: ConnectionTarget,
    schema: str,
    path: Path,
    *,
    keep_superusers: bool = True,
    allow_other_tenant: bool = False,
    user_table: str | None = None,
    tenants_table: str | None = None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> RestoreResult:
    """Replace tenant `schema` with the file's contents, keeping the old state as a safety copy."""
    started = time.monotonic()
    reporter = ProgressReporter(progress, 1.0)
    reporter.stage("Checking the file")
    source = open_restore_source(Path(path), target, schema)
    try:
        summary = source.summary()
        staged: _Staged | None = None
        try:
            with target.connect() as conn, target.connect() as worker, target.connect(autocommit=True) as observer:
                checked = check_target(conn, schema, summary, allow_other_tenant=allow_other_tenant,
                                       tenants_table=tenants_table)
                with tenant_lock(conn, schema):
                    reporter.advance(0.02, "Loading into a staging schema")
                    bar = _LoadBar(reporter)
                    staged = _guarded(conn, cancel, lambda: _create_staging(
                        conn, observer, checked, source, bar, cancel))
                    _guarded(conn, cancel, lambda: _load_tables(
                        conn, worker, observer, checked, staged, source, bar, cancel))
                    _guarded(conn, cancel, lambda: _finish_staging(
                        conn, observer, checked, staged, source, keep_superusers, user_table, reporter, cancel))
                    reporter.stage("Swapping the restored tenant in")
                    swapped, kept = _guarded(conn, cancel, lambda: _swap(
                        conn, observer, checked, staged, keep_superusers, user_table, Path(path).name, cancel))
        except BaseException:
            if staged is not None:  # its marker tells whether the swap committed (then it is the tenant)
                _discard_staging(target, staged, schema)
            raise
    finally:
        source.close()
    reporter.finish("Restored")
    return RestoreResult(
        tenant=schema, source_schema=summary.source_schema, path=Path(path), tables=staged.load.tables,
        rows=staged.load.rows, safety_copy=swapped.safety_copy, dropped_safety_copies=swapped.dropped,
        cleaned_leftovers=staged.cleaned, kept_superusers=kept, warnings=staged.warnings + staged.load.warnings,
        seconds=time.monotonic() - started,
    )


def _guarded(conn: psycopg.Connection, cancel: CancelToken | None, step):  # type: ignore[no-untyped-def]
    """Run one step; on any failure roll back and say, in one sentence, that nothing was changed."""
    try:
        return step()
    except BaseException as exc:
        _roll_back(conn)
        if isinstance(exc, Cancelled) or (isinstance(exc, psycopg.errors.QueryCanceled)
                                          and cancel is not None and cancel.cancelled):
            raise Cancelled("Cancelled; nothing was changed.") from None
        if isinstance(exc, psycopg.errors.LockNotAvailable):
            raise RestoreFailed(f"Another session kept the tenant's user table locked for {_SWAP_LOCK_TIMEOUT}; try "
                                "again when the web application is quieter; nothing was changed.", str(exc)) from None
        if isinstance(exc, psycopg.OperationalError):
            raise RestoreFailed("The connection to the server was lost during the restore; the tenant was not "
                                "changed (nothing was changed).", str(exc)) from None
        if isinstance(exc, psycopg.Error):
            first = first_line(exc)
            raise RestoreFailed(f"The restore failed: {first}; nothing was changed.", str(exc)) from exc
        raise


def _roll_back(conn: psycopg.Connection) -> None:
    if not conn.closed and not conn.broken:
        try:
            conn.rollback()
        except psycopg.Error:
            pass


class _LoadBar:
    """The load's share of the progress bar, fed with the fraction of rows loaded so far."""

    def __init__(self, reporter: ProgressReporter) -> None:
        self.reporter = reporter
        self.done = 0.0

    def __call__(self, fraction: float, detail: str) -> None:
        self.reporter.advance(_LOAD_SHARE * max(fraction - self.done, 0.0), "Loading rows", detail)
        self.done = max(self.done, fraction)


@contextmanager
def _running_file_sql(conn: psycopg.Connection, checked: RestoreTarget, staging: str) -> Iterator[None]:
    """The file's SQL runs in the staging schema, as the tenant's owner when we may (no superuser powers,
    objects owned right); afterwards the session and role must be unchanged and the file's settings go."""
    session_user = conn.execute("SELECT session_user").fetchone()[0]  # type: ignore[index]
    conn.execute(sql.SQL("SET LOCAL search_path = {}").format(sql.Identifier(staging)))
    conn.execute("SELECT set_config('maintenance_work_mem', %(mem)s, true)"
                 " WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes(%(mem)s)",
                 {"mem": _LOAD_MAINTENANCE_MEM})
    if checked.load_as_owner:
        conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(checked.new_owner)))
    yield
    who = conn.execute("SELECT session_user, current_user").fetchone()
    expected = checked.new_owner if checked.load_as_owner else who[1]  # type: ignore[index]
    if who is None or who[0] != session_user or who[1] != expected:
        raise RestoreFailed("The file changed the session's role while loading; it was rolled back and "
                            "nothing was changed.")
    conn.execute("RESET ALL")  # settings the file's SQL may have changed
    conn.execute("RESET ROLE")


def _create_staging(conn: psycopg.Connection, observer: psycopg.Connection, checked: RestoreTarget,
                    source: RestoreSource, bar: _LoadBar, cancel: CancelToken | None) -> _Staged:
    """Step A1: the staging schema and the file's objects, committed so the second connection sees them."""
    schema, summary = checked.schema, source.summary()
    with cancel_statements_on(conn, cancel):
        cleaned = drop_leftover_staging(conn, schema)
        name = staging_name(schema)
        conn.execute(sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(
            sql.Identifier(name), sql.Identifier(checked.new_owner)))
        marker = SchemaMarker(STAGING, schema, utc_now_iso(), summary.path.name)
        conn.execute(sql.SQL("COMMENT ON SCHEMA {} IS {}").format(sql.Identifier(name),
                                                                  sql.Literal(marker.to_comment())))
        oid = int(conn.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [name]).fetchone()[0])  # type: ignore[index]
        with _running_file_sql(conn, checked, name):
            load = source.load_schema(conn, name, bar, cancel)
        if cancel is not None:
            cancel.raise_if_cancelled()
        commit_proven(conn, observer, {oid, *(s.oid for s in cleaned)}, "The file")
    return _Staged(name, oid, load, [s.name for s in cleaned], [])


def _load_tables(conn: psycopg.Connection, worker: psycopg.Connection, observer: psycopg.Connection,
                 checked: RestoreTarget, staged: _Staged, source: RestoreSource, bar: _LoadBar,
                 cancel: CancelToken | None) -> None:
    """Step A2: each table's rows, keys and indexes, two tables at a time on two connections (the server,
    not this process, is the bottleneck); each connection takes the largest table left when it is free."""
    queue = source.table_loads()
    if not queue:
        return
    total = max(sum(t.bytes for t in queue), 1)
    stop = CancelToken()  # the user's cancel, or the other connection's failure
    lock = threading.Lock()
    failures: list[BaseException] = []
    loaded = [0]
    current = [""]
    ended = threading.Event()  # wakes the calling thread as soon as a connection is done

    def count(size: int) -> None:
        with lock:
            loaded[0] += size

    def share(c: psycopg.Connection) -> None:
        try:
            with cancel_statements_on(c, stop), _running_file_sql(c, checked, staged.name):
                while True:
                    with lock:
                        if not queue:
                            break
                        table = queue.pop(0)
                        current[0] = table.name
                    rows = table.run(c, staged.name, count, stop)
                    with lock:
                        staged.load.rows += rows
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which raises it
            with lock:
                failures.append(exc)
            stop.cancel()
        finally:
            ended.set()

    threads = [threading.Thread(target=share, args=(c,), name=f"resguardo-load-{i}", daemon=True)
               for i, c in enumerate((conn, worker))]
    try:
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            ended.wait(0.1)
            ended.clear()
            if cancel is not None and cancel.cancelled:
                stop.cancel()
            with lock:
                fraction, detail = loaded[0] / total, current[0]
            bar(fraction, detail)
        if failures:
            raise failures[0]
        bar(1.0, "")
        for c in (worker, conn):
            commit_proven(c, observer, {staged.oid}, "The file")
    finally:
        stop.cancel()
        for thread in threads:
            thread.join()
        _roll_back(worker)


def _finish_staging(conn: psycopg.Connection, observer: psycopg.Connection, checked: RestoreTarget,
                    staged: _Staged, source: RestoreSource, keep_superusers: bool, user_table: str | None,
                    reporter: ProgressReporter, cancel: CancelToken | None) -> None:
    """Step A3: foreign keys and the rest of the file, sequences, owners and grants, the administrator check."""
    schema, summary, name = checked.schema, source.summary(), staged.name
    with cancel_statements_on(conn, cancel):
        with _running_file_sql(conn, checked, name):
            source.finish(conn, name, cancel)
        reporter.stage("Setting owners, grants and sequences")
        continue_sequences(conn, name, staged.oid)
        staged.warnings += apply_owners_and_grants(conn, name, schema if checked.live else None, checked.new_owner,
                                                   summary.privileges, summary.schema_owner)
        if keep_superusers and checked.live is not None:
            refuse_conflicts(plan_keep(conn, schema, name, user_table))
        if cancel is not None:
            cancel.raise_if_cancelled()
        reporter.stage("Proving no other tenant was touched")
        commit_proven(conn, observer, {staged.oid}, "The file")


def _swap(conn: psycopg.Connection, observer: psycopg.Connection, checked: RestoreTarget, staged: _Staged,
          keep_superusers: bool, user_table: str | None, detail: str, cancel: CancelToken | None):  # type: ignore[no-untyped-def]
    schema = checked.schema
    conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(_SWAP_LOCK_TIMEOUT)))
    kept: list[str] = []
    if keep_superusers and checked.live is not None:
        table = find_user_table(conn, schema, user_table)
        if table is not None:  # no password changes between reading the live rows and the swap
            conn.execute(sql.SQL("LOCK TABLE {} IN SHARE MODE").format(sql.Identifier(schema, table)))
        plan = plan_keep(conn, schema, staged.name, table or user_table)  # the table locked above
        refuse_conflicts(plan)
        apply_keep(conn, staged.name, plan)
        if plan.table is not None:
            continue_sequences(conn, staged.name, staged.oid, plan.table.name)
        kept = plan.accounts
    if cancel is not None:
        cancel.raise_if_cancelled()
    outcome = swap_in(conn, schema, staged.name, staged.oid, f"before restoring {detail}")
    if cancel is not None:
        cancel.raise_if_cancelled()
    commit_proven(conn, observer, outcome.touched, "The restore")
    return outcome, kept


def _discard_staging(target: ConnectionTarget, staged: _Staged, tenant: str) -> None:
    """After a failure in A2, A3 or B: drop the committed staging schema; if that fails too, the next run does.

    Fresh connections: the failed one may be lost (server restart), and its row counters for the
    proof of isolation still hold what the rolled-back transaction did until they are flushed.
    """
    try:
        with target.connect() as conn, target.connect(autocommit=True) as observer, tenant_lock(conn, tenant):
            if staged.oid in {s.oid for s in marked_schemas(conn, tenant, STAGING)}:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(staged.name)))
                commit_proven(conn, observer, {staged.oid}, "Cleaning up")
    except (psycopg.Error, ResguardoError):
        pass

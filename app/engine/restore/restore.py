"""Restore one tenant, all or nothing, provably touching no other tenant (docs/restore.md).

`Restore.run` reads top-down as the phases. Phase A builds the restored tenant in a staging schema
while the live tenant keeps serving, in short committed steps, each proven isolated
(app/engine/safety/proven.py): the staging schema (the user's session), the file's objects, each table's
rows with its keys and indexes on two connections, the rest (foreign keys, sequences, the
administrators kept), then owners and grants from the live tenant (the user's session again).
The file's SQL and every step that makes the tenant's own code run use only sessions with the
owner's rights (app/engine/safety/load_login.py); the user's own session only creates, renames and
drops schemas and gives owners, which runs nobody's code.
Phase B, one short transaction repeated until no lock keeps the application waiting (app/engine/restore/swap.py):
lock the live tables, move the live schema aside as the safety copy, give the staging schema the
tenant's name, record both, prove, commit. A kill or a failure anywhere leaves the tenant as it was;
a staging schema orphaned by a kill is dropped by the next job of the tenant.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from app.engine.connection import ConnectionTarget
from app.engine.errors import Cancelled, ResguardoError, RestoreFailed, all_or_nothing, first_line
from app.engine.jobs import CancelToken, ProgressCallback, ProgressReporter, ignore_progress
from app.engine.restore.checks import check_target, live_schema
from app.engine.restore.ownership import apply_default_privileges, apply_owners_and_grants, give_other_objects
from app.engine.restore.schema_settings import apply_search_paths, name_the_tenant
from app.engine.restore.source import LoadResult, RestoreSource, staging_path
from app.engine.restore.sources import open_restore_source
from app.engine.restore.statement_cancel import cancel_statements_on
from app.engine.restore.superusers import KeepPlan, apply_keep, live_snapshot, plan_keep, refuse_conflicts
from app.engine.restore.swap import (
    LockAttempts,
    LockPolicy,
    drop_registered,
    rename_schema,
    set_aside,
    set_comment,
)
from app.engine.restore.table_locks import Session
from app.engine.safety.load_login import LoadLogin, load_login
from app.engine.safety.locks import tenant_lock
from app.engine.safety.naming import staging_name
from app.engine.safety.proven import Witness, proven_step
from app.engine.safety.registry import SchemaKind, ensure_registry, forget, record, registered
from app.engine.safety.sql_gate.sending import execute_checked

_LOAD_SHARE = 0.85  # of the progress bar
# Memory for the load's index builds and foreign-key checks (PostgreSQL checks a new foreign key with
# work_mem = maintenance_work_mem): sorts and hashes stay in memory, and a btree build gets its parallel
# workers (each needs 32 MB of it). A ceiling, not an allocation; a server already set higher keeps its value.
_LOAD_MAINTENANCE_MEM = "512MB"
_FILE_LOCK_TIMEOUT = "10s"  # a file statement waiting on a lock (a shared table a foreign key points at)
_KEEP_ATTEMPTS = 5


@dataclass(frozen=True)
class RestoreOptions:
    keep_superusers: bool = True
    allow_other_tenant: bool = False
    user_table: str | None = None
    tenants_table: str | None = None
    locks: LockPolicy = LockPolicy()


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
    app_writes: int = 0  # rows the web application wrote to the live tenant meanwhile; they are in the safety copy
    # The live tenant had Django's sessions table: whoever signed in after the backup must sign in again.
    signs_out: bool = False
    interrupted: list[Session] = field(default_factory=list)  # the application's work cancelled (interrupt_after)


@all_or_nothing
def restore_tenant(
    target: ConnectionTarget,
    schema: str,
    path: Path,
    *,
    keep_superusers: bool = True,
    allow_other_tenant: bool = False,
    user_table: str | None = None,
    tenants_table: str | None = None,
    locks: LockPolicy = LockPolicy(),
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> RestoreResult:
    """Replace tenant `schema` with the file's contents, keeping the old state as a safety copy."""
    options = RestoreOptions(keep_superusers, allow_other_tenant, user_table, tenants_table, locks)
    return Restore(target, schema, Path(path), options, progress, cancel or CancelToken()).run()


@dataclass
class _Staging:
    name: str
    oid: int


class Restore:
    """One restore of one tenant; `run` is the whole story."""

    def __init__(
        self,
        target: ConnectionTarget,
        schema: str,
        path: Path,
        options: RestoreOptions,
        progress: ProgressCallback,
        cancel: CancelToken,
    ) -> None:
        self.target, self.schema, self.path, self.options, self.cancel = target, schema, path, options, cancel
        self.reporter = ProgressReporter(progress, 1.0)
        self.loaded = 0.0
        self.load = LoadResult()
        self.warnings: list[str] = []
        self.cleaned: list[str] = []
        self.kept: KeepPlan | None = None
        self.staging: _Staging | None = None
        self.started = time.monotonic()
        self.interrupted: list[Session] = []

    def run(self) -> RestoreResult:
        self.reporter.stage("Checking the file")
        failure: BaseException | None = None
        with ExitStack() as stack:
            self.source = stack.enter_context(
                _opened(open_restore_source(self.path, self.cancel, self.target, self.schema))
            )
            self.user = stack.enter_context(self.target.connect())  # creates, renames, drops; runs no tenant code
            self.observer = stack.enter_context(self.target.connect(autocommit=True))
            self.tenant = check_target(
                self.user,
                self.schema,
                self.source.summary(),
                allow_other_tenant=self.options.allow_other_tenant,
                tenants_table=self.options.tenants_table,
            )
            stack.enter_context(tenant_lock(self.user, self.schema))
            login = stack.enter_context(load_login(self.user, self.target, self.tenant.owner))
            self.witness = Witness(self.observer, self.user.info.backend_pid, self.schema)
            self.main, self.second = (stack.enter_context(_session(login)) for _ in range(2))
            writes_before = self._app_writes()
            signs_out = self._has_sessions_table()
            try:
                self._drop_leftovers()  # staging schemas of killed runs of this tenant
                self._make_staging()  # the user's session: an empty schema, recorded
                self._load_schema()  # the file's objects
                self._run_superuser_ddl()  # operator classes and families: DDL only, checked
                self._load_tables()  # rows, keys and indexes, two tables at a time
                self._finish_staging()  # foreign keys and the rest, sequences, administrators kept
                self._give_owners()  # the user's session: owners and grants from the live tenant
                safety = self._swap()  # the user's session: live aside, staging in, in one short step
            except BaseException as exc:
                failure = exc
            else:
                dropped = self._drop_older_copies(safety)
                app_writes = self._app_writes() - writes_before
        if failure is not None:
            self._drop_staging()
            raise _explained(failure, self.cancel) from None
        self.reporter.finish("Restored")
        summary = self.source.summary()
        return RestoreResult(
            tenant=self.schema,
            source_schema=summary.source_schema,
            path=self.path,
            tables=self.load.tables,
            rows=self.load.rows,
            safety_copy=safety,
            dropped_safety_copies=dropped,
            cleaned_leftovers=self.cleaned,
            kept_superusers=self.kept.accounts if self.kept else [],
            warnings=self.warnings + self.load.warnings,
            seconds=time.monotonic() - self.started,
            app_writes=max(app_writes, 0),
            signs_out=signs_out,
            interrupted=self.interrupted,
        )

    def _app_writes(self) -> int:
        return _write_count(self.observer, self.tenant.live.oid) if self.tenant.live else 0

    def _has_sessions_table(self) -> bool:
        """Django keeps who is signed in in the clinic's django_session (sessions among the tenant apps); the
        restore puts back the backup's rows, so everyone who signed in since must sign in again."""
        if self.tenant.live is None:
            return False
        row = self.observer.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = %s AND relname = 'django_session')",
            [self.tenant.live.oid],
        ).fetchone()
        return bool(row and row[0])

    # -- phase A ----------------------------------------------------------------------------------

    def _drop_leftovers(self) -> None:
        self.reporter.advance(0.01, "Preparing an empty copy of the clinic")
        for leftover in registered(self.user, self.schema, SchemaKind.STAGING, self.tenant.clinics):
            drop_registered(
                self.user,
                self.observer,
                self.witness,
                leftover.oid,
                leftover.name,
                self.options.locks,
                self.cancel,
                "Cleaning up an interrupted restore",
            )
            self.cleaned.append(leftover.name)

    def _make_staging(self) -> None:
        allowed: set[int] = set()
        with (
            cancel_statements_on(self.user, self.cancel),
            proven_step(self.user, self.witness, allowed, "Preparing the restore"),
        ):
            allowed.add(ensure_registry(self.user))
            name = staging_name(self.schema)
            self.user.execute(
                sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(
                    sql.Identifier(name), sql.Identifier(self.tenant.owner)
                )
            )
            created = live_schema(self.user, name)
            assert created is not None
            record(self.user, created.oid, name, SchemaKind.STAGING, self.schema, self.tenant.owner_oid, self.path.name)
            allowed.add(created.oid)
        self.staging = _Staging(name, created.oid)

    def _load_schema(self) -> None:
        self.reporter.stage("Loading the file into the empty copy")
        with self._file_step(self.main, "The file", self.cancel):
            self.load = self.source.load_schema(self.main, self._staged.name, self._load_bar, self.cancel)
            # Routines whose search_path names the tenant name the staging schema while its rows load (its CHECKs
            # and triggers call them); _give_owners names the tenant again before the swap.
            apply_search_paths(self.main, self._staged.name, self.source.summary().search_paths or [])

    def _run_superuser_ddl(self) -> None:
        statements = self.source.superuser_statements()
        if not statements:
            return
        superuser = self.user.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
        if not superuser or not superuser[0]:
            raise RestoreFailed(
                f"The file defines operator classes (line {statements[0].line}), which only a "
                "superuser may create; restore it connected as a superuser."
            )
        with (
            cancel_statements_on(self.user, self.cancel),
            proven_step(self.user, self.witness, {self._staged.oid}, "The file"),
        ):
            with staging_path(self.user, self._staged.name):
                for statement in statements:
                    execute_checked(self.user, statement)
            # Back on pg_catalog's path: the query below is Resguardo's own, and the file's operators and
            # functions (now in the staging schema) would otherwise outrank the built-ins it calls.
            give_other_objects(self.user, self._staged.name, self.tenant.owner)

    def _load_tables(self) -> None:
        """Each table's rows, keys and indexes, two tables at a time on two connections (the server, not this
        process, is the bottleneck); each connection takes the largest table left when it is free."""
        queue = self.source.table_loads()
        if not queue:
            return
        total = max(sum(t.bytes for t in queue), 1)
        stop = CancelToken()  # the user's cancel, or the other connection's failure
        lock = threading.Lock()
        failures: list[BaseException] = []
        loaded = [0]
        current = [""]
        ended = threading.Event()
        busy = [False, False]  # each connection: inside a table load
        workers: list[list[str]] = [[], []]  # each connection: [its parallel-worker setting, the one it has now]

        def count(size: int) -> None:
            with lock:
                loaded[0] += size

        def before_builds(me: int, conn: psycopg.Connection) -> None:
            """Index builds get PostgreSQL's parallel workers only while the other connection has nothing to do:
            on 2 cores, a worker beside two busy connections only adds its start-up and the contention (measured:
            the partitioned shape's loads took 15 % longer with them; a lone GIN build was faster with them).
            Runs under the staging schema's search path: every function is qualified."""
            with lock:
                alone = not busy[1 - me] and not queue
            if not workers[me]:
                row = conn.execute("SELECT pg_catalog.current_setting('max_parallel_maintenance_workers')").fetchone()
                workers[me] = [str(row[0]) if row else "0"] * 2
            default, now = workers[me]
            wanted = default if alone else "0"
            if wanted != now:
                conn.execute("SELECT pg_catalog.set_config('max_parallel_maintenance_workers', %s, true)", [wanted])
                workers[me][1] = wanted

        def share(me: int, conn: psycopg.Connection) -> None:
            try:
                with self._file_step(conn, "The file", stop):
                    while True:
                        with lock:
                            busy[me] = False
                            if not queue:
                                break
                            table = queue.pop(0)
                            current[0] = table.name
                            busy[me] = True
                        rows = table.run(conn, self._staged.name, count, stop, functools.partial(before_builds, me))
                        with lock:
                            self.load.rows += rows
            except BaseException as exc:
                with lock:
                    failures.append(exc)
                stop.cancel()
            finally:
                with lock:
                    busy[me] = False
                ended.set()

        threads = [
            threading.Thread(target=share, args=(i, c), name=f"resguardo-load-{i}", daemon=True)
            for i, c in enumerate((self.main, self.second))
        ]
        try:
            for thread in threads:
                thread.start()
            while any(t.is_alive() for t in threads):
                ended.wait(0.1)
                ended.clear()
                if self.cancel.cancelled:
                    stop.cancel()
                with lock:
                    fraction, detail = loaded[0] / total, current[0]
                self._load_bar(fraction, detail)
            if failures:
                raise failures[0]
            self._load_bar(1.0, "")
        finally:
            stop.cancel()
            for thread in threads:
                thread.join()

    def _finish_staging(self) -> None:
        self.reporter.stage("Adding the remaining keys, triggers and sequences")
        with self._file_step(self.main, "The file", self.cancel):
            self.source.finish(self.main, self._staged.name, self.cancel)
            continue_sequences(self.main, self._staged.name, self._staged.oid)
            if self.options.keep_superusers and self.tenant.live is not None:
                self.reporter.stage("Keeping today's administrator accounts")
                self._keep_administrators()

    def _keep_administrators(self) -> None:
        """Today's administrators into the restored user table (its triggers run: the owner's session)."""
        plan = plan_keep(self.main, self.schema, self._staged.name, self.options.user_table)
        refuse_conflicts(plan)
        apply_keep(self.main, self._staged.name, plan)
        if plan.table is not None:
            continue_sequences(self.main, self._staged.name, self._staged.oid, plan.table.name)
        self.kept = plan

    def _give_owners(self) -> None:
        self.reporter.stage("Giving objects the clinic's owners and grants")
        with (
            cancel_statements_on(self.user, self.cancel),
            proven_step(self.user, self.witness, {self._staged.oid}, "Setting owners"),
        ):
            if self.tenant.live is not None:  # after the load: the loaded objects keep the default access list
                self.warnings += apply_default_privileges(self.user, self._staged.name, self.schema)
            self.warnings += apply_owners_and_grants(
                self.user, self._staged.name, self.schema if self.tenant.live else None, self.tenant.owner
            )
            name_the_tenant(self.user, self._staged.name, self.schema)

    # -- phase B ----------------------------------------------------------------------------------

    def _swap(self) -> str | None:
        self.reporter.stage("Putting the restored clinic in place")
        attempts = LockAttempts(self.user, self.observer, self.options.locks, self.cancel)
        self.interrupted = attempts.interrupted
        for _ in range(_KEEP_ATTEMPTS):
            try:
                return attempts.run(lambda: self._swap_once(attempts), "The restore")
            except _AccountsChanged:  # a password changed since the accounts were copied: copy them again
                with self._file_step(self.main, "Keeping today's administrator accounts", self.cancel):
                    self._keep_administrators()
        raise RestoreFailed(
            "Today's administrator accounts kept changing while the restore tried to keep them; try again later."
        )

    def _swap_once(self, attempts: LockAttempts) -> str | None:
        staged, live = self._staged, live_schema(self.user, self.schema)
        allowed = {staged.oid, *([live.oid] if live else [])}
        with proven_step(self.user, self.witness, allowed, "The restore"):
            allowed.add(ensure_registry(self.user))
            if live is not None:
                attempts.lock_tables(live.oid)
                if (
                    self.kept is not None
                    and self.kept.table is not None
                    and live_snapshot(self.user, self.schema, self.kept.table.name) != self.kept.snapshot
                ):
                    raise _AccountsChanged
            self.cancel.raise_if_cancelled()
            safety = None
            if live is not None:
                safety = set_aside(
                    self.user, self.schema, live.oid, live.owner_oid, f"before restoring {self.path.name}"
                )
            rename_schema(self.user, staged.name, self.schema)
            set_comment(self.user, self.schema, live.comment if live else None)
            forget(self.user, [staged.oid])
            self.cancel.raise_if_cancelled()
        self.staging = None  # it is the tenant now
        return safety

    # -- around the phases ------------------------------------------------------------------------

    def _drop_older_copies(self, newest: str | None) -> list[str]:
        """One safety copy per tenant: older ones go, in their own step. Failing here changes nothing of the
        restore (it is done); the copy stays and the next restore drops it."""
        older = [
            c
            for c in registered(self.user, self.schema, SchemaKind.SAFETY_COPY, self.tenant.clinics)
            if c.name != newest
        ]
        dropped = []
        for copy in older:
            try:
                drop_registered(
                    self.user,
                    self.observer,
                    self.witness,
                    copy.oid,
                    copy.name,
                    self.options.locks,
                    self.cancel,
                    "Removing the older previous version",
                )
                dropped.append(copy.name)
            except (ResguardoError, psycopg.Error) as exc:
                self.warnings.append(
                    f"The older previous version {copy.name} could not be removed now "
                    f"({first_line(exc)}); the next restore removes it."
                )
        return dropped

    def _drop_staging(self) -> None:
        """After a failure: drop the staging schema if a step committed it; else the next job does."""
        if self.staging is None:
            return
        with suppress(psycopg.Error, ResguardoError):
            self._drop_staging_now(self.staging)

    def _drop_staging_now(self, staged: _Staging) -> None:
        """Drop the staging schema on fresh connections, under the tenant lock, if it is still registered as this
        clinic's staging schema; raises what went wrong."""
        with (
            self.target.connect() as conn,
            self.target.connect(autocommit=True) as observer,
            tenant_lock(conn, self.schema),
        ):
            if staged.oid in {s.oid for s in registered(conn, self.schema, SchemaKind.STAGING)}:
                witness = Witness(observer, conn.info.backend_pid, self.schema)
                drop_registered(
                    conn, observer, witness, staged.oid, staged.name, self.options.locks, CancelToken(), "Cleaning up"
                )

    @contextmanager
    def _file_step(self, conn: psycopg.Connection, action: str, cancel: CancelToken) -> Iterator[None]:
        """A step that runs the file's SQL (the source sets the staging schema's search_path around it), on a
        session with the owner's rights; afterwards the session must still be who it was, and the file's
        settings go."""
        expected = conn.execute("SELECT session_user, current_user").fetchone()
        with cancel_statements_on(conn, cancel), proven_step(conn, self.witness, {self._staged.oid}, action):
            conn.execute("SELECT set_config('lock_timeout', %s, true)", [_FILE_LOCK_TIMEOUT])
            # As pg_restore: a function's body may name tables created after it (docs/archive-format.md).
            conn.execute("SELECT set_config('check_function_bodies', 'off', true)")
            conn.execute(
                "SELECT set_config('maintenance_work_mem', %(mem)s, true)"
                " WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes(%(mem)s)",
                {"mem": _LOAD_MAINTENANCE_MEM},
            )
            yield
            cancel.raise_if_cancelled()
            if conn.execute("SELECT session_user, current_user").fetchone() != expected:
                raise RestoreFailed("The file changed the session's role while loading; it was rolled back.")
            conn.execute("RESET ALL")

    def _load_bar(self, fraction: float, detail: str) -> None:
        self.reporter.advance(_LOAD_SHARE * max(fraction - self.loaded, 0.0), "Loading rows", detail)
        self.loaded = max(self.loaded, fraction)

    @property
    def _staged(self) -> _Staging:
        assert self.staging is not None
        return self.staging


class _AccountsChanged(Exception):
    """An administrator's row changed after it was copied; copied again, then the swap is tried again."""


# A schema's relations, found through their dependency on their schema (an index lookup) and checked to be in it:
# pg_class has no index by schema, and beside 1,000 tenants of 15 tables a scan of it reads 80,000 rows.
_IN_SCHEMA = (
    "ARRAY(SELECT c.oid FROM pg_depend n JOIN pg_class c ON c.oid = n.objid"
    " WHERE n.refclassid = 'pg_namespace'::regclass AND n.refobjid = %(nsp)s AND n.refobjsubid = 0"
    " AND n.classid = 'pg_class'::regclass AND c.relnamespace = %(nsp)s)"
)

_OWNED_SEQUENCES = f"""
SELECT s.relname, t.relname, a.attname FROM pg_class s
JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid
 AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
JOIN pg_sequence q ON q.seqrelid = s.oid
WHERE s.oid = ANY({_IN_SCHEMA}) AND s.relkind = 'S' AND q.seqincrement > 0
  AND (%(table)s::text IS NULL OR t.relname = %(table)s)
"""


def continue_sequences(conn: psycopg.Connection, schema: str, nsp: int, table: str | None = None) -> None:
    """Identity and serial sequences continue after the largest restored value: no duplicate key on insert.
    One statement for all of them (a round trip each cost more than the work on a schema of small tables)."""
    moves = []
    for seq, tab, col in conn.execute(_OWNED_SEQUENCES, {"nsp": nsp, "table": table}).fetchall():
        q_seq = sql.Identifier(schema, seq)
        moves.append(
            sql.SQL(
                "SELECT setval({name}::regclass, m) FROM (SELECT max({col})::bigint AS m FROM {tab}) x"
                " WHERE m IS NOT NULL AND m >= (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END"
                " FROM {seq})"
            ).format(
                name=sql.Literal(q_seq.as_string(conn)),
                col=sql.Identifier(col),
                tab=sql.Identifier(schema, tab),
                seq=q_seq,
            )
        )
    if moves:
        conn.execute(sql.SQL(" UNION ALL ").join(moves))


def _write_count(observer: psycopg.Connection, schema_oid: int) -> int:
    """Rows inserted, updated or deleted in a schema's tables, as PostgreSQL's statistics count them."""
    observer.execute("SELECT pg_stat_clear_snapshot()")
    row = observer.execute(
        "SELECT coalesce(sum(pg_stat_get_tuples_inserted(c.oid) + pg_stat_get_tuples_updated(c.oid)"
        f" + pg_stat_get_tuples_deleted(c.oid)), 0)::bigint FROM pg_class c"
        f" WHERE c.oid = ANY({_IN_SCHEMA}) AND c.relkind IN ('r', 'p', 'm')",
        {"nsp": schema_oid},
    ).fetchone()
    return int(row[0]) if row else 0


@contextmanager
def _opened(source: RestoreSource) -> Iterator[RestoreSource]:
    try:
        yield source
    finally:
        source.close()


@contextmanager
def _session(login: LoadLogin) -> Iterator[psycopg.Connection]:
    conn = login.connect()
    try:
        yield conn
    finally:
        conn.close()


def _explained(exc: BaseException, cancel: CancelToken) -> BaseException:
    """Any failure of a restore, as the sentence the user reads: the tenant was not changed."""
    if isinstance(exc, Cancelled) or (isinstance(exc, psycopg.errors.QueryCanceled) and cancel.cancelled):
        return Cancelled("Cancelled.")
    if isinstance(exc, ResguardoError):
        return exc
    if isinstance(exc, psycopg.errors.LockNotAvailable):
        return RestoreFailed(
            "A table the file needed stayed locked by another session; try again when the web application is quieter.",
            str(exc),
        )
    if isinstance(exc, psycopg.OperationalError):
        return RestoreFailed(
            "The connection to the server was lost during the restore; the tenant was not changed.", str(exc)
        )
    if isinstance(exc, psycopg.Error):
        return RestoreFailed(f"The restore failed: {first_line(exc)}.", str(exc))
    return exc

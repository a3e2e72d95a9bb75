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

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from app.engine.connection import ConnectionTarget
from app.engine.errors import ResguardoError, RestoreFailed, all_or_nothing
from app.engine.jobs import CancelToken, ProgressCallback, ProgressReporter, ignore_progress
from app.engine.restore.checks import check_target, live_schema
from app.engine.restore.failures import explained
from app.engine.restore.load_step import commit_without_flush, file_step, load_session
from app.engine.restore.options_and_result import RestoreOptions, RestoreResult
from app.engine.restore.ownership import apply_default_privileges, apply_owners_and_grants, give_other_objects
from app.engine.restore.parallel_load import load_on_one_session, load_tables, loads_in_one_step
from app.engine.restore.schema_queries import continue_sequences, has_sessions_table, write_count
from app.engine.restore.schema_settings import apply_search_paths, name_the_tenant
from app.engine.restore.sources import open_restore_source
from app.engine.restore.staging_cleanup import drop_leftovers, drop_older_copies, drop_staging_now
from app.engine.restore.statement_cancel import cancel_statements_on
from app.engine.restore.superusers import KeepPlan, apply_keep, live_snapshot, plan_keep, refuse_conflicts
from app.engine.restore.swap import LockAttempts, LockPolicy, rename_schema, set_aside, set_comment
from app.engine.restore.table_locks import Session
from app.engine.safety.load_login import load_login
from app.engine.safety.locks import tenant_lock
from app.engine.safety.naming import staging_name
from app.engine.safety.proven import Witness, proven_step
from app.engine.safety.registry import SchemaKind, ensure_registry, forget, record
from app.engine.safety.sql_gate.sending import execute_checked
from app.engine.sources.source import LoadResult, RestoreSource, staging_path

_LOAD_SHARE = 0.85  # of the progress bar
_KEEP_ATTEMPTS = 5


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
        self.second: psycopg.Connection | None = None  # the second load session, opened when a load needs it
        self._another_session: Callable[[], psycopg.Connection] = _no_session  # run() gives the owner's sign-in

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
            self.main = stack.enter_context(load_session(login))
            self._another_session = lambda: stack.enter_context(load_session(login))
            writes_before = self._app_writes()
            signs_out = self._has_sessions_table()
            try:
                self._drop_leftovers()  # staging schemas of killed runs of this tenant
                self._make_staging()  # the user's session: an empty schema, recorded
                if not self._load_small_file():  # a small file: all of the next four in one step, one session
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
            raise explained(failure, self.cancel) from None
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
        return write_count(self.observer, self.tenant.live.oid) if self.tenant.live else 0

    def _has_sessions_table(self) -> bool:
        return has_sessions_table(self.observer, self.tenant.live.oid) if self.tenant.live else False

    # -- phase A ----------------------------------------------------------------------------------

    def _drop_leftovers(self) -> None:
        self.reporter.advance(0.01, "Preparing an empty copy of the clinic")
        self.cleaned += drop_leftovers(
            self.user, self.observer, self.witness, self.schema, self.tenant.clinics, self.options.locks, self.cancel
        )

    def _make_staging(self) -> None:
        allowed: set[int] = set()
        with (
            cancel_statements_on(self.user, self.cancel),
            proven_step(self.user, self.witness, allowed, "Preparing the restore"),
        ):
            commit_without_flush(self.user)  # a staging step: the swap's commit flushes it (load_step.py)
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
            self._schema_statements()

    def _schema_statements(self) -> None:
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
            commit_without_flush(self.user)
            with staging_path(self.user, self._staged.name):
                for statement in statements:
                    execute_checked(self.user, statement)
            # Back on pg_catalog's path: the query below is Resguardo's own, and the file's operators and
            # functions (now in the staging schema) would otherwise outrank the built-ins it calls.
            give_other_objects(self.user, self._staged.name, self.tenant.owner)

    def _load_tables(self) -> None:
        """Each table's rows, keys and indexes, two tables at a time on two connections (parallel_load.py)."""
        queue = self.source.table_loads()
        if not queue:
            return
        if self.second is None:
            self.second = self._another_session()
        self.load.rows += load_tables(
            queue,
            (self.main, self.second),
            self._staged.name,
            lambda conn, stop: self._file_step(conn, "The file", stop),
            self.cancel,
            self._load_bar,
        )

    def _finish_staging(self) -> None:
        self.reporter.stage("Adding the remaining keys, triggers and sequences")
        with self._file_step(self.main, "The file", self.cancel):
            self._finish_statements()

    def _finish_statements(self) -> None:
        self.source.finish(self.main, self._staged.name, self.cancel)
        continue_sequences(self.main, self._staged.name, self._staged.oid)
        if self.options.keep_superusers and self.tenant.live is not None:
            self.reporter.stage("Keeping today's administrator accounts")
            self._keep_administrators()

    def _load_small_file(self) -> bool:
        """The four load steps as one, on one session, for a file small enough (parallel_load.loads_in_one_step):
        the same statements in the same order, in one transaction and one proof. False: nothing done."""
        if not loads_in_one_step(self.source):
            return False
        self.reporter.stage("Loading the file into the empty copy")
        with self._file_step(self.main, "The file", self.cancel):
            self._schema_statements()
            queue = self.source.table_loads()
            self.load.rows += load_on_one_session(queue, self.main, self._staged.name, self.cancel, self._load_bar)
            self._finish_statements()
        return True

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
            commit_without_flush(self.user)
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
        """One safety copy per tenant: older ones go, in their own step (a failure there is a warning)."""
        dropped, warnings = drop_older_copies(
            self.user,
            self.observer,
            self.witness,
            self.schema,
            self.tenant.clinics,
            newest,
            self.options.locks,
            self.cancel,
        )
        self.warnings += warnings
        return dropped

    def _drop_staging(self) -> None:
        """After a failure: drop the staging schema if a step committed it; else the next job does."""
        if self.staging is None:
            return
        with suppress(psycopg.Error, ResguardoError):
            self._drop_staging_now(self.staging)

    def _drop_staging_now(self, staged: _Staging) -> None:
        """Drop the staging schema on fresh connections, under the tenant lock; raises what went wrong."""
        drop_staging_now(self.target, self.schema, staged.oid, staged.name, self.options.locks)

    def _file_step(self, conn: psycopg.Connection, action: str, cancel: CancelToken) -> AbstractContextManager[None]:
        """A step that runs the file's SQL on a load session, proven (load_step.py)."""
        return file_step(conn, self.witness, self._staged.oid, action, cancel)

    def _load_bar(self, fraction: float, detail: str) -> None:
        self.reporter.advance(_LOAD_SHARE * max(fraction - self.loaded, 0.0), "Loading rows", detail)
        self.loaded = max(self.loaded, fraction)

    @property
    def _staged(self) -> _Staging:
        assert self.staging is not None
        return self.staging


class _AccountsChanged(Exception):
    """An administrator's row changed after it was copied; copied again, then the swap is tried again."""


def _no_session() -> psycopg.Connection:
    raise RuntimeError("a load session was asked for before the owner's sign-in was made")


@contextmanager
def _opened(source: RestoreSource) -> Iterator[RestoreSource]:
    try:
        yield source
    finally:
        source.close()


# Importable from here as before (the rehearsal, app/engine/rehearsal/, and any caller of the old names).
_explained, _session = explained, load_session
__all__ = ["Restore", "RestoreOptions", "RestoreResult", "continue_sequences", "restore_tenant"]

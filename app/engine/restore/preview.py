"""What a restore would do, read without changing anything: shown before the user confirms."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from app.engine.connection import ConnectionTarget
from app.engine.errors import Cancelled, PreflightError, all_or_nothing, first_line
from app.engine.jobs import CancelToken, Progress, ProgressCallback, ProgressReporter, ignore_progress
from app.engine.restore.checks import check_target
from app.engine.restore.options_and_result import COMPARE_BOUND_BYTES
from app.engine.restore.sources import open_restore_source
from app.engine.restore.statement_cancel import cancel_statements_on
from app.engine.restore.superusers import live_superusers
from app.engine.safety.locks import tenant_is_locked
from app.engine.safety.registry import SchemaKind, registered
from app.engine.safety.relation_guard import lock_tables, plain_table
from app.engine.sources.source import SourceSummary

if TYPE_CHECKING:
    from app.engine.comparison.result import Comparison

# Rows now are counted exactly, smallest tables first, for this long in all; a table not counted by then
# (or whose count would run past it) shows PostgreSQL's estimate, marked as one.
COUNT_BUDGET_SECONDS = 20.0


@dataclass(frozen=True)
class TablePreview:
    name: str
    rows_in_file: int | None
    rows_now: int | None  # None: the table does not exist in the live tenant
    rows_now_exact: bool  # False: PostgreSQL's estimate (the count did not fit in the time budget)


@dataclass(frozen=True)
class RestorePreview:
    tenant: str
    source: SourceSummary
    other_tenant: bool  # the file comes from another tenant
    schema_exists: bool  # False: a tenant row without schema; the restore creates it
    tables: list[TablePreview]
    tables_only_live: list[str]  # live tables the file does not have (they disappear)
    migrations_only_in_file: list[tuple[str, str]]
    migrations_only_live: list[tuple[str, str]]
    size_bytes: int
    safety_copy_kept: bool  # the live tenant will be kept as a safety copy
    safety_copies_dropped: list[str]  # the older safety copy that the restore replaces
    superusers_kept: list[str]
    busy: bool  # another backup or restore of the tenant is running now
    # What a whole restore brings back and throws away, row by row; None when not compared (not a native backup,
    # no live clinic, or larger than COMPARE_BOUND_BYTES and not asked for)
    comparison: Comparison | None = None
    # Why the rows were not compared though the backup is small enough: this login cannot read every live row
    # (row-level security applies to it); the restore itself is not affected, only the description
    not_compared: str = ""

    @property
    def needs_migrate(self) -> bool:
        """The file's migrations differ: the web application will need `migrate_schemas` afterwards."""
        return bool(self.migrations_only_in_file or self.migrations_only_live)

    @property
    def signs_out(self) -> bool:
        """The clinic has Django's sessions table now: the backup's sessions come back, so whoever signed in to
        the web application after the backup must sign in again."""
        live = [t.name for t in self.tables if t.rows_now is not None] + self.tables_only_live
        return "django_session" in live


@all_or_nothing
def preview_restore(
    target: ConnectionTarget,
    schema: str,
    path: Path,
    *,
    allow_other_tenant: bool = False,
    keep_superusers: bool = True,
    user_table: str | None = None,
    tenants_table: str | None = None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    count_budget: float = COUNT_BUDGET_SECONDS,
    compare: bool | None = None,
) -> RestorePreview:
    """Check the restore could run and describe it; read-only (the transaction is rolled back). `compare`: compare
    the rows too (native backups only); None: when the backup holds at most COMPARE_BOUND_BYTES of rows."""
    cancel = cancel or CancelToken()
    source = open_restore_source(Path(path), cancel, target, schema)
    try:
        summary = source.summary()
        comparing = summary.kind == "native" and (
            compare if compare is not None else summary.size_bytes <= COMPARE_BOUND_BYTES
        )
        counting = progress
        if comparing:

            def counting(p: Progress) -> None:
                progress(Progress(p.fraction / 2, p.stage, p.detail))

        with target.connect() as conn, cancel_statements_on(conn, cancel):
            conn.read_only = True
            progress(Progress(0.0, "Comparing with the database"))
            checked = check_target(
                conn, schema, summary, allow_other_tenant=allow_other_tenant, tenants_table=tenants_table
            )
            live = schema if checked.live else None
            counts = _live_counts(conn, live, counting, cancel, count_budget) if live else {}
            file_tables = {t.name for t in summary.tables}
            tables = [TablePreview(t.name, t.rows, *counts.get(t.name, (None, True))) for t in summary.tables]
            live_migrations = _migrations(conn, live) if live else None
            only_file: list[tuple[str, str]] = []
            only_live: list[tuple[str, str]] = []
            if summary.migrations is not None and live_migrations is not None:
                in_live, in_file = set(live_migrations), set(summary.migrations)
                only_file = [m for m in summary.migrations if m not in in_live]
                only_live = [m for m in live_migrations if m not in in_file]
            preview = RestorePreview(
                tenant=schema,
                source=summary,
                other_tenant=checked.other_tenant,
                schema_exists=live is not None,
                tables=tables,
                tables_only_live=sorted(set(counts) - file_tables),
                migrations_only_in_file=only_file,
                migrations_only_live=only_live,
                size_bytes=summary.size_bytes,
                safety_copy_kept=live is not None,
                safety_copies_dropped=[
                    s.name for s in registered(conn, schema, SchemaKind.SAFETY_COPY, checked.clinics)
                ],
                superusers_kept=live_superusers(conn, live, user_table) if keep_superusers and live else [],
                busy=tenant_is_locked(conn, schema),
            )
            conn.rollback()
        if comparing and live is not None:
            from app.engine.comparison.compare import compare_backup  # a restore with --yes never compares

            try:
                compared = compare_backup(
                    target,
                    schema,
                    Path(path),
                    progress=lambda p: progress(Progress(0.5 + p.fraction / 2, p.stage, p.detail)),
                    cancel=cancel,
                    tenants_table=tenants_table,
                )
            except PreflightError as exc:
                if compare:  # asked for: the refusal is the answer
                    raise
                return replace(preview, not_compared=exc.message)
            preview = replace(preview, comparison=compared)
        return preview
    except psycopg.errors.QueryCanceled:
        if cancel.cancelled:  # the watcher interrupted a statement
            raise Cancelled("Cancelled.") from None
        raise
    except psycopg.errors.InsufficientPrivilege as exc:  # a table of the clinic this login may not read
        raise PreflightError(f"No privilege to read tenant {schema!r}: {first_line(exc)}", str(exc)) from None
    finally:
        source.close()


def _live_counts(
    conn: psycopg.Connection, schema: str, progress: ProgressCallback, cancel: CancelToken, budget: float
) -> dict[str, tuple[int | None, bool]]:
    """Each table's rows now: exact while the time budget lasts (smallest tables first), else the estimate."""
    rows = conn.execute(
        "SELECT c.relname, c.relpages, c.reltuples FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relpages, c.relname",
        [schema],
    ).fetchall()
    reporter = ProgressReporter(progress, float(sum(int(pages) + 1 for _, pages, _ in rows)))
    deadline = time.monotonic() + budget
    counts: dict[str, tuple[int | None, bool]] = {}
    for name, pages, estimate in rows:
        reporter.advance(0, "Counting rows", name)
        exact = _count_within(conn, schema, name, deadline - time.monotonic(), cancel)
        counts[name] = (exact, True) if exact is not None else (int(estimate) if estimate >= 0 else None, False)
        reporter.advance(int(pages) + 1, "Counting rows", name)
    conn.execute("SELECT pg_catalog.set_config('statement_timeout', '0', true)")
    return counts


def _count_within(conn: psycopg.Connection, schema: str, name: str, seconds: float, cancel: CancelToken) -> int | None:
    """count(*) of one table, or None when it would take longer than `seconds` (its own savepoint rolls back),
    when the name is no table now (never read), or when row-level security applies to this login (a count of
    the rows its policies show would pass for the table's).

    The table is locked, then checked to be the one resolved just before, when it is read: between the listing
    and the count the clinic's owner could put a view of its own functions in its place, which this session would
    run; the preview then refuses, naming it (app/engine/safety/relation_guard.py)."""
    cancel.raise_if_cancelled()
    if seconds < 0.05:
        return None
    try:
        with conn.transaction():
            conn.execute("SELECT pg_catalog.set_config('statement_timeout', %s, true)", [f"{int(seconds * 1000)}ms"])
            table = plain_table(conn, schema, name)
            if table is None:
                return None
            lock_tables(conn, [table])
            conn.execute("SELECT pg_catalog.set_config('row_security', 'off', true)")  # every row, or an error
            row = conn.execute(sql.SQL("SELECT pg_catalog.count(*) FROM {}").format(table.identifier())).fetchone()
    except psycopg.errors.QueryCanceled:
        if cancel.cancelled:
            raise Cancelled("Cancelled.") from None
        return None
    except psycopg.errors.InsufficientPrivilege:  # row-level security applies to this login: the estimate
        return None
    return int(row[0]) if row else 0


def _migrations(conn: psycopg.Connection, schema: str) -> list[tuple[str, str]] | None:
    """The live tenant's migrations, read running none of its owner's code: a plain table (locked, so that no view
    takes its place), no cast, operator or ORDER BY on its columns (their types may have the owner's casts)."""
    table = plain_table(conn, schema, "django_migrations")
    if table is None:
        return None
    lock_tables(conn, [table])
    rows = conn.execute(sql.SQL("SELECT m.id, m.app, m.name FROM {} m").format(table.identifier())).fetchall()
    if not all(isinstance(i, int) and isinstance(a, str) and isinstance(n, str) for i, a, n in rows):
        return None
    return [(a, n) for _, a, n in sorted(rows)]

"""Back up one tenant to a native archive (`.resguardo`): needs only psycopg.

One REPEATABLE READ READ ONLY transaction gives the DDL and every table's
rows from the same snapshot, which a second session shares to read the small
tables meanwhile (app/engine/backup/tables.py). Rows are streamed with COPY
into the archive's zstd members; a worker thread hashes, compresses and writes
while the main thread reads from the server, so memory stays flat.
"""

from __future__ import annotations

import errno
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from app.engine.archive.container import POST_DATA_MEMBER, PRE_DATA_MEMBER, data_member_name
from app.engine.archive.writer import ArchiveWriter, StoredMember, archive_manifest
from app.engine.backup.destination import Destination, default_archive_name, resolve_out
from app.engine.backup.preflight import check_tenant_name, check_tenant_schema
from app.engine.backup.result import BackupResult
from app.engine.backup.tables import LOCK_TIMEOUT, copy_tables
from app.engine.catalog.schema_ddl import SchemaDDL, TableCopy, extract_schema_ddl
from app.engine.catalog.schema_oids import ALL_RELATIONS, by_name
from app.engine.catalog.tenants_table import TenantsTable, find_tenants_table, tenant_record
from app.engine.connection import ConnectionTarget
from app.engine.errors import (
    ArchiveError,
    ConnectionFailed,
    PreflightError,
    ResguardoError,
    first_line,
)
from app.engine.jobs import (
    CancelToken,
    Progress,
    ProgressCallback,
    ProgressReporter,
    ignore_progress,
)
from app.engine.output_settings import pin as pin_output_settings
from app.engine.output_settings import recorded as recorded_settings
from app.engine.safety.locks import tenant_lock
from app.engine.safety.relation_guard import Relation, lock_tables


def backup_tenant(
    target: ConnectionTarget,
    schema: str,
    out: Path | str,
    *,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    tenants_table: str | TenantsTable | None = None,
    replace: bool = False,
    session: psycopg.Connection | None = None,
) -> BackupResult:
    """Write `schema` to the archive `out` (a file, or an existing folder to put a dated file in; see
    app/engine/backup/destination.py). `session`: an idle session of `target` to run in and leave open, idle
    again when this returns (backup --all keeps one per worker: its catalog caches stay warm); after an exception
    the caller closes it. None: a session of its own."""
    started = time.monotonic()
    cancel = cancel or CancelToken()
    destination = resolve_out(out, default_archive_name(schema), replace=replace)
    out = destination.path
    check_tenant_name(schema)
    progress(Progress(0.0, "Connecting"))
    conn = session if session is not None else target.connect()
    try:
        check_tenant_schema(conn, schema, tenants_table)
        with tenant_lock(conn, schema):
            return _backup(conn, target, schema, destination, progress, cancel, tenants_table, started)
    except OSError as exc:
        raise _write_error(exc, out) from None
    except psycopg.OperationalError as exc:
        raise ConnectionFailed(
            f"The connection to the server was lost during the backup of {schema!r}; no file was written.",
            str(exc).strip(),
        ) from None
    except psycopg.errors.InsufficientPrivilege as exc:
        raise PreflightError(f"No privilege to read tenant {schema!r}: {first_line(exc)}", str(exc)) from None
    except psycopg.Error as exc:
        raise ResguardoError(f"The backup of {schema!r} failed: {first_line(exc)}", str(exc)) from None
    finally:
        if session is None:
            conn.close()


def _backup(
    conn: psycopg.Connection,
    target: ConnectionTarget,
    schema: str,
    destination: Destination,
    progress: ProgressCallback,
    cancel: CancelToken,
    tenants_override: str | TenantsTable | None,
    started: float,
) -> BackupResult:
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(LOCK_TIMEOUT)))
    # Policies never filter what COPY reads, nor run their functions: where they would apply, COPY fails
    # (checked first, with a sentence naming the table).
    conn.execute("SELECT pg_catalog.set_config('row_security', 'off', true)")
    pin_output_settings(conn)  # rows and DDL constants written alike whatever the server's or role's defaults
    locked, relations = _check_privileges(conn, schema)
    _lock_tables(conn, schema, locked)  # before reading the catalog: no one changes the tables while we read them
    tenants_table = find_tenants_table(conn, tenants_override)
    tenant = tenant_record(conn, schema, tenants_table)
    ddl = extract_schema_ddl(conn, schema, rel_oids=relations)
    cancel.raise_if_cancelled()
    weights = [max(t.size_bytes, 8192) for t in ddl.tables]
    reporter = ProgressReporter(progress, sum(weights) * 1.02 + 8192)
    reporter.advance(sum(weights) * 0.01, "Reading the schema")
    migrations = _migrations(conn, schema, ddl)
    with ArchiveWriter(destination.path, destination.if_exists) as writer:
        pre = writer.add_bytes(PRE_DATA_MEMBER, ddl.pre_data_sql.encode())
        members = {table.name: data_member_name(i) for i, table in enumerate(ddl.tables, start=1)}
        stored = _copy_rows(conn, target, writer, schema, ddl, members, weights, reporter, cancel)
        tables: list[dict[str, Any]] = [
            {
                "name": table.name,
                "member": members[table.name],
                "columns": table.columns,
                "rows": s.raw_lines,
                "bytes": s.raw_bytes,
                "sha256": s.raw_sha256,
                "stored_bytes": s.stored_bytes,
                "stored_sha256": s.stored_sha256,
            }
            for table, s in ((t, stored[t.name]) for t in ddl.tables)
        ]
        reporter.stage("Writing the manifest")
        post = writer.add_bytes(POST_DATA_MEMBER, ddl.post_data_sql.encode())
        manifest = archive_manifest(
            conn,
            schema,
            ddl.manifest_fields(),
            tenant,
            migrations,
            tables,
            {
                PRE_DATA_MEMBER: {"bytes": pre.stored_bytes, "sha256": pre.stored_sha256},
                POST_DATA_MEMBER: {"bytes": post.stored_bytes, "sha256": post.stored_sha256},
            },
            recorded_settings(conn),
        )
        cancel.raise_if_cancelled()
        path = writer.commit(manifest)
    conn.rollback()
    reporter.finish("Backup complete")
    rows = sum(t["rows"] for t in tables)
    return BackupResult(path, path.stat().st_size, rows, len(tables), time.monotonic() - started)


def _copy_rows(
    conn: psycopg.Connection,
    target: ConnectionTarget,
    writer: ArchiveWriter,
    schema: str,
    ddl: SchemaDDL,
    members: dict[str, str],
    weights: list[int],
    reporter: ProgressReporter,
    cancel: CancelToken,
) -> dict[str, StoredMember]:
    """Every table's member (app/engine/backup/tables.py), with the progress bar moved by each table's weight."""
    weight = {t.name: w for t, w in zip(ddl.tables, weights, strict=True)}
    reported = dict.fromkeys(weight, 0)
    stored: dict[str, StoredMember] = {}
    stage = "Copying rows"

    def advance(table: TableCopy, size: int) -> None:
        step = min(reported[table.name] + size, weight[table.name]) - reported[table.name]
        reported[table.name] += step
        reporter.advance(step, stage, table.name)

    def done(table: TableCopy, member: StoredMember) -> None:
        stored[table.name] = member
        advance(table, weight[table.name])

    reporter.advance(0, stage)
    copy_tables(conn, target, writer, schema, ddl.tables, members, done, advance, cancel)
    return stored


# The schema's relations, found by index (app/engine/catalog/schema_oids.py: pg_class has no index by namespace, and
# beside 10,000 clinics a pass reads 800,000 rows), which give both the privilege checks and the tables to lock
# (what app/engine/safety/relation_guard.py `schema_tables` lists, in its order), in the backup's snapshot.
_PRIVILEGES = f"""
WITH c AS MATERIALIZED (
  SELECT c.oid, c.relname, c.relkind, c.relrowsecurity FROM pg_catalog.pg_class c
  WHERE c.oid = ANY({by_name(ALL_RELATIONS)}))
SELECT has_schema_privilege(n.oid, 'USAGE'),
  (SELECT c.relname FROM c WHERE c.relkind IN ('r', 'S', 'm') AND NOT has_table_privilege(c.oid, 'SELECT')
   ORDER BY c.relname LIMIT 1),
  (SELECT c.relname FROM c WHERE c.relkind = 'r' AND c.relrowsecurity AND row_security_active(c.oid)
   ORDER BY c.relname LIMIT 1),
  ARRAY(SELECT c.relname::pg_catalog.text FROM c WHERE c.relkind IN ('r', 'p') ORDER BY c.relname),
  ARRAY(SELECT c.oid FROM c WHERE c.relkind IN ('r', 'p') ORDER BY c.relname),
  ARRAY(SELECT c.oid FROM c)
FROM pg_catalog.pg_namespace n WHERE n.nspname = %(schema)s
"""


def _check_privileges(conn: psycopg.Connection, schema: str) -> tuple[list[Relation], list[int]]:
    """Refuse what this user cannot read whole; the schema's plain and partitioned tables, by name, and the oids
    of all its relations (for app/engine/catalog/schema_ddl.py, in the same snapshot)."""
    row = conn.execute(_PRIVILEGES, {"schema": schema}).fetchone()
    if row is None:
        raise PreflightError(f"The schema {schema!r} disappeared before the backup started.")
    usage, unreadable, filtered, names, oids, every = row
    user = conn.info.user
    if not usage:
        raise PreflightError(f"The user {user!r} has no privilege to use the schema {schema!r}.")
    if unreadable:
        raise PreflightError(f"The user {user!r} has no privilege to read {schema}.{unreadable}.")
    if filtered:
        raise PreflightError(
            f"The table {schema}.{filtered} has row-level security that applies to {user!r} (its FORCE ROW LEVEL "
            f"SECURITY, or {user!r} is not its owner), so a backup as {user!r} would miss the rows its policies "
            "hide; back up as a superuser or as a role with BYPASSRLS."
        )
    tables = [Relation(schema, str(name), int(oid)) for name, oid in zip(names, oids, strict=True)]
    return tables, [int(oid) for oid in every]


def _lock_tables(conn: psycopg.Connection, schema: str, tables: list[Relation]) -> None:
    """ACCESS SHARE on every table (partitions included), each checked once locked to be the table the snapshot
    lists: no one can drop, alter or swap them while we read, so every read of the backup by name (COPY in
    app/engine/backup/tables.py, django_migrations) reads them. The clinic's owner could otherwise put a view of
    its functions in a table's place while this lock waits (app/engine/safety/relation_guard.py)."""
    try:
        lock_tables(conn, tables)
    except psycopg.errors.LockNotAvailable:
        raise PreflightError(
            f"The tables of {schema!r} are locked by another session (a restore or a schema change); try again later."
        ) from None


def _migrations(conn: psycopg.Connection, schema: str, ddl: SchemaDDL) -> list[list[str]] | None:
    """The tenant's django_migrations (app, name) by id. Read with no cast, operator or ORDER BY on the
    tenant's columns (a tenant's owner may have given them a type of its own), and ordered here; a table of the
    snapshot, so locked and checked by `_lock_tables`."""
    if not any(t.name == "django_migrations" for t in ddl.tables):
        return None
    try:
        with conn.transaction():  # a savepoint: an unusual django_migrations must not end the backup
            rows = conn.execute(
                sql.SQL("SELECT id, app, name FROM {}").format(sql.Identifier(schema, "django_migrations"))
            ).fetchall()
    except psycopg.errors.UndefinedColumn:
        return None
    if not all(isinstance(i, int) and isinstance(a, str) and isinstance(n, str) for i, a, n in rows):
        return None
    return [[app, name] for _, app, name in sorted(rows)]


def _write_error(exc: OSError, out: Path) -> ResguardoError:
    if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return ArchiveError(
            f"The disk is full (or the file grew past its size limit) while writing in {out.parent}; "
            "no file was written.",
            str(exc),
        )
    return ArchiveError(
        f"Cannot write the backup file in {out.parent}: {exc.strerror or exc}; no file was written.", str(exc)
    )

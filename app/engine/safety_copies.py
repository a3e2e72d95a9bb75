"""The schemas a restore leaves behind on purpose (safety copies) or by accident (staging of a killed run).

One safety copy is kept per tenant: the tenant as it was before the latest
restore or undo. A new restore drops the older copy in its swap transaction;
an undo swaps the copy back in and keeps the replaced state as the new copy,
so an undo can itself be undone. Both kinds are recognised by their marker
comment (app/engine/naming.py), never by their name alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql

from app.engine.connection import ConnectionTarget
from app.engine.errors import Cancelled, RestoreFailed, UsageError, first_line
from app.engine.isolation import prove_isolation
from app.engine.jobs import CancelToken, ProgressCallback, ProgressReporter, ignore_progress
from app.engine.locks import tenant_lock
from app.engine.naming import SAFETY_COPY, STAGING, SchemaMarker, safety_copy_name, utc_now_iso
from app.engine.statement_cancel import cancel_statements_on


@dataclass(frozen=True)
class MarkedSchema:
    oid: int
    name: str
    marker: SchemaMarker


@dataclass(frozen=True)
class LiveSchema:
    oid: int
    owner: str
    comment: str | None


@dataclass(frozen=True)
class UndoResult:
    tenant: str
    restored_from: str  # the safety copy that became the tenant again
    safety_copy: str | None  # where the replaced state went (None when the tenant had no schema)
    seconds: float


@dataclass(frozen=True)
class SwapOutcome:
    safety_copy: str | None
    dropped: list[str]  # older safety copies dropped to keep one
    touched: set[int]  # namespaces the swap changed, for the isolation proof


def marked_schemas(conn: psycopg.Connection, tenant: str, role: str) -> list[MarkedSchema]:
    """Schemas whose marker says `role` for `tenant`, newest first."""
    rows = conn.execute(
        "SELECT n.oid, n.nspname, d.description FROM pg_namespace n JOIN pg_description d"
        " ON d.objoid = n.oid AND d.classoid = 'pg_namespace'::regclass AND d.objsubid = 0"
        " WHERE d.description LIKE 'resguardo:%'"
    ).fetchall()
    found = []
    for oid, name, comment in rows:
        marker = SchemaMarker.from_comment(comment)
        if marker is not None and marker.role == role and marker.tenant == tenant:
            found.append(MarkedSchema(int(oid), name, marker))
    return sorted(found, key=lambda m: (m.marker.created_utc, m.name), reverse=True)


def live_schema(conn: psycopg.Connection, name: str) -> LiveSchema | None:
    row = conn.execute(
        "SELECT n.oid, pg_get_userbyid(n.nspowner), obj_description(n.oid, 'pg_namespace')"
        " FROM pg_namespace n WHERE n.nspname = %s", [name]
    ).fetchone()
    return LiveSchema(int(row[0]), str(row[1]), row[2]) if row else None


def drop_leftover_staging(conn: psycopg.Connection, tenant: str) -> list[MarkedSchema]:
    """Drop staging schemas of `tenant` left by killed runs; the caller holds the tenant's lock,
    so no live run can own them. Returns what was dropped (its namespaces count as touched)."""
    leftovers = marked_schemas(conn, tenant, STAGING)
    for schema in leftovers:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema.name)))
    return leftovers


def _free_safety_name(conn: psycopg.Connection, tenant: str) -> str:
    when = datetime.now(UTC)
    while True:
        name = safety_copy_name(tenant, when)
        if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name]).fetchone() is None:
            return name
        when += timedelta(seconds=1)


def _set_comment(conn: psycopg.Connection, schema: str, comment: str | None) -> None:
    conn.execute(sql.SQL("COMMENT ON SCHEMA {} IS {}").format(
        sql.Identifier(schema), sql.Literal(comment) if comment is not None else sql.SQL("NULL")))


def move_aside(conn: psycopg.Connection, tenant: str, live: LiveSchema, detail: str) -> str:
    """Rename the live schema to a safety copy, its own comment kept inside the marker."""
    name = _free_safety_name(conn, tenant)
    conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(tenant), sql.Identifier(name)))
    marker = SchemaMarker(SAFETY_COPY, tenant, utc_now_iso(), detail, live.comment)
    _set_comment(conn, name, marker.to_comment())
    return name


def swap_in(conn: psycopg.Connection, tenant: str, staging: str, staging_oid: int, detail: str) -> SwapOutcome:
    """Inside the caller's transaction: older safety copies out, live aside, staging in under the tenant's name."""
    live = live_schema(conn, tenant)
    older = marked_schemas(conn, tenant, SAFETY_COPY)
    for schema in older:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema.name)))
    copy = move_aside(conn, tenant, live, detail) if live is not None else None
    conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(staging), sql.Identifier(tenant)))
    _set_comment(conn, tenant, live.comment if live is not None else None)
    touched = {staging_oid, *(s.oid for s in older), *([live.oid] if live else [])}
    return SwapOutcome(copy, [s.name for s in older], touched)


def commit_proven(conn: psycopg.Connection, observer: psycopg.Connection, touched: set[int], action: str) -> None:
    """Fire deferred constraint triggers now, prove isolation, then commit (or raise; the caller rolls back)."""
    conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
    prove_isolation(conn, observer, touched, action=action)
    conn.commit()


def undo_restore(target: ConnectionTarget, schema: str, *, progress: ProgressCallback = ignore_progress,
                 cancel: CancelToken | None = None) -> UndoResult:
    """Swap the newest safety copy back in; the replaced state becomes the safety copy."""
    started = time.monotonic()
    reporter = ProgressReporter(progress, 1.0)
    reporter.stage("Checking the safety copy")
    with (target.connect() as conn, target.connect(autocommit=True) as observer, tenant_lock(conn, schema),
          cancel_statements_on(conn, cancel)):
        try:
            copies = marked_schemas(conn, schema, SAFETY_COPY)
            if not copies:
                raise UsageError(f"Tenant {schema!r} has no safety copy to go back to; nothing was changed.")
            copy = copies[0]
            live = live_schema(conn, schema)
            if cancel is not None:
                cancel.raise_if_cancelled()
            reporter.advance(0.3, "Swapping the safety copy back in")
            aside = move_aside(conn, schema, live, f"replaced by undo of {copy.name}") if live else None
            conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                sql.Identifier(copy.name), sql.Identifier(schema)))
            _set_comment(conn, schema, copy.marker.original_comment)
            if cancel is not None:
                cancel.raise_if_cancelled()
            commit_proven(conn, observer, {copy.oid, *([live.oid] if live else [])}, "The undo")
        except (Cancelled, psycopg.errors.QueryCanceled) as exc:
            conn.rollback()
            if isinstance(exc, Cancelled) or (cancel is not None and cancel.cancelled):
                raise Cancelled("Cancelled; nothing was changed.") from None
            raise RestoreFailed(f"The undo failed: {first_line(exc)}; nothing was changed.", str(exc)) from None
        except psycopg.Error as exc:
            conn.rollback()
            raise RestoreFailed(f"The undo failed: {first_line(exc)}; nothing was changed.", str(exc)) from None
        except BaseException:
            conn.rollback()
            raise
    reporter.finish("Undone")
    return UndoResult(schema, copy.name, aside, time.monotonic() - started)


def discard_safety_copy(target: ConnectionTarget, safety_schema: str) -> None:
    """Drop a safety copy (only a schema carrying Resguardo's safety-copy marker)."""
    with target.connect() as conn, target.connect(autocommit=True) as observer:
        found = live_schema(conn, safety_schema)
        marker = SchemaMarker.from_comment(found.comment) if found else None
        if found is None or marker is None or marker.role != SAFETY_COPY:
            raise UsageError(f"{safety_schema!r} is not a safety copy made by Resguardo; nothing was changed.")
        conn.rollback()
        with tenant_lock(conn, marker.tenant):
            try:
                again = live_schema(conn, safety_schema)
                if again is None or again.oid != found.oid:
                    raise UsageError(f"The safety copy {safety_schema!r} is gone; nothing was changed.")
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(safety_schema)))
                commit_proven(conn, observer, {found.oid}, "Discarding the safety copy")
            except psycopg.Error as exc:
                conn.rollback()
                raise RestoreFailed(f"The safety copy could not be dropped: {first_line(exc)}; nothing was changed.",
                                    str(exc)) from None
            except BaseException:
                conn.rollback()
                raise

"""Undo a restore: the tenant's newest safety copy becomes the tenant again.

The state it replaces is kept as the new safety copy, so an undo can itself be undone. Undo
returns exactly to the old state (administrator accounts are not carried over). It renames
schemas only, in one short transaction that locks the live tables without freezing the web
application (app/engine/restore/swap.py) and is proven isolated before it commits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import psycopg

from app.engine.catalog.tenants_table import clinic_schemas, find_tenants_table
from app.engine.connection import ConnectionTarget
from app.engine.errors import (
    Cancelled,
    PreflightError,
    ResguardoError,
    RestoreFailed,
    all_or_nothing,
    first_line,
)
from app.engine.jobs import CancelToken, ProgressCallback, ProgressReporter, ignore_progress
from app.engine.restore.checks import live_schema
from app.engine.restore.statement_cancel import cancel_statements_on
from app.engine.restore.swap import LockAttempts, LockPolicy, rename_schema, set_aside
from app.engine.restore.table_locks import Session
from app.engine.safety.locks import tenant_lock
from app.engine.safety.proven import Witness, proven_step
from app.engine.safety.registry import Registered, SchemaKind, ensure_registry, forget, registered


@dataclass(frozen=True)
class UndoResult:
    tenant: str
    restored_from: str  # the safety copy that became the tenant again
    safety_copy: str | None  # where the replaced state went (None when the tenant had no schema)
    seconds: float
    interrupted: list[Session] = field(default_factory=list)  # the application's work cancelled (--interrupt-app)


@all_or_nothing
def undo_restore(
    target: ConnectionTarget,
    schema: str,
    *,
    expected_copy: str | None = None,
    tenants_table: str | None = None,
    locks: LockPolicy = LockPolicy(),
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> UndoResult:
    """Swap the newest safety copy back in; the replaced state becomes the safety copy.

    `expected_copy`: the safety copy the caller means (the one its restore left); refused, with nothing
    changed, when the newest copy is another one (an undo or restore happened since)."""
    started = time.monotonic()
    cancel = cancel or CancelToken()
    reporter = ProgressReporter(progress, 1.0)
    reporter.stage("Checking the previous version")
    with (
        target.connect() as conn,
        target.connect(autocommit=True) as observer,
        tenant_lock(conn, schema),
        cancel_statements_on(conn, cancel),
    ):
        try:
            copy, aside, interrupted = _undo(
                conn, observer, schema, expected_copy, tenants_table, locks, reporter, cancel
            )
        except (Cancelled, psycopg.errors.QueryCanceled) as exc:
            if isinstance(exc, Cancelled) or cancel.cancelled:
                raise Cancelled("Cancelled.") from None
            raise RestoreFailed(f"The undo failed: {first_line(exc)}.", str(exc)) from None
        except ResguardoError:
            raise
        except psycopg.Error as exc:
            raise RestoreFailed(f"The undo failed: {first_line(exc)}.", str(exc)) from None
    reporter.finish("Undone")
    return UndoResult(schema, copy.name, aside, time.monotonic() - started, interrupted)


def _undo(
    conn: psycopg.Connection,
    observer: psycopg.Connection,
    schema: str,
    expected_copy: str | None,
    tenants_table: str | None,
    locks: LockPolicy,
    reporter: ProgressReporter,
    cancel: CancelToken,
) -> tuple[Registered, str | None, list[Session]]:
    clinics = clinic_schemas(conn, find_tenants_table(conn, tenants_table))
    copies = registered(conn, schema, SchemaKind.SAFETY_COPY, clinics)
    conn.rollback()
    if not copies:
        raise PreflightError(f"Tenant {schema!r} has no safety copy to go back to.")
    copy = copies[0]
    if expected_copy is not None and copy.name != expected_copy:
        raise PreflightError(
            f"The previous version {expected_copy} is no longer {schema}'s latest (it is "
            f"{copy.name}: a restore or an undo happened since)."
        )
    cancel.raise_if_cancelled()
    witness = Witness(observer, conn.info.backend_pid, schema)
    reporter.advance(0.3, "Swapping the previous version back in")
    attempts = LockAttempts(conn, observer, locks, cancel)

    def attempt() -> str | None:
        live = live_schema(conn, schema)
        allowed = {copy.oid, *([live.oid] if live else [])}
        with proven_step(conn, witness, allowed, "The undo"):
            allowed.add(ensure_registry(conn))
            aside = None
            if live is not None:
                attempts.lock_tables(live.oid)
                aside = set_aside(conn, schema, live.oid, live.owner_oid, f"replaced by undo of {copy.name}")
            rename_schema(conn, copy.name, schema)
            forget(conn, [copy.oid])
            cancel.raise_if_cancelled()
        return aside

    return copy, attempts.run(attempt, "The undo"), attempts.interrupted

"""Discard a safety copy: drop a schema Resguardo kept for undo, and its record."""

from __future__ import annotations

import psycopg

from app.engine.catalog.tenants_table import clinic_schemas, find_tenants_table
from app.engine.connection import ConnectionTarget
from app.engine.errors import PreflightError, ResguardoError, RestoreFailed, all_or_nothing, first_line
from app.engine.jobs import CancelToken
from app.engine.restore.checks import live_schema
from app.engine.restore.swap import LockPolicy, drop_registered
from app.engine.restore.table_locks import Session
from app.engine.safety.locks import tenant_lock
from app.engine.safety.proven import Witness
from app.engine.safety.registry import SchemaKind, all_registered, registered


@all_or_nothing
def discard_safety_copy(
    target: ConnectionTarget,
    safety_schema: str,
    *,
    tenants_table: str | None = None,
    locks: LockPolicy = LockPolicy(),
    cancel: CancelToken | None = None,
) -> list[Session]:
    """Drop a safety copy: only a schema Resguardo's record and the catalog agree is one, under its tenant's lock.
    Returns the sessions of the application whose work was interrupted (only with `locks.interrupt_after`)."""
    cancel = cancel or CancelToken()
    not_a_copy = PreflightError(f"{safety_schema!r} is not a safety copy made by Resguardo.")
    with target.connect() as conn, target.connect(autocommit=True) as observer:
        found = live_schema(conn, safety_schema)
        made = all_registered(conn).get(found.oid) if found else None
        conn.rollback()
        if found is None or made is None or made[0] is not SchemaKind.SAFETY_COPY:
            raise not_a_copy
        tenant = made[1]
        with tenant_lock(conn, tenant):
            clinics = clinic_schemas(conn, find_tenants_table(conn, tenants_table))
            if found.oid not in {c.oid for c in registered(conn, tenant, SchemaKind.SAFETY_COPY, clinics)}:
                raise not_a_copy
            conn.rollback()
            witness = Witness(observer, conn.info.backend_pid, tenant)
            try:
                return drop_registered(
                    conn, observer, witness, found.oid, safety_schema, locks, cancel, "Discarding the safety copy"
                ).interrupted
            except ResguardoError:
                raise
            except psycopg.Error as exc:
                raise RestoreFailed(f"The safety copy could not be dropped: {first_line(exc)}.", str(exc)) from None

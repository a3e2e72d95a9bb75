"""What a restore removes besides its own work: staging schemas of killed runs, the tenant's older safety copy,
and, after a failure, its own staging schema. Each drop is a proven step of its own, under the tenant's lock; the
first two commit without waiting for the disk: a crash can only bring such a schema back, and the next restore
drops it again."""

from __future__ import annotations

import psycopg

from app.engine.connection import ConnectionTarget
from app.engine.errors import ResguardoError, first_line
from app.engine.jobs import CancelToken
from app.engine.restore.swap import LockPolicy, drop_registered
from app.engine.safety.locks import tenant_lock
from app.engine.safety.proven import Witness
from app.engine.safety.registry import SchemaKind, registered


def drop_leftovers(
    user: psycopg.Connection,
    observer: psycopg.Connection,
    witness: Witness,
    schema: str,
    clinics: frozenset[str],
    locks: LockPolicy,
    cancel: CancelToken,
) -> list[str]:
    """Staging schemas of this tenant left by killed runs, dropped (we hold the tenant's lock, so no live run
    owns one); their names."""
    cleaned = []
    for leftover in registered(user, schema, SchemaKind.STAGING, clinics):
        drop_registered(
            user,
            observer,
            witness,
            leftover.oid,
            leftover.name,
            locks,
            cancel,
            "Cleaning up an interrupted restore",
            flush=False,
        )
        cleaned.append(leftover.name)
    return cleaned


def drop_older_copies(
    user: psycopg.Connection,
    observer: psycopg.Connection,
    witness: Witness,
    schema: str,
    clinics: frozenset[str],
    newest: str | None,
    locks: LockPolicy,
    cancel: CancelToken,
) -> tuple[list[str], list[str]]:
    """One safety copy per tenant: older ones go, in their own step. Failing here changes nothing of the
    restore (it is done); the copy stays and the next restore drops it. (dropped, warnings)"""
    older = [c for c in registered(user, schema, SchemaKind.SAFETY_COPY, clinics) if c.name != newest]
    dropped, warnings = [], []
    for copy in older:
        try:
            drop_registered(
                user,
                observer,
                witness,
                copy.oid,
                copy.name,
                locks,
                cancel,
                "Removing the older previous version",
                flush=False,
            )
            dropped.append(copy.name)
        except (ResguardoError, psycopg.Error) as exc:
            warnings.append(
                f"The older previous version {copy.name} could not be removed now "
                f"({first_line(exc)}); the next restore removes it."
            )
    return dropped, warnings


def drop_staging_now(target: ConnectionTarget, schema: str, oid: int, name: str, locks: LockPolicy) -> None:
    """Drop the staging schema on fresh connections, under the tenant lock, if it is still registered as this
    clinic's staging schema; raises what went wrong."""
    with (
        target.connect() as conn,
        target.connect(autocommit=True) as observer,
        tenant_lock(conn, schema),
    ):
        if oid in {s.oid for s in registered(conn, schema, SchemaKind.STAGING)}:
            witness = Witness(observer, conn.info.backend_pid, schema)
            drop_registered(conn, observer, witness, oid, name, locks, CancelToken(), "Cleaning up")

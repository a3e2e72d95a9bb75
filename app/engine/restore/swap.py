"""The short transactions that rename schemas while the web application keeps running.

A schema rename takes no table locks, so on its own it could split an application transaction:
one update before it, into the old tables, one after, into the new. The swap therefore locks
every table of the schemas it renames (ACCESS EXCLUSIVE, app/engine/restore/table_locks.py: never
waiting while it holds one, so never in a deadlock, and never making the application wait more than a
fraction of a second): transactions that touched them finish first; statements that wait behind the
lock find, once it is released, the renamed tables by name again (PostgreSQL resolves a name anew after
waiting for a lock). Every attempt is one transaction, proven isolated and committed only while the
tenant's job lock is still held (app/engine/safety/proven.py). The restore, the undo and the discard
share these steps: setting the live tenant aside as a recorded safety copy, and dropping a recorded schema.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql

from app.engine.jobs import CancelToken
from app.engine.restore.load_step import commit_without_flush
from app.engine.restore.statement_cancel import cancel_statements_on
from app.engine.restore.table_locks import LockAttempts, LockPolicy
from app.engine.safety.naming import safety_copy_name, safety_copy_stamp
from app.engine.safety.proven import Witness, proven_step
from app.engine.safety.registry import SchemaKind, ensure_registry, forget, record

__all__ = [  # LockPolicy and LockAttempts with the steps that use them
    "LockAttempts",
    "LockPolicy",
    "drop_registered",
    "free_safety_name",
    "rename_schema",
    "set_aside",
    "set_comment",
]


def free_safety_name(conn: psycopg.Connection, tenant: str) -> str:
    """A free name newer than now and than every kept copy's of this tenant: a name is not reused
    while a copy is kept, so an Undo bound to a dropped copy cannot wake up on a newer one.
    Stamps more than a day ahead (a schema someone else named so) are not followed."""
    now = datetime.now(UTC).replace(microsecond=0)
    when = now
    for (name,) in conn.execute(r"SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rg\_safety\_%'"):
        stamp = safety_copy_stamp(name, tenant)
        if stamp is not None and stamp < now + timedelta(days=1):
            when = max(when, stamp + timedelta(seconds=1))
    while conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [safety_copy_name(tenant, when)]).fetchone():
        when += timedelta(seconds=1)
    return safety_copy_name(tenant, when)


def rename_schema(conn: psycopg.Connection, old: str, new: str) -> None:
    conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(old), sql.Identifier(new)))


def set_comment(conn: psycopg.Connection, schema: str, comment: str | None) -> None:
    conn.execute(
        sql.SQL("COMMENT ON SCHEMA {} IS {}").format(
            sql.Identifier(schema), sql.Literal(comment) if comment is not None else sql.SQL("NULL")
        )
    )


def set_aside(conn: psycopg.Connection, tenant: str, live_oid: int, owner_oid: int, detail: str) -> str:
    """Rename the live tenant to a new safety-copy name and record it as that tenant's previous version
    (inside the caller's proven step, after its tables are locked); the name it got."""
    aside = free_safety_name(conn, tenant)
    rename_schema(conn, tenant, aside)
    record(conn, live_oid, aside, SchemaKind.SAFETY_COPY, tenant, owner_oid, detail)
    return aside


def drop_registered(
    conn: psycopg.Connection,
    observer: psycopg.Connection,
    witness: Witness,
    oid: int,
    name: str,
    locks: LockPolicy,
    cancel: CancelToken,
    action: str,
    *,
    flush: bool = True,
) -> LockAttempts:
    """Drop a schema Resguardo recorded (after locking its tables without freezing anyone) and its record;
    the attempts, which say whose work was interrupted. `flush=False`: the COMMIT does not wait for the disk
    (a leftover or an older copy, which a crash may bring back and the next restore drops again)."""
    attempts = LockAttempts(conn, observer, locks, cancel)

    def attempt() -> None:
        allowed = {oid}
        with proven_step(conn, witness, allowed, action):
            if not flush:
                commit_without_flush(conn)
            allowed.add(ensure_registry(conn))
            attempts.lock_tables(oid)
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))
            forget(conn, [oid])

    with cancel_statements_on(conn, cancel):
        attempts.run(attempt, action)
    return attempts

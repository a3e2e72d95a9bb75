"""One backup or restore per tenant at a time, across processes and machines.

A session-level advisory lock on the job's own connection: it is released when
the job ends or when its process dies (the server drops the connection).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from app.engine.errors import TenantBusy

_LOCK_CLASS = 0x5247  # "RG": keeps our keys apart from the application's own advisory locks


@contextmanager
def tenant_lock(conn: psycopg.Connection, schema: str) -> Iterator[None]:
    """Hold the tenant's job lock, or raise TenantBusy at once."""
    got = conn.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", [_LOCK_CLASS, schema]).fetchone()
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE and not conn.autocommit:
        conn.commit()  # the lock is session-level; do not leave a transaction open for it
    if not got or not got[0]:
        raise TenantBusy(
            f"Tenant {schema!r} is busy: another backup or restore of it is running "
            "(on this or another computer). Try again when it has finished."
        )
    try:
        yield
    finally:
        _release(conn, schema)


def _release(conn: psycopg.Connection, schema: str) -> None:
    """Best effort: a lost connection has released the lock already, with its session."""
    if conn.closed or conn.broken:
        return
    try:
        if conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
            conn.rollback()
        conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [_LOCK_CLASS, schema])
        if not conn.autocommit:
            conn.commit()
    except psycopg.Error:
        pass


def tenant_is_locked(conn: psycopg.Connection, schema: str) -> bool:
    """True while some session holds the tenant's job lock (used to tell live runs from dead ones)."""
    row = conn.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s"
        " AND objid = hashtext(%s)::oid AND objsubid = 2 AND granted",
        [_LOCK_CLASS, schema],
    ).fetchone()
    return bool(row and row[0])


def holds_tenant_lock(observer: psycopg.Connection, pid: int, schema: str) -> bool:
    """True while session `pid` holds the tenant's job lock (a step commits only then)."""
    row = observer.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s"
        " AND objid = hashtext(%s)::oid AND objsubid = 2 AND granted AND pid = %s",
        [_LOCK_CLASS, schema, pid],
    ).fetchone()
    return bool(row and row[0])

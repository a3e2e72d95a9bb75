"""One transaction of a job, committed only once it is proven to have changed nothing outside the tenant.

The transaction that is proven is the one that commits: its id is taken when it starts and must be
the same, still open, just before the proof (a COMMIT smuggled into the work would have ended it);
and the tenant's job lock must still be held by the job's own session when it commits, so no other
job of the tenant ran in between. Any failure rolls the transaction back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import psycopg

from app.engine.errors import RestoreFailed
from app.engine.safety.isolation import prove_isolation, write_counts
from app.engine.safety.locks import holds_tenant_lock


@dataclass(frozen=True)
class Witness:
    """What every step of a job proves itself against: a second session of the user's, which sees
    the committed state, and the session that holds the tenant's job lock."""

    observer: psycopg.Connection
    lock_session_pid: int
    tenant: str


@contextmanager
def proven_step(conn: psycopg.Connection, witness: Witness, allowed: set[int], action: str) -> Iterator[None]:
    """Run the body in one transaction on `conn`; prove and commit it, or roll it back.

    `allowed`: the schemas (oids) the step may change; the body may add to it (a schema it creates).
    """
    xid = _xid(conn)
    before = write_counts(conn)
    try:
        yield
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")  # deferred checks and triggers run now, before the proof
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.INTRANS or _xid(conn) != xid:
            raise RestoreFailed(
                f"{action} ended its transaction early, which Resguardo never allows; the rest was rolled back."
            )
        prove_isolation(conn, witness.observer, allowed, before, action=action)
        if not holds_tenant_lock(witness.observer, witness.lock_session_pid, witness.tenant):
            raise RestoreFailed("The job lost its lock on the tenant (its connection was closed); it was rolled back.")
        conn.commit()
    except BaseException:
        if not conn.closed and not conn.broken:
            with suppress(psycopg.Error):
                conn.rollback()
        raise


def _xid(conn: psycopg.Connection) -> str:
    row = conn.execute("SELECT pg_current_xact_id()::text").fetchone()
    assert row is not None
    return str(row[0])

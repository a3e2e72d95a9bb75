"""The short transactions that rename schemas while the web application keeps running.

A schema rename takes no table locks, so on its own it could split an application transaction:
one update before it, into the old tables, one after, into the new. The swap therefore locks
every table of the schemas it renames (ACCESS EXCLUSIVE): transactions that touched them finish
first; statements that wait behind the lock find, once it is released, the renamed tables by
name again (PostgreSQL resolves a name anew after waiting for a lock).

Waiting must never freeze the application: each attempt waits at most `attempt_seconds` for its locks,
all tables together (statements of the application queue behind a waiting lock request and behind the
locks already taken, so no longer than that), then gives every lock back and tries again after a pause,
for at most `total_seconds`. When it gives up, the error names the object and the session that held
it. Every attempt is one transaction, proven isolated and committed only while the tenant's job lock is
still held (app/engine/safety/proven.py). The restore, the undo and the discard share these steps: setting
the live tenant aside as a recorded safety copy, and dropping a recorded schema.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import psycopg
from psycopg import sql

from app.engine.errors import Cancelled, RestoreFailed
from app.engine.jobs import CancelToken
from app.engine.restore.statement_cancel import cancel_statements_on
from app.engine.safety.naming import safety_copy_name, safety_copy_stamp
from app.engine.safety.proven import Witness, proven_step
from app.engine.safety.registry import SchemaKind, ensure_registry, forget, record

T = TypeVar("T")


@dataclass(frozen=True)
class LockPolicy:
    """How long one lock attempt may make the application wait, and how long to keep trying."""

    attempt_seconds: float = 2.0
    total_seconds: float = 60.0


@dataclass(frozen=True)
class Holder:
    """The session that kept an object locked, as pg_stat_activity describes it."""

    pid: int
    application: str
    client: str
    state: str
    since: str
    query: str

    def sentence(self) -> str:
        app = f"{self.application}, " if self.application else ""
        return (
            f"session {self.pid} ({app}from {self.client or 'this server'}, {self.state or 'unknown state'} "
            f"since {self.since}: {self.query or 'no query'})"
        )


class LockBusy(Exception):
    """One attempt could not get a lock in time; the transaction was rolled back."""

    def __init__(self, what: str, holder: Holder | None, deadlock: bool = False) -> None:
        super().__init__(what)
        self.what = what
        self.holder = holder
        self.deadlock = deadlock


def lock_relations(conn: psycopg.Connection, observer: psycopg.Connection, schema_oid: int, policy: LockPolicy) -> None:
    """ACCESS EXCLUSIVE on every table of a schema, one at a time, all within one attempt's time.

    The limit is for the attempt, not for each table: the tables locked first stay locked while the later
    ones are waited for, so per-table limits would add up for the application queued behind them.
    Inside the caller's transaction. On a timeout or a deadlock, raises LockBusy naming the table and
    who held it (the caller rolls back, which gives back the locks already taken)."""
    deadline = time.monotonic() + policy.attempt_seconds
    rows = conn.execute(
        "SELECT c.oid, format('%%I.%%I', n.nspname, c.relname) FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        # LOCK TABLE refuses materialized views ("not supported for materialized views")
        " WHERE c.relnamespace = %s AND c.relkind IN ('r', 'p', 'f') ORDER BY c.oid",
        [schema_oid],
    ).fetchall()
    if _all_at_once(conn, [name for _, name in rows]):
        return
    for oid, name in rows:
        left_ms = max(int((deadline - time.monotonic()) * 1000), 1)
        conn.execute("SELECT set_config('lock_timeout', %s, true)", [f"{left_ms}ms"])
        try:
            conn.execute(sql.SQL("LOCK TABLE ONLY {} IN ACCESS EXCLUSIVE MODE").format(sql.SQL(name)))
        except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected) as exc:
            deadlock = isinstance(exc, psycopg.errors.DeadlockDetected)
            holder = _holder(observer, int(oid), conn.info.backend_pid)
            raise LockBusy(f"the table {name}", holder, deadlock) from None


def _all_at_once(conn: psycopg.Connection, names: list[str]) -> bool:
    """Every table in one statement when none is in use (the usual case): NOWAIT never queues in front of the
    application, and a round trip per table (two, with its time limit) cost 0.1 s for 300 tables. When one is
    in use, the savepoint gives back what was taken and the tables are locked one at a time, waiting."""
    if not names:
        return True
    try:
        with conn.transaction():
            conn.execute(
                sql.SQL("LOCK TABLE ONLY {} IN ACCESS EXCLUSIVE MODE NOWAIT").format(
                    sql.SQL(", ").join(sql.SQL(name) for name in names)
                )
            )
    except psycopg.errors.LockNotAvailable:
        return False
    return True


def _holder(observer: psycopg.Connection, relation: int, me: int) -> Holder | None:
    row = observer.execute(
        "SELECT a.pid, a.application_name, coalesce(host(a.client_addr), ''), coalesce(a.state, ''),"
        " coalesce(to_char(a.state_change, 'YYYY-MM-DD HH24:MI:SS'), ''), left(coalesce(a.query, ''), 80)"
        " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'relation' AND l.relation = %s AND l.granted AND l.pid <> %s"
        " ORDER BY a.xact_start NULLS LAST LIMIT 1",
        [relation, me],
    ).fetchone()
    return Holder(int(row[0]), *(str(v) for v in row[1:])) if row else None


def with_lock_attempts(
    conn: psycopg.Connection, policy: LockPolicy, cancel: CancelToken, attempt: Callable[[], T], action: str
) -> T:
    """Run `attempt` (one transaction that ends by committing) until no lock keeps it waiting too long.

    Between attempts the transaction is rolled back, so nothing waits on us while we pause.
    """
    deadline = time.monotonic() + policy.total_seconds
    pause = 0.1
    while True:
        try:
            return attempt()
        except LockBusy as busy:
            _roll_back(conn)
            left = deadline - time.monotonic()
            if left <= 0:
                raise _gave_up(busy, policy, action) from None
            if cancel.wait(min(pause, left)):
                raise Cancelled("Cancelled.") from None
            pause = min(pause * 2, 2.0)


def _gave_up(busy: LockBusy, policy: LockPolicy, action: str) -> RestoreFailed:
    who = busy.holder.sentence() if busy.holder else "a session that has ended since"
    why = "deadlocked with" if busy.deadlock else "was kept locked by"
    return RestoreFailed(
        f"{action} gave up after {policy.total_seconds:.0f} s: {busy.what} {why} {who}. Try again when the web "
        "application is quieter (or end that session).",
        f"{busy.what}; holder: {who}",
    )


def _roll_back(conn: psycopg.Connection) -> None:
    if not conn.closed and not conn.broken:
        with contextlib.suppress(psycopg.Error):
            conn.rollback()


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
) -> None:
    """Drop a schema Resguardo recorded (after locking its tables without freezing anyone) and its record."""

    def attempt() -> None:
        allowed = {oid}
        with proven_step(conn, witness, allowed, action):
            allowed.add(ensure_registry(conn))
            lock_relations(conn, observer, oid, locks)
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))
            forget(conn, [oid])

    with cancel_statements_on(conn, cancel):
        with_lock_attempts(conn, locks, cancel, attempt, action)

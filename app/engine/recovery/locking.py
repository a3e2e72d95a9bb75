"""The tables a recovery writes, locked ROW EXCLUSIVE without ever waiting while holding a lock.

ROW EXCLUSIVE is what every INSERT and DELETE takes: the web application's reads and writes never wait for
it; only a schema change, a restore's swap or an explicit LOCK does. Each attempt takes every table in one
`LOCK ... NOWAIT` statement, or nothing; if one is in use that way, the attempt's transaction is rolled back
(nothing held) and tried again after a short, jittered pause, within the job's `LockPolicy.total_seconds`.
Once locked, each name is checked to still be the plain table of the oid it resolves to, and described
(columns, key) from the catalog as it is now.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import psycopg
from psycopg import sql

from app.engine.comparison.live import LiveTable, describe_tables
from app.engine.errors import Cancelled, Choice, RestoreFailed
from app.engine.jobs import CancelToken
from app.engine.restore.swap import LockPolicy
from app.engine.safety.relation_guard import Relation, plain_table, recheck

T = TypeVar("T")
_FIRST_PAUSE, _LONGEST_PAUSE = 0.05, 0.5


class TablesBusy(Exception):
    """One attempt found a table locked against writing; the caller's transaction is rolled back."""


def lock_for_writing(conn: psycopg.Connection, schema: str, names: Sequence[str]) -> dict[str, LiveTable]:
    """ROW EXCLUSIVE NOWAIT on `schema.names`, inside the caller's transaction; TablesBusy if one is in use."""
    relations: list[Relation] = []
    for name in names:
        found = plain_table(conn, schema, name)
        if found is None:
            raise RestoreFailed(f"The clinic's table {name} is gone or is no longer a plain table.")
        relations.append(found)
    try:
        with conn.transaction():
            conn.execute(
                sql.SQL("LOCK TABLE ONLY {} IN ROW EXCLUSIVE MODE NOWAIT").format(
                    sql.SQL(", ").join(r.identifier() for r in relations)
                )
            )
    except psycopg.errors.LockNotAvailable:
        raise TablesBusy from None
    recheck(conn, relations)  # the names still name the tables listed, now that they are locked
    return describe_tables(conn, relations)


def bound_row_waits(conn: psycopg.Connection, policy: LockPolicy) -> None:
    """A row lock the writes wait for (a foreign key's check of a parent row the application is changing, a key
    it is inserting too) is waited for at most one attempt, and never half the server's `deadlock_timeout`:
    PostgreSQL's deadlock check then never finds Resguardo waiting, so it never ends the application's statement;
    `row_waits_retried` turns the timeout into another attempt."""
    row = conn.execute("SELECT extract(epoch FROM pg_catalog.current_setting('deadlock_timeout')::interval)").fetchone()
    budget = min(policy.attempt_seconds, (float(row[0]) if row else 1.0) / 2)
    conn.execute("SELECT pg_catalog.set_config('lock_timeout', %s, true)", [f"{max(int(budget * 1000), 1)}ms"])


@contextmanager
def row_waits_retried() -> Iterator[None]:
    try:
        yield
    except psycopg.errors.LockNotAvailable:
        raise TablesBusy from None


def with_attempts(
    conn: psycopg.Connection, attempt: Callable[[], T], policy: LockPolicy, cancel: CancelToken, action: str
) -> T:
    """`attempt` (one transaction on `conn`) until its locks are had, for at most `policy.total_seconds`."""
    deadline = time.monotonic() + policy.total_seconds
    pause, tries = _FIRST_PAUSE, 0
    while True:
        tries += 1
        try:
            return attempt()
        except TablesBusy:
            if not conn.closed and not conn.broken:
                conn.rollback()
            left = deadline - time.monotonic()
            if left <= 0:
                raise RestoreFailed(
                    f"{action} gave up after {policy.total_seconds:.0f} s and {tries} attempts: a table it writes "
                    "was locked against writing (a schema change, a restore, or an explicit LOCK by another "
                    "session), or a row it needed was kept locked, each time. Try again later, or "
                    f"{Choice.LONGER_LOCK_WAIT}.",
                    choices=(Choice.LONGER_LOCK_WAIT,),
                ) from None
            if cancel.wait(min(pause * random.uniform(0.5, 1.5), left)):
                raise Cancelled("Cancelled.") from None
            pause = min(pause * 1.5, _LONGEST_PAUSE)

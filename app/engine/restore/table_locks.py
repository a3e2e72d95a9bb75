"""Every table of a schema locked ACCESS EXCLUSIVE without ever deadlocking with the web application.

A deadlock needs a session that waits while holding a lock someone else waits for. So an attempt never
waits while it holds a table: it takes every table at once with NOWAIT; if one is in use, it queues for
the busiest one alone, holding nothing, then takes the rest with NOWAIT, trying again (NOWAIT, every
10 ms) only while no session that holds one of them is waiting for the table it already has. The queue and
the tries end within the attempt's budget, at most half the server's `deadlock_timeout` (and
`LockPolicy.attempt_seconds`), so the application's statements wait at most that long behind it and
PostgreSQL's deadlock check, which runs `deadlock_timeout` after a wait began, never finds Resguardo
waiting. A failed attempt gives everything back (the caller rolls back); the next one follows after a short,
jittered pause. What each attempt found in use is kept, so that giving up says what truly kept the swap
waiting: how often each table was in use, or the one session that held a table through every attempt.

With `interrupt_after`, once the swap has tried that long, each attempt cancels (`pg_cancel_backend`)
the statements of the application sessions that hold or wait for the lock it needs on this schema's
tables (never another schema's, never Resguardo's own sessions), the way pg_repack does; the job reports
which.

Autovacuum is not the application: a worker vacuuming or analyzing one of the tables (as it does soon after a
restore loaded them) would keep every attempt from its lock until it ends, seconds for a large table, since
PostgreSQL cancels a worker in a lock's way only once a waiter has waited `deadlock_timeout`, and an attempt
never waits that long. So an attempt that finds a table held by an autovacuum worker cancels the worker itself,
as PostgreSQL would (never one that prevents wraparound, which PostgreSQL never cancels either); autovacuum comes
back to the table later. Without the right to signal it (a superuser's, or pg_signal_autovacuum_worker on
PostgreSQL 18), the attempts wait for it as before.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import psycopg
from psycopg import sql

from app.engine.catalog.schema_oids import IN_SCHEMA
from app.engine.connection import APPLICATION_NAME
from app.engine.errors import Cancelled, Choice, PreflightError, RestoreFailed
from app.engine.jobs import CancelToken
from app.engine.safety.relation_guard import Relation, recheck

T = TypeVar("T")
_RETRY_SECONDS = 0.01  # between two NOWAIT tries of the remaining tables, holding the busiest one
_FIRST_PAUSE, _LONGEST_PAUSE = 0.05, 0.25  # between attempts, before the jitter


@dataclass(frozen=True)
class LockPolicy:
    """How long one lock attempt may make the application wait, how long to keep trying, and whether (after how
    many seconds of trying) to interrupt the application's work on the tenant's tables."""

    attempt_seconds: float = 0.25
    total_seconds: float = 60.0
    interrupt_after: float | None = None


@dataclass(frozen=True)
class Session:
    """A session of the application that used a table, as pg_stat_activity describes it."""

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

    def short(self) -> str:
        """pid, application and client: what an interruption report names."""
        app = f"{self.application}, " if self.application else ""
        return f"session {self.pid} ({app}from {self.client or 'this server'})"


class LockBusy(Exception):
    """One attempt could not get every lock in time; the caller rolls back."""


@dataclass
class _Seen:
    """What the attempts found in use."""

    attempts: int = 0
    tables: dict[str, int] = field(default_factory=dict)  # table -> attempts in which it was in use
    holders: dict[tuple[int, str], tuple[Session, str, int]] = field(default_factory=dict)  # -> table, attempts


# The sessions using (holding or waiting for) relations of this database, other than ours.
_USERS = """
SELECT l.relation, l.granted, a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), ''),
       coalesce(a.state, ''), coalesce(to_char(a.state_change, 'YYYY-MM-DD HH24:MI:SS'), ''),
       left(coalesce(a.query, ''), 80), coalesce(a.xact_start::text, ''),
       a.backend_type = 'client backend' AND a.application_name IS DISTINCT FROM %(ours)s
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'relation' AND l.relation = ANY(%(oids)s)
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND l.pid <> ALL(%(us)s)
"""

# Autovacuum workers holding a lock on one of `oids` (PostgreSQL never cancels one that prevents wraparound).
_AUTOVACUUM = """
SELECT DISTINCT a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'relation' AND l.granted AND l.relation = ANY(%(oids)s)
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND a.backend_type = 'autovacuum worker' AND position('wraparound' IN coalesce(a.query, '')) = 0
"""

# Sessions holding one of `oids` while they wait for a lock that `me` holds: waiting on, they would wait forever.
_WAITS_ON_US = """
SELECT EXISTS (SELECT 1 FROM pg_locks h WHERE h.granted AND h.locktype = 'relation' AND h.relation = ANY(%(oids)s)
  AND h.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND %(me)s = ANY(pg_blocking_pids(h.pid)))
"""


class LockAttempts:
    """One job's attempts at a schema's locks: `run` repeats an attempt (one transaction on `conn`) until it gets
    every lock in time; inside it, `lock_tables` takes them. `interrupted` lists the sessions whose work was
    cancelled (only with `LockPolicy.interrupt_after`)."""

    def __init__(
        self, conn: psycopg.Connection, observer: psycopg.Connection, policy: LockPolicy, cancel: CancelToken
    ) -> None:
        self.conn, self.observer, self.policy, self.cancel = conn, observer, policy, cancel
        self.interrupted: list[Session] = []
        self._uncancellable: dict[int, Session] = {}  # idle in a transaction: a cancel does not reach them
        self._seen = _Seen()
        self._started: float | None = None
        self._us = [conn.info.backend_pid, observer.info.backend_pid]
        self.budget = min(policy.attempt_seconds, _deadlock_timeout(observer) / 2)

    def run(self, attempt: Callable[[], T], action: str) -> T:
        """`attempt` until it returns; between attempts the transaction is rolled back (nothing of ours waits or
        is held while we pause). Gives up, changing nothing, after `total_seconds`."""
        self._started = self._started or time.monotonic()
        deadline = self._started + self.policy.total_seconds
        pause = _FIRST_PAUSE
        while True:
            try:
                return attempt()
            except LockBusy:
                if not self.conn.closed and not self.conn.broken:
                    self.conn.rollback()
                left = deadline - time.monotonic()
                if left <= 0:
                    raise self._gave_up(action) from None
                if self.cancel.wait(min(pause * random.uniform(0.5, 1.5), left)):
                    raise Cancelled("Cancelled.") from None
                pause = min(pause * 1.5, _LONGEST_PAUSE)

    def lock_tables(self, schema_oid: int) -> None:
        """ACCESS EXCLUSIVE on every table of the schema, inside the caller's transaction, never waiting while
        holding one; LockBusy when the budget ran out (the caller rolls back, giving back what was taken)."""
        deadline = time.monotonic() + self.budget
        listed = self.conn.execute(
            "SELECT c.oid, n.nspname, c.relname, c.relkind IN ('r', 'p'), format('%%I.%%I', n.nspname, c.relname)"
            " FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            # LOCK TABLE refuses materialized views ("not supported for materialized views")
            f" WHERE c.oid = ANY({IN_SCHEMA}) AND c.relkind IN ('r', 'p', 'f') ORDER BY c.oid",
            {"nsp": schema_oid},
        ).fetchall()
        tables = {int(row[0]): str(row[4]) for row in listed}
        self._take(tables, deadline)
        try:  # a name looked up again after a wait may name what the owner put in the table's place
            recheck(self.conn, [Relation(nsp, rel, int(oid)) for oid, nsp, rel, plain, _ in listed if plain])
        except PreflightError:
            raise LockBusy from None  # the next attempt lists the tables again

    def _take(self, tables: dict[int, str], deadline: float) -> None:
        """Every table, NOWAIT first; else queue for the busiest alone, then the rest."""
        if not tables or self._nowait(list(tables.values())):
            return
        self._stop_autovacuum(list(tables))
        users = self._users(list(tables))
        self._tally(tables, users)
        first = max(tables, key=lambda oid: (len(users.get(oid, ())), self._seen.tables.get(tables[oid], 0)))
        if self._interrupting():
            self._interrupt([first], waiting_too=True)
        self._queue_for(tables[first], deadline)
        rest = {oid: name for oid, name in tables.items() if oid != first}
        while not self._nowait(list(rest.values())):
            if time.monotonic() + _RETRY_SECONDS >= deadline or self.cancel.cancelled or self._waits_on_us(rest):
                raise LockBusy
            if self._interrupting():
                self._interrupt(list(rest), waiting_too=False)
            time.sleep(_RETRY_SECONDS)

    # -- the locks --------------------------------------------------------------------------------

    def _nowait(self, names: list[str]) -> bool:
        """Every table in one statement, or none (its savepoint gives back what it took); never queues."""
        if not names:
            return True
        try:
            with self.conn.transaction():
                self.conn.execute(
                    sql.SQL("LOCK TABLE ONLY {} IN ACCESS EXCLUSIVE MODE NOWAIT").format(
                        sql.SQL(", ").join(sql.SQL(name) for name in names)
                    )
                )
        except psycopg.errors.LockNotAvailable:
            return False
        return True

    def _queue_for(self, name: str, deadline: float) -> None:
        """Wait for one table, holding no other, until the deadline at most."""
        left_ms = max(int((deadline - time.monotonic()) * 1000), 1)
        self.conn.execute("SELECT set_config('lock_timeout', %s, true)", [f"{left_ms}ms"])
        try:
            self.conn.execute(sql.SQL("LOCK TABLE ONLY {} IN ACCESS EXCLUSIVE MODE").format(sql.SQL(name)))
        except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected):
            raise LockBusy from None

    def _waits_on_us(self, rest: dict[int, str]) -> bool:
        row = self.observer.execute(_WAITS_ON_US, {"oids": list(rest), "me": self._us[0]}).fetchone()
        return bool(row and row[0])

    # -- what was in use, and by whom -------------------------------------------------------------

    def _users(self, oids: list[int]) -> dict[int, list[tuple[bool, Session, str, bool]]]:
        """Per table: (granted, session, transaction start, is an application session) of each session using it."""
        found: dict[int, list[tuple[bool, Session, str, bool]]] = {}
        rows = self.observer.execute(_USERS, {"oids": oids, "us": self._us, "ours": APPLICATION_NAME}).fetchall()
        for relation, granted, pid, app, client, state, since, query, xact, theirs in rows:
            session = Session(int(pid), str(app), str(client), str(state), str(since), str(query))
            found.setdefault(int(relation), []).append((bool(granted), session, str(xact), bool(theirs)))
        return found

    def _tally(self, tables: dict[int, str], users: dict[int, list[tuple[bool, Session, str, bool]]]) -> None:
        seen = self._seen
        seen.attempts += 1
        for oid, using in users.items():
            seen.tables[tables[oid]] = seen.tables.get(tables[oid], 0) + 1
            for granted, session, xact, _ in using:
                key = (session.pid, xact)
                if granted:
                    _, _, count = seen.holders.get(key, (session, tables[oid], 0))
                    seen.holders[key] = (session, tables[oid], count + 1)

    def _stop_autovacuum(self, oids: list[int]) -> None:
        """Cancel the autovacuum workers that hold these tables, as PostgreSQL does for a lock's waiter after
        `deadlock_timeout` (see the module's docstring); best effort, on the observer (autocommit)."""
        for (pid,) in self.observer.execute(_AUTOVACUUM, {"oids": oids}).fetchall():
            try:
                self.observer.execute("SELECT pg_cancel_backend(%s)", [pid])
            except psycopg.errors.InsufficientPrivilege:
                return  # not ours to signal: wait for it, as before

    # -- interrupting the application ---------------------------------------------------------------

    def _interrupting(self) -> bool:
        after = self.policy.interrupt_after
        return after is not None and self._started is not None and time.monotonic() - self._started >= after

    def _interrupt(self, oids: list[int], waiting_too: bool) -> None:
        """Cancel the running statement of each application session holding (or waiting for) these tables' locks.
        A session idle in its transaction runs no statement, so no cancel reaches it; it is remembered instead."""
        for using in self._users(oids).values():
            for granted, session, _, theirs in using:
                if not theirs or not (granted or waiting_too):
                    continue
                if session.state.startswith("idle"):
                    self._uncancellable[session.pid] = session
                    continue
                try:
                    row = self.observer.execute("SELECT pg_cancel_backend(%s)", [session.pid]).fetchone()
                except psycopg.errors.InsufficientPrivilege:
                    continue
                if row and row[0] and session.pid not in {s.pid for s in self.interrupted}:
                    self.interrupted.append(session)

    # -- giving up --------------------------------------------------------------------------------

    def _gave_up(self, action: str) -> RestoreFailed:
        seen, seconds = self._seen, self.policy.total_seconds
        ways = f"Try again when the web application is quieter, {Choice.LONGER_LOCK_WAIT}, or {Choice.INTERRUPT_APP}."
        always = [(s, t) for s, t, count in seen.holders.values() if count >= seen.attempts > 0]
        if always:
            session, table = always[0]
            what = f"the table {table} was kept locked by {session.sentence()} through every attempt"
            text = f"{action} gave up after {seconds:.0f} s: {what}."
        else:
            ranked = sorted(seen.tables.items(), key=lambda item: (-item[1], item[0]))
            named = [f"{table} in {count} of them" for table, count in ranked[:3]]
            if len(ranked) > 3:
                named.append(f"{len(ranked) - 3} more tables less often")
            what = ", ".join(named) or "none still in use when it looked"
            text = (
                f"{action} gave up after {seconds:.0f} s and {max(seen.attempts, 1)} attempts: the web application "
                f"kept the clinic's tables in use ({what})."
            )
        if self._uncancellable:
            idle = ", ".join(s.short() for s in self._uncancellable.values())
            text += f" Interrupting cannot reach a session idle in a transaction ({idle}); it must be ended."
        if self.interrupted:
            text += f" Interrupted: {', '.join(s.short() for s in self.interrupted)}."
        return RestoreFailed(
            f"{text} {ways}",
            f"{seen.attempts} attempts of at most {self.budget:.2f} s; tables in use: {seen.tables}",
            choices=(Choice.LONGER_LOCK_WAIT, Choice.INTERRUPT_APP),
        )


def _deadlock_timeout(observer: psycopg.Connection) -> float:
    """The server's `deadlock_timeout` (what SHOW says), in seconds."""
    row = observer.execute("SELECT extract(epoch FROM current_setting('deadlock_timeout')::interval)").fetchone()
    return float(row[0]) if row else 1.0

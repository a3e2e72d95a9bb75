"""The load a busy web application puts on one clinic, as plain psycopg workers (tests and bench/swap_soak.py).

Each worker is one persistent connection of the application's role, running short transactions one after the
other: "ascending", "descending" and "shuffled" ones read some of the clinic's tables in that order of the
catalog (oid) and write a marker row into `load_a` first and `load_b` last (two tables the clinic holds for
the purpose, `add_load_tables`), so a transaction split across the swap would leave its marker in two
schemas; "login" ones read a user (not an administrator) and update its `last_login`, as Django's login
does. Every statement is timed; every error of any kind is kept. `LoadReport` says what the application saw.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from app.engine.connection import ConnectionTarget

ORDERS = ("ascending", "descending", "shuffled", "login")
READS = 4  # tables read by one transaction, besides the two it writes


def add_load_tables(owner: ConnectionTarget, schema: str) -> None:
    """The two tables each transaction writes a marker into, made by the clinic's owner like any of its tables."""
    with owner.connect() as conn:
        for table in ("load_a", "load_b"):
            conn.execute(
                sql.SQL("CREATE TABLE {} (marker text PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())").format(
                    sql.Identifier(schema, table)
                )
            )


def markers(target: ConnectionTarget, schema: str, table: str) -> set[str]:
    with target.connect() as conn:
        return {r[0] for r in conn.execute(sql.SQL("SELECT marker FROM {}").format(sql.Identifier(schema, table)))}


@dataclass
class LoadReport:
    transactions: int = 0
    errors: list[str] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)  # every statement's time, seconds
    committed: list[str] = field(default_factory=list)  # markers of committed transactions

    @property
    def longest(self) -> float:
        return max(self.waits, default=0.0)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.waits)
        return ordered[min(int(p * len(ordered)), len(ordered) - 1)] if ordered else 0.0


class AppLoad:
    """`with AppLoad(app_target, "bienestar") as load: ...`; `load.report` once the block ends (or `stop()`).

    `orders`: one worker per entry. `pause`: seconds between a worker's transactions; `think`: between two
    statements of a transaction (the application's own work: an ORM request holds its locks while Python runs,
    so a clinic of four such workers is seldom without a table in use). `window()` gives the statements timed
    between two moments (the swap's)."""

    def __init__(
        self,
        target: ConnectionTarget,
        schema: str,
        orders: Iterable[str] = ORDERS,
        pause: float = 0.005,
        think: float = 0.01,
        name: str = "clinic-load",
    ) -> None:
        self.target, self.schema, self.orders, self.name = target, schema, list(orders), name
        self.pause, self.think = pause, think
        self.report = LoadReport()
        self.timed: list[tuple[float, float]] = []  # (started, seconds) of every statement
        self.commit_times: list[float] = []  # when each transaction committed (time.monotonic)
        self.error_times: list[float] = []  # when each error came
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._serial = 0

    def start(self) -> AppLoad:
        with self.target.connect() as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind = 'r'"
                    " AND relname NOT IN ('load_a', 'load_b') ORDER BY oid",
                    [self.schema],
                )
            ]
        read = tables[: max(READS * 2, 1)]
        for index, order in enumerate(self.orders):
            thread = threading.Thread(target=self._work, args=(index, order, read), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> LoadReport:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)
        return self.report

    def __enter__(self) -> AppLoad:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, transactions: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.report.transactions < transactions:
            assert time.monotonic() < deadline, f"the load ran {self.report.transactions} transactions in {timeout} s"
            time.sleep(0.01)

    def window(self, start: float, end: float) -> list[float]:
        """Statement times of the statements that were running at some moment between `start` and `end`."""
        with self._lock:
            return [s for began, s in self.timed if began <= end and began + s >= start]

    # -- a worker ---------------------------------------------------------------------------------

    def _work(self, index: int, order: str, tables: list[str]) -> None:
        rng = random.Random(index)
        conn = psycopg.connect(
            self.target.conninfo, password=self.target.password, application_name=f"{self.name}-{order}"
        )
        try:
            while not self._stop.is_set():
                try:
                    marker = self._login(conn) if order == "login" else self._transaction(conn, order, tables, rng)
                    conn.commit()
                    with self._lock:
                        self.commit_times.append(time.monotonic())
                        self.report.transactions += 1
                        if marker:
                            self.report.committed.append(marker)
                except psycopg.Error as exc:
                    with self._lock:
                        self.error_times.append(time.monotonic())
                        self.report.errors.append(f"{order}: {type(exc).__name__}: {str(exc).strip()}")
                    conn = self._reconnected(conn)
                time.sleep(self.pause)
        finally:
            conn.close()

    def _reconnected(self, conn: psycopg.Connection) -> psycopg.Connection:
        """After an error: the same connection rolled back, or a new one when it was lost (it is kept as an error)."""
        if not conn.broken:
            conn.rollback()
            return conn
        while not self._stop.is_set():
            try:
                return psycopg.connect(self.target.conninfo, password=self.target.password)
            except psycopg.OperationalError:
                time.sleep(0.1)
        return conn

    def _timed(self, conn: psycopg.Connection, statement: sql.Composed, params: list[object] | None = None) -> None:
        started = time.monotonic()
        conn.execute(statement, params)
        seconds = time.monotonic() - started
        with self._lock:
            self.report.waits.append(seconds)
            self.timed.append((started, seconds))

    def _transaction(self, conn: psycopg.Connection, order: str, tables: list[str], rng: random.Random) -> str:
        with self._lock:
            self._serial += 1
            marker = f"{self.name}-{order}-{self._serial}"
        read = rng.sample(tables, min(READS, len(tables)))
        touched = sorted(["load_a", *read, "load_b"], key=lambda t: ("load_a", *tables, "load_b").index(t))
        if order == "descending":
            touched.reverse()
        elif order == "shuffled":
            rng.shuffle(touched)
        for table in touched:
            time.sleep(self.think)
            name = sql.Identifier(self.schema, table)
            if table.startswith("load_"):
                self._timed(conn, sql.SQL("INSERT INTO {} (marker) VALUES (%s)").format(name), [marker])
            else:
                self._timed(conn, sql.SQL("SELECT 1 FROM {} LIMIT 1").format(name))
        return marker

    def _login(self, conn: psycopg.Connection) -> str:
        users = sql.Identifier(self.schema, "users_customuser")
        time.sleep(self.think)
        # Not an administrator: the restore keeps today's administrators and copies them again when one changed.
        self._timed(
            conn, sql.SQL("SELECT id, password FROM {} WHERE NOT is_superuser ORDER BY id LIMIT 1").format(users)
        )
        self._timed(
            conn,
            sql.SQL(
                "UPDATE {} SET last_login = now() WHERE id = (SELECT min(id) FROM {} WHERE NOT is_superuser)"
            ).format(users, users),
        )
        time.sleep(self.think)
        return ""

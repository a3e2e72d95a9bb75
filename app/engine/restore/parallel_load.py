"""The Tables step: every table's rows, keys and indexes on the two load sessions at once.

The server, not this process, is the bottleneck; each session takes the largest table left when it is free,
in its own transaction (a `file_step`), and a failure on either stops the other. A small file loads on one
session instead, in the same step as its objects and the rest (`loads_in_one_step`).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

import psycopg

from app.engine.jobs import CancelToken
from app.engine.sources.native import NativeArchiveSource
from app.engine.sources.source import LoadProgress, LoadsInOneStep, RestoreSource, TableLoad, staging_path

# When an index build may use PostgreSQL's parallel workers (max_parallel_maintenance_workers, which any role may
# lower; the server's max_parallel_workers caps it): "alone", only while the other session has nothing left to do;
# "never"; or "always" (the server's setting throughout).
PARALLEL_BUILDS = "alone"
# A native archive this small loads in one step on one session: a second session, its sign-in and three more
# proven steps (each a proof of isolation and a commit) cost a small clinic more than the second core saves.
ONE_STEP_TABLES = 32
ONE_STEP_BYTES = 8 * 2**20
# A load session's step: (its connection, the token that stops it) -> the proven transaction around its loads.
LoadStep = Callable[[psycopg.Connection, CancelToken], AbstractContextManager[None]]


def load_tables(
    queue: list[TableLoad],
    sessions: tuple[psycopg.Connection, psycopg.Connection],
    staging: str,
    step: LoadStep,
    cancel: CancelToken,
    progress: LoadProgress,
) -> int:
    """Run the table loads of `queue` (largest first) on both sessions; the rows loaded. Raises the first
    failure, or Cancelled; either way both sessions' transactions are rolled back."""
    total = max(sum(t.bytes for t in queue), 1)
    stop = CancelToken()  # the user's cancel, or the other connection's failure
    lock = threading.Lock()
    failures: list[BaseException] = []
    loaded = [0]
    current = [""]
    rows_loaded = [0]
    ended = threading.Event()
    busy = [False, False]  # each connection: inside a table load
    workers: list[list[str]] = [[], []]  # each connection: [its parallel-worker setting, the one it has now]

    def count(size: int) -> None:
        with lock:
            loaded[0] += size

    def before_builds(me: int, conn: psycopg.Connection) -> None:
        """Index builds get PostgreSQL's parallel workers only while the other connection has nothing to do:
        on 2 cores, a worker beside two busy connections only adds its start-up and the contention (measured:
        the partitioned shape's loads took 15 % longer with them; a lone GIN build was faster with them).
        Runs under the staging schema's search path: every function is qualified."""
        with lock:
            alone = PARALLEL_BUILDS == "always" or (PARALLEL_BUILDS == "alone" and not busy[1 - me] and not queue)
        if not workers[me]:
            row = conn.execute("SELECT pg_catalog.current_setting('max_parallel_maintenance_workers')").fetchone()
            workers[me] = [str(row[0]) if row else "0"] * 2
        default, now = workers[me]
        wanted = default if alone else "0"  # "never": alone is always False
        if wanted != now:
            conn.execute("SELECT pg_catalog.set_config('max_parallel_maintenance_workers', %s, true)", [wanted])
            workers[me][1] = wanted

    def share(me: int, conn: psycopg.Connection) -> None:
        try:
            with step(conn, stop), staging_path(conn, staging):  # one search path for all its tables (TableLoad)
                while True:
                    with lock:
                        busy[me] = False
                        if not queue:
                            break
                        table = queue.pop(0)
                        current[0] = table.name
                        busy[me] = True
                    rows = table.run(conn, staging, count, stop, functools.partial(before_builds, me))
                    with lock:
                        rows_loaded[0] += rows
        except BaseException as exc:
            with lock:
                failures.append(exc)
            stop.cancel()
        finally:
            with lock:
                busy[me] = False
            ended.set()

    threads = [
        threading.Thread(target=share, args=(i, c), name=f"resguardo-load-{i}", daemon=True)
        for i, c in enumerate(sessions)
    ]
    try:
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            ended.wait(0.1)
            ended.clear()
            if cancel.cancelled:
                stop.cancel()
            with lock:
                fraction, detail = loaded[0] / total, current[0]
            progress(fraction, detail)
        if failures:
            raise failures[0]
        progress(1.0, "")
    finally:
        stop.cancel()
        for thread in threads:
            thread.join()
    return rows_loaded[0]


def loads_in_one_step(source: RestoreSource) -> bool:
    """Whether the restore loads this file in one step on one session: a pg_dump file always (it has no table
    loads; the rest joins its step), a native archive when small and with no DDL for the user's session (operator
    classes, which must run between the objects and the rows)."""
    if isinstance(source, LoadsInOneStep):
        return not source.superuser_statements()
    if not isinstance(source, NativeArchiveSource) or source.superuser_statements():
        return False
    tables = source.manifest.tables
    return len(tables) <= ONE_STEP_TABLES and sum(t.bytes for t in tables) <= ONE_STEP_BYTES


def load_on_one_session(
    queue: list[TableLoad], conn: psycopg.Connection, staging: str, cancel: CancelToken, progress: LoadProgress
) -> int:
    """Run the table loads one after the other on `conn`, in the caller's step; the rows loaded."""
    total = max(sum(t.bytes for t in queue), 1)
    loaded = [0]

    def count(size: int) -> None:
        loaded[0] += size

    rows = 0
    with staging_path(conn, staging):  # one search path for all the tables (TableLoad)
        for table in queue:
            rows += table.run(conn, staging, count, cancel, lambda _conn: None)  # the server's parallel workers
            progress(loaded[0] / total, table.name)
    progress(1.0, "")
    return rows

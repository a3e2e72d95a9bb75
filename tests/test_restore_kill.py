"""SIGKILL of a restoring `resguardo restore` at several points: the tenant is fully old, and the next run cleans up.

Each point is reached deterministically: the test holds a lock the restore must wait for, sees the
restore's backend waiting on it (pg_locks), kills the process, then releases its lock.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.restore.restore import restore_tenant
from tests.support import REPO
from tests.support.cli import run_cli
from tests.support.pg import one_value
from tests.support.restore import fingerprint, other_schemas, resguardo_schemas

pytestmark = pytest.mark.core

WAIT_LIMIT = 30.0  # seconds; a safety net against hanging, not a measurement


def _state(target: ConnectionTarget) -> dict[str, object]:
    return {**other_schemas(target, "bienestar"), "bienestar": fingerprint(target, "bienestar")}


def _start(target: ConnectionTarget, archive: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "restore",
            "--tenant",
            "bienestar",
            "--file",
            str(archive),
            "--yes",
            "--dsn",
            target.conninfo,
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ),
    )


def _wait(target: ConnectionTarget, query: str, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + WAIT_LIMIT
    with target.connect(autocommit=True) as conn:
        while not one_value(conn, query):
            assert proc is None or proc.poll() is None, "the restore ended before reaching the point"
            assert time.monotonic() < deadline, "the point was never reached"
            time.sleep(0.05)


def _waiting_on(relation: str) -> str:
    return (
        "SELECT count(*) > 0 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        f" WHERE NOT l.granted AND l.relation = to_regclass('{relation}') AND a.application_name = 'resguardo'"
    )


_HOLDS_TENANT_LOCK = (
    "SELECT count(*) > 0 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'resguardo'"
    " AND a.datname = current_database()"
)
_RESTORE_GONE = (
    "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'resguardo'"
    " AND datname = current_database() AND pid <> pg_backend_pid()"
)


def _kill_at(target: ConnectionTarget, archive: Path, point: str, hold: Callable[[psycopg.Connection], None]) -> None:
    with target.connect() as holder:
        hold(holder)
        proc = _start(target, archive)
        try:
            _wait(target, point, proc)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
            holder.rollback()
    _wait(target, _RESTORE_GONE)  # the server has noticed the dead client and rolled its work back


@pytest.fixture
def archive(demo_db: ConnectionTarget, tmp_path: Path) -> Path:
    path = tmp_path / "bienestar.resguardo"
    backup_tenant(demo_db, "bienestar", path)
    with demo_db.connect() as conn:
        conn.execute("UPDATE bienestar.users_customuser SET first_name = 'Hoy'")
    return path


def _no_lock(_: psycopg.Connection) -> None:
    """Hold nothing: kill as soon as the restore holds the tenant's lock."""


def _public_table(conn: psycopg.Connection) -> None:
    """The load's foreign key to public.customers_client waits: killed mid-load, after the staging schema
    and its rows were committed (steps A1 and A2), so a staging schema is left for the next run to drop.
    (SHARE ROW EXCLUSIVE: what a new foreign key needs; reading the tenants table is not blocked.)"""
    conn.execute("LOCK TABLE public.customers_client IN SHARE ROW EXCLUSIVE MODE")


def _live_users(conn: psycopg.Connection) -> None:
    """The swap's first step waits: killed after the load committed its staging schema."""
    conn.execute("LOCK TABLE bienestar.users_customuser IN ROW EXCLUSIVE MODE")


@pytest.mark.parametrize(
    ("hold", "point", "leaves_staging"),
    [
        (_no_lock, _HOLDS_TENANT_LOCK, None),
        (_public_table, _waiting_on("public.customers_client"), True),
        (_live_users, _waiting_on("bienestar.users_customuser"), True),
    ],
    ids=["before-load", "during-load", "after-load"],
)
def test_kill_leaves_the_tenant_old_and_the_next_run_cleans_up(
    demo_db: ConnectionTarget,
    archive: Path,
    hold: Callable[[psycopg.Connection], None],
    point: str,
    leaves_staging: bool | None,
) -> None:
    before = _state(demo_db)
    _kill_at(demo_db, archive, point, hold)
    assert _state(demo_db) == before
    leftovers = [name for name, role in resguardo_schemas(demo_db) if role == "staging"]
    if leaves_staging is not None:
        assert bool(leftovers) == leaves_staging
    result = run_cli("restore", "--tenant", "bienestar", "--file", str(archive), "--yes", "--dsn", demo_db.conninfo)
    assert result.returncode == 0, result.stderr
    assert [role for _, role in resguardo_schemas(demo_db)] == ["safety-copy"]
    for name in leftovers:
        assert f"Cleaned up {name}" in result.stdout
    assert other_schemas(demo_db, "bienestar") == {k: v for k, v in before.items() if k != "bienestar"}


def test_kill_during_the_swap(demo_db: ConnectionTarget, archive: Path) -> None:
    """The swap locks every live table in turn; killed while it waits for the last one, with the others
    already locked and the older safety copy still there: the tenant stays as it was."""
    first = restore_tenant(demo_db, "bienestar", archive)  # a safety copy the next restore will replace
    assert resguardo_schemas(demo_db) == [(first.safety_copy, "safety-copy")]
    with demo_db.connect() as conn:
        conn.execute("UPDATE bienestar.users_customuser SET first_name = 'Otra vez'")
        last = one_value(
            conn,
            "SELECT format('%I.%I', 'bienestar', relname) FROM pg_class"
            " WHERE relnamespace = 'bienestar'::regnamespace AND relkind = 'r'"
            " ORDER BY oid DESC LIMIT 1",
        )
    before = _state(demo_db)

    def last_table(conn: psycopg.Connection) -> None:
        conn.execute(f"LOCK TABLE {last} IN ROW EXCLUSIVE MODE")

    _kill_at(demo_db, archive, _waiting_on(last), last_table)
    assert _state(demo_db) == before
    assert sorted(role for _, role in resguardo_schemas(demo_db)) == ["safety-copy", "staging"]
    [staging] = [name for name, role in resguardo_schemas(demo_db) if role == "staging"]
    again = restore_tenant(demo_db, "bienestar", archive)
    assert (again.cleaned_leftovers, again.dropped_safety_copies) == ([staging], [first.safety_copy])
    assert [role for _, role in resguardo_schemas(demo_db)] == ["safety-copy"]

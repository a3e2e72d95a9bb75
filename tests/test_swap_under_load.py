"""The swap under the load a real web application makes (issue 20; docs/restore.md, "The swap's locks").

Workers of the application's role run short transactions on the clinic's tables in ascending, descending and
shuffled catalog order, and logins that read a user and then update it, while restore, undo and discard run on
a clinic restored once before (so the catalog order is the load order, the reverse of the application's).
Every job must finish, the application must see no error of any kind and wait less than half a second, no
transaction may be split across the swap, and another clinic's writers lose nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import psycopg
import pytest
from psycopg import sql

from app.cli import main as cli_main
from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.errors import Choice, RestoreFailed, said
from app.engine.restore.discard import discard_safety_copy
from app.engine.restore.restore import restore_tenant
from app.engine.restore.swap import LockPolicy
from app.engine.restore.undo import undo_restore
from tests.support.app_load import AppLoad, add_load_tables, markers
from tests.support.attacks import as_role, owner
from tests.support.django_app import DjangoDB, OrmWriter, login_body
from tests.support.restore import resguardo_schemas

pytestmark = pytest.mark.core
ROLES = pytest.mark.parametrize("who", ["superuser", "owner"])
TENANT, OTHER = "bienestar", "mindcare"
STALL = 0.5  # the longest any statement of the application may wait because of Resguardo
T = TypeVar("T")


@contextmanager
def _in_background(call: Callable[[], T]) -> Iterator[Future[T]]:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="job") as pool:
        yield pool.submit(call)


def _wait_for(what: str, check: Callable[[], object], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.01)


def _waiting(observer: psycopg.Connection, schema: str, table: str, mode: str) -> bool:
    return (
        observer.execute(
            "SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE NOT l.granted AND l.mode = %s"
            " AND c.relnamespace = %s::regnamespace AND c.relname = %s",
            [mode, schema, table],
        ).fetchone()
        is not None
    )


def _clinic_restored_once(db: ConnectionTarget, tmp_path: Path, runner: ConnectionTarget) -> Path:
    """The load tables in both clinics, a backup of the clinic, and one quiet restore of it: from now on the
    clinic's catalog order is the order its tables were loaded in (largest first)."""
    for schema in (TENANT, OTHER):
        add_load_tables(owner(db), schema)
    archive = backup_tenant(db, TENANT, tmp_path / "clinic.resguardo").path
    restore_tenant(runner, TENANT, archive)
    return archive


def _split(db: ConnectionTarget, committed: list[str]) -> list[str]:
    """Committed transactions whose two markers are not in the same schema (among those that still exist)."""
    schemas = [TENANT, *(name for name, _ in resguardo_schemas(db))]
    where = {}
    for schema in schemas:
        for marker in markers(db, schema, "load_a"):
            where[marker, "a"] = schema
        for marker in markers(db, schema, "load_b"):
            where[marker, "b"] = schema
    return [m for m in committed if where.get((m, "a")) != where.get((m, "b"))]


# -- under a steady load -----------------------------------------------------------------------------


@ROLES
def test_restore_undo_and_discard_finish_under_load_and_the_application_never_fails(
    demo_db: ConnectionTarget, tmp_path: Path, who: str
) -> None:
    runner = as_role(demo_db, who)
    archive = _clinic_restored_once(demo_db, tmp_path, runner)
    app = owner(demo_db)  # the application's own role, as django-tenants connects
    jobs: list[tuple[str, float]] = []

    def timed(name: str, job: Callable[[], object]) -> None:
        started = time.monotonic()
        job()
        jobs.append((name, time.monotonic() - started))

    busy = AppLoad(app, TENANT, think=0.005)  # each worker nearly always inside a 30 ms transaction
    with busy as load, AppLoad(app, OTHER, orders=["ascending"], name="other") as other:
        load.wait_for(20)
        timed("restore", lambda: restore_tenant(runner, TENANT, archive))
        timed("undo", lambda: undo_restore(runner, TENANT))
        timed("restore again", lambda: restore_tenant(runner, TENANT, archive))
        load.wait_for(load.report.transactions + 20)  # and the application goes on
    assert load.report.errors == [] and other.report.errors == []
    assert load.report.longest < STALL, (load.report.longest, jobs)
    assert _split(demo_db, load.report.committed) == []
    lost = set(other.report.committed) - markers(demo_db, OTHER, "load_a")
    assert not lost and not set(other.report.committed) - markers(demo_db, OTHER, "load_b")
    [(copy, _)] = resguardo_schemas(demo_db)
    with AppLoad(app, TENANT) as load:
        load.wait_for(10)
        discard_safety_copy(runner, copy)
    assert load.report.errors == [] and load.report.longest < STALL
    assert resguardo_schemas(demo_db) == []


# -- the cycle that deadlocked ------------------------------------------------------------------------


@ROLES
def test_an_application_transaction_holding_one_table_and_asking_for_another_never_deadlocks(
    demo_db: ConnectionTarget, tmp_path: Path, who: str
) -> None:
    """The application holds B, the swap asks for B; then the application asks for A. A swap holding A while it
    waits for B (the old swap took the tables in catalog order) closed a cycle: PostgreSQL ended one of the two."""
    runner = as_role(demo_db, who)
    archive = _clinic_restored_once(demo_db, tmp_path, runner)
    with owner(demo_db).connect() as conn:
        order = [
            r[0]
            for r in conn.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind = 'r' ORDER BY oid",
                [TENANT],
            )
        ]
    first, last = sql.Identifier(TENANT, order[0]), sql.Identifier(TENANT, order[-1])
    with (
        psycopg.connect(owner(demo_db).conninfo, application_name="clinic-web") as app,
        demo_db.connect(autocommit=True) as observer,
    ):
        app.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(last))  # holds B
        with _in_background(lambda: restore_tenant(runner, TENANT, archive)) as restoring:
            _wait_for("the swap to ask for B", lambda: _waiting(observer, TENANT, order[-1], "AccessExclusiveLock"))
            started = time.monotonic()
            app.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(first))  # then asks for A
            waited = time.monotonic() - started
            app.commit()
            result = restoring.result(timeout=60)
    assert waited < STALL and result.safety_copy is not None


# -- interrupting the application, when the user chooses to -----------------------------------------


def _running(target: ConnectionTarget, query: sql.Composed, outcome: list[str]) -> threading.Thread:
    def run() -> None:
        try:
            with psycopg.connect(target.conninfo, application_name="clinic-report") as conn:
                conn.execute(query)
            outcome.append("finished")
        except psycopg.errors.QueryCanceled:
            outcome.append("cancelled")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@ROLES
def test_interrupting_cancels_only_this_clinics_application_statements(
    demo_db: ConnectionTarget, tmp_path: Path, who: str
) -> None:
    runner = as_role(demo_db, who)
    archive = _clinic_restored_once(demo_db, tmp_path, runner)
    report = "SELECT pg_sleep(60) FROM {} LIMIT 1"
    here: list[str] = []
    elsewhere: list[str] = []
    with demo_db.connect(autocommit=True) as observer:
        mine = _running(owner(demo_db), sql.SQL(report).format(sql.Identifier(TENANT, "users_customuser")), here)
        theirs = _running(owner(demo_db), sql.SQL(report).format(sql.Identifier(OTHER, "users_customuser")), elsewhere)
        _wait_for(
            "both reports to run",
            lambda: (
                observer.execute(
                    "SELECT count(*) = 2 FROM pg_stat_activity WHERE application_name = 'clinic-report'"
                    " AND state = 'active' AND datname = current_database()"
                ).fetchone()
                == (True,)
            ),
        )
        pids = {
            r[0]
            for r in observer.execute(
                "SELECT l.pid FROM pg_locks l WHERE l.relation = 'bienestar.users_customuser'::regclass AND l.granted"
            )
        }
        started = time.monotonic()
        result = restore_tenant(runner, TENANT, archive, locks=LockPolicy(total_seconds=20, interrupt_after=0.5))
        took = time.monotonic() - started
        mine.join(10)
        still = observer.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'clinic-report' AND state = 'active'"
            " AND datname = current_database()"
        ).fetchall()
        for (pid,) in still:
            observer.execute("SELECT pg_cancel_backend(%s)", [pid])
        theirs.join(10)
    assert here == ["cancelled"] and len(still) == 1  # another clinic's work is never interrupted
    assert [s.pid for s in result.interrupted] == sorted(pids) and took < 7
    assert result.interrupted[0].application == "clinic-report"


# -- when it truly cannot finish --------------------------------------------------------------------


def test_giving_up_says_how_often_each_table_was_in_use_and_offers_the_ways_out(
    demo_db: ConnectionTarget, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sessions that take turns on a table, none of them for long, keep it in use the whole time: the sentence
    names no session (none is the cause), counts the attempts and the table, and offers the two choices."""
    archive = backup_tenant(demo_db, TENANT, tmp_path / "clinic.resguardo").path
    stop = threading.Event()
    users = sql.Identifier(TENANT, "users_customuser")

    def take_turns() -> None:
        previous: psycopg.Connection | None = None
        while not stop.is_set():
            conn = psycopg.connect(owner(demo_db).conninfo, application_name="clinic-web")
            conn.execute(sql.SQL("LOCK TABLE {} IN ROW EXCLUSIVE MODE").format(users))
            if previous is not None:
                previous.close()
            previous = conn
            time.sleep(0.15)
        if previous is not None:
            previous.close()

    turns = threading.Thread(target=take_turns, daemon=True)
    turns.start()
    try:
        time.sleep(0.3)
        with pytest.raises(RestoreFailed) as failed:
            restore_tenant(demo_db, TENANT, archive, locks=LockPolicy(total_seconds=1))
        code = cli_main(
            [
                "restore",
                "--tenant",
                TENANT,
                "--file",
                str(archive),
                "--yes",
                "--dsn",
                demo_db.conninfo,
                "--lock-wait",
                "1",
            ]
        )
    finally:
        stop.set()
        turns.join(5)
    message = said(failed.value)
    assert message.startswith("The restore gave up after 1 s and "), message
    assert " attempts: the web application kept the clinic's tables in use (bienestar.users_customuser in " in message
    assert "session" not in message  # no one session is blamed
    assert message.endswith(
        f"Try again when the web application is quieter, {Choice.LONGER_LOCK_WAIT}, or {Choice.INTERRUPT_APP}. "
        "Nothing was changed."
    )
    assert failed.value.choices == (Choice.LONGER_LOCK_WAIT, Choice.INTERRUPT_APP)
    assert code == 1
    assert (
        "keep trying longer (--lock-wait SECONDS), or interrupt the web application's work on this clinic "
        "(--interrupt-app SECONDS). Nothing was changed." in capsys.readouterr().err
    )
    assert resguardo_schemas(demo_db) == []


def test_an_interrupt_after_the_lock_wait_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["undo-restore", "--tenant", TENANT, "--yes", "--dsn", "host=nowhere", "--lock-wait", "5"]
    assert cli_main([*argv, "--interrupt-app", "5"]) == 2
    assert "--interrupt-app 5 would come after --lock-wait 5 has given up" in capsys.readouterr().err


# -- the Django application's ORM during the swap -----------------------------------------------------


def test_the_orm_writing_and_signing_in_during_restores_never_fails(django_db: DjangoDB, tmp_path: Path) -> None:
    archive = backup_tenant(django_db.app, TENANT, tmp_path / "clinic.resguardo").path
    restore_tenant(django_db.app, TENANT, archive)  # catalog order is now load order
    with OrmWriter(django_db, TENANT) as writer, OrmWriter(django_db, TENANT, body=login_body()) as logins:
        writer.wait_for(3)
        logins.wait_for(3)
        result = restore_tenant(django_db.app, TENANT, archive)
        undo_restore(django_db.app, TENANT)
        logins.wait_for(len(logins.committed) + 3)
        writer.wait_for(len(writer.committed) + 3)
    assert writer.errors == [] and logins.errors == []
    assert all(turn["ok"] for turn in logins.committed)
    assert max(turn["seconds"] for turn in logins.committed) < STALL + 0.3  # a login is two statements and Python
    assert result.signs_out  # the clinic keeps Django's sessions: who signed in since signs in again

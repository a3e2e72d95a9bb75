"""Restoring a tenant while the real Django application keeps running (issue 11; docs/restore.md, "What the
web application sees").

Every story runs twice: restored by a superuser and by the application's own role (the tenants' owner).
The application is tests/django_project in child processes (tests/support/django_app.py); the swap is held
where a story needs it by a session of the application's role that keeps a lock, as a stuck request would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
from psycopg import sql

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.errors import RestoreFailed
from app.engine.restore.discard import discard_safety_copy
from app.engine.restore.restore import RestoreResult, restore_tenant
from app.engine.restore.swap import LockPolicy
from app.engine.restore.undo import undo_restore
from tests.support.django_app import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PATIENTS,
    USER_PASSWORD,
    DjangoDB,
    HeldAtomic,
    OrmWriter,
    delete_user,
    login_body,
    run_django,
    set_password,
)
from tests.support.restore import emails, fingerprint, other_schemas, resguardo_schemas

pytestmark = pytest.mark.core
ROLES = pytest.mark.parametrize("who", ["superuser", "app"])

T = TypeVar("T")
PATIENT = PATIENTS[0]
HOLDER = "clinic-report"  # the application name of the session that keeps a lock
BOUNDED_WAIT = 0.5  # seconds a lock attempt may make the application wait, in the stories that measure it

# After the restore, what the application sees, in one child: the patient and its rows back, today's admin
# password, nothing pending in showmigrations, and a new row through the ORM (sequences continued).
AFTER_RESTORE = f"""\
import io
from django.db.models import Q
patient = User.objects.get(email={PATIENT!r})
admin = User.objects.get(email={ADMIN_EMAIL!r}, is_active=True)
shown = io.StringIO()
call_command("tenant_command", "showmigrations", schema_name="bienestar", stdout=shown)
result = {{
    "patient": patient.is_active and patient.check_password({USER_PASSWORD!r}),
    "appointments": Appointment.objects.filter(patient__user=patient).count(),
    "messages": ChatMessage.objects.filter(Q(sender=patient) | Q(recipient=patient)
                                           | Q(appointment__patient__user=patient)).count(),
    "admin today": admin.check_password("nueva-clave"),
    "admin in the file": admin.check_password({ADMIN_PASSWORD!r}),
    "pending": [line for line in shown.getvalue().splitlines() if "[ ]" in line],
    "applied": shown.getvalue().count("[X]"),
    "new": Specialization.objects.create(name="Mindfulness").pk,
    "largest before": max(Specialization.objects.exclude(name="Mindfulness").values_list("pk", flat=True)),
}}
"""


# -- helpers ------------------------------------------------------------------------------------------


def _backup(target: ConnectionTarget, tmp_path: Path) -> Path:
    archive = tmp_path / "bienestar.resguardo"
    backup_tenant(target, "bienestar", archive)
    return archive


def _wait_for(what: str, check: Callable[[], T | None], timeout: float = 30) -> T:
    deadline = time.monotonic() + timeout
    while (found := check()) is None or found is False:
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.02)
    return found


def _waiting_for(observer: psycopg.Connection, table: str, mode: str) -> int | None:
    """The pid of a session waiting for `mode` on bienestar's `table` (the schema so named now), if any."""
    row = observer.execute(
        "SELECT l.pid FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n"
        " ON n.oid = c.relnamespace WHERE NOT l.granted AND l.mode = %s AND n.nspname = 'bienestar'"
        " AND c.relname = %s LIMIT 1",
        [mode, table],
    ).fetchone()
    return int(row[0]) if row else None


def _swap_waits_for(observer: psycopg.Connection, table: str) -> bool:
    return _waiting_for(observer, table, "AccessExclusiveLock") is not None


def _tables_in_lock_order(target: ConnectionTarget) -> list[str]:
    """bienestar's tables in the order the swap locks them (app/engine/restore/swap.py: by oid)."""
    with target.connect() as conn:
        return [
            r[0]
            for r in conn.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = 'bienestar'::regnamespace"
                " AND relkind IN ('r', 'p', 'm', 'f') ORDER BY oid"
            )
        ]


@contextmanager
def _app_session(db: DjangoDB, statement: sql.Composed) -> Iterator[psycopg.Connection]:
    """A session of the application's role that ran `statement` and stays idle in its transaction, holding its
    locks, until the caller rolls it back (or the block ends)."""
    conn = psycopg.connect(db.app.conninfo, password=db.app.password, application_name=HOLDER)
    try:
        conn.execute(statement)
        yield conn
    finally:
        conn.close()


@contextmanager
def _in_background(call: Callable[[], T]) -> Iterator[Future[T]]:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="restore") as pool:
        yield pool.submit(call)


def _analyze(target: ConnectionTarget, schema: str) -> None:
    """What autovacuum does to a table sooner or later: statistics rows in pg_statistic (superuser-only)."""
    with target.connect(autocommit=True) as conn:
        for (table,) in conn.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind = 'r'", [schema]
        ).fetchall():
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, table)))
        assert conn.execute(
            "SELECT count(*) > 0 FROM pg_statistic s JOIN pg_class c ON c.oid = s.starelid"
            " WHERE c.relnamespace = %s::regnamespace",
            [schema],
        ).fetchone() == (True,)


def _column(target: ConnectionTarget, schema: str, query: str, *args: Any) -> list[Any]:
    with target.connect() as conn:
        return [r[0] for r in conn.execute(sql.SQL(query).format(schema=sql.Identifier(schema)), args)]


# -- 1. the seed's story through the ORM ------------------------------------------------------------


@ROLES
def test_seed_story_through_the_orm_then_restore_undo_discard_again_and_again(
    django_db: DjangoDB, tmp_path: Path, who: str
) -> None:
    target: ConnectionTarget = getattr(django_db, who)
    su = django_db.superuser
    archive = _backup(target, tmp_path)
    deleted = delete_user(django_db, "bienestar", PATIENT)  # Django's cascade, in Python
    assert (deleted["appointments.Appointment"], deleted["chat.ChatMessage"]) == (4, 12)
    set_password(django_db, "bienestar", ADMIN_EMAIL, "nueva-clave")  # today's password, not the file's
    after_deletion = fingerprint(su, "bienestar")
    others = other_schemas(su, "bienestar")

    result = restore_tenant(target, "bienestar", archive)

    seen = run_django(django_db, AFTER_RESTORE, schema="bienestar").result
    assert seen.pop("new") > seen.pop("largest before")  # no duplicate key: the sequence continued
    assert seen.pop("applied") >= 25
    assert seen == {
        "patient": True,
        "appointments": 4,
        "messages": deleted["chat.ChatMessage"],
        "admin today": True,
        "admin in the file": False,
        "pending": [],
    }
    assert result.kept_superusers == [ADMIN_EMAIL]
    assert other_schemas(su, "bienestar") == others

    undo_restore(target, "bienestar")
    assert fingerprint(su, "bienestar") == after_deletion
    # Again and again, with autovacuum's statistics on every copy (once: "permission denied for table
    # pg_statistic" for the owner's role, whose proof read that catalog when a copy was dropped).
    for _ in range(2):
        [(copy, _kind)] = resguardo_schemas(su)
        _analyze(su, copy)
        _analyze(su, "bienestar")
        again = restore_tenant(target, "bienestar", archive)
        assert again.dropped_safety_copies == [copy] and PATIENT in emails(su, "bienestar")
        undone = undo_restore(target, "bienestar")
        assert PATIENT not in emails(su, "bienestar")
        assert resguardo_schemas(su) == [(undone.safety_copy, "safety-copy")]
    [(copy, _kind)] = resguardo_schemas(su)
    _analyze(su, copy)
    discard_safety_copy(target, copy)
    assert resguardo_schemas(su) == []
    assert fingerprint(su, "bienestar") == after_deletion
    assert other_schemas(su, "bienestar") == others


# -- 2. writers into another tenant ---------------------------------------------------------------


@ROLES
def test_orm_writers_in_another_tenant_lose_nothing_during_a_restore(
    django_db: DjangoDB, tmp_path: Path, who: str
) -> None:
    target: ConnectionTarget = getattr(django_db, who)
    archive = _backup(target, tmp_path)
    public = fingerprint(django_db.superuser, "public")
    with OrmWriter(django_db, "mindcare") as writer:
        writer.wait_for(3)
        before = len(writer.committed)
        result = restore_tenant(target, "bienestar", archive)
        during = len(writer.committed) - before
        writer.wait_for(before + during + 3)  # and it goes on writing afterwards
    assert not writer.errors and during > 0
    assert result.app_writes == 0  # mindcare's writes are not bienestar's
    assert resguardo_schemas(django_db.superuser) == [(result.safety_copy, "safety-copy")]
    found = _column(
        django_db.superuser,
        "mindcare",
        "SELECT id FROM {schema}.chat_chatmessage WHERE content LIKE 'writer %%' ORDER BY id",
    )
    assert found == sorted(writer.committed)  # every committed write is there, and nothing else
    assert fingerprint(django_db.superuser, "public") == public


# -- 3. an atomic() block open across the swap ------------------------------------------------------

HELD_BEFORE = "Appointment.objects.filter(pk=1).update(notes='atomic A')"
HELD_AFTER = {
    "the same table": "Appointment.objects.filter(pk=2).update(notes='atomic B')",
    # A table the old swap had already locked while it waited for the block (catalog order): a deadlock then.
    "a table the swap holds": (
        "from django.utils import timezone\n"
        f"User.objects.filter(email={PATIENTS[2]!r}).update(last_login=timezone.now())\n"
        "Appointment.objects.filter(pk=2).update(notes='atomic B')"
    ),
}


@ROLES
@pytest.mark.parametrize("after", list(HELD_AFTER))
def test_an_atomic_block_across_the_swap_ends_wholly_before_or_after_it(
    django_db: DjangoDB, tmp_path: Path, who: str, after: str
) -> None:
    target: ConnectionTarget = getattr(django_db, who)
    archive = _backup(target, tmp_path)
    order = _tables_in_lock_order(django_db.superuser)  # migrate_schemas made the users before the appointments
    assert order.index("users_customuser") < order.index("appointments_appointment")
    policy = LockPolicy(attempt_seconds=5, total_seconds=30)  # the block is let go within the first attempt
    with (
        HeldAtomic(django_db, "bienestar", HELD_BEFORE, HELD_AFTER[after]) as block,
        django_db.superuser.connect(autocommit=True) as observer,
    ):
        block.wait_held()  # appointment 1 updated, uncommitted
        with _in_background(lambda: restore_tenant(target, "bienestar", archive, locks=policy)) as restoring:
            _wait_for("the swap to wait for the block", lambda: _swap_waits_for(observer, "appointments_appointment"))
            block.go()
            outcome = block.wait_done()
            result = restoring.result(timeout=60)
    assert result.safety_copy is not None
    assert resguardo_schemas(django_db.superuser) == [(result.safety_copy, "safety-copy")]
    notes = "SELECT notes FROM {schema}.appointments_appointment WHERE notes LIKE 'atomic %%'"
    in_copy = set(_column(django_db.superuser, result.safety_copy, notes))
    in_restored = set(_column(django_db.superuser, "bienestar", notes))
    both = {"atomic A", "atomic B"}
    assert (in_copy, in_restored) in [(both, set()), (set(), both), (set(), set())]  # never one in each
    # The swap waits for the block holding no table (issue 20): the block, even when it asks for a table the old
    # swap would have held, never deadlocks and commits wholly into the old tables.
    assert outcome == "committed" and in_copy == both


# -- 4. logins during the swap, and a lock that is never released ---------------------------------


@ROLES
def test_logins_wait_at_most_one_attempt_and_a_lock_never_released_makes_the_restore_give_up(
    django_db: DjangoDB, tmp_path: Path, who: str
) -> None:
    target: ConnectionTarget = getattr(django_db, who)
    su = django_db.superuser
    archive = _backup(target, tmp_path)
    with su.connect() as conn:  # what the restore would undo
        conn.execute("UPDATE bienestar.appointments_appointment SET notes = 'only today'")
    policy = LockPolicy(attempt_seconds=BOUNDED_WAIT, total_seconds=3)
    before = fingerprint(su, "bienestar")
    # A request of the application left its transaction open after updating a user: the swap cannot lock the
    # user table, and every login queues behind the swap's request while an attempt lasts.
    stuck = sql.SQL("UPDATE bienestar.users_customuser SET first_name = first_name WHERE email = {}").format(
        PATIENTS[3]
    )
    login = login_body(PATIENTS[1], USER_PASSWORD)
    with (
        OrmWriter(django_db, "bienestar", body=login) as logins,
        _app_session(django_db, stuck) as holder,
        su.connect(autocommit=True) as observer,
    ):
        logins.wait_for(2)
        holder_pid = holder.info.backend_pid
        with _in_background(lambda: restore_tenant(target, "bienestar", archive, locks=policy)) as restoring:
            _wait_for(
                "a login waiting behind the swap",
                lambda: observer.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE application_name = 'clinic_web' AND wait_event_type = 'Lock'"
                    " AND datname = current_database()"
                ).fetchone(),
            )
            with pytest.raises(RestoreFailed) as failed:
                restoring.result(timeout=60)
        during = len(logins.committed)
        logins.wait_for(during + 2)  # logins go on
    assert not logins.errors and all(turn["ok"] for turn in logins.committed)
    # Two statements, each behind one attempt at most (the lock was held for the whole restore).
    assert max(turn["seconds"] for turn in logins.committed) < 3 * BOUNDED_WAIT
    message = str(failed.value)
    for part in ["gave up", "bienestar.users_customuser", f"session {holder_pid}", HOLDER, "idle in transaction"]:
        assert part in message
    assert failed.value.changed is False
    after = fingerprint(su, "bienestar")
    assert after["catalog"] == before["catalog"] and resguardo_schemas(su) == []
    assert {k: v for k, v in after["data"].items() if k != "users_customuser"} == {
        k: v for k, v in before["data"].items() if k != "users_customuser"
    }  # logins changed last_login only


@ROLES
def test_one_attempt_bounds_the_wait_however_many_tables_keep_the_swap_waiting(
    django_db: DjangoDB, tmp_path: Path, who: str
) -> None:
    target: ConnectionTarget = getattr(django_db, who)
    archive = _backup(target, tmp_path)
    *_, slow_table, stuck_table = _tables_in_lock_order(django_db.superuser)
    attempt = 2.0
    policy = LockPolicy(attempt_seconds=attempt, total_seconds=30)
    lock = "LOCK TABLE {} IN ACCESS SHARE MODE"
    slow_lock = sql.SQL(lock).format(sql.Identifier("bienestar", slow_table))
    stuck_lock = sql.SQL(lock).format(sql.Identifier("bienestar", stuck_table))

    def timed_login_read(conn: psycopg.Connection) -> float:
        started = time.monotonic()
        conn.execute("SELECT count(*) FROM bienestar.users_customuser")
        return time.monotonic() - started

    # Two tables the swap locks late are each held a while: the swap queues for one of them holding nothing
    # (issue 20), so a login's read of the user table, which the old swap held while it waited, does not wait.
    with (
        _app_session(django_db, slow_lock) as slow,
        _app_session(django_db, stuck_lock) as stuck,
        django_db.app.connect(autocommit=True) as reader,
        django_db.superuser.connect(autocommit=True) as observer,
        _in_background(lambda: restore_tenant(target, "bienestar", archive, locks=policy)) as restoring,
    ):
        _wait_for(
            "the swap to wait",
            lambda: _swap_waits_for(observer, slow_table) or _swap_waits_for(observer, stuck_table),
        )
        waited = timed_login_read(reader)
        slow.rollback()
        stuck.rollback()
        assert restoring.result(timeout=60).safety_copy
    assert waited < 0.2


# -- 5. writes of the application into the tenant during the restore -------------------------------


def _inserted(observer: psycopg.Connection, table: str) -> int:
    observer.execute("SELECT pg_stat_clear_snapshot()")
    row = observer.execute("SELECT pg_stat_get_tuples_inserted(%s::regclass)", [table]).fetchone()
    return int(row[0]) if row else 0


@ROLES
def test_writes_made_during_the_restore_are_counted_and_kept_in_the_safety_copy(
    django_db: DjangoDB, tmp_path: Path, who: str
) -> None:
    target: ConnectionTarget = getattr(django_db, who)
    archive = _backup(target, tmp_path)
    first = _tables_in_lock_order(django_db.superuser)[0]
    policy = LockPolicy(attempt_seconds=BOUNDED_WAIT, total_seconds=60)
    # The swap is held at the first table it locks (a lock the writer never needs) while the writer writes.
    hold = sql.SQL("LOCK TABLE {} IN ACCESS SHARE MODE").format(sql.Identifier("bienestar", first))
    with _app_session(django_db, hold) as holder, django_db.superuser.connect(autocommit=True) as observer:
        inserted = _inserted(observer, "bienestar.chat_chatmessage")
        with _in_background(lambda: restore_tenant(target, "bienestar", archive, locks=policy)) as restoring:
            _wait_for("the swap to wait", lambda: _swap_waits_for(observer, first))
            with OrmWriter(django_db, "bienestar") as writer:
                writer.wait_for(5)
            written = writer.committed
            # PostgreSQL's statistics lag the commits a little (a backend reports them about once a second).
            _wait_for(
                "the statistics", lambda: _inserted(observer, "bienestar.chat_chatmessage") >= inserted + len(written)
            )
            holder.rollback()
            result: RestoreResult = restoring.result(timeout=60)
    assert not writer.errors
    assert result.safety_copy is not None
    assert resguardo_schemas(django_db.superuser) == [(result.safety_copy, "safety-copy")]
    assert result.app_writes >= len(written)
    query = "SELECT id FROM {schema}.chat_chatmessage WHERE content LIKE 'writer %%' ORDER BY id"
    assert _column(django_db.superuser, result.safety_copy, query) == sorted(written)
    assert _column(django_db.superuser, "bienestar", query) == []


# -- 6. a statement that waited behind the swap ------------------------------------------------------


@ROLES
def test_a_query_that_waited_behind_the_swap_reads_the_restored_tenant(
    django_db: DjangoDB, tmp_path: Path, who: str
) -> None:
    target: ConnectionTarget = getattr(django_db, who)
    su = django_db.superuser
    archive = _backup(target, tmp_path)
    query = "SELECT DISTINCT notes FROM {schema}.appointments_appointment ORDER BY 1"
    in_file = _column(su, "bienestar", query)
    with su.connect() as conn:
        conn.execute("UPDATE bienestar.appointments_appointment SET notes = 'only today'")
    # The swap queues for the appointments, which a report holds; the query then queues behind the swap. The
    # server's deadlock_timeout is raised for this database so that one attempt outlasts the steps below.
    with su.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} SET deadlock_timeout = '60s'").format(sql.Identifier(su.dbname)))
    last = "appointments_appointment"
    hold = sql.SQL("LOCK TABLE {} IN ACCESS SHARE MODE").format(sql.Identifier("bienestar", last))
    read = (
        "import json\nprint('seen', json.dumps(sorted(set(Appointment.objects.values_list('notes', flat=True)))),"
        " flush=True)"
    )
    policy = LockPolicy(attempt_seconds=10, total_seconds=60)  # all below happens within one attempt
    with (
        HeldAtomic(django_db, "bienestar", "pass", read) as reader,
        _app_session(django_db, hold) as holder,
        su.connect(autocommit=True) as observer,
    ):
        reader.wait_held()
        with _in_background(lambda: restore_tenant(target, "bienestar", archive, locks=policy)) as restoring:
            _wait_for("the swap to queue for the appointments", lambda: _swap_waits_for(observer, last))
            reader.go()
            _wait_for(
                "the query to wait", lambda: _waiting_for(observer, "appointments_appointment", "AccessShareLock")
            )
            holder.rollback()
            seen = reader.wait_done()
            done = reader.wait_done() if seen.startswith("seen") else seen
            restoring.result(timeout=60)
    assert done == "committed"
    assert seen == "seen " + json.dumps(in_file)  # the restored rows, not the ones it queued for

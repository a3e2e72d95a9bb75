"""The test clinic application (tests/django_project) is a real Django + django-tenants deployment."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from app.engine.connection import ConnectionTarget
from app.engine.errors import ConnectionFailed
from tests.support.django_app import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    APP_ROLE,
    PATIENTS,
    TENANTS,
    USER_PASSWORD,
    DjangoDB,
    HeldAtomic,
    OrmWriter,
    add_tenant,
    check_login,
    delete_user,
    login_body,
    run_django,
)
from tests.support.pg import TestServer

TENANT_TABLES = {
    "django_migrations",
    "django_content_type",
    "auth_permission",
    "auth_group",
    "auth_group_permissions",
    "users_customuser",
    "users_customuser_groups",
    "users_customuser_user_permissions",
    "django_admin_log",
    "django_session",
    "specializations_specialization",
    "psychologists_psychologistprofile",
    "psychologists_psychologistprofile_specializations",
    "patients_patientprofile",
    "appointments_appointment",
    "chat_chatmessage",
    "clinic_settings",
}


def _tables(target: ConnectionTarget, schema: str) -> set[str]:
    with target.connect() as conn:
        return {
            r[0]
            for r in conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND c.relkind = 'r'",
                [schema],
            )
        }


def _count(target: ConnectionTarget, schema: str, table: str) -> int:
    with target.connect() as conn:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))).fetchone()
    assert row is not None
    return int(row[0])


def test_migrate_schemas_made_every_tenant_as_the_app_role(django_db: DjangoDB) -> None:
    assert _tables(django_db.superuser, "public") == {
        "django_migrations",
        "customers_client",
        "customers_domain",
        "django_content_type",
    }
    with django_db.superuser.connect() as conn:
        clients = conn.execute("SELECT schema_name FROM public.customers_client ORDER BY id").fetchall()
        owners: dict[str, str] = dict(
            conn.execute(
                "SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = ANY(%s)", [list(TENANTS)]
            ).fetchall()
        )
        role = conn.execute("SELECT rolsuper, rolcanlogin FROM pg_roles WHERE rolname = %s", [APP_ROLE]).fetchone()
        table_owners = {
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY(%s)",
                [list(TENANTS)],
            )
        }
    assert [c[0] for c in clients] == ["public", "bienestar", "mindcare"]
    assert owners == {"bienestar": APP_ROLE, "mindcare": APP_ROLE}
    assert table_owners == {APP_ROLE}
    assert role == (False, True)
    for schema in TENANTS:
        assert _tables(django_db.superuser, schema) == TENANT_TABLES
        # contenttypes, auth, admin, sessions and the clinic's apps
        assert _count(django_db.superuser, schema, "django_migrations") >= 25
    assert _count(django_db.superuser, "bienestar", "users_customuser") == 9
    assert _count(django_db.superuser, "bienestar", "appointments_appointment") == 20


def test_the_app_role_logs_in_with_its_password_only(django_db: DjangoDB, pg_server: TestServer) -> None:
    with django_db.app.connect() as conn:
        assert conn.execute("SELECT current_user").fetchone() == (APP_ROLE,)
    if pg_server.embedded is None:
        pytest.skip("the server given by RESGUARDO_TEST_DSN may trust every local login")
    with pytest.raises(ConnectionFailed, match="Wrong user name or password"):
        ConnectionTarget(django_db.app.conninfo, "not-the-password").connect()


def test_admin_and_users_log_in(django_db: DjangoDB) -> None:
    for schema in TENANTS:
        assert check_login(django_db, schema, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert not check_login(django_db, schema, ADMIN_EMAIL, "wrong")
        assert check_login(django_db, schema, PATIENTS[0], USER_PASSWORD)
    superusers = run_django(
        django_db,
        "result = list(User.objects.filter(is_superuser=True).values_list('email', flat=True))",
        schema="bienestar",
    ).result
    assert superusers == [ADMIN_EMAIL]


def test_showmigrations_has_nothing_pending(django_db: DjangoDB) -> None:
    shared = run_django(django_db, ["showmigrations"]).stdout
    tenant = run_django(django_db, ["tenant_command", "showmigrations", "--schema", "bienestar"]).stdout
    for out in (shared, tenant):
        assert "[X] 0001_initial" in out
        assert "[ ]" not in out


def test_orm_writes_stay_in_their_tenant(django_db: DjangoDB) -> None:
    before = _count(django_db.superuser, "mindcare", "specializations_specialization")
    run_django(
        django_db,
        "Specialization.objects.create(name='Mindfulness', description='Atención plena.')",
        schema="bienestar",
    )
    assert _count(django_db.superuser, "bienestar", "specializations_specialization") == before + 1
    assert _count(django_db.superuser, "mindcare", "specializations_specialization") == before


def test_user_delete_cascades_in_python(django_db: DjangoDB) -> None:
    deleted = delete_user(django_db, "bienestar", PATIENTS[0])
    assert deleted["users.CustomUser"] == 1 and deleted["patients.PatientProfile"] == 1
    assert deleted["appointments.Appointment"] == 4
    assert deleted["chat.ChatMessage"] == 12  # the seed's messages g = 0, 5, ... 55: paciente1's, or on its visits
    assert not check_login(django_db, "bienestar", PATIENTS[0], USER_PASSWORD)
    assert check_login(django_db, "mindcare", PATIENTS[0], USER_PASSWORD)


def test_orm_writer_reports_each_committed_write(django_db: DjangoDB) -> None:
    with OrmWriter(django_db, "mindcare") as writer:
        writer.wait_for(5)
    ids = writer.committed
    assert len(ids) >= 5 and not writer.errors
    with django_db.superuser.connect() as conn:
        found = conn.execute("SELECT id FROM mindcare.chat_chatmessage WHERE content LIKE 'writer %%'").fetchall()
    assert sorted(r[0] for r in found) == sorted(ids)  # every reported write is there, and nothing else


def test_login_probe_reports_each_login(django_db: DjangoDB) -> None:
    with (
        OrmWriter(django_db, "bienestar", login_body()) as logins,
        OrmWriter(django_db, "bienestar", login_body(password="wrong")) as refused,
    ):
        logins.wait_for(3)
        refused.wait_for(1)
    assert all(t["ok"] for t in logins.committed) and not any(t["ok"] for t in refused.committed)
    assert all(0 <= t["seconds"] < 5 for t in logins.committed)
    with django_db.superuser.connect() as conn:
        assert conn.execute(
            "SELECT last_login IS NOT NULL FROM bienestar.users_customuser WHERE email = %s", [ADMIN_EMAIL]
        ).fetchone() == (True,)


def test_held_atomic_block_commits_both_updates_at_once(django_db: DjangoDB) -> None:
    before = "Appointment.objects.filter(pk=1).update(notes='held A')"
    after = "Appointment.objects.filter(pk=2).update(notes='held B')"
    query = "SELECT id, notes FROM bienestar.appointments_appointment WHERE id IN (1, 2) ORDER BY id"
    with HeldAtomic(django_db, "bienestar", before, after) as held, django_db.superuser.connect() as conn:
        held.wait_held()
        conn.execute("SET lock_timeout = '200ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):  # the open block holds row A's lock
            conn.execute("SELECT 1 FROM bienestar.appointments_appointment WHERE id = 1 FOR UPDATE")
        conn.rollback()
        assert "held A" not in [r[1] for r in conn.execute(query)]
        conn.rollback()
        held.go()
        assert held.wait_done() == "committed"
        assert [r[1] for r in conn.execute(query)] == ["held A", "held B"]


def test_add_tenant_makes_another_clinic(django_db: DjangoDB) -> None:
    client_id = add_tenant(django_db, "serenidad", appointments=3, messages=4)
    assert client_id > 3
    assert _tables(django_db.superuser, "serenidad") == TENANT_TABLES
    assert _count(django_db.superuser, "serenidad", "appointments_appointment") == 3
    assert check_login(django_db, "serenidad", ADMIN_EMAIL, ADMIN_PASSWORD)

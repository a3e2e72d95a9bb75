"""Restoring one tenant through the engine: the acceptance story, owners, sequences, administrators, preview."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from app.engine.archive.container import ArchiveReader
from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.errors import Cancelled, PreflightError, RestoreFailed
from app.engine.jobs import CancelToken, Progress
from app.engine.restore.discard import discard_safety_copy
from app.engine.restore.preview import preview_restore
from app.engine.restore.restore import restore_tenant
from app.engine.restore.swap import free_safety_name
from app.engine.restore.undo import undo_restore
from app.engine.safety.naming import safety_copy_name
from app.engine.server.demo import django_password_verifies
from tests.support.pg import one_value
from tests.support.restore import (
    delete_patient,
    emails,
    fingerprint,
    other_schemas,
    password_hash,
    resguardo_schemas,
    set_password,
)

pytestmark = pytest.mark.core

ADMIN = "admin@gmail.com"
PATIENT = "paciente1@test.com"


@pytest.fixture(params=["superuser", "clinic_app"])
def restorer(request: pytest.FixtureRequest, demo_db: ConnectionTarget) -> ConnectionTarget:
    """Who backs up, restores, undoes and discards: a superuser, or the tenants' owner (the web application's role)."""
    if request.param == "superuser":
        return demo_db
    return ConnectionTarget(make_conninfo(demo_db.conninfo, user="clinic_app"))


def test_acceptance_story_through_the_engine(
    demo_db: ConnectionTarget, restorer: ConnectionTarget, tmp_path: Path
) -> None:
    archive = tmp_path / "bienestar.resguardo"
    backup_tenant(restorer, "bienestar", archive)
    delete_patient(demo_db)
    set_password(demo_db, "bienestar", ADMIN, "nueva-clave")  # today's password, not the backup's
    after_deletion = fingerprint(demo_db, "bienestar")
    others = other_schemas(demo_db, "bienestar")
    seen: list[Progress] = []

    result = restore_tenant(restorer, "bienestar", archive, progress=seen.append)

    assert PATIENT in emails(demo_db, "bienestar")
    assert django_password_verifies("nueva-clave", password_hash(demo_db, "bienestar", ADMIN) or "")
    assert result.kept_superusers == [ADMIN]
    assert other_schemas(demo_db, "bienestar") == others
    assert result.safety_copy is not None and re.fullmatch(r"rg_safety_\d{14}_bienestar", result.safety_copy)
    assert fingerprint(demo_db, result.safety_copy)["data"] == after_deletion["data"]
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0

    undone = undo_restore(restorer, "bienestar")
    assert fingerprint(demo_db, "bienestar") == after_deletion
    assert PATIENT not in emails(demo_db, "bienestar")
    assert other_schemas(demo_db, "bienestar") == others
    # The restored state is now the safety copy: undo can be undone.
    assert undone.safety_copy is not None
    undo_restore(restorer, "bienestar")
    assert PATIENT in emails(demo_db, "bienestar")
    assert [role for _, role in resguardo_schemas(demo_db)] == ["safety-copy"]


def test_web_role_keeps_every_privilege_after_a_superuser_restore(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    archive = tmp_path / "b.resguardo"
    backup_tenant(demo_db, "bienestar", archive)
    with demo_db.connect() as conn:  # something to carry over: a grant to another role
        conn.execute("DROP ROLE IF EXISTS rg_reporting")
        conn.execute("CREATE ROLE rg_reporting")
        conn.execute("GRANT SELECT ON bienestar.appointments_appointment TO rg_reporting")
    privileges = """SELECT c.relname, pg_get_userbyid(c.relowner), c.relacl::text FROM pg_class c
                    WHERE c.relnamespace = 'bienestar'::regnamespace ORDER BY 1"""
    with demo_db.connect() as conn:
        before = conn.execute(privileges).fetchall()
    restore_tenant(demo_db, "bienestar", archive)
    with demo_db.connect() as conn:
        assert conn.execute(privileges).fetchall() == before
    app = ConnectionTarget(demo_db.conninfo.replace("user=postgres", "user=clinic_app"))
    with app.connect() as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("clinic_app",)
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = 'bienestar'::regnamespace AND relkind = 'r'"
            )
        ]
        for table in tables:
            conn.execute(sql.SQL("SELECT * FROM {} LIMIT 1").format(sql.Identifier("bienestar", table)))
        new_id = one_value(
            conn,
            "INSERT INTO bienestar.specializations_specialization (name, description, created_at)"
            " VALUES ('Nueva', 'x', now()) RETURNING id",
        )
        conn.execute("UPDATE bienestar.specializations_specialization SET description = 'y' WHERE id = %s", [new_id])
        conn.execute("DELETE FROM bienestar.specializations_specialization WHERE id = %s", [new_id])
        conn.execute("TRUNCATE bienestar.django_session")


@pytest.mark.parametrize("role", ["superuser", "owner"])
def test_access_lists_come_back_exactly_under_default_privileges(
    demo_db: ConnectionTarget, tmp_path: Path, role: str
) -> None:
    """With ALTER DEFAULT PRIVILEGES in the clinic, a table made before them keeps its default (NULL) access list,
    one made after keeps its entries in their order, and a table the live clinic lacks gets the defaults (issue
    25.6: a Wagtail site's restore turned default lists into explicit ones and reordered entries)."""
    with demo_db.connect() as conn:
        conn.execute("DROP ROLE IF EXISTS rg_reporting")
        conn.execute("CREATE ROLE rg_reporting")
        conn.execute("GRANT rg_reporting TO clinic_app")  # the owner may grant to it, as the web app's roles are
    owner = ConnectionTarget(demo_db.conninfo.replace("user=postgres", "user=clinic_app"))
    with owner.connect() as conn:
        conn.execute("CREATE TABLE bienestar.rg_plain (id int)")
        conn.execute("CREATE TABLE bienestar.rg_before (id int)")
        conn.execute("ALTER DEFAULT PRIVILEGES IN SCHEMA bienestar GRANT SELECT ON TABLES TO PUBLIC")
        conn.execute("CREATE TABLE bienestar.rg_after (id int)")
        conn.execute("GRANT INSERT ON bienestar.rg_after TO rg_reporting")
        conn.execute("GRANT UPDATE ON bienestar.rg_before TO rg_reporting")
        conn.execute("REVOKE UPDATE ON bienestar.rg_before FROM rg_reporting")  # explicit now, equal to the default
        conn.execute("CREATE TABLE bienestar.rg_gone (id int)")
    archive = tmp_path / "b.resguardo"
    backup_tenant(demo_db, "bienestar", archive)
    with owner.connect() as conn:
        conn.execute("DROP TABLE bienestar.rg_gone")
    acls = """SELECT c.relname, c.relacl::text FROM pg_class c
              WHERE c.relnamespace = 'bienestar'::regnamespace AND c.relkind IN ('r', 'S', 'v', 'm') ORDER BY 1"""
    defaults = (
        "SELECT defaclobjtype, defaclacl::text FROM pg_default_acl WHERE defaclnamespace = 'bienestar'::regnamespace"
    )
    with demo_db.connect() as conn:
        before: dict[str, str | None] = dict(conn.execute(acls).fetchall())
        before_defaults = conn.execute(defaults).fetchall()
    assert before["rg_plain"] is None  # the default list
    assert str(before["rg_before"]).startswith("{clinic_app=arwdDxt") and "," not in str(before["rg_before"])
    assert "=r/clinic_app" in str(before["rg_after"]) and "rg_reporting=a/clinic_app" in str(before["rg_after"])
    restore_tenant(demo_db if role == "superuser" else owner, "bienestar", archive)
    with demo_db.connect() as conn:
        after: dict[str, str | None] = dict(conn.execute(acls).fetchall())
        assert conn.execute(defaults).fetchall() == before_defaults
    gone = after.pop("rg_gone")
    assert after == before  # NULL stays NULL, explicit lists keep their entries and order
    assert gone is not None and "=r/clinic_app" in gone  # new to the clinic: the schema's defaults


def test_identity_columns_continue_after_the_restored_rows(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    archive = tmp_path / "b.resguardo"
    backup_tenant(demo_db, "bienestar", archive)
    with demo_db.connect() as conn:  # the live sequences run ahead; the backup's must still not collide
        conn.execute("SELECT setval('bienestar.chat_chatmessage_id_seq', 1)")
    restore_tenant(demo_db, "bienestar", archive)
    with demo_db.connect() as conn:
        conn.execute("SELECT setval('bienestar.chat_chatmessage_id_seq', 1)")  # even a sequence set back...
    restore_tenant(demo_db, "bienestar", archive)
    with demo_db.connect() as conn:  # ...is moved past the restored maximum: no duplicate key
        maximum = one_value(conn, "SELECT max(id) FROM bienestar.chat_chatmessage")
        new = one_value(
            conn,
            "INSERT INTO bienestar.chat_chatmessage (sender_id, recipient_id, content, sent_at, is_read)"
            " VALUES (2, 5, 'hola', now(), false) RETURNING id",
        )
        assert new > maximum
        conn.execute("INSERT INTO bienestar.django_migrations (app, name, applied) VALUES ('x', 'y', now())")


def test_other_tenants_archive_needs_permission_and_leaves_it_untouched(
    demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    archive = tmp_path / "mindcare.resguardo"
    backup_tenant(demo_db, "mindcare", archive)
    before = fingerprint(demo_db, "bienestar")
    with pytest.raises(PreflightError, match=r"backup of tenant 'mindcare'.*allow another tenant's backup\.$"):
        restore_tenant(demo_db, "bienestar", archive)
    assert fingerprint(demo_db, "bienestar") == before
    preview = preview_restore(demo_db, "bienestar", archive, allow_other_tenant=True)
    assert preview.other_tenant
    others = other_schemas(demo_db, "bienestar")
    restore_tenant(demo_db, "bienestar", archive, allow_other_tenant=True)
    assert other_schemas(demo_db, "bienestar") == others
    with demo_db.connect() as conn:
        address = one_value(conn, "SELECT address FROM bienestar.core_clinicsettings")
    assert address == "Calle Mayor 10, Madrid"  # mindcare's row


def test_public_is_refused_and_a_missing_schema_is_created(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    archive = tmp_path / "b.resguardo"
    backup_tenant(demo_db, "bienestar", archive)
    with pytest.raises(PreflightError, match="public schema") as refused:
        restore_tenant(demo_db, "public", archive, allow_other_tenant=True)
    assert refused.value.changed is False
    with pytest.raises(PreflightError, match="no tenant 'nadie'"):
        restore_tenant(demo_db, "nadie", archive, allow_other_tenant=True)
    with demo_db.connect() as conn:
        conn.execute("DROP SCHEMA bienestar CASCADE")
    preview = preview_restore(demo_db, "bienestar", archive)
    assert not preview.schema_exists and not preview.safety_copy_kept
    result = restore_tenant(demo_db, "bienestar", archive)
    assert result.safety_copy is None and result.kept_superusers == []
    assert PATIENT in emails(demo_db, "bienestar")
    with demo_db.connect() as conn:
        owner = conn.execute("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'bienestar'")
        assert owner.fetchone() == ("clinic_app",)  # the archive's schema owner, not the superuser restoring


def test_superuser_conflict_is_reported_not_guessed(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    archive = tmp_path / "b.resguardo"
    backup_tenant(demo_db, "bienestar", archive)
    with demo_db.connect() as conn:  # id 2 is psicologo1 in the backup; today it is another superuser
        conn.execute("UPDATE bienestar.users_customuser SET email = 'jefa@test.com', is_superuser = true WHERE id = 2")
    before = fingerprint(demo_db, "bienestar")
    with pytest.raises(RestoreFailed, match=r"jefa@test\.com.*Restore without keeping them") as refused:
        restore_tenant(demo_db, "bienestar", archive)
    assert refused.value.changed is False
    assert fingerprint(demo_db, "bienestar") == before
    assert resguardo_schemas(demo_db) == []
    result = restore_tenant(demo_db, "bienestar", archive, keep_superusers=False)
    assert result.kept_superusers == []
    assert "jefa@test.com" not in emails(demo_db, "bienestar")


def test_a_new_superuser_is_inserted_with_its_password(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    archive = tmp_path / "b.resguardo"
    backup_tenant(demo_db, "bienestar", archive)
    with demo_db.connect() as conn:
        conn.execute(
            "INSERT INTO bienestar.users_customuser (password, is_superuser, first_name, last_name, is_staff,"
            " is_active, date_joined, email, role) VALUES ('x', true, 'Nuevo', 'Admin', true, true, now(),"
            " 'nuevo@test.com', 'admin')"
        )
    set_password(demo_db, "bienestar", "nuevo@test.com", "secreta")
    result = restore_tenant(demo_db, "bienestar", archive)
    assert result.kept_superusers == [ADMIN, "nuevo@test.com"]
    assert django_password_verifies("secreta", password_hash(demo_db, "bienestar", "nuevo@test.com") or "")
    with demo_db.connect() as conn:  # the table's identity continues after the inserted account
        conn.execute(
            "INSERT INTO bienestar.users_customuser (password, is_superuser, first_name, last_name, is_staff,"
            " is_active, date_joined, email, role) VALUES ('x', false, 'a', 'b', false, true, now(), 'c@d.e', 'p')"
        )


def test_preview_changes_nothing_and_says_what_will_happen(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    archive = tmp_path / "b.resguardo"
    backup_tenant(demo_db, "bienestar", archive)
    delete_patient(demo_db)
    with demo_db.connect() as conn:
        conn.execute("DELETE FROM bienestar.django_migrations WHERE name = '0002_chatmessage_appointment'")
        conn.execute("INSERT INTO bienestar.django_migrations (app, name, applied) VALUES ('chat', '0003_x', now())")
    before = {**other_schemas(demo_db, "bienestar"), "bienestar": fingerprint(demo_db, "bienestar")}
    preview = preview_restore(demo_db, "bienestar", archive)
    assert {**other_schemas(demo_db, "bienestar"), "bienestar": fingerprint(demo_db, "bienestar")} == before
    users = next(t for t in preview.tables if t.name == "users_customuser")
    assert (users.rows_in_file, users.rows_now, users.rows_now_exact) == (9, 8, True)
    with ArchiveReader(archive) as reader:
        assert (preview.source.source_schema, preview.source.created_utc) == ("bienestar", reader.manifest.created_utc)
        assert preview.size_bytes == reader.manifest.total_bytes
    assert not preview.other_tenant and preview.safety_copy_kept
    assert preview.migrations_only_in_file == [("chat", "0002_chatmessage_appointment")]
    assert preview.migrations_only_live == [("chat", "0003_x")]
    assert preview.needs_migrate
    assert preview.superusers_kept == [ADMIN]
    assert not preview.busy


def test_discard_only_drops_safety_copies(
    demo_db: ConnectionTarget, restorer: ConnectionTarget, tmp_path: Path
) -> None:
    archive = tmp_path / "b.resguardo"
    backup_tenant(restorer, "bienestar", archive)
    first = restore_tenant(restorer, "bienestar", archive)
    second = restore_tenant(restorer, "bienestar", archive)
    assert second.dropped_safety_copies == [first.safety_copy]  # one safety copy per tenant
    with pytest.raises(PreflightError, match="not a safety copy"):
        discard_safety_copy(restorer, "mindcare")
    assert second.safety_copy is not None and resguardo_schemas(demo_db) == [(second.safety_copy, "safety-copy")]
    discard_safety_copy(restorer, second.safety_copy)
    assert resguardo_schemas(demo_db) == []
    with pytest.raises(PreflightError, match="no safety copy"):
        undo_restore(restorer, "bienestar")
    with demo_db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM mindcare.users_customuser").fetchone() == (9,)


def test_strange_tenant_names_are_just_names(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    strange = 'x"; drop schema public; --'
    with demo_db.connect() as conn:
        conn.execute(sql.SQL("ALTER SCHEMA bienestar RENAME TO {}").format(sql.Identifier(strange)))
        conn.execute("UPDATE public.customers_client SET schema_name = %s WHERE schema_name = 'bienestar'", [strange])
    archive = tmp_path / "s.resguardo"
    backup_tenant(demo_db, strange, archive)
    result = restore_tenant(demo_db, strange, archive)
    assert PATIENT in emails(demo_db, strange)
    assert result.safety_copy is not None
    assert re.fullmatch(rf"rg_safety_\d{{14}}_{re.escape(strange)}", result.safety_copy)
    assert resguardo_schemas(demo_db) == [(result.safety_copy, "safety-copy")]
    undo_restore(demo_db, strange)
    with demo_db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'public'").fetchone() == (1,)
    with pytest.raises(psycopg.errors.UndefinedTable), demo_db.connect() as conn:
        conn.execute("SELECT 1 FROM bienestar.users_customuser")


def test_a_cancelled_undo_changes_nothing(
    demo_db: ConnectionTarget, restorer: ConnectionTarget, tmp_path: Path
) -> None:
    archive = tmp_path / "b.resguardo"
    backup_tenant(restorer, "bienestar", archive)
    delete_patient(demo_db)
    restored = restore_tenant(restorer, "bienestar", archive)
    live, schemas = fingerprint(demo_db, "bienestar"), resguardo_schemas(demo_db)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled) as cancelled:
        undo_restore(restorer, "bienestar", cancel=token)
    assert cancelled.value.changed is False
    assert fingerprint(demo_db, "bienestar") == live and resguardo_schemas(demo_db) == schemas
    assert PATIENT in emails(demo_db, "bienestar")
    undo_restore(restorer, "bienestar")  # the lock was released: undo still works afterwards
    assert PATIENT not in emails(demo_db, "bienestar") and restored.safety_copy not in dict(resguardo_schemas(demo_db))


def test_a_safety_copy_name_is_never_one_a_kept_copy_already_passed(demo_db: ConnectionTarget) -> None:
    """An Undo button is bound to its copy's name: after a second restore dropped the first copy,
    the next copy (an undo's, within the same second) must not take the first one's name again."""
    now = datetime.now(UTC).replace(microsecond=0)
    with psycopg.connect(demo_db.conninfo, autocommit=True) as conn:
        assert free_safety_name(conn, "bienestar") >= safety_copy_name("bienestar", now)
        kept = safety_copy_name("bienestar", now + timedelta(seconds=5))
        far = safety_copy_name("bienestar", now + timedelta(days=400))  # someone else's name: not followed
        other = safety_copy_name("mindcare", now + timedelta(seconds=9))  # another clinic's copy
        for name in (kept, far, other):
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        assert free_safety_name(conn, "bienestar") == safety_copy_name("bienestar", now + timedelta(seconds=6))


AUDIT_LOG = [  # run by the clinic's owner: a monthly audit log whose CHECK (run for every row loaded) and trigger
    # fail the job if they ever run with a superuser's rights: Resguardo must not lend them its own
    "CREATE FUNCTION bienestar.audit_ok(what text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$BEGIN"
    " IF pg_catalog.current_setting('is_superuser') = 'on' THEN"
    " RAISE EXCEPTION 'audit_ok ran with a superuser''s rights'; END IF; RETURN what <> ''; END$$",
    "CREATE TABLE bienestar.audit_log (id bigint NOT NULL, at date NOT NULL,"
    " what text NOT NULL CHECK (bienestar.audit_ok(what)), PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
    "CREATE TABLE bienestar.audit_log_2026_10 PARTITION OF bienestar.audit_log"
    " FOR VALUES FROM ('2026-10-01') TO ('2026-11-01')",
    "CREATE TABLE bienestar.audit_log_2026_11 PARTITION OF bienestar.audit_log"
    " FOR VALUES FROM ('2026-11-01') TO ('2026-12-01')",
    "CREATE TABLE bienestar.audit_log_other PARTITION OF bienestar.audit_log DEFAULT",
    "CREATE INDEX ON bienestar.audit_log (what)",
    "CREATE FUNCTION bienestar.audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
    " IF pg_catalog.current_setting('is_superuser') = 'on' THEN"
    " RAISE EXCEPTION 'audit_guard ran with a superuser''s rights'; END IF; RETURN NEW; END$$",
    "CREATE TRIGGER audit_guard BEFORE INSERT ON bienestar.audit_log FOR EACH ROW"
    " EXECUTE FUNCTION bienestar.audit_guard()",
    "INSERT INTO bienestar.audit_log SELECT i, DATE '2026-09-15' + i % 90, 'login ' || i"
    " FROM generate_series(1, 3000) i",
]


def test_acceptance_story_on_a_hostile_tenant_with_a_partitioned_table(
    demo_db: ConnectionTarget, restorer: ConnectionTarget, tmp_path: Path
) -> None:
    """Issue 12's done-when: a clinic that added a partitioned audit log (and a trigger of its owner's) backs up
    and restores with the default format, by a superuser and by the owner, and the story holds."""
    with ConnectionTarget(make_conninfo(demo_db.conninfo, user="clinic_app")).connect() as conn:
        for statement in AUDIT_LOG:
            conn.execute(statement)
        conn.commit()
    archive = backup_tenant(restorer, "bienestar", tmp_path / "bienestar.resguardo").path
    delete_patient(demo_db)
    with demo_db.connect() as conn:
        conn.execute("DELETE FROM bienestar.audit_log WHERE at >= '2026-11-01'")
    after_deletion = fingerprint(demo_db, "bienestar")
    others = other_schemas(demo_db, "bienestar")

    result = restore_tenant(restorer, "bienestar", archive)

    assert PATIENT in emails(demo_db, "bienestar")
    assert other_schemas(demo_db, "bienestar") == others
    with demo_db.connect() as conn:
        partitions = conn.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'bienestar.audit_log'::regclass"
            " ORDER BY 1"
        ).fetchall()
        assert partitions == [
            ("audit_log_2026_10", "FOR VALUES FROM ('2026-10-01') TO ('2026-11-01')"),
            ("audit_log_2026_11", "FOR VALUES FROM ('2026-11-01') TO ('2026-12-01')"),
            ("audit_log_other", "DEFAULT"),
        ]
        assert one_value(conn, "SELECT count(*) FROM bienestar.audit_log") == 3000
        assert one_value(conn, "SELECT count(*) FROM ONLY bienestar.audit_log_2026_11") == 990
        assert (
            one_value(
                conn,
                "SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_guard'"
                " AND tgrelid IN (SELECT 'bienestar.audit_log'::regclass UNION SELECT inhrelid FROM pg_inherits"
                " WHERE inhparent = 'bienestar.audit_log'::regclass)",
            )
            == 4  # the parent's, and each partition's clone of it
        )
        assert one_value(
            conn, "SELECT relowner::regrole::text FROM pg_class WHERE oid = 'bienestar.audit_log'::regclass"
        ) == ("clinic_app")
    undo_restore(restorer, "bienestar", expected_copy=result.safety_copy)
    assert fingerprint(demo_db, "bienestar") == after_deletion


@pytest.mark.parametrize("role", ["superuser", "owner"])
def test_accounts_behind_forced_row_security_are_refused_not_dropped(
    demo_db: ConnectionTarget, tmp_path: Path, role: str
) -> None:
    """FORCE ROW LEVEL SECURITY on the accounts table applies to the owner and its members, whose rights the
    restore reads it with: a policy that hides an administrator would make the restore drop that account without
    a word. The restore refuses, naming the table and the way out, and changes nothing; without keeping
    today's administrators it restores."""
    archive = tmp_path / "b.resguardo"
    backup_tenant(demo_db, "bienestar", archive)
    with demo_db.connect() as conn:
        conn.execute("ALTER TABLE bienestar.users_customuser ENABLE ROW LEVEL SECURITY")
        conn.execute("ALTER TABLE bienestar.users_customuser FORCE ROW LEVEL SECURITY")
        conn.execute("CREATE POLICY hide_admins ON bienestar.users_customuser USING (NOT is_superuser)")
    before = fingerprint(demo_db, "bienestar")
    runner = (
        demo_db
        if role == "superuser"
        else ConnectionTarget(demo_db.conninfo.replace("user=postgres", "user=clinic_app"))
    )
    with pytest.raises(PreflightError, match=r"accounts table bienestar\.users_customuser has row-level security"):
        preview_restore(runner, "bienestar", archive)
    with pytest.raises(PreflightError, match="restore without keeping them"):
        restore_tenant(runner, "bienestar", archive)
    assert fingerprint(demo_db, "bienestar") == before and resguardo_schemas(demo_db) == []
    restore_tenant(runner, "bienestar", archive, keep_superusers=False)

"""The demo clinics are what a django-tenants deployment of the clinic app holds."""

from __future__ import annotations

from app.engine.connection import ConnectionTarget
from app.engine.server.demo import django_password_verifies
from tests.support.pg import TestServer, one_value

TENANT_TABLES = {
    "django_migrations",
    "django_content_type",
    "auth_permission",
    "auth_group",
    "users_customuser",
    "users_customuser_groups",
    "specializations_specialization",
    "psychologists_psychologistprofile",
    "psychologists_psychologistprofile_specializations",
    "patients_patientprofile",
    "appointments_appointment",
    "chat_chatmessage",
    "core_clinicsettings",
    "django_admin_log",
    "django_session",
}


def test_public_holds_three_tenant_rows_with_domains(demo_db: ConnectionTarget) -> None:
    with demo_db.connect() as conn:
        rows = conn.execute(
            "SELECT c.schema_name, c.name, d.domain, d.is_primary FROM public.customers_client c"
            " JOIN public.customers_domain d ON d.tenant_id = c.id ORDER BY c.id"
        ).fetchall()
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("public", "localhost", True),
        ("mindcare", "mindcare.localhost", True),
        ("bienestar", "bienestar.localhost", True),
    ]
    assert rows[1][1] == "Mindcare" and rows[2][1] == "Bienestar"


def test_each_tenant_has_the_seed_rows(demo_db: ConnectionTarget) -> None:
    with demo_db.connect() as conn:
        for schema in ("mindcare", "bienestar"):
            tables = {
                r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema]).fetchall()
            }
            assert tables == TENANT_TABLES
            counts = conn.execute(
                f'SELECT (SELECT count(*) FROM "{schema}".specializations_specialization),'
                f' (SELECT count(*) FROM "{schema}".appointments_appointment),'
                f' (SELECT count(*) FROM "{schema}".chat_chatmessage),'
                f' (SELECT count(*) FROM "{schema}".django_migrations)'
            ).fetchone()
            assert counts == (8, 20, 60, 30)
            emails = [
                r[0]
                for r in conn.execute(f'SELECT email::text FROM "{schema}".users_customuser ORDER BY id').fetchall()
            ]
            assert emails == ["admin@gmail.com"] + [f"psicologo{i}@test.com" for i in (1, 2, 3)] + [
                f"paciente{i}@test.com" for i in range(1, 6)
            ]
            supers = conn.execute(f'SELECT email::text FROM "{schema}".users_customuser WHERE is_superuser').fetchall()
            assert supers == [("admin@gmail.com",)]


def test_passwords_are_django_hashes_that_verify(demo_db: ConnectionTarget) -> None:
    with demo_db.connect() as conn:
        admin = one_value(conn, "SELECT password FROM bienestar.users_customuser WHERE email = 'admin@gmail.com'")
        patient = one_value(conn, "SELECT password FROM mindcare.users_customuser WHERE email = 'paciente1@test.com'")
    assert admin.startswith("pbkdf2_sha256$")
    assert django_password_verifies("admin", admin)
    assert not django_password_verifies("wrong", admin)
    assert django_password_verifies("password123", patient)


def test_schemas_and_tables_are_owned_by_the_app_role(demo_db: ConnectionTarget) -> None:
    with demo_db.connect() as conn:
        owners = conn.execute(
            "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname IN ('mindcare', 'bienestar', 'public')"
            " AND c.relkind IN ('r', 'S', 'i')"
        ).fetchall()
        schema_owners = conn.execute(
            "SELECT DISTINCT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname IN ('mindcare', 'bienestar')"
        ).fetchall()
        superuser = one_value(conn, "SELECT rolsuper FROM pg_roles WHERE rolname = 'clinic_app'")
    assert owners == [("clinic_app",)]
    assert schema_owners == [("clinic_app",)]
    assert superuser is False


def test_identity_keys_and_deferred_foreign_keys(demo_db: ConnectionTarget) -> None:
    with demo_db.connect() as conn:
        [(identity_keys, id_columns)] = conn.execute(
            "SELECT count(*) FILTER (WHERE is_identity = 'YES' AND identity_generation = 'BY DEFAULT'),"
            " count(*) FROM information_schema.columns WHERE table_schema = 'bienestar' AND column_name = 'id'"
        ).fetchall()
        fks = conn.execute(
            "SELECT bool_and(condeferrable AND condeferred), count(*) FROM pg_constraint"
            " WHERE contype = 'f' AND connamespace = 'bienestar'::regnamespace"
        ).fetchone()
        into_public = one_value(
            conn,
            "SELECT confrelid::regclass::text FROM pg_constraint WHERE contype = 'f'"
            " AND conrelid = 'bienestar.core_clinicsettings'::regclass",
        )
        citext = one_value(conn, "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'citext'")
    assert identity_keys == id_columns == len(TENANT_TABLES) - 1  # django_session's key is a string
    assert fks == (True, 15)  # every foreign key of the clinic, deferrable and deferred
    assert into_public == "public.customers_client"
    assert citext == "public"


def test_scale_multiplies_appointments_and_messages(pg_server: TestServer) -> None:
    from app.engine.server.demo import create_demo_database

    target = create_demo_database(pg_server.admin, "rg_scaled_demo", scale=3, scaled=("bienestar",), reset=True)
    try:
        with target.connect() as conn:
            counts = conn.execute(
                "SELECT (SELECT count(*) FROM bienestar.chat_chatmessage),"
                " (SELECT count(*) FROM bienestar.appointments_appointment),"
                " (SELECT count(*) FROM mindcare.chat_chatmessage)"
            ).fetchone()
        assert counts == (180, 60, 60)
    finally:
        pg_server.drop_database(target)

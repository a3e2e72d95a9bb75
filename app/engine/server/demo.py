"""The demo clinics: the database a Django 5 + django-tenants deployment of the clinic app holds."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from functools import cache
from importlib import resources

import psycopg
from psycopg import sql

from app.engine.connection import ConnectionTarget

APP_ROLE = "clinic_app"
DEMO_DBNAME = "resguardo_demo"
DJANGO_ITERATIONS = 1_000_000  # Django 5.2's default for pbkdf2_sha256
BASE_APPOINTMENTS = 20
BASE_MESSAGES = 60


@dataclass(frozen=True)
class DemoTenant:
    schema: str
    name: str
    domain: str


TENANTS = (
    DemoTenant("mindcare", "Mindcare", "mindcare.localhost"),
    DemoTenant("bienestar", "Bienestar", "bienestar.localhost"),
)

# (email, first name, last name, role, is_superuser, password)
USERS = (
    ("admin@gmail.com", "Admin", "Clínica", "admin", True, "admin"),
    *((f"psicologo{i}@test.com", f"Psicólogo{i}", "Demo", "psychologist", False, "password123") for i in (1, 2, 3)),
    *((f"paciente{i}@test.com", f"Paciente{i}", "Demo", "patient", False, "password123") for i in (1, 2, 3, 4, 5)),
)


@cache
def django_password_hash(password: str, salt: str) -> str:
    """The string Django's PBKDF2PasswordHasher stores for `password`."""
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), DJANGO_ITERATIONS)
    return f"pbkdf2_sha256${DJANGO_ITERATIONS}${salt}${base64.b64encode(digest).decode()}"


def django_password_verifies(password: str, encoded: str) -> bool:
    """What Django's check_password does for pbkdf2_sha256 hashes."""
    algorithm, iterations, salt, b64 = encoded.split("$", 3)
    if algorithm != "pbkdf2_sha256":
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations))
    return hmac.compare_digest(base64.b64encode(digest).decode(), b64)


def _salt_for(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:22]


def _sql_file(name: str) -> str:
    return resources.files("app.engine.server").joinpath("sql", name).read_text(encoding="utf-8")


def database_exists(target: ConnectionTarget, dbname: str) -> bool:
    with target.connect(autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone() is not None


def create_demo_database(
    target: ConnectionTarget,
    dbname: str = DEMO_DBNAME,
    *,
    scale: int = 1,
    scaled: tuple[str, ...] = ("mindcare", "bienestar"),
    reset: bool = False,
) -> ConnectionTarget:
    """Create (or with `reset`, recreate) the demo database; `target` must be a superuser.

    `scale` multiplies appointments and chat messages of the tenants named in
    `scaled`; see docs/demo.md for the size each scale gives.
    """
    if scale < 1:
        raise ValueError("scale must be at least 1")
    with target.connect(autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]).fetchone():
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(APP_ROLE)))
        if reset:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0 ENCODING 'UTF8'").format(
                sql.Identifier(dbname), sql.Identifier(APP_ROLE)
            )
        )
    demo = target.with_dbname(dbname)
    with demo.connect() as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public")
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(APP_ROLE)))
        conn.execute(_sql_file("demo_public.sql"))
        _add_client(conn, "public", "Clínicas (público)", "localhost")
        for index, tenant in enumerate(TENANTS):
            client_id = _add_client(conn, tenant.schema, tenant.name, tenant.domain)
            _create_tenant(conn, tenant, client_id, index, scale if tenant.schema in scaled else 1)
        conn.execute("RESET ROLE")
        conn.commit()
    with demo.connect(autocommit=True) as conn:
        conn.execute("ANALYZE")
    return demo


def _add_client(conn: psycopg.Connection, schema: str, name: str, domain: str) -> int:
    row = conn.execute(
        "INSERT INTO public.customers_client (schema_name, name, paid_until, on_trial, created_on)"
        " VALUES (%s, %s, '2027-12-31', false, '2025-03-01') RETURNING id",
        [schema, name],
    ).fetchone()
    assert row is not None
    conn.execute(
        "INSERT INTO public.customers_domain (domain, is_primary, tenant_id) VALUES (%s, true, %s)",
        [domain, row[0]],
    )
    return int(row[0])


def _create_tenant(conn: psycopg.Connection, tenant: DemoTenant, client_id: int, index: int, scale: int) -> None:
    schema = sql.Identifier(tenant.schema)
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
    conn.execute(sql.SQL("SET search_path = {}, public").format(schema))
    conn.execute(_sql_file("demo_tenant.sql"))
    for email, first, last, role, superuser, password in USERS:
        conn.execute(
            "INSERT INTO users_customuser (password, is_superuser, first_name, last_name, is_staff,"
            " is_active, date_joined, email, role) VALUES (%s, %s, %s, %s, %s, true, %s, %s, %s)",
            [
                django_password_hash(password, _salt_for(email)),
                superuser,
                first,
                last,
                superuser,
                "2025-03-01 10:30:00+00",
                email,
                role,
            ],
        )
    conn.execute(
        """
        INSERT INTO psychologists_psychologistprofile (user_id, license_number, bio, years_experience, hourly_rate)
        SELECT u.id, 'COL-' || lpad(u.id::text, 5, '0'), 'Psicólogo de ' || %s, 3 + u.id, 45.50 + u.id
        FROM users_customuser u WHERE u.role = 'psychologist' ORDER BY u.id;
        """,
        [tenant.name],
    )
    conn.execute(
        """
        INSERT INTO psychologists_psychologistprofile_specializations (psychologistprofile_id, specialization_id)
        SELECT p.id, s.id FROM psychologists_psychologistprofile p
        JOIN specializations_specialization s ON (s.id + p.id) % 3 = 0 ORDER BY p.id, s.id;
        INSERT INTO patients_patientprofile (user_id, birth_date, emergency_contact, notes)
        SELECT u.id, date '1980-01-01' + ((u.id * 997) % 9000)::int, '+34 600 000 ' || lpad(u.id::text, 3, '0'), ''
        FROM users_customuser u WHERE u.role = 'patient' ORDER BY u.id;
        INSERT INTO users_customuser_groups (customuser_id, group_id)
        SELECT u.id, CASE u.role WHEN 'psychologist' THEN 1 ELSE 2 END
        FROM users_customuser u WHERE u.role IN ('psychologist', 'patient') ORDER BY u.id;
        """
    )
    conn.execute(
        "INSERT INTO core_clinicsettings (client_id, address, phone, time_zone) VALUES (%s, %s, %s, %s)",
        [client_id, f"Calle Mayor {10 + index}, Madrid", f"+34 91 000 00 {index}0", "Europe/Madrid"],
    )
    conn.execute(
        """
        INSERT INTO appointments_appointment
            (patient_id, psychologist_id, scheduled_at, duration_minutes, status, notes, created_at, updated_at)
        SELECT 1 + (g + %(offset)s) %% 5, 1 + g %% 3,
               timestamptz '2025-04-01 09:00+00' + g * interval '37 minutes',
               50, (ARRAY['scheduled', 'completed', 'cancelled', 'no_show'])[1 + g %% 4],
               (ARRAY['Primera sesión.', 'Seguimiento semanal.', 'Revisión de objetivos terapéuticos.',
                      'Sesión de evaluación con cuestionarios.'])[1 + (g + %(offset)s) %% 4]
                   || ' Ref ' || substr(md5(g::text || %(schema)s), 1, 12),
               timestamptz '2025-03-20 09:00+00' + g * interval '11 minutes',
               timestamptz '2025-03-20 09:00+00' + g * interval '13 minutes'
        FROM generate_series(1, %(count)s) AS g ORDER BY g
        """,
        {"offset": index, "schema": tenant.schema, "count": BASE_APPOINTMENTS * scale},
    )
    appointments = BASE_APPOINTMENTS * scale
    conn.execute(
        """
        INSERT INTO chat_chatmessage (sender_id, recipient_id, appointment_id, content, sent_at, is_read)
        SELECT CASE WHEN g %% 2 = 0 THEN 5 + g %% 5 ELSE 2 + g %% 3 END,
               CASE WHEN g %% 2 = 0 THEN 2 + g %% 3 ELSE 5 + g %% 5 END,
               CASE WHEN g %% 7 = 0 THEN NULL ELSE 1 + g %% %(appointments)s END,
               (ARRAY['Hola, ¿podemos cambiar la cita del jueves?',
                      'Claro, te propongo el viernes a las 10:00.',
                      'Gracias por la sesión de hoy, me ayudó mucho.',
                      'Recuerda completar el registro de pensamientos antes de la próxima sesión.',
                      'Esta semana dormí mejor y practiqué los ejercicios de respiración.',
                      'Te envío el cuestionario que comentamos.'])[1 + (g + %(offset)s) %% 6]
                   || ' (' || substr(md5(g::text || %(schema)s), 1, 10 + g %% 20) || ')',
               timestamptz '2025-04-01 08:00+00' + g * interval '7 minutes',
               g %% 3 <> 0
        FROM generate_series(1, %(count)s) AS g ORDER BY g
        """,
        {"offset": index, "schema": tenant.schema, "count": BASE_MESSAGES * scale, "appointments": appointments},
    )
    conn.execute(
        """
        INSERT INTO django_admin_log (action_time, object_id, object_repr, action_flag, change_message,
                                      content_type_id, user_id)
        SELECT timestamptz '2025-03-02 12:00+00' + s.id * interval '1 hour', s.id::text, s.name, 1,
               '[{"added": {}}]', ct.id, 1
        FROM specializations_specialization s, django_content_type ct
        WHERE ct.app_label = 'specializations' ORDER BY s.id;
        """
    )
    conn.execute("RESET search_path")

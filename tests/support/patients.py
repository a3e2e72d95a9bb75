"""A patient's account deleted and counted the way the window's tests need it: with plain SQL, as the web
application's cascade would leave the clinic (tests/support/django_app.py does it through Django itself)."""

from __future__ import annotations

import psycopg
from psycopg import sql

from app.engine.connection import ConnectionTarget
from tests.support.pg import one_value


def delete_user(conn: psycopg.Connection, schema: str, email: str) -> None:
    """Delete an account the way the web application would, with the rows that point at it."""
    conn.execute(sql.SQL("SET search_path = {}, public").format(sql.Identifier(schema)))
    uid = one_value(conn, "SELECT id FROM users_customuser WHERE email = %s", [email])
    conn.execute(
        "DELETE FROM chat_chatmessage WHERE sender_id = %(u)s OR recipient_id = %(u)s OR appointment_id IN"
        " (SELECT a.id FROM appointments_appointment a JOIN patients_patientprofile p"
        " ON p.id = a.patient_id WHERE p.user_id = %(u)s)",
        {"u": uid},
    )
    conn.execute(
        "DELETE FROM appointments_appointment WHERE patient_id IN"
        " (SELECT id FROM patients_patientprofile WHERE user_id = %s)",
        [uid],
    )
    for table, column in (
        ("patients_patientprofile", "user_id"),
        ("users_customuser_groups", "customuser_id"),
        ("django_admin_log", "user_id"),
        ("users_customuser", "id"),
    ):
        conn.execute(
            sql.SQL("DELETE FROM {} WHERE {} = %s").format(sql.Identifier(table), sql.Identifier(column)), [uid]
        )


def count_user(target: ConnectionTarget, schema: str, email: str) -> int:
    with target.connect() as conn:
        return int(
            one_value(
                conn,
                sql.SQL("SELECT count(*) FROM {} WHERE email = %s").format(sql.Identifier(schema, "users_customuser")),
                [email],
            )
        )

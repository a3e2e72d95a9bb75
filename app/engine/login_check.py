""" "Test connection": one short login that ends in a sentence, never an exception.

The profile dialog and the window's start-up both need to know not only *that*
a login failed but *why* (a wrong password means "ask again"; an unreachable
server does not), so the outcome carries a `problem` code next to the words.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from app.engine.connection import ConnectionTarget
from app.engine.errors import ConnectionFailed, first_line

OK = "ok"
WRONG_PASSWORD = "wrong-password"
NO_PASSWORD = "no-password"
UNREACHABLE = "unreachable"
NO_DATABASE = "no-database"
SSL = "ssl"
TIMEOUT = "timeout"
OTHER = "other"

PASSWORD_PROBLEMS = (WRONG_PASSWORD, NO_PASSWORD)


@dataclass(frozen=True)
class ConnectionCheck:
    problem: str  # OK or one of the codes above
    message: str  # a sentence for the user
    details: str = ""
    server_version: str = ""
    user: str = ""
    is_superuser: bool = False

    @property
    def ok(self) -> bool:
        return self.problem == OK


def classify(libpq_message: str) -> str:
    """The kind of failure behind libpq's text (the details of a ConnectionFailed)."""
    low = libpq_message.lower()
    if "password authentication failed" in low or "authentication failed" in low:
        return WRONG_PASSWORD
    if "no password supplied" in low or "fe_sendauth: no password" in low:
        return NO_PASSWORD
    if "database" in low and "does not exist" in low:
        return NO_DATABASE
    if "timeout expired" in low or "timed out" in low:
        return TIMEOUT
    if "ssl" in low or "certificate" in low or "root.crt" in low:
        return SSL
    if (
        "connection refused" in low
        or "could not connect" in low
        or "no such file" in low
        or "could not translate host name" in low
        or "name or service not known" in low
    ):
        return UNREACHABLE
    return OTHER


def check_connection(target: ConnectionTarget) -> ConnectionCheck:
    """Log in once and say what happened: server version, user and superuser, or why not."""
    try:
        with target.connect(autocommit=True) as conn:
            row = conn.execute(
                "SELECT current_setting('server_version'), current_user,"
                " (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
            ).fetchone()
    except ConnectionFailed as exc:
        return ConnectionCheck(classify(exc.details or exc.message), exc.message, exc.details)
    except psycopg.Error as exc:
        return ConnectionCheck(
            OTHER, f"Connected to {target.describe()}, but the server then failed: {first_line(exc)}", str(exc)
        )
    assert row is not None
    version, user, superuser = str(row[0]), str(row[1]), bool(row[2])
    role = "a superuser" if superuser else "not a superuser"
    message = f"Connected to PostgreSQL {version.split(maxsplit=1)[0]} as {user} ({role}), database {target.dbname}."
    return ConnectionCheck(OK, message, "", version, user, superuser)

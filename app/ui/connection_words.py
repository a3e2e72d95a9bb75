"""A connection check's outcome in the window's language, chosen by its problem code.

The engine's own sentence (English, shared with the CLI) goes to Details.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from app.engine import login_check as ct
from app.engine.connection import ConnectionTarget
from app.ui.engine_words import WindowError

translate = QCoreApplication.translate


def check_sentence(check: ct.ConnectionCheck, target: ConnectionTarget) -> str:
    """What happened when logging in, in plain words."""
    where = target.describe()
    if check.ok:
        version = check.server_version.split()[0] if check.server_version else "?"
        text = (
            translate("Connection", "Connected to PostgreSQL {version} as {user} (a superuser), database {database}.")
            if check.is_superuser
            else translate(
                "Connection", "Connected to PostgreSQL {version} as {user} (not a superuser), database {database}."
            )
        )
        return text.format(version=version, user=check.user, database=target.dbname)
    texts = {
        ct.WRONG_PASSWORD: translate("Connection", "Wrong user name or password for {where}."),
        ct.NO_PASSWORD: translate("Connection", "The server at {where} asks for a password."),
        ct.UNREACHABLE: translate(
            "Connection", "The server at {where} cannot be reached: is it running, and are the host and port right?"
        ),
        ct.NO_DATABASE: translate("Connection", "The database {database} does not exist on the server ({where})."),
        ct.SSL: translate(
            "Connection",
            "The server at {where} and this connection disagree on SSL (encryption): "
            "check the SSL mode and the root certificate.",
        ),
        ct.TIMEOUT: translate("Connection", "The server at {where} did not answer in time."),
    }
    text = texts.get(check.problem, translate("Connection", "Could not connect to {where}."))
    return text.format(where=where, database=target.dbname)


def check_error(check: ct.ConnectionCheck, target: ConnectionTarget) -> WindowError:
    """A failed check as an error for the banner: the sentence, and the engine's words in Details."""
    details = "\n\n".join(part for part in (check.message, check.details) if part)
    return WindowError(check_sentence(check, target), details)

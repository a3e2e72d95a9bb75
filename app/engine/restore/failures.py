"""How a restore's failures reach the user: one sentence, and the tenant was not changed."""

from __future__ import annotations

import psycopg

from app.engine.errors import Cancelled, ResguardoError, RestoreFailed, first_line
from app.engine.jobs import CancelToken


def explained(exc: BaseException, cancel: CancelToken) -> BaseException:
    """Any failure of a restore, as the sentence the user reads: the tenant was not changed."""
    if isinstance(exc, Cancelled) or (isinstance(exc, psycopg.errors.QueryCanceled) and cancel.cancelled):
        return Cancelled("Cancelled.")
    if isinstance(exc, ResguardoError):
        return exc
    if isinstance(exc, psycopg.errors.LockNotAvailable):
        return RestoreFailed(
            "A table the file needed stayed locked by another session; try again when the web application is quieter.",
            str(exc),
        )
    if isinstance(exc, psycopg.OperationalError):
        return RestoreFailed(
            "The connection to the server was lost during the restore; the tenant was not changed.", str(exc)
        )
    if isinstance(exc, psycopg.Error):
        return RestoreFailed(f"The restore failed: {first_line(exc)}.", str(exc))
    return exc

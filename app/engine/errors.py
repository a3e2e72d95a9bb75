"""Errors whose message is a sentence the IT person can act on.

Every failure that reaches the user is a `ResguardoError`; the CLI prints its
message as one line, the window shows it with `details` to expand. Whether the
failed job changed anything travels with the error (`changed`), so that "nothing
was changed" is said in one place (`said`, and the window's own words), not in
every message.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

NOTHING_CHANGED = "Nothing was changed."


class Choice(enum.StrEnum):
    """An option of the job that would let it run; the engine's sentence names the choice, each front end
    says how to make it (the CLI names its flag)."""

    ALLOW_OTHER_TENANT = "allow another tenant's backup"
    LONGER_LOCK_WAIT = "keep trying longer"
    INTERRUPT_APP = "interrupt the web application's work on this clinic"
    CUSTOM_FORMAT = "the custom (pg_dump) format"
    KEY_FILE = "the key file that opens it"


class ResguardoError(Exception):
    """A failure explained in plain words; `details` holds the technical part.

    `changed`: False when a job that changes the database (restore, undo, discard) failed and changed
    nothing; None when the job never changes the database (backup, verify, listing). `choices`: the options the
    sentence names, each of which would let the job run."""

    def __init__(
        self, message: str, details: str = "", *, changed: bool | None = None, choices: tuple[Choice, ...] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.changed = changed
        self.choices = choices

    def __str__(self) -> str:
        return self.message


def said(error: ResguardoError) -> str:
    """The sentence the user reads: the error's own, then, when a job that changes the database changed
    nothing, that nothing was changed."""
    return f"{error.message} {NOTHING_CHANGED}" if error.changed is False else error.message


def all_or_nothing(job: Callable[P, R]) -> Callable[P, R]:
    """For the jobs that change the database all or nothing: any failure of theirs changed nothing."""

    @functools.wraps(job)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return job(*args, **kwargs)
        except ResguardoError as exc:
            if exc.changed is None:
                exc.changed = False
            raise

    return run


class UsageError(ResguardoError):
    """The request cannot be done as asked (a value out of range, a file already there, a missing folder): a
    refusal, exit status 1 in the CLI like every other failure. A request naming something the database does not
    hold (an unknown tenant, no safety copy) is a PreflightError."""


class CommandLineError(UsageError):
    """The command line itself is wrong (options that do not go together, a missing server option): exit status
    2 in the CLI, like argparse's own errors. Only app/commands raises it; the engine never does."""


class ConnectionFailed(ResguardoError):
    """The server could not be reached or refused the login."""


class Cancelled(ResguardoError):
    """The user asked to stop; whatever was half-done has been undone."""

    def __init__(self, message: str = "Cancelled.", details: str = "", *, changed: bool | None = None) -> None:
        super().__init__(message, details, changed=changed)


class TenantBusy(ResguardoError):
    """Another backup or restore of the same tenant is running."""


class ArchiveError(ResguardoError):
    """A backup file is unreadable, damaged, or of an unknown kind or version."""


class KeyRefused(ResguardoError):
    """An encryption key cannot be used: it does not open the file, its passphrase is wrong, or it is unreadable.

    `reason` says which, so a front end can ask again for the one thing that was wrong (the passphrase, the key
    file) in its own language without reading the sentence."""

    WRONG_PASSPHRASE = "wrong-passphrase"
    OTHER_KEY = "other-key"  # the file was encrypted to keys this one is not
    NO_KEY = "no-key"
    UNUSABLE = "unusable"  # not a key file, damaged, unreadable, or of a kind Resguardo does not read

    def __init__(
        self, message: str, details: str = "", *, reason: str = UNUSABLE, choices: tuple[Choice, ...] = ()
    ) -> None:
        super().__init__(message, details, choices=choices)
        self.reason = reason


class PreflightError(ResguardoError):
    """A job cannot start; the message says why."""


class RestoreFailed(ResguardoError):
    """A restore failed and was rolled back; the tenant is as it was."""


def first_line(exc: BaseException) -> str:
    """The server's or library's own first line: enough for a one-line message, the rest goes to details."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

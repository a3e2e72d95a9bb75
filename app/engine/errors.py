"""Errors whose message is a sentence the IT person can act on.

Every failure that reaches the user is a `ResguardoError`; the CLI prints its
message as one line, the window shows it with `details` to expand.
"""

from __future__ import annotations


class ResguardoError(Exception):
    """A failure explained in plain words; `details` holds the technical part."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class UsageError(ResguardoError):
    """The request itself is wrong (bad option, unknown tenant); exit status 2 in the CLI."""


class ConnectionFailed(ResguardoError):
    """The server could not be reached or refused the login."""


class Cancelled(ResguardoError):
    """The user asked to stop; whatever was half-done has been undone."""

    def __init__(self, message: str = "Cancelled.", details: str = "") -> None:
        super().__init__(message, details)


class TenantBusy(ResguardoError):
    """Another backup or restore of the same tenant is running."""


class ArchiveError(ResguardoError):
    """A backup file is unreadable, damaged, or of an unknown kind or version."""


class PreflightError(ResguardoError):
    """A job cannot start; the message says why. Nothing was changed."""


class RestoreFailed(ResguardoError):
    """A restore failed and was rolled back; the tenant is as it was."""


def first_line(exc: BaseException) -> str:
    """The server's or library's own first line: enough for a one-line message, the rest goes to details."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

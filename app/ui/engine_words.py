"""The engine speaks English (it is shared with the CLI); the window says the same things in its own language.

Progress stages are translated by their text (an unknown stage is shown as the
engine wrote it). A failure becomes a sentence chosen by the error's kind,
followed by what state things are in; the engine's own sentence, which names
the exact cause, stays in Details and the log. In English the engine's
sentence is already the best headline, so it is shown as it is.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from app.engine.errors import (
    ArchiveError,
    Cancelled,
    ConnectionFailed,
    PreflightError,
    ResguardoError,
    RestoreFailed,
    TenantBusy,
    UsageError,
)
from app.ui import language

translate = QCoreApplication.translate

# Every stage the engine reports (the engine itself has no Qt), in the window's plain words: the catalogue
# translates these; a stage missing here is shown as the engine wrote it.
STAGES = {
    "Connecting": QT_TRANSLATE_NOOP("Engine", "Connecting"),
    "Reading the schema": QT_TRANSLATE_NOOP("Engine", "Reading the table definitions"),
    "Copying rows": QT_TRANSLATE_NOOP("Engine", "Copying rows"),
    "Writing the manifest": QT_TRANSLATE_NOOP("Engine", "Writing the list of contents and checksums"),
    "Backup complete": QT_TRANSLATE_NOOP("Engine", "Backup complete"),
    "Starting pg_dump": QT_TRANSLATE_NOOP("Engine", "Starting pg_dump"),
    "Dumping tables": QT_TRANSLATE_NOOP("Engine", "Copying tables with pg_dump"),
    "Reading the manifest": QT_TRANSLATE_NOOP("Engine", "Reading the list of contents"),
    "Checking the schema": QT_TRANSLATE_NOOP("Engine", "Checking the table definitions"),
    "Checking the rows": QT_TRANSLATE_NOOP("Engine", "Checking the rows"),
    "Archive verified": QT_TRANSLATE_NOOP("Engine", "Every checksum matches"),
    "Read in full": QT_TRANSLATE_NOOP("Engine", "Read in full"),
    "Comparing with the database": QT_TRANSLATE_NOOP("Engine", "Comparing with the clinic's data now"),
    "Counting rows": QT_TRANSLATE_NOOP("Engine", "Counting rows"),
    "Checking the file": QT_TRANSLATE_NOOP("Engine", "Checking the file"),
    "Loading into a staging schema": QT_TRANSLATE_NOOP("Engine", "Loading the backup beside the clinic's data"),
    "Loading rows": QT_TRANSLATE_NOOP("Engine", "Loading rows"),
    "Setting owners, grants and sequences": QT_TRANSLATE_NOOP("Engine", "Setting owners, permissions and counters"),
    "Proving no other tenant was touched": QT_TRANSLATE_NOOP("Engine", "Proving no other clinic was touched"),
    "Swapping the restored tenant in": QT_TRANSLATE_NOOP("Engine", "Switching the clinic to the restored data"),
    "Restored": QT_TRANSLATE_NOOP("Engine", "Restored"),
    "Checking the safety copy": QT_TRANSLATE_NOOP("Engine", "Checking the previous version"),
    "Swapping the safety copy back in": QT_TRANSLATE_NOOP("Engine", "Putting the previous version back"),
    "Undone": QT_TRANSLATE_NOOP("Engine", "Undone"),
    "Done": QT_TRANSLATE_NOOP("Engine", "Done"),
}


def stage(text: str) -> str:
    return translate("Engine", STAGES.get(text, text))


class WindowError(ResguardoError):
    """A failure the window itself put into words, already in its language (a connection check's outcome)."""


def _headline(error: ResguardoError) -> str:
    """A sentence for the kind of failure, in the window's language."""
    if isinstance(error, Cancelled):
        return translate("Errors", "Cancelled.")
    if isinstance(error, ArchiveError):
        return translate("Errors", "The file cannot be used: it is damaged, incomplete, or not a backup "
                                   "Resguardo can read.")
    if isinstance(error, ConnectionFailed):
        return translate("Errors", "The database server could not be reached, or it refused the login.")
    if isinstance(error, TenantBusy):
        return translate("Errors", "Another backup or restore of this clinic is running; wait for it to finish.")
    if isinstance(error, RestoreFailed):
        return translate("Errors", "The operation failed on the server and was rolled back.")
    if isinstance(error, PreflightError):
        return translate("Errors", "The job could not start.")
    if isinstance(error, UsageError):
        return translate("Errors", "This cannot be done as asked.")
    return translate("Errors", "The job failed.")


def headline(error: ResguardoError) -> str:
    """What the user reads first: the engine's own sentence in English, a sentence by kind otherwise."""
    if isinstance(error, WindowError) or (language.current() == language.ENGLISH
                                          and not isinstance(error, Cancelled)):
        return error.message
    return _headline(error)


def technical(error: ResguardoError) -> str:
    """What Details shows: the engine's sentence (when the headline is not it) and its technical part."""
    parts = [] if headline(error) == error.message else [error.message]
    if error.details and error.details != error.message:
        parts.append(error.details)
    return "\n\n".join(parts)


def nothing_changed(error: ResguardoError) -> bool:
    """Whether the engine says nothing was changed (its `changed` flag once it has one; the default is nothing)."""
    return not bool(getattr(error, "changed", False))

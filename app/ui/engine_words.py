"""The engine speaks English (it is shared with the CLI); the window says the same things in its own language.

Progress stages are translated by their text (an unknown stage is shown as the
engine wrote it). A failure becomes a sentence chosen by the error's kind,
followed by what state things are in; the engine's own sentence, which names
the exact cause, stays in Details and the log. In English the engine's
sentence is already the best headline, so it is shown as it is. What the
engine says may quote the database's or a file's names: its hidden characters
are made visible (`app/text_safety.py`).
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from app.engine.errors import (
    ArchiveError,
    Cancelled,
    ConnectionFailed,
    KeyRefused,
    PreflightError,
    ResguardoError,
    RestoreFailed,
    TenantBusy,
    UsageError,
)
from app.text_safety import shown, visible_lines
from app.ui import language

translate = QCoreApplication.translate

# Every stage the engine reports, and the words it gives as a stage's detail (the engine itself has no Qt), in
# the window's plain words: the catalogue translates these; a text missing here is shown as the engine wrote it
# (a detail is usually a table's name).
STAGES: dict[str, object] = {
    "Connecting": QT_TRANSLATE_NOOP("Engine", "Connecting"),
    "Reading the schema": QT_TRANSLATE_NOOP("Engine", "Reading the table definitions"),
    "Copying rows": QT_TRANSLATE_NOOP("Engine", "Copying rows"),
    "Writing the manifest": QT_TRANSLATE_NOOP("Engine", "Writing the list of contents and checksums"),
    "Backup complete": QT_TRANSLATE_NOOP("Engine", "Backup complete"),
    "Encrypting": QT_TRANSLATE_NOOP("Engine", "Encrypting the backup"),
    "Decrypting": QT_TRANSLATE_NOOP("Engine", "Decrypting the backup"),
    "Decrypted": QT_TRANSLATE_NOOP("Engine", "Decrypted"),
    "Starting pg_dump": QT_TRANSLATE_NOOP("Engine", "Starting pg_dump"),
    "Dumping tables": QT_TRANSLATE_NOOP("Engine", "Copying tables with pg_dump"),
    "Checking the schema": QT_TRANSLATE_NOOP("Engine", "Checking the table definitions"),
    "Checking the rows": QT_TRANSLATE_NOOP("Engine", "Checking the rows"),
    "Archive verified": QT_TRANSLATE_NOOP("Engine", "Every checksum matches"),
    "Read in full": QT_TRANSLATE_NOOP("Engine", "Read in full"),
    "Reading natural keys": QT_TRANSLATE_NOOP("Engine", "Reading the records' natural keys"),
    "Reading the JSON file": QT_TRANSLATE_NOOP("Engine", "Reading the Django export"),
    "Comparing with the database": QT_TRANSLATE_NOOP("Engine", "Comparing with the clinic's data now"),
    "Counting rows": QT_TRANSLATE_NOOP("Engine", "Counting rows"),
    "Checking the file": QT_TRANSLATE_NOOP("Engine", "Checking the file"),
    "Preparing an empty copy of the clinic": QT_TRANSLATE_NOOP("Engine", "Preparing an empty copy of the clinic"),
    "Loading the file into the empty copy": QT_TRANSLATE_NOOP("Engine", "Loading the file into the empty copy"),
    "Loading rows": QT_TRANSLATE_NOOP("Engine", "Loading rows"),
    "Adding the remaining keys, triggers and sequences": QT_TRANSLATE_NOOP(
        "Engine", "Adding the remaining keys, triggers and counters"
    ),
    "Giving objects the clinic's owners and grants": QT_TRANSLATE_NOOP(
        "Engine", "Giving everything the clinic's owners and permissions"
    ),
    "Keeping today's administrator accounts": QT_TRANSLATE_NOOP("Engine", "Keeping today's administrator accounts"),
    "Putting the restored clinic in place": QT_TRANSLATE_NOOP("Engine", "Putting the restored clinic in place"),
    "Restored": QT_TRANSLATE_NOOP("Engine", "Restored"),
    "Checking the previous version": QT_TRANSLATE_NOOP("Engine", "Checking the previous version"),
    "Swapping the previous version back in": QT_TRANSLATE_NOOP("Engine", "Putting the previous version back"),
    "Undone": QT_TRANSLATE_NOOP("Engine", "Undone"),
    "Done": QT_TRANSLATE_NOOP("Engine", "Done"),
    "Reading the list of clinics": QT_TRANSLATE_NOOP("Engine", "Reading the list of clinics"),
    "Backing up clinics": QT_TRANSLATE_NOOP("Engine", "Backing up the clinics"),
    "Backups complete": QT_TRANSLATE_NOOP("Engine", "Every clinic done"),
    "Reading": QT_TRANSLATE_NOOP("Engine", "Reading the backup"),
    "Reading the backup": QT_TRANSLATE_NOOP("Engine", "Reading the backup"),
    "Comparing rows": QT_TRANSLATE_NOOP("Engine", "Comparing with the clinic's data now"),
    "Finding the chosen rows": QT_TRANSLATE_NOOP("Engine", "Finding the chosen record"),
    "Comparing with the clinic": QT_TRANSLATE_NOOP("Engine", "Comparing with the clinic's data now"),
    "Planned": QT_TRANSLATE_NOOP("Engine", "Worked out"),
    "Locking the tables to write": QT_TRANSLATE_NOOP("Engine", "Waiting for a moment the clinic's tables are free"),
    "Locking the tables": QT_TRANSLATE_NOOP("Engine", "Waiting for a moment the clinic's tables are free"),
    "Inserting rows": QT_TRANSLATE_NOOP("Engine", "Adding the records"),
    "Recovered": QT_TRANSLATE_NOOP("Engine", "Brought back"),
    "Removing the recovered rows": QT_TRANSLATE_NOOP("Engine", "Removing the recovered records"),
}


def stage(text: str) -> str:
    return translate("Engine", str(STAGES.get(text, text)))


def detail(text: str) -> str:
    """A stage's detail: the engine's words translated, a table's name shown as plain, visible text."""
    return stage(text) if text in STAGES else shown(text)


class WindowError(ResguardoError):
    """A failure the window itself put into words, already in its language (a connection check's outcome)."""


def _headline(error: ResguardoError) -> str:
    """A sentence for the kind of failure, in the window's language."""
    if isinstance(error, Cancelled):
        return translate("Errors", "Cancelled.")
    if isinstance(error, ArchiveError):
        return translate(
            "Errors", "The file cannot be used: it is damaged, incomplete, or not a backup Resguardo can read."
        )
    if isinstance(error, KeyRefused):
        return translate("Errors", "The key given does not open the file, or its passphrase is wrong.")
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
    if isinstance(error, WindowError) or (language.current() == language.ENGLISH and not isinstance(error, Cancelled)):
        return visible_lines(error.message)
    return _headline(error)


def technical(error: ResguardoError) -> str:
    """What Details shows: the engine's sentence (when the headline is not it) and its technical part."""
    parts = [] if headline(error) == visible_lines(error.message) else [error.message]
    if error.details and error.details != error.message:
        parts.append(error.details)
    return visible_lines("\n\n".join(parts))

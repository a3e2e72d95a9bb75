"""The backup formats the window offers, and the open dialog's filter for the files Resguardo writes."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

translate = QCoreApplication.translate


@dataclass(frozen=True)
class BackupFormat:
    """A file format offered in the backup dialog; `label` and `help` are translated where shown."""

    key: str  # what the engine is asked for
    label: str
    help: str
    extension: str  # with the dot


# The formats offered in the backup dialog, the engine's default first (keys as in
# app.engine.backup.backup.BACKUP_FORMATS).
BACKUP_FORMATS: list[BackupFormat] = [
    BackupFormat(
        "native",
        str(QT_TRANSLATE_NOOP("Formats", "Resguardo format (recommended)")),
        str(
            QT_TRANSLATE_NOOP(
                "Formats",
                "Checked and complete, with a checksum for every table; needs no "
                "other program to make, verify or restore.",
            )
        ),
        ".resguardo",
    ),
    BackupFormat(
        "auto",
        str(QT_TRANSLATE_NOOP("Formats", "Automatic")),
        str(
            QT_TRANSLATE_NOOP(
                "Formats",
                "pg_dump's custom format when a pg_dump that fits the server is "
                "installed, otherwise the Resguardo format. The result says which "
                "and why.",
            )
        ),
        ".dump",
    ),
    BackupFormat(
        "custom",
        str(QT_TRANSLATE_NOOP("Formats", "pg_dump custom format")),
        str(QT_TRANSLATE_NOOP("Formats", "For pg_restore; needs a pg_dump that fits the server.")),
        ".dump",
    ),
    BackupFormat(
        "sql",
        str(QT_TRANSLATE_NOOP("Formats", "Plain SQL (pg_dump)")),
        str(QT_TRANSLATE_NOOP("Formats", "A text file of SQL statements; needs a pg_dump that fits the server.")),
        ".sql",
    ),
]


# Django `dumpdata` exports, which a restore also reads (plain, or compressed by dumpdata itself).
DUMPDATA_PATTERNS = ("*.json", "*.jsonl", "*.json.gz", "*.json.bz2", "*.json.xz")


def restore_name_filter() -> str:
    """The open dialog's filter: every kind of file Resguardo writes, and Django exports."""
    patterns = " ".join(sorted({f"*{f.extension}" for f in BACKUP_FORMATS}))
    return translate("Dialogs", "Backups ({patterns});;Django exports ({exports});;All files (*)").format(
        patterns=patterns, exports=" ".join(DUMPDATA_PATTERNS)
    )

"""The backups in a folder, known by what each file says about itself, never by its name (so an encrypted backup,
whose manifest only its private key opens, is listed as one Resguardo cannot date, and kept).

A native archive names its clinic and its time in its manifest (read by app/engine/archive/container.py's
reader, the manifest's checksum checked). pg_dump files do not say when they were made in a way Resguardo
can read (a `.sql` has no time, a custom-format header only the dump's start, and neither was necessarily
written by Resguardo), so they are listed as files Resguardo cannot date, and never removed; so is a file
dated in the future. Symbolic links, hidden files and the `.partial` files of running backups are not looked at.
"""

from __future__ import annotations

import os
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.engine.archive.container import HEADER_MEMBER, ArchiveReader, manifest_checksum
from app.engine.encryption.header import parse_header
from app.engine.errors import ArchiveError, UsageError

MAX_FILES = 100_000  # a folder of backups, not a whole disk
# A file dated later than this is not counted: a wrong clock, or a forged file, would otherwise be "the newest"
# for ever and push every real backup of its clinic out of the keep rules.
FUTURE_SLACK = timedelta(days=1)


@dataclass(frozen=True)
class FoundBackup:
    """A native archive whose manifest reads: its clinic (database and schema) and when it was made."""

    path: Path
    database: str
    schema: str
    created: datetime  # aware, UTC
    size_bytes: int
    checksum: str  # the manifest's own: tells this backup from a copy of another


@dataclass(frozen=True)
class Unreadable:
    """A file that looks like a backup but whose clinic or time cannot be read: kept, and said why."""

    path: Path
    reason: str


@dataclass(frozen=True)
class Folder:
    backups: list[FoundBackup]
    unreadable: list[Unreadable]
    ignored: int  # files that are not Resguardo backups


def scan_folder(folder: Path) -> Folder:
    """Every backup in `folder` and its subfolders (a schedule writes one subfolder per clinic)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"The folder {folder} does not exist.")
    backups: list[FoundBackup] = []
    unreadable: list[Unreadable] = []
    ignored = 0
    latest = datetime.now(UTC) + FUTURE_SLACK
    for path in _files(folder):
        kind = _kind(path)
        if kind == "native":
            found = read_backup(path)
            if isinstance(found, FoundBackup) and found.created > latest:
                found = Unreadable(
                    path, f"its manifest says it was made in the future ({found.created:%Y-%m-%d %H:%M} UTC)"
                )
            if isinstance(found, FoundBackup):
                backups.append(found)
            else:
                unreadable.append(found)
        elif kind == "pg_dump":
            unreadable.append(
                Unreadable(path, "a pg_dump file: Resguardo cannot read from inside it which clinic and time it holds")
            )
        elif kind == "encrypted":
            unreadable.append(
                Unreadable(path, "an encrypted backup: its clinic and time are inside it, readable only with its key")
            )
        else:
            ignored += 1
    return Folder(backups, unreadable, ignored)


def backup_files(folder: Path) -> list[tuple[Path, str]]:
    """Each file under `folder` that may be a backup, with its kind as `scan_folder` tells them apart ("native",
    "pg_dump", "encrypted"); the same walk and bound (MAX_FILES) as `scan_folder`."""
    return [(path, kind) for path in _files(Path(folder)) if (kind := _kind(path))]


def read_backup(path: Path) -> FoundBackup | Unreadable:
    """The clinic and time a native archive's manifest records, or why they cannot be read."""
    try:
        size = path.stat().st_size
        with ArchiveReader(path) as reader:
            raw, manifest = reader.raw_manifest, reader.manifest
    except (ArchiveError, OSError) as exc:
        return Unreadable(path, str(exc))
    if raw.get("checksum") != manifest_checksum(raw):
        return Unreadable(path, f"{path.name} is damaged: the manifest does not match its checksum.")
    created = _utc(manifest.created_utc)
    database = raw.get("database")
    if created is None or not isinstance(database, str):
        return Unreadable(path, f"{path.name}'s manifest does not say when or from which database it was made.")
    return FoundBackup(path, database, manifest.source_schema, created, size, str(raw["checksum"]))


def _utc(text: str | None) -> datetime | None:
    try:
        when = datetime.strptime(text or "", "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None
    return when.replace(tzinfo=UTC)


def _files(folder: Path) -> list[Path]:
    """Regular files, not followed through symbolic links, hidden ones (and `.partial` writers) left out."""
    out: list[Path] = []
    for root, dirs, names in os.walk(folder):  # os.walk does not follow links to folders
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(root) / name
            if name.startswith(".") or path.is_symlink() or not path.is_file():
                continue
            out.append(path)
            if len(out) > MAX_FILES:
                raise UsageError(f"{folder} holds more than {MAX_FILES} files; give the folder of the backups alone.")
    return out


def _kind(path: Path) -> str:
    """ "native" (a tar whose first member is resguardo.json, or a .resguardo file), "pg_dump", "encrypted" (an age
    file), or ""."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(tarfile.BLOCKSIZE)
    except OSError:
        return "native" if path.suffix == ".resguardo" else ""
    if head.startswith(HEADER_MEMBER.encode() + b"\0") or path.suffix == ".resguardo":
        return "native"
    if parse_header(head) is not None:
        return "encrypted"
    if head.startswith(b"PGDMP") or (path.suffix in (".sql", ".dump") and b"PostgreSQL database dump" in head):
        return "pg_dump"
    return ""

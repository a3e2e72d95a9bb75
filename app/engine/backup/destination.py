"""Where a backup goes: the file names Resguardo chooses, and the rules for a name the user gives.

A name Resguardo chooses carries the clinic and the UTC time to the second (UTC, so that the hour the clocks
go back does not give two backups the same name) and is safe on Windows, macOS and Linux for every clinic
name; it never replaces a file: a backup finished in the same second as another takes `_2`, `_3`... A name
the user gives is replaced only when the user said so (`--replace`, or the window's save dialog, which asked).
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.engine.errors import PreflightError, UsageError
from app.engine.stores.files import IfExists

ARCHIVE_SUFFIX = ".resguardo"
TIME_FORMAT = "%Y-%m-%d_%H%M%SZ"
_PLAIN = re.compile(r"[a-z0-9_][a-z0-9_-]*")  # used as it is: the usual django-tenants schema name
_WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul", "conin$", "conout$"]
    + [f"{dev}{n}" for dev in ("com", "lpt") for n in [*"123456789", "\u00b9", "\u00b2", "\u00b3"]]
)
_KEEP_CHARS = 40  # of a name that is not plain; with the hash, file names stay far below every path limit


@dataclass(frozen=True)
class Destination:
    """The file to write and what to do if its name is taken when the backup is complete."""

    path: Path
    if_exists: IfExists


def safe_name(schema: str) -> str:
    """The clinic's name in file and folder names: the schema itself when it is plain (lower-case ASCII letters,
    digits, `_` and `-`, not a Windows device name); otherwise a readable ASCII form with `.` and a hash of the
    exact name. Plain names have no `.`, so no two clinics share a name, even on the case-insensitive file
    systems of Windows and macOS."""
    if _PLAIN.fullmatch(schema) and schema not in _WINDOWS_DEVICES:
        return schema
    ascii_form = unicodedata.normalize("NFKD", schema).encode("ascii", "ignore").decode().lower()
    readable = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in ascii_form)[:_KEEP_CHARS] or "clinic"
    if readable in _WINDOWS_DEVICES or readable.startswith("-"):
        readable = "_" + readable
    digest = hashlib.sha256(schema.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{readable}.{digest}"


def utc_stamp(when: datetime | None = None) -> str:
    """`YYYY-MM-DD_HHMMSSZ` in UTC (a naive `when` is taken as local time)."""
    return (when or datetime.now(UTC)).astimezone(UTC).strftime(TIME_FORMAT)


def default_archive_name(schema: str, when: datetime | None = None, suffix: str = ARCHIVE_SUFFIX) -> str:
    """`<clinic>_<YYYY-MM-DD_HHMMSSZ><suffix>`: the name of a backup written into a folder."""
    return f"{safe_name(schema)}_{utc_stamp(when)}{suffix}"


def resolve_out(out: Path | str, default_name: str, *, replace: bool = False) -> Destination:
    """The file to write: `default_name` inside `out` when it is a folder, else `out` itself.

    A trailing `/` says `out` is a folder: a missing one is refused, never created and never written as a
    file (a mistyped path, or a network share that is not mounted, then fails here instead of filling a folder
    nobody watches). An existing `out` must be a regular file (the rename that completes a backup would replace
    a device, a FIFO or a socket: as root, `--out /dev/null` once replaced the device with a backup), and is
    replaced only with `replace`."""
    text = os.fspath(out)
    path = Path(text)
    if text.endswith(("/", os.sep)) and not path.is_dir():
        raise UsageError(
            f"The folder {text} does not exist; create it first (Resguardo does not create it, so that a "
            "mistyped folder or a share that is not mounted fails here)."
        )
    if path.is_dir():
        destination = Destination(path / default_name, IfExists.NUMBER)
    elif path.exists() and not path.is_file():
        raise PreflightError(
            f"{path} is not a regular file (a device, a pipe or a socket); give the name of a new "
            "file, of a backup file to replace, or of a folder."
        )
    elif path.exists() and not replace:
        raise UsageError(already_exists(path))
    else:
        destination = Destination(path, IfExists.REPLACE if replace else IfExists.REFUSE)
    folder = destination.path.parent
    if not folder.is_dir():
        raise PreflightError(f"The folder {folder} does not exist.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PreflightError(f"Cannot write in the folder {folder}: permission denied.")
    return destination


def already_exists(path: Path) -> str:
    return (
        f"{path} already exists, and a backup never replaces a file it was not told to: give another name, "
        "a folder (the backup is then named by clinic and time), or replace it on purpose (--replace)."
    )

"""What a file handed to restore or verify is: the one place that tells the kinds apart.

Kinds Resguardo reads: its native archive (a tar), pg_dump's custom format and `.sql`
scripts (app/engine/pgdump/source.py decides those), and Django `dumpdata` exports
(JSON or JSON lines, possibly compressed by dumpdata itself). Anything else gets a
sentence saying what it looks like and what to do: a pg_dumpall of a whole server, a
compressed `.sql`, a zip, pg_dump's directory or tar format, a dumpdata export in XML or
YAML, JSON that is not a dumpdata export, Django's SQLite development database...
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from app.engine.encryption.header import parse_header
from app.engine.errors import ArchiveError
from app.engine.jobs import CancelToken

FileFormat = Literal["native", "sql", "custom", "django-json"]
NATIVE: Final = "native"
SQL: Final = "sql"
CUSTOM: Final = "custom"
DJANGO_JSON: Final = "django-json"
_HEAD = 64 * 1024
_COMPRESSED = (  # magic, dumpdata's name for it, the command that undoes it
    (b"\x1f\x8b", "gzip", "gunzip -k"),
    (b"BZh", "bz2", "bunzip2 -k"),
    (b"\xfd7zXZ\x00", "xz", "unxz -k"),
)
_CLUSTER_DUMP = b"-- PostgreSQL database cluster dump"


@dataclass(frozen=True)
class FileKind:
    kind: FileFormat
    compression: str | None = None  # a dumpdata export compressed by dumpdata: "gzip", "bz2" or "xz"


def sniff_file(path: Path) -> FileKind:
    """The kind of `path`, or ArchiveError saying what the file looks like and what to do with it."""
    path = Path(path)
    name = path.name
    if path.is_dir():
        if (path / "toc.dat").is_file():
            raise ArchiveError(
                f"{name} is a pg_dump backup in directory format; Resguardo reads pg_dump's custom "
                f"format and .sql files: convert it with `pg_restore -f {name}.sql {name}` and "
                "restore the .sql file."
            )
        raise ArchiveError(f"{name} is a folder, not a backup file; choose the file inside it.")
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEAD)
    except FileNotFoundError:
        raise ArchiveError(f"The file {path} does not exist.") from None
    except OSError as exc:
        raise ArchiveError(f"{name} cannot be read: {exc.strerror or exc}.") from None
    if not head:
        raise ArchiveError(f"{name} is empty (0 bytes): not a Resguardo archive or any other backup.")
    if parse_header(head) is not None:  # read through its decrypted copy (app/engine/encryption/reading.py)
        raise ArchiveError(f"{name} is an encrypted backup (an age file): it is read with the key that opens it.")
    for magic, compression, command in _COMPRESSED:
        if head.startswith(magic):
            inner = _decompressed_head(path, compression)
            if _is_json(inner) and not _is_manifest(inner):
                _check_dumpdata(path, compression)
                return FileKind(DJANGO_JSON, compression)
            what = _describe(inner, Path(path.stem))
            raise ArchiveError(
                f"{name} is {what[0] if what else 'a file of unknown kind'} compressed with "
                f"{compression}: decompress it first (`{command} {name}`) and restore the file it "
                "holds."
            )
    if head.startswith(b"PGDMP"):
        return FileKind(CUSTOM)
    if _is_tar(head):
        if _tar_first_member(head) == "toc.dat":
            raise ArchiveError(
                f"{name} is a pg_dump backup in tar format; Resguardo reads pg_dump's custom format "
                f"and .sql files: convert it with `pg_restore -f {path.stem}.sql {name}` and restore "
                "the .sql file."
            )
        return FileKind(NATIVE)
    if _CLUSTER_DUMP in head:
        raise ArchiveError(
            f"{name} is a pg_dumpall file of a whole server (roles and every database); Resguardo "
            "restores one clinic: back the clinic up with Resguardo or `pg_dump -n SCHEMA`, or "
            "restore this file with psql as the server's administrator."
        )
    if _is_json(head) and not _is_manifest(head):
        _check_dumpdata(path, None)  # the reader's sentence when it is JSON of another kind
        return FileKind(DJANGO_JSON)
    from app.engine.pgdump.source import sniff_kind  # pg_dump's own rules for .sql scripts

    if sniff_kind(path) == "sql":
        return FileKind(SQL)
    what = _describe(head, path)
    if what is not None:
        raise ArchiveError(f"{name} is {what[0]}, not a backup Resguardo restores: {what[1]}.")
    if path.suffix.lower() == ".resguardo":
        return FileKind(NATIVE)  # the archive reader says what is wrong with it
    plain = b"\0" not in head
    raise ArchiveError(
        f"{name} is not a Resguardo archive, a pg_dump file or a Django dumpdata export "
        f"({'plain text' if plain else 'binary data'} of another kind); choose a file that "
        "Resguardo or pg_dump wrote, or that `manage.py dumpdata` exported."
    )


def _decompressed_head(path: Path, compression: str) -> bytes:
    from app.engine.dumpdata.compressed import STREAM_ERRORS, open_dump_stream

    head = b""
    try:
        with open_dump_stream(path, compression) as stream:
            while len(head) < _HEAD and (piece := stream.read(4096)):
                head += piece
        return head
    except EOFError:  # cut short: what it holds is named here, the cut by whoever reads it in full
        if head:
            return head
        raise ArchiveError(
            f"{path.name} is {compression}-compressed, and truncated: it ends before any data."
        ) from None
    except STREAM_ERRORS:
        raise ArchiveError(
            f"{path.name} is {compression}-compressed, and damaged: it cannot be decompressed."
        ) from None


def _text(head: bytes) -> str:
    return head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")


def _is_json(head: bytes) -> bool:
    """Starts like a JSON list or object: a dumpdata export, or JSON the reader will name."""
    return _text(head).startswith(("[", "{"))


def _is_manifest(head: bytes) -> bool:
    return b'"format": "resguardo-native"' in head[:4096] or b'"format":"resguardo-native"' in head[:4096]


def _check_dumpdata(path: Path, compression: str | None) -> None:
    """Its first object reads as a dumpdata object; else the reader's sentence (not dumpdata, truncated...)."""
    from app.engine.dumpdata.reader import iter_dump

    # One object, which the reader bounds in size: no job to cancel it from.
    for _ in iter_dump(path, compression, CancelToken()):
        break


def _describe(head: bytes, path: Path) -> tuple[str, str] | None:
    """(what it is, what to do) for a kind Resguardo recognises but does not restore; None for none of them."""
    text = _text(head)
    if head.startswith(b"PGDMP"):
        return "a pg_dump custom-format file", "restore that file"
    if _is_tar(head):
        return "a tar archive", "restore the archive itself"
    if head.startswith(b"PK\x03\x04"):
        return "a zip archive", "extract it and restore the file inside"
    if head.startswith(b"SQLite format 3\0"):
        return (
            "an SQLite database (Django's development database)",
            "a PostgreSQL clinic is backed up with Resguardo, pg_dump or `manage.py dumpdata`",
        )
    if _CLUSTER_DUMP in head:
        return "a pg_dumpall file of a whole server", "restore it with psql as the server's administrator"
    if text.startswith("<?xml") and "<django-objects" in text[:4096]:
        return "a Django dumpdata export in XML", "export the clinic again with `--format json`"
    if text.startswith(("- model: ", "- fields:")):
        return "a Django dumpdata export in YAML", "export the clinic again with `--format json`"
    if _is_manifest(head):
        return "the manifest of a Resguardo archive", "restore the .resguardo file itself"
    if _is_json(head):
        return "JSON", "restore what it holds if it is a dumpdata export"
    if b"\0" in head:
        return None
    if "-- PostgreSQL database dump" in text:
        return "a pg_dump SQL script", "restore the .sql file"
    if path.suffix.lower() == ".sql" or any(w in text.upper() for w in ("CREATE TABLE", "INSERT INTO", "COPY ")):
        return (
            "an SQL script that pg_dump did not write",
            "Resguardo restores the output of `pg_dump -n SCHEMA` (a .sql file)",
        )
    return None


def _is_tar(head: bytes) -> bool:
    return len(head) >= 262 and head[257:262] == b"ustar"


def _tar_first_member(head: bytes) -> str:
    return head[:100].split(b"\0", 1)[0].decode("utf-8", errors="replace")

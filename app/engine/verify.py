"""Check a backup file end to end without any database.

`verify_file` takes any file Resguardo writes: a pg_dump file (.sql or custom
format: read in full by app/engine/pgdump_source.py, every statement checked by
the same gate a restore applies, so a file a restore would refuse never verifies
as clean) or a native archive, checked here:

Every part is read once: its stored bytes are hashed and, for table data,
decompressed on the fly and compared with the manifest's byte count, row
count and SHA-256 of the COPY text. Memory stays flat.
"""

from __future__ import annotations

import hashlib
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zstandard

from app.engine.archive import (
    FORMAT_NAME,
    FORMAT_VERSION,
    HEADER_MEMBER,
    MANIFEST_MEMBER,
    POST_DATA_MEMBER,
    PRE_DATA_MEMBER,
    ArchiveReader,
    iter_chunks,
    manifest_checksum,
)
from app.engine.errors import ArchiveError
from app.engine.jobs import CancelToken, Progress, ProgressCallback, ProgressReporter, ignore_progress
from app.engine.django_json_source import verify_dump
from app.engine.file_kind import DJANGO_JSON, sniff_file
from app.engine.pgdump_source import has_data, verify_pgdump

KNOWN_VERSIONS = frozenset(range(1, FORMAT_VERSION + 1))


@dataclass(frozen=True)
class FileCheck:
    """A backup file of any kind, read in full; what the CLI and the window report."""

    path: Path
    kind: str  # "native", "sql", "custom", "django-json"
    source_schema: str | None
    tables: int
    has_data: bool
    created_utc: str | None = None  # native archives say when; pg_dump files do not
    rows: int | None = None  # native only: pg_dump files carry no row counts
    bytes: int | None = None  # native only: uncompressed COPY text
    tool_version: str | None = None  # the pg_dump that wrote a pg_dump file


def verify_file(
    path: Path, *, progress: ProgressCallback = ignore_progress, cancel: CancelToken | None = None
) -> FileCheck:
    """Raise ArchiveError naming what is wrong with the file, whatever its kind, or say what it holds."""
    path = Path(path)
    kind = sniff_file(path)  # a sentence for any file Resguardo does not read
    if kind.kind == DJANGO_JSON:
        scan = verify_dump(path, kind.compression, cancel)
        progress(Progress(1.0, "Read in full"))
        return FileCheck(path, DJANGO_JSON, None, len(scan.models), scan.objects > 0, rows=scan.objects,
                         tool_version="Django dumpdata")
    dump = verify_pgdump(path)
    if dump is not None:
        progress(Progress(1.0, "Read in full"))
        return FileCheck(path, "sql" if dump.kind == "sql" else "custom", dump.source_schema,
                         len(dump.tables), has_data(dump), tool_version=dump.tool_version)
    result = verify_archive(path, progress=progress, cancel=cancel)
    return FileCheck(path, "native", result.source_schema, result.tables, result.rows > 0,
                     created_utc=result.created_utc, rows=result.rows, bytes=result.bytes)


@dataclass(frozen=True)
class VerifyResult:
    path: Path
    format: str  # "native"
    source_schema: str
    created_utc: str
    tables: int
    rows: int
    bytes: int  # uncompressed COPY text


def verify_archive(
    path: Path, *, progress: ProgressCallback = ignore_progress, cancel: CancelToken | None = None
) -> VerifyResult:
    """Raise ArchiveError naming the first thing wrong, or return what the archive holds."""
    path = Path(path)
    cancel = cancel or CancelToken()
    with ArchiveReader(path) as reader:
        manifest = reader.manifest
        _check_manifest(path, manifest)
        parts: dict[str, Any] = manifest["parts"]
        tables: list[dict[str, Any]] = manifest["tables"]
        expected = {HEADER_MEMBER, MANIFEST_MEMBER, *parts, *(t["member"] for t in tables)}
        for name in reader.member_names:
            if name not in expected:
                raise ArchiveError(f"{path.name} is damaged: it holds an unexpected part {name}.")
        for name in (PRE_DATA_MEMBER, POST_DATA_MEMBER):
            if name not in parts:
                raise ArchiveError(f"{path.name} is damaged: the manifest does not list the part {name}.")
        total = sum(int(p["bytes"]) for p in parts.values()) + sum(int(t["stored_bytes"]) for t in tables)
        reporter = ProgressReporter(progress, float(total) + 1)
        for name, facts in parts.items():
            _check_part(reader, path, name, facts, reporter, cancel)
        for table in tables:
            _check_table(reader, path, table, reporter, cancel)
        reporter.finish("Archive verified")
        return VerifyResult(
            path, "native", str(manifest.get("source_schema", "")), str(manifest.get("created_utc", "")),
            len(tables), sum(int(t["rows"]) for t in tables), sum(int(t["bytes"]) for t in tables),
        )


def _check_manifest(path: Path, manifest: dict[str, Any]) -> None:
    if manifest.get("format") != FORMAT_NAME:
        raise ArchiveError(f"{path.name} is damaged: its manifest is not a Resguardo manifest.")
    version = manifest.get("format_version")  # a newer version is refused by ArchiveReader, from resguardo.json
    if version not in KNOWN_VERSIONS:
        raise ArchiveError(f"{path.name} is damaged: its manifest names an unknown format version {version!r}.")
    if manifest.get("checksum") != manifest_checksum(manifest):
        raise ArchiveError(f"{path.name} is damaged: the manifest does not match its checksum.")
    try:
        for facts in manifest["parts"].values():
            int(facts["bytes"]), str(facts["sha256"])
        for t in manifest["tables"]:
            str(t["name"]), str(t["member"]), int(t["rows"]), int(t["bytes"]), str(t["sha256"])
            int(t["stored_bytes"]), str(t["stored_sha256"])
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ArchiveError(f"{path.name} is damaged: its manifest lacks a part's or a table's facts.") from None


def _stored_chunks(reader: ArchiveReader, path: Path, name: str, cancel: CancelToken) -> Any:
    if not reader.has(name):
        raise ArchiveError(f"{path.name} is damaged: the part {name} is missing.")
    with reader.open_stored(name) as handle:
        try:
            for chunk in iter_chunks(handle):
                cancel.raise_if_cancelled()
                yield chunk
        except (tarfile.TarError, OSError, EOFError):
            raise ArchiveError(f"{path.name} is damaged: the part {name} cannot be read (truncated?).") from None


def _check_part(reader: ArchiveReader, path: Path, name: str, facts: dict[str, Any],
                reporter: ProgressReporter, cancel: CancelToken) -> None:
    digest, size = hashlib.sha256(), 0
    for chunk in _stored_chunks(reader, path, name, cancel):
        digest.update(chunk)
        size += len(chunk)
        reporter.advance(len(chunk), "Checking the schema", name)
    if size != int(facts["bytes"]) or digest.hexdigest() != facts["sha256"]:
        raise ArchiveError(f"{path.name} is damaged: the part {name} does not match its checksum.")


def _check_table(reader: ArchiveReader, path: Path, table: dict[str, Any],
                 reporter: ProgressReporter, cancel: CancelToken) -> None:
    name, member = table["name"], table["member"]
    what = f"the data of table {name!r} ({member})"
    stored, raw = hashlib.sha256(), hashlib.sha256()
    stored_size = raw_size = rows = 0
    decompressor = zstandard.ZstdDecompressor().decompressobj()
    try:
        for chunk in _stored_chunks(reader, path, member, cancel):
            stored.update(chunk)
            stored_size += len(chunk)
            if decompressor.eof:
                raise ArchiveError(f"{path.name} is damaged: {what} has bytes after its end.")
            data = decompressor.decompress(chunk)
            raw.update(data)
            raw_size += len(data)
            rows += data.count(b"\n")
            reporter.advance(len(chunk), "Checking the rows", name)
    except zstandard.ZstdError:
        raise ArchiveError(f"{path.name} is damaged: {what} cannot be decompressed.") from None
    if stored_size != int(table["stored_bytes"]) or stored.hexdigest() != table["stored_sha256"]:
        raise ArchiveError(f"{path.name} is damaged: {what} does not match its checksum.")
    if not decompressor.eof and stored_size:
        raise ArchiveError(f"{path.name} is damaged: {what} is cut short.")
    if raw_size != int(table["bytes"]) or raw.hexdigest() != table["sha256"]:
        raise ArchiveError(f"{path.name} is damaged: {what} does not match its checksum once decompressed.")
    if rows != int(table["rows"]):
        raise ArchiveError(f"{path.name} is damaged: {what} holds {rows} rows, the manifest says {table['rows']}.")

"""Check a backup file end to end without any database.

`verify_file` takes any file Resguardo writes: a pg_dump file (.sql or custom
format: read in full by app/engine/pgdump/source.py, every statement checked by
the same gate a restore applies, so a file a restore would refuse never verifies
as clean) or a native archive, checked here:

Every part is read once: its stored bytes are hashed and, for table data,
decompressed on the fly by the reader a restore uses (app/engine/archive/table_data.py), so every
check of the rows a restore makes (byte and row counts, checksums, the shape of COPY text) is made
here too. Memory stays flat.
"""

from __future__ import annotations

import hashlib
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.engine.archive.container import (
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
from app.engine.archive.manifest import PartEntry, TableEntry
from app.engine.archive.table_data import table_rows
from app.engine.dumpdata.source import verify_dump
from app.engine.errors import ArchiveError
from app.engine.inspection.file_kind import DJANGO_JSON, FileFormat, sniff_file
from app.engine.jobs import CancelToken, Progress, ProgressCallback, ProgressReporter, ignore_progress
from app.engine.pgdump.source import has_data, verify_pgdump
from app.engine.sources.native import NativeArchiveSource

KNOWN_VERSIONS = frozenset(range(1, FORMAT_VERSION + 1))


@dataclass(frozen=True)
class FileCheck:
    """A backup file of any kind, read in full; what the CLI and the window report."""

    path: Path
    kind: FileFormat
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
    cancel = cancel or CancelToken()
    kind = sniff_file(path)  # a sentence for any file Resguardo does not read
    if kind.kind == DJANGO_JSON:
        scan = verify_dump(path, kind.compression, cancel)
        progress(Progress(1.0, "Read in full"))
        return FileCheck(
            path,
            DJANGO_JSON,
            None,
            len(scan.models),
            scan.objects > 0,
            rows=scan.objects,
            tool_version="Django dumpdata",
        )
    dump = verify_pgdump(path, cancel)
    if dump is not None:
        progress(Progress(1.0, "Read in full"))
        return FileCheck(
            path,
            "sql" if dump.kind == "sql" else "custom",
            dump.source_schema,
            len(dump.tables),
            has_data(dump),
            tool_version=dump.tool_version,
        )
    result = verify_archive(path, progress=progress, cancel=cancel)
    return FileCheck(
        path,
        "native",
        result.source_schema,
        result.tables,
        result.rows > 0,
        created_utc=result.created_utc,
        rows=result.rows,
        bytes=result.bytes,
    )


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
        _check_manifest(path, reader.raw_manifest)
        expected = {HEADER_MEMBER, MANIFEST_MEMBER, *manifest.parts, *(t.member for t in manifest.tables)}
        for name in reader.member_names:
            if name not in expected:
                raise ArchiveError(f"{path.name} is damaged: it holds an unexpected part {name}.")
        for name in (PRE_DATA_MEMBER, POST_DATA_MEMBER):
            if name not in manifest.parts:
                raise ArchiveError(f"{path.name} is damaged: the manifest does not list the part {name}.")
        total = sum(p.bytes for p in manifest.parts.values()) + sum(t.bytes for t in manifest.tables)
        reporter = ProgressReporter(progress, float(total) + 1)
        for name, facts in manifest.parts.items():
            _check_part(reader, path, name, facts, reporter, cancel)
        # What restore would refuse never verifies as clean: the same reader of the schema parts (their text must
        # decode, as it was checked) and the same check of every statement.
        NativeArchiveSource(path).close()
        for table in manifest.tables:
            _check_table(reader, table, reporter, cancel)
        reporter.finish("Archive verified")
        return VerifyResult(
            path,
            "native",
            manifest.source_schema,
            manifest.created_utc or "",
            len(manifest.tables),
            sum(t.rows for t in manifest.tables),
            manifest.total_bytes,
        )


def _check_manifest(path: Path, raw: dict[str, Any]) -> None:
    if raw.get("format") != FORMAT_NAME:
        raise ArchiveError(f"{path.name} is damaged: its manifest is not a Resguardo manifest.")
    version = raw.get("format_version")  # a newer version is refused by ArchiveReader, from resguardo.json
    if version not in KNOWN_VERSIONS:
        raise ArchiveError(f"{path.name} is damaged: its manifest names an unknown format version {version!r}.")
    if raw.get("checksum") != manifest_checksum(raw):
        raise ArchiveError(f"{path.name} is damaged: the manifest does not match its checksum.")


def _stored_chunks(reader: ArchiveReader, path: Path, name: str, cancel: CancelToken) -> Iterator[bytes]:
    if not reader.has(name):
        raise ArchiveError(f"{path.name} is damaged: the part {name} is missing.")
    with reader.open_stored(name) as handle:
        try:
            for chunk in iter_chunks(handle):
                cancel.raise_if_cancelled()
                yield chunk
        except (tarfile.TarError, OSError, EOFError):
            raise ArchiveError(f"{path.name} is damaged: the part {name} cannot be read (truncated?).") from None


def _check_part(
    reader: ArchiveReader, path: Path, name: str, facts: PartEntry, reporter: ProgressReporter, cancel: CancelToken
) -> None:
    digest, size = hashlib.sha256(), 0
    for chunk in _stored_chunks(reader, path, name, cancel):
        digest.update(chunk)
        size += len(chunk)
        if size > facts.bytes:
            break
        reporter.advance(len(chunk), "Checking the schema", name)
    if size != facts.bytes or digest.hexdigest() != facts.sha256:
        raise ArchiveError(f"{path.name} is damaged: the part {name} does not match its checksum.")


def _check_table(reader: ArchiveReader, table: TableEntry, reporter: ProgressReporter, cancel: CancelToken) -> None:
    """The rows, read as a restore reads them (app/engine/archive/table_data.py): every check it makes."""
    for chunk in table_rows(reader, table, cancel):
        reporter.advance(len(chunk), "Checking the rows", table.name)

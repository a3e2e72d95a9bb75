"""Writing a native archive (docs/archive-format.md): its members streamed into the tar, counted, hashed and
compressed, under a temporary name until `commit` publishes it whole; and its manifest. The native backup and the
Django JSON import both write archives through this module."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psycopg
import zstandard

from app import __version__
from app.engine.archive.container import (
    FORMAT_NAME,
    FORMAT_VERSION,
    HEADER_MEMBER,
    MANIFEST_MEMBER,
    ZSTD_LEVEL,
    manifest_checksum,
)
from app.engine.errors import ArchiveError
from app.engine.safety.naming import utc_now_iso
from app.engine.stores.files import IfExists, partial_file, publish

_BLOCK = tarfile.BLOCKSIZE


@dataclass(frozen=True)
class StoredMember:
    """What a writer learned while storing a member."""

    name: str
    stored_bytes: int
    stored_sha256: str
    raw_bytes: int  # before compression (== stored_bytes for plain members)
    raw_sha256: str
    raw_lines: int  # newline count of the raw bytes: the row count of COPY text


class _MemberSink:
    """Receives a member's raw bytes; counts, hashes and (optionally) compresses them."""

    def __init__(self, out: IO[bytes], compress: bool) -> None:
        self._out = out
        self._stored = hashlib.sha256()
        self._raw = hashlib.sha256()
        self.stored_bytes = 0
        self.raw_bytes = 0
        self.raw_lines = 0
        self._compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compressobj() if compress else None

    def write(self, data: bytes | bytearray) -> None:
        self._raw.update(data)
        self.raw_bytes += len(data)
        self.raw_lines += data.count(b"\n")
        self._emit(self._compressor.compress(data) if self._compressor else data)

    def _emit(self, chunk: bytes | bytearray) -> None:
        if chunk:
            self._out.write(chunk)
            self._stored.update(chunk)
            self.stored_bytes += len(chunk)

    def close(self) -> None:
        """Ends the member (the compressor's last frame); closing again does nothing."""
        if self._compressor is not None:
            self._emit(self._compressor.flush())
            self._compressor = None

    def result(self, name: str) -> StoredMember:
        return StoredMember(
            name, self.stored_bytes, self._stored.hexdigest(), self.raw_bytes, self._raw.hexdigest(), self.raw_lines
        )


class ArchiveWriter:
    """Builds an archive under a temporary name; `commit` makes it appear whole, `abort` leaves nothing."""

    def __init__(self, final_path: Path, if_exists: IfExists = IfExists.REFUSE) -> None:
        self.final_path = Path(final_path)
        self.if_exists = if_exists
        directory = self.final_path.parent
        if not directory.is_dir():
            raise ArchiveError(f"The folder {directory} does not exist.")
        try:
            fd, self.temp_path = partial_file(self.final_path)  # locked while open; leftovers of killed runs go
        except PermissionError:
            raise ArchiveError(f"Cannot write in the folder {directory}: permission denied.") from None
        self._file = os.fdopen(fd, "w+b")
        self.members: dict[str, StoredMember] = {}
        self._closed = False
        self.add_bytes(HEADER_MEMBER, _json_bytes({"format": FORMAT_NAME, "format_version": FORMAT_VERSION}))

    @contextmanager
    def member(self, name: str, *, compress: bool = False) -> Iterator[_MemberSink]:
        """Stream one member: write raw bytes to the yielded sink."""
        header_at = self._file.tell()
        self._file.write(b"\0" * _BLOCK)  # placeholder, patched below
        sink = _MemberSink(self._file, compress)
        yield sink
        sink.close()
        size = sink.stored_bytes
        self._file.write(b"\0" * ((-size) % _BLOCK))
        end = self._file.tell()
        self._file.seek(header_at)
        self._file.write(_tar_header(name, size))
        self._file.seek(end)
        self.members[name] = sink.result(name)

    @staticmethod
    def detached(*, compress: bool = False) -> tuple[_MemberSink, io.BytesIO]:
        """A member built in memory (by another thread, while the file takes another member), for `attach`."""
        buffer = io.BytesIO()
        return _MemberSink(buffer, compress), buffer

    def attach(self, name: str, sink: _MemberSink, buffer: io.BytesIO) -> StoredMember:
        """Put a whole `detached` member into the archive."""
        sink.close()
        self._file.write(_tar_header(name, sink.stored_bytes))
        self._file.write(buffer.getbuffer())
        self._file.write(b"\0" * ((-sink.stored_bytes) % _BLOCK))
        self.members[name] = sink.result(name)
        return self.members[name]

    def add_bytes(self, name: str, data: bytes) -> StoredMember:
        with self.member(name) as sink:
            sink.write(data)
        return self.members[name]

    def commit(self, manifest: dict[str, Any]) -> Path:
        """Write the manifest and the tar end, fsync, give it the final name (the one returned, see `publish`)."""
        self.add_bytes(MANIFEST_MEMBER, _json_bytes(manifest))
        self._file.write(b"\0" * (2 * _BLOCK))
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._closed = True
        return publish(self.temp_path, self.final_path, self.if_exists)

    def abort(self) -> None:
        if not self._closed:
            self._closed = True
            with suppress(OSError):  # a full disk: what is still buffered cannot be written, and need not be
                self._file.close()
        self.temp_path.unlink(missing_ok=True)

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is not None or not self._closed:
            self.abort()


def _tar_header(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(time.time())
    header = info.tobuf(format=tarfile.GNU_FORMAT)  # sizes over 8 GiB fit in one block
    if len(header) != _BLOCK:  # long names would need extra header blocks
        raise ArchiveError(f"Member name too long for the archive: {name}")
    return header


def _json_bytes(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False).encode() + b"\n"


def archive_manifest(
    conn: psycopg.Connection,
    schema: str,
    schema_fields: dict[str, Any],
    tenant: dict[str, Any] | None,
    migrations: list[list[str]] | None,
    tables: list[dict[str, Any]],
    parts: dict[str, Any],
    output_settings: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The manifest of a native archive of `schema` (docs/archive-format.md); the Django JSON import's too.
    `schema_fields`: what the schema's DDL says besides its tables (`SchemaDDL.manifest_fields()`);
    `output_settings`: what the rows were written under, when the backup pinned them."""
    version = conn.execute("SHOW server_version").fetchone()
    manifest: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "program_version": __version__,
        "created_utc": utc_now_iso(),
        "server_version": (version[0] if version else "").split(" ")[0],
        "server_version_num": conn.info.server_version,
        "database": conn.info.dbname,
        "source_schema": schema,
        **({"output_settings": output_settings} if output_settings is not None else {}),
        "tenant": tenant,
        "parts": parts,
        "tables": tables,
        **schema_fields,
        "migrations": migrations,
        "totals": {
            "tables": len(tables),
            "rows": sum(t["rows"] for t in tables),
            "bytes": sum(t["bytes"] for t in tables),
        },
    }
    manifest["checksum"] = manifest_checksum(manifest)
    return manifest

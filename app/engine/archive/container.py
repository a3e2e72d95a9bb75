"""The native archive container: a POSIX tar file a clinic can open with standard tools.

Members, in order (see docs/archive-format.md):
  resguardo.json         format name and version, first, so a reader knows at once
  schema/pre-data.sql    DDL before the rows
  data/NNNN.copy.zst     each table's rows, COPY text format, zstd-compressed
  schema/post-data.sql   DDL after the rows
  manifest.json          last: everything above with sizes, row counts and SHA-256

Writing streams each member straight into the tar: a placeholder header is
written, the data follows, and the header is patched with the real size. The
file is built under a temporary name, fsynced, and only then renamed.
"""

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

import zstandard

from app.engine.archive.manifest import MAX_TABLES, parse_manifest
from app.engine.errors import ArchiveError
from app.engine.stores.files import IfExists, partial_file, publish

FORMAT_NAME = "resguardo-native"
FORMAT_VERSION = 2  # 2: owners, grants, default privileges and search paths only in the manifest (docs)
HEADER_MEMBER = "resguardo.json"
MANIFEST_MEMBER = "manifest.json"
PRE_DATA_MEMBER = "schema/pre-data.sql"
POST_DATA_MEMBER = "schema/post-data.sql"
ZSTD_LEVEL = 1  # faster than 3 and, on COPY text, smaller too (measured: 0.88x the bytes)
_BLOCK = tarfile.BLOCKSIZE
_CHUNK = 1 << 20
MAX_JSON_BYTES = 64 << 20  # resguardo.json, manifest.json
MAX_SCHEMA_BYTES = 64 << 20  # schema/*.sql
MAX_WINDOW_BYTES = 1 << 23  # zstd's own default limit for streams; our level-1 frames use far less
_SPARE_MEMBERS = 8  # resguardo.json, manifest.json, schema/*.sql and room for parts added later


def data_member_name(index: int) -> str:
    return f"data/{index:04d}.copy.zst"


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


def manifest_checksum(manifest: dict[str, Any]) -> str:
    """SHA-256 of the manifest's content without its own `checksum` key, in a canonical JSON form."""
    body = {key: value for key, value in manifest.items() if key != "checksum"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _json_bytes(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False).encode() + b"\n"


class ArchiveReader:
    """Opens an archive and checks, cheaply, that it is one of ours and of a known version.

    Full checking of every byte is `verify_archive` (app/engine/archive/verify.py).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ArchiveError(f"The file {self.path} does not exist.")
        try:
            self._tar = tarfile.open(self.path, mode="r:")  # noqa: SIM115 - kept open until close()
        except (tarfile.TarError, OSError):
            raise ArchiveError(f"{self.path.name} is not a Resguardo archive (not a tar file).") from None
        self._members = self._read_members()
        header = self._json(HEADER_MEMBER, missing="is not a Resguardo archive (no resguardo.json)")
        if header.get("format") != FORMAT_NAME:
            self.close()
            raise ArchiveError(f"{self.path.name} is not a Resguardo archive (format {header.get('format')!r}).")
        version = header.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            self.close()
            raise ArchiveError(
                f"{self.path.name} uses archive format version {version}; this Resguardo reads up to "
                f"version {FORMAT_VERSION}. Install a newer Resguardo to read it."
            )
        self.raw_manifest: dict[str, Any] = self._json(
            MANIFEST_MEMBER, missing="is incomplete or damaged: its manifest cannot be found (was the file truncated?)"
        )
        try:
            self.manifest = parse_manifest(self.raw_manifest, self.path.name)
            for table in self.manifest.tables:
                if table.member not in self._members or self._members[table.member].size != table.stored_bytes:
                    raise ArchiveError(
                        f"{self.path.name} is damaged: the rows of table {table.name} are missing or of the wrong size."
                    )
        except ArchiveError:
            self.close()
            raise

    def _read_members(self) -> dict[str, tarfile.TarInfo]:
        """The table of contents, bounded: a crafted file with millions of members is refused, not loaded."""
        members: dict[str, tarfile.TarInfo] = {}
        try:
            for info in self._tar:
                if len(members) >= MAX_TABLES + _SPARE_MEMBERS:
                    raise ArchiveError(f"{self.path.name} is not a Resguardo archive (it holds too many parts).")
                if not info.isfile() or info.name in members:
                    raise ArchiveError(
                        f"{self.path.name} is damaged: its part {info.name[:80]!r} is not a plain "
                        "file, or appears twice."
                    )
                members[info.name] = info
                vars(self._tar)[
                    "members"
                ].clear()  # tarfile keeps every member it read; the dict above is the one we need
        except (tarfile.TarError, OSError, EOFError):
            self._tar.close()
            raise ArchiveError(f"{self.path.name} is damaged: its table of contents cannot be read.") from None
        except ArchiveError:
            self._tar.close()
            raise
        return members

    def _json(self, name: str, *, missing: str) -> dict[str, Any]:
        if name not in self._members:
            self.close()
            raise ArchiveError(f"{self.path.name} {missing}.")
        try:
            data = json.loads(self.read_bytes(name, MAX_JSON_BYTES))
        except (ValueError, tarfile.TarError, OSError, EOFError):
            self.close()
            raise ArchiveError(f"{self.path.name} is damaged: {name} cannot be read.") from None
        if not isinstance(data, dict):
            self.close()
            raise ArchiveError(f"{self.path.name} is damaged: {name} is not a JSON object.")
        return data

    @property
    def member_names(self) -> list[str]:
        return list(self._members)

    def has(self, name: str) -> bool:
        return name in self._members

    def open_stored(self, name: str) -> IO[bytes]:
        """The member's bytes as stored (compressed for data members)."""
        if name not in self._members:
            raise ArchiveError(f"{self.path.name} is damaged: the part {name} is missing.")
        handle = self._tar.extractfile(self._members[name])
        if handle is None:
            raise ArchiveError(f"{self.path.name} is damaged: {name} is not a file.")
        return handle

    def read_bytes(self, name: str, limit: int) -> bytes:
        """A whole member, refused when larger than `limit` (a crafted file must not fill the memory)."""
        if name in self._members and self._members[name].size > limit:
            raise ArchiveError(
                f"{self.path.name} is not a Resguardo archive as this program writes them: its part "
                f"{name} is larger than {limit >> 20} MiB."
            )
        with self.open_stored(name) as handle:  # read(limit) would allocate `limit` bytes up front
            return handle.read(self._members[name].size)

    def read_text(self, name: str) -> str:
        """A schema part as text (UTF-8, as the writer writes it)."""
        return self.read_bytes(name, MAX_SCHEMA_BYTES).decode("utf-8")

    @contextmanager
    def open_table_data(self, name: str) -> Iterator[IO[bytes]]:
        """A table's COPY text, decompressed as it is read (the caller bounds how much it reads)."""
        with self.open_stored(name) as raw:
            reader = decompressing(raw)
            try:
                yield reader
            finally:
                reader.close()

    def close(self) -> None:
        self._tar.close()

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def decompressing(raw: IO[bytes]) -> IO[bytes]:
    """zstd, with a bounded window: a crafted frame cannot make the decompressor allocate gigabytes."""
    decompressor = zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW_BYTES)
    return decompressor.stream_reader(raw, read_across_frames=True)


def iter_chunks(stream: IO[bytes], size: int = _CHUNK) -> Iterator[bytes]:
    while True:
        chunk = stream.read(size)
        if not chunk:
            return
        yield chunk


def split_statements(script: str) -> list[tuple[int, str, str]]:
    """Split a schema/*.sql part into (line, label, statement): each statement follows a line
    `-- object: <label>`, which names it in messages; `line` is where the statement starts."""
    statements: list[tuple[int, str, str]] = []
    label: str | None = None
    start = 0
    body: list[str] = []

    def flush() -> None:
        text = "".join(body).strip()
        if label is not None and text:
            statements.append((start, label, text))

    for number, line in enumerate(io.StringIO(script), start=1):
        if line.startswith("-- object: "):
            flush()
            label, body, start = line[len("-- object: ") :].strip(), [], number + 1
        elif label is not None:
            body.append(line)
    flush()
    return statements


def statement_block(label: str, statement: str) -> str:
    """The text `split_statements` reads back: marker line, statement, blank line."""
    return f"-- object: {label}\n{statement.rstrip().rstrip(';')};\n\n"

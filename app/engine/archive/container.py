"""The native archive container: a POSIX tar file a clinic can open with standard tools.

Members, in order (see docs/archive-format.md):
  resguardo.json         format name and version, first, so a reader knows at once
  schema/pre-data.sql    DDL before the rows
  data/NNNN.copy.zst     each table's rows, COPY text format, zstd-compressed
  schema/post-data.sql   DDL after the rows
  manifest.json          last: everything above with sizes, row counts and SHA-256

Writing (app/engine/archive/writer.py) streams each member straight into the tar: a placeholder header is
written, the data follows, and the header is patched with the real size. The
file is built under a temporary name, fsynced, and only then renamed.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import zstandard

from app.engine.archive.manifest import MAX_TABLES, parse_manifest
from app.engine.errors import ArchiveError

FORMAT_NAME = "resguardo-native"
FORMAT_VERSION = 2  # 2: owners, grants, default privileges and search paths only in the manifest (docs)
HEADER_MEMBER = "resguardo.json"
MANIFEST_MEMBER = "manifest.json"
PRE_DATA_MEMBER = "schema/pre-data.sql"
POST_DATA_MEMBER = "schema/post-data.sql"
ZSTD_LEVEL = 1  # faster than 3 and, on COPY text, smaller too (measured: 0.88x the bytes)
_CHUNK = 1 << 20
MAX_JSON_BYTES = 64 << 20  # resguardo.json, manifest.json
MAX_SCHEMA_BYTES = 64 << 20  # schema/*.sql
MAX_WINDOW_BYTES = 1 << 23  # zstd's own default limit for streams; our level-1 frames use far less
_SPARE_MEMBERS = 8  # resguardo.json, manifest.json, schema/*.sql and room for parts added later


def data_member_name(index: int) -> str:
    return f"data/{index:04d}.copy.zst"


def manifest_checksum(manifest: dict[str, Any]) -> str:
    """SHA-256 of the manifest's content without its own `checksum` key, in a canonical JSON form."""
    body = {key: value for key, value in manifest.items() if key != "checksum"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class ArchiveReader:
    """Opens an archive and checks, cheaply, that it is one of ours and of a known version.

    Full checking of every byte is `verify_archive` (app/engine/inspection/verify.py).
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

"""A table's rows in a native archive, read the one way that verify and restore both read them.

A data member is COPY text as `COPY ... TO STDOUT` writes it: one row a line, each ending in a line
break, fields split by tabs, special bytes written as backslash escapes. PostgreSQL's `COPY FROM` reads
some bytes that `COPY TO` never writes in ways that load other rows than the manifest counts: `\\.` ends
the data (the rest is dropped), a backslash before a line break joins two lines into one row, a carriage
return ends a line too, a NUL is refused, and a last line without its line break is still a row. The
reader refuses each of them, naming the row, stops at the first byte or row beyond what the manifest
declares, and at the end checks the counts and both checksums. Restore streams the chunks into COPY,
verify only reads them: one code path, one answer. What only the database can tell (a value its column
does not take, a row with more or fewer fields than the columns) PostgreSQL refuses during the restore,
naming the table; counting every row's fields here would halve the speed of reading the rows.
"""

from __future__ import annotations

import hashlib
import re
import tarfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import IO

import zstandard

from app.engine.archive.container import ArchiveReader, decompressing
from app.engine.archive.manifest import TableEntry
from app.engine.errors import ArchiveError
from app.engine.jobs import CancelToken

_CHUNK = 1 << 20
_BACKSLASH = 0x5C
_ESCAPED_SPECIAL = re.compile(rb"\\[.\n]")  # a backslash before what COPY FROM reads specially


class _Hashing:
    """Reads a stored member for the decompressor, hashing and counting the stored bytes on the way."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._handle.read(size)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk

    def matches(self, entry: TableEntry) -> bool:
        return self.size == entry.stored_bytes and self.digest.hexdigest() == entry.stored_sha256


class _Bad(Exception):
    """A refusal of the rows, as the clause after "is damaged:"."""


class _RowCheck:
    """The checks of COPY text, fed chunk by chunk: memory stays one chunk whatever a row's length."""

    def __init__(self, entry: TableEntry) -> None:
        self.entry = entry
        self.size = 0
        self.rows = 0  # rows ended so far
        self.escaped = False  # the last chunk ended with a backslash that escapes the next byte
        self.digest = hashlib.sha256()
        self.last = b""

    def row_error(self, chunk: bytes, at: int, what: str) -> _Bad:
        row = self.rows + chunk.count(b"\n", 0, at) + 1
        return _Bad(f"row {row:,} of table {self.entry.name} {what}")

    def feed(self, chunk: bytes) -> None:
        entry = self.entry
        lines = chunk.count(b"\n")
        self.size += len(chunk)
        if self.size > entry.bytes or self.rows + lines > entry.rows:
            raise _Bad(f"table {entry.name} holds more rows than its manifest says")
        self.digest.update(chunk)
        for byte, what in ((b"\r", "a carriage return"), (b"\0", "a NUL byte")):
            at = chunk.find(byte)
            if at >= 0:
                raise self.row_error(
                    chunk, at, f"holds {what}, which COPY text never holds (a restore would misread it)"
                )
        self._escapes(chunk)
        self.rows += lines
        self.last = chunk[-1:]

    def _escapes(self, chunk: bytes) -> None:
        """Refuse `\\.` and a backslash before a line break, wherever the backslash is not itself escaped."""
        starts = [0] if self.escaped else []
        starts += [m.start() + 1 for m in _ESCAPED_SPECIAL.finditer(chunk) if self._escapes_next(chunk, m.start())]
        for at in starts:
            special = chunk[at : at + 1]
            if special == b".":
                raise self.row_error(
                    chunk, at, "holds the end-of-data mark \\. (a restore would drop every row after it)"
                )
            if special == b"\n":
                raise self.row_error(chunk, at, "ends in a lone backslash (a restore would join it to the next row)")
        self.escaped = chunk[-1] == _BACKSLASH and self._escapes_next(chunk, len(chunk) - 1)

    def _escapes_next(self, chunk: bytes, at: int) -> bool:
        """Whether the backslash at `at` escapes the byte after it: backslashes pair up from their run's start."""
        start = at
        while start > 0 and chunk[start - 1] == _BACKSLASH:
            start -= 1
        if start == 0 and self.escaped:
            start = 1  # the chunk's first byte is escaped by the last chunk's backslash
        return (at - start) % 2 == 0

    def finish(self, stored: _Hashing) -> None:
        entry = self.entry
        if not stored.matches(entry) or self.size != entry.bytes or self.digest.hexdigest() != entry.sha256:
            raise _Bad(f"the rows of table {entry.name} do not match their checksum")
        if self.size and self.last != b"\n":
            raise _Bad(
                f"the last row of table {entry.name} does not end with a line break (a restore would read "
                "one row more than its manifest says)"
            )
        if self.rows != entry.rows:
            raise _Bad(f"table {entry.name} holds {self.rows:,} rows, its manifest says {entry.rows:,}")


def table_rows(
    reader: ArchiveReader,
    entry: TableEntry,
    cancel: CancelToken,
    lock: AbstractContextManager[object] | None = None,
) -> Iterator[bytes]:
    """The table's COPY text, checked, 1 MiB at a time; ArchiveError naming the first thing wrong.

    `lock` guards each read of the archive (two connections of a restore read one tar file). A refusal
    that damage would explain (the stored bytes do not match their checksum) is said as damage.
    """
    lock = lock or nullcontext()
    name = reader.path.name
    if not reader.has(entry.member):
        raise ArchiveError(f"{name} is damaged: the part {entry.member} of table {entry.name} is missing.")
    check = _RowCheck(entry)
    with lock:
        handle = reader.open_stored(entry.member)
    stored = _Hashing(handle)
    try:
        with decompressing(stored) as stream:  # type: ignore[arg-type]
            while True:
                cancel.raise_if_cancelled()
                with lock:
                    chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                check.feed(chunk)
                yield chunk
        with lock:
            stored.read()  # bytes after the last frame count for the stored checksum
        check.finish(stored)
    except _Bad as bad:
        raise ArchiveError(f"{name} is damaged: {_unless_damaged(stored, entry, lock, str(bad))}.") from None
    except zstandard.ZstdError:
        what = _unless_damaged(stored, entry, lock, f"the rows of table {entry.name} cannot be decompressed")
        raise ArchiveError(f"{name} is damaged: {what}.") from None
    except (tarfile.TarError, OSError, EOFError):
        raise ArchiveError(
            f"{name} is damaged: the rows of table {entry.name} cannot be read (is the file cut short?)."
        ) from None
    finally:
        handle.close()


def _unless_damaged(stored: _Hashing, entry: TableEntry, lock: AbstractContextManager[object], what: str) -> str:
    """`what`, or, when the stored bytes do not match their checksum, that the rows are damaged: a flipped
    byte decompresses into rows of any shape, and the checksum says why."""
    try:
        with lock:
            while stored.size <= entry.stored_bytes and stored.read(_CHUNK):
                pass
    except (tarfile.TarError, OSError, EOFError):
        pass
    return what if stored.matches(entry) else f"the rows of table {entry.name} do not match their checksum"

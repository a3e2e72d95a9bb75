"""A compressed dumpdata export (`-o x.json.gz`, `.bz2`, `.xz`) read through a bound: a small crafted file cannot
make the reader decompress gigabytes."""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

from app.engine.errors import ArchiveError

# A compressed export inflates to at most this many times its size, and never past MAX_INFLATED: dumpdata's JSON
# compresses 10-30 times (measured on the demo clinic, gzip and xz, with and without --indent: docs/django-json.md),
# while a crafted file of white space inflates a thousand times (gzip) or a million (bz2, xz).
MAX_RATIO = 100
MIN_INFLATED = 16 << 20  # what any compressed file may inflate to, however small it is
MAX_INFLATED = 16 << 30
_OPENERS: dict[str, Callable[[Path, str], Any]] = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}
STREAM_ERRORS = (OSError, EOFError, lzma.LZMAError, zlib.error, ValueError)  # damaged compressed data


class _Inflating:
    """A decompressed stream that stops at `limit` bytes: a small crafted file cannot make the reader
    decompress gigabytes (each read asks the decompressor for no more than what is left, plus one byte)."""

    def __init__(self, stream: IO[bytes], path: Path, compression: str, limit: int) -> None:
        self._stream, self._path, self._compression, self._limit = stream, path, compression, limit
        self.inflated = 0

    def read(self, size: int = -1) -> bytes:
        room = self._limit - self.inflated + 1
        data = self._stream.read(room if size < 0 else min(size, room))
        self.inflated += len(data)
        if self.inflated > self._limit:
            raise ArchiveError(
                f"{self._path.name} is {size_words(self._path.stat().st_size)} of {self._compression} that inflates "
                f"to more than {size_words(self._limit)}: a dumpdata export inflates about 10 times, and Resguardo "
                f"reads at most {MAX_RATIO} times a compressed export's size (never more than "
                f"{size_words(MAX_INFLATED)}), so this file is damaged or not an export. If it really is an export "
                "that large, decompress it first and restore the .json file."
            )
        return data

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> _Inflating:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def inflated_limit(compressed_bytes: int) -> int:
    """How far a compressed export of this size may inflate."""
    return min(max(compressed_bytes * MAX_RATIO, MIN_INFLATED), MAX_INFLATED)


def size_words(size: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            return f"{size / (1 << shift):,.{0 if size % (1 << shift) == 0 else 1}f} {unit}"
    return f"{size:,} bytes"


def open_dump_stream(path: Path, compression: str | None) -> IO[bytes]:
    """The file's bytes, decompressed when dumpdata compressed it ("gzip", "bz2" or "xz"), bounded by
    `inflated_limit`."""
    opener = _OPENERS.get(compression or "")
    try:
        if opener is None or compression is None:
            return open(path, "rb")
        limit = inflated_limit(path.stat().st_size)
        return cast(IO[bytes], _Inflating(opener(path, "rb"), path, compression, limit))
    except OSError as exc:
        raise ArchiveError(f"{path.name} cannot be read: {exc.strerror or exc}.") from None

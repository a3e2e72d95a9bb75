"""A bounded external sort of rows by their key: memory holds one run, whatever the table's size.

Rows are gathered until they hold `run_bytes` of text; a table that fits is sorted in memory (Python's sort
takes a table already in key order, the usual case for tables keyed by a growing number, in one pass). A
larger table's runs are sorted and written, one after the other, to files in a private folder (the one place
plain backup bytes touch the disk, app/engine/encryption/workspace.py), then merged as they are read back.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from app.engine.comparison.copy_text import Key

RUN_BYTES = 32 << 20  # text of rows held in memory at once (measured: docs/recover.md)
_READ_BUFFER = 1 << 16

LineKey = Callable[[bytes], Key]


class RunSorter:
    """Takes rows (lines without their line break) in any order; gives them back ordered by `key`."""

    def __init__(self, key: LineKey, folder: Callable[[], Path], run_bytes: int = RUN_BYTES) -> None:
        self._key = key
        self._folder = folder  # called once the first run must be written
        self._run_bytes = run_bytes
        self._rows: list[tuple[Key, bytes]] = []
        self._bytes = 0
        self._runs: list[Path] = []
        self.spilled_runs = 0

    def add(self, key: Key, line: bytes) -> None:
        self._rows.append((key, line))
        self._bytes += len(line) + 64
        if self._bytes >= self._run_bytes:
            self._spill()

    def _spill(self) -> None:
        self._rows.sort()
        path = self._folder() / f"run-{id(self):x}-{len(self._runs)}"
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        self._runs.append(path)
        with os.fdopen(fd, "wb", buffering=1 << 20) as out:
            for _, line in self._rows:
                out.write(line)
                out.write(b"\n")
        self.spilled_runs += 1
        self._rows, self._bytes = [], 0

    def rows(self) -> Iterator[tuple[Key, bytes]]:
        """Every row, by key (rows of equal keys by their text); the run files are removed as they end."""
        if not self._runs:
            self._rows.sort()
            rows, self._rows = self._rows, []
            yield from rows
            return
        if self._rows:
            self._spill()
        runs = [self._read(path) for path in self._runs]
        yield from heapq.merge(*runs)

    def _read(self, path: Path) -> Iterator[tuple[Key, bytes]]:
        handle: IO[bytes] = open(path, "rb", buffering=_READ_BUFFER)  # noqa: SIM115 - closed below
        try:
            for line in handle:
                row = line[:-1]
                yield self._key(row), row
        finally:
            handle.close()
            path.unlink(missing_ok=True)

    def close(self) -> None:
        self._rows = []
        for path in self._runs:
            path.unlink(missing_ok=True)

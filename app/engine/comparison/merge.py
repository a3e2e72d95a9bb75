"""Two streams of rows in key order, merged into a table's differences, one row at a time.

The backup's rows come sorted (app/engine/comparison/sorting.py); the live rows arrive from the server in
the same order. A backup with two rows of one key is refused: its primary key forbids that, so the file was
not written as the live table holds rows (a crafted or changed file).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from app.engine.comparison.copy_text import Key, shown_key
from app.engine.comparison.result import SAMPLE_KEYS, TableDiff
from app.engine.errors import ArchiveError

Rows = Iterator[tuple[Key, bytes]]


class KeyedMerge:
    """Rows matched by key: only in the backup, only now, or changed (with the columns that changed)."""

    def __init__(self, diff: TableDiff, backup: Rows, columns: Sequence[str], file_name: str) -> None:
        self._diff = diff
        self._backup = backup
        self._columns = list(columns)
        self._file = file_name
        self._head = next(backup, None)
        self._last_now: Key | None = None

    def _advance(self) -> None:
        assert self._head is not None
        last = self._head[0]
        self._head = next(self._backup, None)
        if self._head is not None and self._head[0] == last:
            raise ArchiveError(
                f"{self._file} cannot be compared: it holds two rows of table {self._diff.name} with the key "
                f"{shown_key(last)}, which the table's {self._diff.matching.value} forbids (the file was changed "
                "after Resguardo wrote it, or made by something else)."
            )

    def now(self, key: Key, line: bytes) -> None:
        """One live row, in key order."""
        if self._last_now is not None and key <= self._last_now:
            raise ArchiveError(  # the server's order is not the one this program compares in: nothing to trust
                f"The rows of table {self._diff.name} did not arrive in the order of its key; they cannot be compared."
            )
        self._last_now = key
        diff = self._diff
        while self._head is not None and self._head[0] < key:
            self._only_in_backup(self._head[0])
            self._advance()
        if self._head is not None and self._head[0] == key:
            if self._head[1] != line:
                self._changed(key, self._head[1], line)
            self._advance()
        else:
            diff.only_now += 1
            _sample(diff.keys_only_now, key)

    def finish(self) -> None:
        while self._head is not None:
            self._only_in_backup(self._head[0])
            self._advance()

    def _only_in_backup(self, key: Key) -> None:
        self._diff.only_in_backup += 1
        _sample(self._diff.keys_only_in_backup, key)

    def _changed(self, key: Key, then: bytes, now: bytes) -> None:
        diff = self._diff
        diff.changed += 1
        _sample(diff.keys_changed, key)
        for column, a, b in zip(self._columns, then.split(b"\t"), now.split(b"\t"), strict=False):
            if a != b:
                diff.changed_columns[column] = diff.changed_columns.get(column, 0) + 1


class MultisetMerge:
    """Rows of a table without a key, both sides sorted by their whole text: equal rows pair up, one for one."""

    def __init__(self, diff: TableDiff, backup: Rows, now: Rows) -> None:
        self._diff, self._backup, self._now = diff, backup, now

    def run(self) -> None:
        diff = self._diff
        b, n = next(self._backup, None), next(self._now, None)
        while b is not None and n is not None:
            if b[1] == n[1]:
                b, n = next(self._backup, None), next(self._now, None)
            elif b[1] < n[1]:
                diff.only_in_backup += 1
                b = next(self._backup, None)
            else:
                diff.only_now += 1
                n = next(self._now, None)
        diff.only_in_backup += (b is not None) + sum(1 for _ in self._backup)
        diff.only_now += (n is not None) + sum(1 for _ in self._now)


def _sample(keys: list[str], key: Key) -> None:
    if len(keys) < SAMPLE_KEYS:
        keys.append(shown_key(key))

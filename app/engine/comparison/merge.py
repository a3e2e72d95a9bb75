"""Two streams of rows in key order, merged into a table's differences.

The backup's rows come sorted (app/engine/comparison/sorting.py, or as stored: in_order.py); the live rows
arrive from the server in the same order. A backup with two rows of one key is refused: its primary key forbids
that, so the file was not written as the live table holds rows (a crafted or changed file).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from itertools import compress, count, islice
from operator import eq, itemgetter, ne

from app.engine.comparison.copy_text import Key, LineKeyOf, shown_key
from app.engine.comparison.result import SAMPLE_KEYS, TableDiff
from app.engine.errors import ArchiveError

Rows = Iterator[tuple[Key, bytes]]
Batches = Iterator[tuple[list[Key], list[bytes]]]  # keys strictly ascending, and their rows' lines


class KeyedMerge:
    """Rows matched by key: only in the backup, only now, or changed (with the columns that changed).

    The backup's rows come in lists (a chunk's worth), keys strictly ascending. A run of live lines equal byte
    for byte to the backup's next lines is those rows, unchanged: their keys are the backup's (the same text), so
    they are not read, and they are above the last live key (the backup's keys ascend strictly, and every live
    key read before was below the backup's next one); a run is found and passed without a Python step per row.
    Nearly every row of a recent backup is in one. Only the other lines' keys are read, and the rows compared
    column by column."""

    def __init__(self, diff: TableDiff, backup: Batches, columns: Sequence[str], file_name: str) -> None:
        self._diff = diff
        self._batches = backup
        self._columns = list(columns)
        self._file = file_name
        self._keys: list[Key] = []  # the backup's rows of the current list, from `_at` on
        self._lines: list[bytes] = []
        self._at = 0
        self._last_now: Key | None = None
        self._fill()

    def _fill(self) -> bool:
        """The next list of backup rows once this one is used up; False when there are no more rows."""
        while self._at == len(self._keys):
            batch = next(self._batches, None)
            if batch is None:
                return False
            self._keys, self._lines = batch
            self._at = 0
        return True

    def now(self, lines: list[bytes], key_of: LineKeyOf) -> None:
        """The next live rows, in key order (`key_of` reads a line's key)."""
        at, end = 0, len(lines)
        while at < end:
            if self._fill() and self._lines[self._at] == lines[at]:
                mine = islice(self._lines, self._at, None)
                differ = next(compress(count(), map(ne, mine, islice(lines, at, None))), None)
                run = min(len(self._lines) - self._at, end - at) if differ is None else differ
                self._at += run
                at += run
                self._last_now = self._keys[self._at - 1]
                continue
            self._one(lines[at], key_of(lines[at]))
            at += 1

    def _one(self, line: bytes, key: Key) -> None:
        """A live row that is not the backup's next one as it stands."""
        diff = self._diff
        if self._last_now is not None and key <= self._last_now:
            raise ArchiveError(  # the server's order is not the one this program compares in: nothing to trust
                f"The rows of table {diff.name} did not arrive in the order of its key; they cannot be compared."
            )
        self._last_now = key
        while self._fill():
            stop = bisect_left(self._keys, key, self._at)
            self._only_in_backup(stop)
            if stop < len(self._keys):
                break
        if self._fill() and self._keys[self._at] == key:
            if self._lines[self._at] != line:
                self._changed(key, self._lines[self._at], line)
            self._at += 1
        else:
            diff.only_now += 1
            _sample(diff.keys_only_now, key)

    def finish(self) -> None:
        while self._fill():
            self._only_in_backup(len(self._keys))

    def _only_in_backup(self, stop: int) -> None:
        """The backup's rows of the current list up to `stop` are not live."""
        diff = self._diff
        diff.only_in_backup += stop - self._at
        for key in self._keys[self._at : min(stop, self._at + SAMPLE_KEYS)]:
            _sample(diff.keys_only_in_backup, key)
        self._at = stop

    def _changed(self, key: Key, then: bytes, now: bytes) -> None:
        diff = self._diff
        diff.changed += 1
        _sample(diff.keys_changed, key)
        for column, a, b in zip(self._columns, then.split(b"\t"), now.split(b"\t"), strict=False):
            if a != b:
                diff.changed_columns[column] = diff.changed_columns.get(column, 0) + 1


def in_lists(rows: Rows, table: TableDiff, file_name: str, size: int = 1 << 13) -> Batches:
    """Sorted rows in lists, as KeyedMerge takes them: keys strictly ascending, so two rows of one key, next to
    each other once sorted, are refused."""
    last: list[Key] = []
    while batch := list(islice(rows, size)):
        keys = list(map(itemgetter(0), batch))
        after = [*last, *keys]
        twice = next(compress(after, map(eq, after, islice(after, 1, None))), None)
        if twice is not None:
            raise ArchiveError(
                f"{file_name} cannot be compared: it holds two rows of table {table.name} with the key "
                f"{shown_key(twice)}, which the table's {table.matching.value} forbids (the file was changed "
                "after Resguardo wrote it, or made by something else)."
            )
        yield keys, list(map(itemgetter(1), batch))
        last = keys[-1:]


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

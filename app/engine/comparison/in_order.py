"""The backup's rows of one table as they are stored, for as long as they come in strictly ascending key order.

A native backup copies a table in its physical order, which for a table keyed by a growing number is nearly
always key order: then the rows can be merged with the live rows as they are read, without the external sort
(app/engine/comparison/sorting.py), which took about a third of a diff (bench/RESULTS.md, issue 23). A row an
update moved a little (the 1 GB clinic's messages hold a few: id 784 stored before 53) is put back in its place
by a window of rows held back (an eighth of the sort's memory bound, twice over), all but the last window's worth
given out each time it fills: rows read in key order are added as they are, the others sorted in among those held.
Each key given out must be greater than the one before by the comparison the sort uses; at the first that is not
(a row moved further than the window, two rows of one key), a row whose fields the manifest does not describe,
or text after the last line, the stream stops and says so (`broken`): the caller throws the partial merge away
and compares the table again through the sort, which says what is wrong with a file exactly as it always did.
Rows are handled a chunk (a list) at a time, without a Python step per row where the key allows
(copy_text.lines_key_reader): a diff reads millions of them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from itertools import accumulate, compress, count, islice, repeat
from operator import add, ge, itemgetter, lt

from app.engine.comparison.copy_text import BadRow, Key, KeyOf, LinesKeyOf

Batch = tuple[list[Key], list[bytes]]  # rows' keys and their lines, in ascending key order
ROW_BYTES = 64  # what a row is counted for beyond its text (its key, its place in the lists)
_FLIP = bytes.maketrans(b"\0\1", b"\1\0")


class InOrderRows:
    """Rows of `chunks` projected on `keep`, while each key is above the last: (keys, lines) a list at a time."""

    def __init__(
        self,
        chunks: Iterator[bytes],
        width: int,
        keep: Sequence[int] | None,
        keys: tuple[KeyOf, LinesKeyOf],
        advance: Callable[[int], None],
        window_bytes: int,
    ) -> None:
        self._chunks = chunks
        self._width = width
        self._keep = keep
        self._key_of, self._lines_keys = keys  # of a row's fields; of whole rows' lines (no projection)
        self._advance = advance
        self._window_bytes = window_bytes
        self.broken = False

    def batches(self) -> Iterator[Batch]:
        window = self._window_bytes
        keys: list[Key] = []  # the rows held back: keys strictly ascending, above the last key given out
        lines: list[bytes] = []
        held = 0
        carry = b""
        last: Key | None = None
        for chunk in self._chunks:
            found = (carry + chunk).split(b"\n")
            carry = found.pop()
            rows = self._rows(found)
            if rows is None:
                self.broken = True
                return
            for piece in _pieces(rows, window):  # a row is put back past a window's worth of rows at most
                new_keys, new_lines = piece
                if not _ascending(new_keys):
                    new_keys, new_lines = _put_back(piece)
                    if not _ascending(new_keys):
                        self.broken = True  # two rows of one key
                        return
                top = keys[-1] if keys else last
                if top is None or new_keys[0] > top:
                    keys += new_keys  # the usual case: rows stored in key order
                    lines += new_lines
                else:  # merged with the rows held from the first key above the piece's least
                    at = bisect_left(keys, new_keys[0])
                    merged = _merged((keys[at:], lines[at:]), (new_keys, new_lines))
                    if (not at and last is not None and not merged[0][0] > last) or not _ascending(merged[0]):
                        self.broken = True  # a row moved further than the window, or two rows of one key
                        return
                    del keys[at:], lines[at:]
                    keys += merged[0]
                    lines += merged[1]
                held += _size(new_lines)
                if held <= 2 * window:
                    continue
                # The rows past the window's worth at the end are given out; those stay for rows still to come.
                tail = list(accumulate(map(add, map(len, reversed(lines)), repeat(ROW_BYTES))))
                stay = bisect_left(tail, window)
                cut = len(keys) - stay
                yield keys[:cut], lines[:cut]
                last, keys, lines = keys[cut - 1], keys[cut:], lines[cut:]
                held = tail[stay - 1] if stay else 0
            self._advance(len(chunk))
        if carry:
            self.broken = True
        elif keys:  # the table has passed its checksum (table_rows ended)
            yield keys, lines

    def _rows(self, lines: list[bytes]) -> Batch | None:
        """The keys and rows of whole lines, or None for a line with other fields than the manifest's, or no key."""
        try:
            if self._keep is None:
                if set(map(bytes.count, lines, repeat(b"\t"))) - {self._width - 1}:
                    return None
                return self._lines_keys(lines), lines
            keys, kept = [], []
            for line in lines:
                fields = line.split(b"\t")
                if len(fields) != self._width:
                    return None
                fields = [fields[i] for i in self._keep]
                keys.append(self._key_of(fields))
                kept.append(b"\t".join(fields))
            return keys, kept
        except BadRow:
            return None

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


def _size(lines: list[bytes]) -> int:
    return sum(map(len, lines)) + ROW_BYTES * len(lines)


def _ascending(keys: list[Key]) -> bool:
    """Whether `keys` ascend strictly."""
    return all(map(lt, keys, islice(keys, 1, None)))


def _put_back(rows: Batch) -> Batch:
    """Rows not in key order, sorted. The usual few out of place (a row stored before the rows below it, or after
    those above) are taken out where the key descends and merged back; when more are, all are sorted."""
    keys, lines = rows
    moved = bytearray(len(keys))  # 1: out of place
    for at in compress(count(1), map(ge, keys, islice(keys, 1, None))):  # keys[at - 1] >= keys[at]
        ahead = at < 2 or keys[at - 2] < keys[at]  # then the row before is the one out of place
        moved[at - 1 if ahead else at] = 1
    if moved.count(1) <= len(keys) // 8:
        stay = moved.translate(_FLIP)
        main = list(compress(keys, stay)), list(compress(lines, stay))
        if _ascending(main[0]):
            return _merged(main, _sorted((list(compress(keys, moved)), list(compress(lines, moved)))))
    return _sorted(rows)


def _sorted(rows: Batch) -> Batch:
    ordered = sorted(zip(*rows, strict=True))
    return list(map(itemgetter(0), ordered)), list(map(itemgetter(1), ordered))


def _merged(one: Batch, other: Batch) -> Batch:
    """Two batches of sorted rows, merged a stretch at a time: the rows of one up to the other's next key, found by
    bisection, so a merge costs a Python step per stretch, not per row (the rows a table holds out of place
    interleave with the others rarely)."""
    (a_keys, a_lines), (b_keys, b_lines) = one, other
    keys: list[Key] = []
    lines: list[bytes] = []
    a = b = 0
    while a < len(a_keys) and b < len(b_keys):
        if a_keys[a] <= b_keys[b]:
            stop = bisect_right(a_keys, b_keys[b], a)
            keys += a_keys[a:stop]
            lines += a_lines[a:stop]
            a = stop
        else:
            stop = bisect_right(b_keys, a_keys[a], b)
            keys += b_keys[b:stop]
            lines += b_lines[b:stop]
            b = stop
    return keys + a_keys[a:] + b_keys[b:], lines + a_lines[a:] + b_lines[b:]


def _pieces(rows: Batch, window: int) -> Iterator[Batch]:
    """`rows` in pieces of a window's worth at most (a chunk's rows are one piece but for a tiny window)."""
    keys, lines = rows
    if not lines:
        return
    if _size(lines) <= window:
        yield rows
        return
    ends = list(accumulate(map(add, map(len, lines), repeat(ROW_BYTES))))
    start = 0
    while start < len(lines):
        stop = max(start + 1, bisect_right(ends, (ends[start - 1] if start else 0) + window))
        yield keys[start:stop], lines[start:stop]
        start = stop

"""The backup's rows of one table as they are stored, for as long as they come in strictly ascending key order.

A native backup copies a table in its physical order, which for a table keyed by a growing number is nearly
always key order: then the rows can be merged with the live rows as they are read, without the external sort
(app/engine/comparison/sorting.py), which took about a third of a diff (bench/RESULTS.md, issue 23). A row an
update moved a little (the 1 GB clinic's messages hold a few: id 784 stored before 53) is put back in its place
by a small window of rows held in a heap (an eighth of the sort's memory bound). Each key given out must be
greater than the one before by the comparison the sort uses; at the first that is not (a row moved further than
the window, two rows of one key), a row whose fields the manifest does not describe, or text after the last
line, the stream stops and says so (`broken`): the caller throws the partial merge away and compares the
table again through the sort, which says what is wrong with a file exactly as it always did.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Sequence

from app.engine.comparison.copy_text import BadRow, Key


class InOrderRows:
    """Rows (key, line) of `chunks` projected on `keep`, while each key is above the last."""

    def __init__(
        self,
        chunks: Iterator[bytes],
        width: int,
        keep: Sequence[int] | None,
        key_of: Callable[[list[bytes]], Key],
        advance: Callable[[int], None],
        window_bytes: int,
    ) -> None:
        self._chunks = chunks
        self._width = width
        self._keep = keep
        self._key_of = key_of
        self._advance = advance
        self._window_bytes = window_bytes
        self.broken = False

    def rows(self) -> Iterator[tuple[Key, bytes]]:
        width, keep, key_of = self._width, self._keep, self._key_of
        window: list[tuple[Key, bytes]] = []  # a heap: rows wait here until `window_bytes` of rows are behind
        held = 0
        carry = b""
        last: Key | None = None
        for chunk in self._chunks:
            lines = (carry + chunk).split(b"\n")
            carry = lines.pop()
            for stored in lines:
                fields = stored.split(b"\t")
                if len(fields) != width:
                    self.broken = True
                    return
                if keep is not None:
                    fields = [fields[i] for i in keep]
                line = stored if keep is None else b"\t".join(fields)
                try:
                    key = key_of(fields)
                except BadRow:
                    self.broken = True
                    return
                held += len(line) + 64
                if held <= self._window_bytes:
                    heapq.heappush(window, (key, line))
                    continue
                out = heapq.heappushpop(window, (key, line))
                held -= len(out[1]) + 64
                if last is not None and not out[0] > last:
                    self.broken = True
                    return
                last = out[0]
                yield out
            self._advance(len(chunk))
        if carry:
            self.broken = True
            return
        while window:  # the table has passed its checksum (table_rows ended)
            out = heapq.heappop(window)
            if last is not None and not out[0] > last:
                self.broken = True
                return
            last = out[0]
            yield out

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()

"""The backup's rows of one table as they are stored, for as long as they come in strictly ascending key order.

A native backup copies a table in its physical order, which for a table keyed by a growing number is nearly
always key order: then the rows can be merged with the live rows as they are read, without the external sort
(app/engine/comparison/sorting.py), which took about a third of a diff (bench/RESULTS.md, issue 23). Each key
must be greater than the one before by the comparison the sort uses; at the first that is not (a row moved by
an update, two rows of one key), a row whose fields the manifest does not describe, or text after the last
line, the stream stops and says so (`broken`): the caller throws the partial merge away and compares the
table again through the sort, which says what is wrong with a file exactly as it always did.
"""

from __future__ import annotations

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
    ) -> None:
        self._chunks = chunks
        self._width = width
        self._keep = keep
        self._key_of = key_of
        self._advance = advance
        self.broken = False

    def rows(self) -> Iterator[tuple[Key, bytes]]:
        width, keep, key_of = self._width, self._keep, self._key_of
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
                if last is not None and not key > last:
                    self.broken = True
                    return
                last = key
                yield key, line
            self._advance(len(chunk))
        if carry:
            self.broken = True

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()

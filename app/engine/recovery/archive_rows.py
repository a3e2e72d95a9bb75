"""A backup table's rows, streamed field by field through the one checked reader (app/engine/archive/table_data.py).

Only the rows a caller picks are kept; the rest pass by, 1 MiB of COPY text at a time. A row whose number of
fields is not the manifest's is refused, as the comparison refuses it: the checksums were made to match rows
the manifest does not describe. Callers conclude nothing until the table has been read to its end, where its
checksum is checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping

from app.engine.archive.container import ArchiveReader
from app.engine.archive.manifest import TableEntry
from app.engine.archive.table_data import table_rows
from app.engine.errors import ArchiveError
from app.engine.jobs import CancelToken

Fields = list[bytes]
MAX_HINTS = 64  # more values than this, and every row is split and tested (the search would cost more)


def rows_of(
    reader: ArchiveReader, entry: TableEntry, cancel: CancelToken, advance: Callable[[int], None] | None = None
) -> Iterator[Fields]:
    """Each row's COPY fields, in the manifest's column order; a row whose fields are not the manifest's columns
    is refused (a changed file). `advance` hears each chunk's size once its rows are out."""
    width = len(entry.columns)
    carry, row = b"", 0
    for chunk in table_rows(reader, entry, cancel):
        lines = (carry + chunk).split(b"\n")
        carry = lines.pop()
        for line in lines:
            row += 1
            fields = line.split(b"\t")
            if len(fields) != width:
                raise ArchiveError(
                    f"{reader.path.name} cannot be used: row {row:,} of table {entry.name} has {len(fields)} fields, "
                    f"its manifest names {width} columns (the file was changed after Resguardo wrote it)."
                )
            yield fields
        if advance is not None:
            advance(len(chunk))


def candidate_rows(
    reader: ArchiveReader, entry: TableEntry, cancel: CancelToken, hints: Mapping[int, Collection[bytes]] | None
) -> Iterator[Fields]:
    """The rows whose field at a position holds one of its `hints` (position -> COPY fields), found by a search
    of each chunk, anchored at each row's start, rather than a split of every row: each row a caller wants holds
    one (the caller still tests each row it gets). Every byte still passes through the checked reader; `hints`
    None, or more than MAX_HINTS values, gives every row."""
    if hints is None or sum(len(v) for v in hints.values()) > MAX_HINTS:
        yield from rows_of(reader, entry, cancel)
        return
    if not any(hints.values()):
        for _ in table_rows(reader, entry, cancel):  # read to its end all the same: its checksum is checked
            pass
        return
    search = _search(hints)
    width = len(entry.columns)
    carry = b""
    for chunk in table_rows(reader, entry, cancel):
        data = carry + chunk
        end = data.rfind(b"\n") + 1
        carry, data = data[end:], data[:end]
        for found in search.finditer(data, 0, max(end - 1, 0)):  # not past the last row's line break
            start = found.start()
            fields = data[start : data.find(b"\n", found.end())].split(b"\t")
            if len(fields) != width:
                raise ArchiveError(
                    f"{reader.path.name} cannot be used: a row of table {entry.name} has {len(fields)} fields, "
                    f"its manifest names {width} columns (the file was changed after Resguardo wrote it)."
                )
            yield fields


def _search(hints: Mapping[int, Collection[bytes]]) -> re.Pattern[bytes]:
    """Rows (from their start) whose field at a position is one of its values: `^(?:[^\t\n]*\t){k}(?:v|w)`."""
    ways = []
    for at, values in sorted(hints.items()):
        if values:
            alternatives = b"|".join(re.escape(v) for v in sorted(set(values), key=len, reverse=True))
            ways.append(b"(?:[^\t\n]*\t){%d}(?:%s)" % (at, alternatives))
    return re.compile(b"^(?:" + b"|".join(ways) + b")(?=\t|$)", re.MULTILINE)

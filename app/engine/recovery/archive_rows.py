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
MAX_HINTS = 1024  # more values than this, and every row is split and tested (a pattern of them all: too big)


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
    of each chunk for the fields' text rather than a split of every row: each row a caller wants holds one (the
    caller still tests each row it gets). Every byte still passes through the checked reader; `hints` None, or
    more than MAX_HINTS values, gives every row.

    The search looks for any of the values as a whole field anywhere in a row (a field is between tabs and line
    breaks), through one pattern shaped as a tree of the values' bytes, so that the many values of a big step of
    the walk (the 200 appointments of a patient, in the messages) cost about what one does; each row found is
    split and kept only when a value is at its own position."""
    if hints is None or sum(len(v) for v in hints.values()) > MAX_HINTS:
        yield from rows_of(reader, entry, cancel)
        return
    tests = [(at, set(values)) for at, values in sorted(hints.items()) if values]
    if not tests:
        for _ in table_rows(reader, entry, cancel):  # read to its end all the same: its checksum is checked
            pass
        return
    search = _search(tests)
    width = len(entry.columns)
    carry = b"\n"  # the text searched begins with the line break before its first row
    for chunk in table_rows(reader, entry, cancel):
        data = carry + chunk
        end = data.rfind(b"\n")
        carry, data = data[end:], data[: end + 1]
        row_start = -1
        for found in search.finditer(data):
            start = data.rfind(b"\n", 0, found.start() + 1) + 1
            if start == row_start:  # another value in the same row
                continue
            row_start = start
            fields = data[start : data.find(b"\n", found.end())].split(b"\t")
            if len(fields) != width:
                raise ArchiveError(
                    f"{reader.path.name} cannot be used: a row of table {entry.name} has {len(fields)} fields, "
                    f"its manifest names {width} columns (the file was changed after Resguardo wrote it)."
                )
            if any(fields[at] in values for at, values in tests):
                yield fields


def _search(tests: list[tuple[int, set[bytes]]]) -> re.Pattern[bytes]:
    """Any of the values as a whole field: after the line break before a row for its first column, after a tab for
    the others (a pattern that begins with one byte is searched fastest, so the first column has its own way)."""
    first = tests[0][1] if tests[0][0] == 0 else set()
    others = set().union(*(values for at, values in tests if at))
    ways = ([b"\n" + _tree(first)] if first else []) + ([b"\t" + _tree(others)] if others else [])
    return re.compile((ways[0] if len(ways) == 1 else b"(?:" + b"|".join(ways) + b")") + b"(?=[\t\n])")


def _tree(values: set[bytes]) -> bytes:
    """A pattern matching exactly `values`, shaped as the tree of their bytes (`12(?:3|45)` for 123 and 1245): the
    regular-expression engine tries alternatives one by one, so a flat list of 200 values cost 200 tries a field."""
    branches: dict[int, set[bytes]] = {}
    for value in values:
        if value:
            branches.setdefault(value[0], set()).add(value[1:])
    ways = [re.escape(bytes([first])) + _tree(rest) for first, rest in sorted(branches.items())]
    if b"" in values:
        ways.append(b"")
    return ways[0] if len(ways) == 1 else b"(?:" + b"|".join(ways) + b")"

"""A backup table's rows, streamed field by field through the one checked reader (app/engine/archive/table_data.py).

Only the rows a caller picks are kept; the rest pass by, 1 MiB of COPY text at a time. A row whose number of
fields is not the manifest's is refused, as the comparison refuses it: the checksums were made to match rows
the manifest does not describe. Callers conclude nothing until the table has been read to its end, where its
checksum is checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from app.engine.archive.container import ArchiveReader
from app.engine.archive.manifest import TableEntry
from app.engine.archive.table_data import table_rows
from app.engine.errors import ArchiveError
from app.engine.jobs import CancelToken

Fields = list[bytes]


def rows_of(reader: ArchiveReader, entry: TableEntry, cancel: CancelToken) -> Iterator[Fields]:
    """Each row's COPY fields, in the manifest's column order."""
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


def pick(
    reader: ArchiveReader, entry: TableEntry, cancel: CancelToken, wanted: Callable[[Fields], bool]
) -> list[Fields]:
    """The rows `wanted` keeps, once the whole table has passed its checks."""
    return [fields for fields in rows_of(reader, entry, cancel) if wanted(fields)]

"""Reading pg_dump's plain SQL (a `.sql` file, or `pg_restore -f -` output) as a stream of checked statements.

The lexer (`script_lexer`) cuts the stream into pieces; the dump gate (`dump_gate`) decides each;
here they are read in order, in the file's encoding, and a whole file is checked once (`scan_dump`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from app.engine.errors import ArchiveError
from app.engine.jobs import CancelToken
from app.engine.pgdump.dump_comments import HEADER_LINE, TRAILER_LINE
from app.engine.pgdump.dump_gate import Decision, DumpGate, check_meta
from app.engine.pgdump.script_lexer import MetaCommand, ScriptReader
from app.engine.safety.sql_gate.verdict import refusal

_PG_CODECS = {  # ASCII-compatible only: the reader finds statement boundaries in the bytes
    "UTF8": "utf-8",
    "UNICODE": "utf-8",
    "SQLASCII": "utf-8",
    "LATIN1": "latin-1",
    "LATIN2": "iso8859-2",
    "LATIN3": "iso8859-3",
    "LATIN4": "iso8859-4",
    "LATIN5": "iso8859-9",
    "LATIN6": "iso8859-10",
    "LATIN7": "iso8859-13",
    "LATIN8": "iso8859-14",
    "LATIN9": "iso8859-15",
    "LATIN10": "iso8859-16",
    "WIN1250": "cp1250",
    "WIN1251": "cp1251",
    "WIN1252": "cp1252",
    "WIN1253": "cp1253",
    "WIN1254": "cp1254",
    "WIN1255": "cp1255",
    "WIN1256": "cp1256",
    "WIN1257": "cp1257",
    "WIN1258": "cp1258",
    "WIN866": "cp866",
    "WIN874": "cp874",
    "KOI8R": "koi8-r",
    "KOI8U": "koi8-u",
    "EUCJP": "euc-jp",
    "EUCKR": "euc-kr",
    "EUCCN": "gb2312",
    "ISO88595": "iso8859-5",
    "ISO88596": "iso8859-6",
    "ISO88597": "iso8859-7",
    "ISO88598": "iso8859-8",
}


def python_codec(pg_encoding: str) -> str:
    """The Python codec for a PostgreSQL encoding name, or an ArchiveError."""
    codec = _PG_CODECS.get(pg_encoding.upper().replace("_", "").replace("-", ""))
    if codec is None:
        raise ArchiveError(f"The file is written in the {pg_encoding} encoding, which Resguardo cannot read.")
    return codec


@dataclass(frozen=True)
class Step:
    """One statement of a dump, decided; `rows` is a COPY's data (consume it before the next step)."""

    decision: Decision
    line: int
    rows: Iterator[bytes] | None = None
    codec: str = "utf-8"  # how the file is written (COPY data is passed on in this encoding)


def read_dump(reader: ScriptReader, gate: DumpGate) -> Iterator[Step]:
    """Every statement of the stream, checked and decided, in order; RefusedStatement at the first that may
    not run. A COPY's rows not read by the consumer are skipped."""
    codec = "utf-8"
    for item in reader:
        if not reader.comments.header_seen:
            raise ArchiveError(
                "The file is not a pg_dump output (it does not start with "
                f"'{HEADER_LINE}'); Resguardo restores only pg_dump files of one schema."
            )
        if isinstance(item, MetaCommand):
            check_meta(item)
            continue
        line, data = item.line, item.data
        del item  # a long statement is held once: as text from here on
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            raise refusal(f"is not valid {codec} text", line, data[:200].decode(codec, "replace")) from None
        del data
        decision = gate.decide(text, line)
        del text
        if decision.encoding is not None:
            codec = python_codec(decision.encoding)
        if decision.action != "copy":
            yield Step(decision, line)
            continue
        rows = reader.copy_rows(line)
        yield Step(decision, line, rows, codec)
        for _ in rows:
            pass


@dataclass
class DumpFacts:
    """What a pg_dump SQL stream holds, learned by reading and checking it once without running anything."""

    source_schema: str = ""
    tables: dict[str, int | None] = field(default_factory=dict)  # name -> rows in the file (None: unknown)
    dumped_from: str = ""
    dumped_by: str = ""


def scan_dump(stream: IO[bytes], cancel: CancelToken) -> DumpFacts:
    """Read a whole dump and check every statement as a restore would: pg_dump's own, complete, one schema,
    nothing outside it. Raises ArchiveError (RefusedStatement for a statement that may not run)."""
    reader = ScriptReader(stream)
    gate = DumpGate()
    facts = DumpFacts()
    for step in read_dump(reader, gate):
        cancel.raise_if_cancelled()
        table, action = step.decision.table, step.decision.action
        if table is None:
            continue
        current = facts.tables.get(table, 0)
        if step.rows is not None:
            rows = sum(chunk.count(b"\n") for chunk in step.rows)
            facts.tables[table] = None if current is None else current + rows
        elif step.decision.statement is not None and step.decision.statement.kind == "InsertStmt":
            facts.tables[table] = None if current is None else current + 1
        elif action == "run":
            facts.tables.setdefault(table, 0)
    if not reader.comments.header_seen:
        raise ArchiveError(f"The file is not a pg_dump output (it is empty or has no '{HEADER_LINE}' header).")
    if gate.source is None:
        raise ArchiveError(
            "The file is not a dump of one tenant schema: it creates no schema "
            "(was it made with pg_dump --schema=<tenant>?)."
        )
    if not reader.comments.trailer_seen:
        raise ArchiveError(
            f"The file is incomplete: its last line '{TRAILER_LINE}' is missing "
            "(the file was truncated or pg_dump failed while writing it)."
        )
    facts.source_schema = gate.source
    facts.dumped_from, facts.dumped_by = reader.comments.dumped_from, reader.comments.dumped_by
    return facts

"""Restore sources for pg_dump files: plain `.sql`, and custom format through `pg_restore -f -`.

Both become one stream of SQL that app/engine/pgdump/sqldump.py splits and checks
statement by statement (app/engine/safety/sql_gate/) and rewrites into the staging
schema; the statements run one at a time on the restore's own connection,
inside its transaction (never through psql), so the restore's isolation proof
and all-or-nothing cover them. The preview reads and checks the whole file (a
custom file's schema part) without running anything; `verify` reads and checks
every statement of either kind.
"""

from __future__ import annotations

import codecs
import logging
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psycopg

from app.engine.child_process import NO_CONSOLE_WINDOW
from app.engine.errors import ArchiveError, RestoreFailed, first_line
from app.engine.jobs import CancelToken
from app.engine.pgdump.dump_comments import HEADER_LINE
from app.engine.pgdump.dump_gate import DumpGate
from app.engine.pgdump.pgtools import ClientTool, choose_tool, find_tools
from app.engine.pgdump.script_lexer import ScriptReader
from app.engine.pgdump.sqldump import DumpFacts, read_dump, scan_dump
from app.engine.safety.sql_gate.sending import execute_checked, prepare_session
from app.engine.safety.sql_gate.verdict import excerpt
from app.engine.sources.source import LoadProgress, LoadResult, LoadsInOneStep, SourceKind, SourceSummary, TableSummary

log = logging.getLogger(__name__)

CUSTOM_MAGIC = b"PGDMP"
_SNIFF = 8192


def sniff_kind(path: Path) -> str | None:
    """ "custom", "sql" or None (not a pg_dump file: another source's business)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF)
    except OSError:
        return None
    if head.startswith(CUSTOM_MAGIC):
        return "custom"
    if HEADER_LINE.encode() in head or (Path(path).suffix.lower() == ".sql" and b"\0" not in head):
        return "sql"
    return None


@dataclass(frozen=True)
class CustomHeader:
    """The header pg_dump writes at the start of a custom-format file."""

    archive_version: tuple[int, int, int]
    dbname: str
    server_version: str  # of the server it was dumped from
    pg_dump_version: str

    @property
    def pg_dump_major(self) -> int:
        try:
            return int(self.pg_dump_version.split(".")[0])
        except ValueError:
            return 0


def read_custom_header(path: Path) -> CustomHeader:
    """Parse the header (pg_backup_archiver.c ReadHead) without any client tool."""
    name = Path(path).name
    damaged = ArchiveError(f"{name} is not a readable pg_dump custom-format file (its header is damaged).")
    with open(path, "rb") as handle:
        data = handle.read(4096)
    if not data.startswith(CUSTOM_MAGIC) or len(data) < 12:
        raise damaged
    pos = 5
    vmaj, vmin, vrev = data[pos], data[pos + 1], data[pos + 2]
    int_size, fmt = data[pos + 3], data[pos + 5]
    pos += 6
    if (vmaj, vmin) < (1, 10) or int_size > 8 or fmt != 1:
        raise ArchiveError(
            f"{name} is a pg_dump archive of version {vmaj}.{vmin} or not in custom format; "
            "Resguardo reads custom-format files from pg_dump 9.0 on."
        )

    def read_int() -> int:
        nonlocal pos
        if pos + 1 + int_size > len(data):
            raise damaged
        sign, raw = data[pos], data[pos + 1 : pos + 1 + int_size]
        pos += 1 + int_size
        value = int.from_bytes(raw, "little")
        return -value if sign else value

    def read_str() -> str:
        nonlocal pos
        length = read_int()
        if length < 0:
            return ""
        if pos + length > len(data):
            raise damaged
        text = data[pos : pos + length].decode("utf-8", errors="replace")
        pos += length
        return text

    if (vmaj, vmin) >= (1, 15):
        pos += 1  # compression algorithm
    else:
        read_int()  # compression level
    for _ in range(7):  # creation time: sec, min, hour, mday, mon, year, isdst
        read_int()
    dbname = read_str()
    return CustomHeader((vmaj, vmin, vrev), dbname, read_str(), read_str())


def _summary(kind: SourceKind, path: Path, facts: DumpFacts, tables: dict[str, int | None]) -> SourceSummary:
    return SourceSummary(
        kind=kind,
        path=path,
        source_schema=facts.source_schema,
        created_utc=None,
        tables=[TableSummary(name, rows, None) for name, rows in tables.items()],
        migrations=None,
        size_bytes=path.stat().st_size,
        tool_version=f"pg_dump {facts.dumped_by}" if facts.dumped_by else None,
    )


def has_data(summary: SourceSummary) -> bool:
    """Whether the file holds rows (None rows: the file has data whose count it does not say)."""
    return any(t.rows is None or t.rows > 0 for t in summary.tables)


class _PgDumpFile(LoadsInOneStep):
    """What both pg_dump sources share: a summary made when the file is read, nothing open between calls."""

    _summary: SourceSummary

    def summary(self) -> SourceSummary:
        return self._summary

    def close(self) -> None:
        """Nothing stays open between calls."""


class SqlDumpSource(_PgDumpFile):
    """A plain-SQL pg_dump of one schema."""

    def __init__(self, path: Path, cancel: CancelToken) -> None:
        self.path = Path(path)
        try:
            with open(self.path, "rb") as handle:
                self.facts = scan_dump(handle, cancel)
        except ArchiveError as exc:
            raise type(exc)(f"{self.path.name}: {exc.message}", exc.details) from None
        self._summary = _summary("sql", self.path, self.facts, self.facts.tables)

    def load_schema(
        self, conn: psycopg.Connection, staging: str, progress: LoadProgress, cancel: CancelToken
    ) -> LoadResult:
        total = max(self._summary.size_bytes, 1)
        with open(self.path, "rb") as handle:
            reader = ScriptReader(handle)
            return execute_dump(
                conn, reader, staging, lambda: progress(min(reader.bytes_read / total, 1.0), ""), cancel, self.path.name
            )


class CustomDumpSource(_PgDumpFile):
    """A custom-format pg_dump of one schema, read through pg_restore."""

    def __init__(self, path: Path, cancel: CancelToken, extra_dirs: Sequence[Path | str] | None = None) -> None:
        self.path = Path(path)
        self.header = read_custom_header(self.path)
        self.tool = pg_restore_for(self.header, self.path.name, extra_dirs)
        listing = _run_pg_restore(self.tool, ["--list", str(self.path)], self.path.name)
        self.entries = [ln for ln in listing.splitlines() if ln.strip() and not ln.startswith(";")]
        self.facts = self.scan(["--schema-only"], cancel)
        with_data = {_data_entry_table(ln, self.facts.source_schema) for ln in self.entries} - {None}
        tables: dict[str, int | None] = {t: (None if t in with_data else 0) for t in self.facts.tables}
        self._summary = _summary("pg_dump-custom", self.path, self.facts, tables)

    def scan(self, args: list[str], cancel: CancelToken) -> DumpFacts:
        """pg_restore's SQL for the file (`args` choose the part), read and checked as a restore would."""
        with PgRestoreStream(self.tool, self.path, args) as stream:
            try:
                facts = scan_dump(stream.stdout, cancel)
            except ArchiveError as exc:
                raise type(exc)(f"{self.path.name}: {exc.message}", exc.details) from None
            stream.finish()
        return facts

    def load_schema(
        self, conn: psycopg.Connection, staging: str, progress: LoadProgress, cancel: CancelToken
    ) -> LoadResult:
        total = max(len(self.entries), 1)
        with PgRestoreStream(self.tool, self.path, []) as stream:
            reader = ScriptReader(stream.stdout)
            result = execute_dump(
                conn,
                reader,
                staging,
                lambda: progress(min(reader.comments.toc_entries / total, 1.0), ""),
                cancel,
                self.path.name,
            )
            stream.finish()
        return result


def _data_entry_table(line: str, schema: str) -> str | None:
    """The table of a `pg_restore --list` line `ID; OID OID TABLE DATA <schema> <table> <owner>`."""
    marker = f" TABLE DATA {schema} "
    at = line.find(marker)
    if at < 0:
        return None
    return line[at + len(marker) :].rsplit(" ", 1)[0]


def pg_restore_for(header: CustomHeader, name: str, extra_dirs: Sequence[Path | str] | None = None) -> ClientTool:
    """A pg_restore at least as new as the pg_dump that wrote the file (older ones cannot read it)."""
    return choose_tool(
        "pg_restore",
        header.pg_dump_major,
        find_tools("pg_restore", extra_dirs),
        why=f"{name} was written by pg_dump {header.pg_dump_version}",
    )


def _run_pg_restore(tool: ClientTool, args: list[str], name: str) -> str:
    try:
        done = subprocess.run(
            [str(tool.path), *args],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=600,
            check=False,
            creationflags=NO_CONSOLE_WINDOW,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ArchiveError(f"{tool.describe()} could not read {name}: {exc}") from None
    if done.returncode != 0:
        raise _pg_restore_error(tool, name, done.stderr.decode("utf-8", errors="replace"))
    return done.stdout.decode("latin-1")


def _pg_restore_error(tool: ClientTool, name: str, stderr: str) -> ArchiveError:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error:" in ln] or lines
    first = errors[0].split("error:", 1)[-1].strip() if errors else "it stopped with an error"
    return ArchiveError(
        f"{name} cannot be read in full by pg_restore (damaged or truncated): {first}.", f"{tool.describe()}\n{stderr}"
    )


class PgRestoreStream:
    """`pg_restore -f - FILE` as a stream of lines; stderr is collected on a thread so the pipe never fills."""

    def __init__(self, tool: ClientTool, path: Path, args: list[str]) -> None:
        self.tool = tool
        self.path = path
        self.proc = subprocess.Popen(
            [str(tool.path), *args, "-f", "-", str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            creationflags=NO_CONSOLE_WINDOW,
        )
        self._stderr: list[bytes] = []
        self._thread = threading.Thread(target=self._collect, daemon=True)
        self._thread.start()

    def _collect(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._stderr.append(line)

    @property
    def stdout(self) -> IO[bytes]:
        assert self.proc.stdout is not None
        return self.proc.stdout

    def finish(self) -> None:
        """Wait for pg_restore; an ArchiveError when it failed (a truncated or damaged file)."""
        self.stdout.read()
        code = self.proc.wait()
        self._thread.join()
        if code != 0:
            raise _pg_restore_error(self.tool, self.path.name, b"".join(self._stderr).decode("utf-8", "replace"))

    def __enter__(self) -> PgRestoreStream:
        return self

    def __exit__(self, *_: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.stdout.close()


def execute_dump(
    conn: psycopg.Connection,
    reader: ScriptReader,
    staging: str,
    tick: Callable[[], None],
    cancel: CancelToken,
    name: str,
) -> LoadResult:
    """Run a dump's statements, checked and rewritten into `staging`, one at a time on `conn` (inside the
    caller's transaction); a statement that may not run stops the load before it is sent."""
    try:
        return _execute(conn, reader, staging, tick, cancel, name)
    except ArchiveError as exc:  # a statement refused while loading (a custom file's data part), or damage
        raise type(exc)(f"{name}: {exc.message}", exc.details) from None


def _execute(
    conn: psycopg.Connection,
    reader: ScriptReader,
    staging: str,
    tick: Callable[[], None],
    cancel: CancelToken,
    name: str,
) -> LoadResult:
    result = LoadResult()
    encoding = conn.info.encoding
    prepare_session(conn)
    for step in read_dump(reader, DumpGate(staging)):
        if cancel is not None:
            cancel.raise_if_cancelled()
        statement = step.decision.statement
        if statement is None:
            continue
        try:
            if step.rows is not None:
                with conn.cursor() as cur:
                    # COPY goes through psycopg's simple protocol: its text is pglast's printing of one
                    # checked COPY ... FROM STDIN, proven to parse back as exactly that one statement.
                    with cur.copy(statement.text.encode(encoding)) as copy:
                        for chunk in _recoded(step.rows, step.codec, encoding):
                            copy.write(chunk)
                    result.rows += max(cur.rowcount, 0)
                result.tables += 1
            else:
                execute_checked(conn, statement)
        except psycopg.errors.QueryCanceled:
            raise
        except psycopg.Error as exc:
            raise RestoreFailed(
                f"Line {statement.line} of {name} failed: {first_line(exc)} ({excerpt(statement.text)}).", str(exc)
            ) from None
        tick()
    if not reader.comments.trailer_seen:
        raise ArchiveError("The file is incomplete: it ends before pg_dump's closing line (truncated).")
    return result


def _recoded(blocks: Iterator[bytes], codec: str, encoding: str) -> Iterator[bytes]:
    """COPY data in the connection's encoding; blocks may split a character, so decode incrementally."""
    if codecs.lookup(codec).name == codecs.lookup(encoding).name:
        yield from blocks
        return
    decoder = codecs.getincrementaldecoder(codec)()
    for block in blocks:
        yield decoder.decode(block).encode(encoding)
    yield decoder.decode(b"", final=True).encode(encoding)


def open_pgdump_source(
    path: Path, cancel: CancelToken, extra_dirs: Sequence[Path | str] | None = None
) -> SqlDumpSource | CustomDumpSource | None:
    """The source for a pg_dump file, or None when the file is not one (the native source's turn)."""
    kind = sniff_kind(Path(path))
    if kind == "custom":
        return CustomDumpSource(Path(path), cancel, extra_dirs)
    if kind == "sql":
        return SqlDumpSource(Path(path), cancel)
    return None


def verify_pgdump(
    path: Path, cancel: CancelToken, extra_dirs: Sequence[Path | str] | None = None
) -> SourceSummary | None:
    """Check a pg_dump file in full without a database; None when it is not a pg_dump file.

    Either kind must be a complete pg_dump output of one schema whose every
    statement passes the checks a restore applies; a custom file must also list
    (`pg_restore --list`) and read in full through pg_restore.
    """
    source = open_pgdump_source(Path(path), cancel, extra_dirs)
    if isinstance(source, CustomDumpSource):
        facts = source.scan([], cancel)  # every statement, the data part's too, checked; and the file read in full
        return _summary("pg_dump-custom", source.path, facts, facts.tables)
    return source.summary() if source is not None else None

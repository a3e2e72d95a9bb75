"""The native archive as a restore source (the interface: app/engine/sources/source.py): its schema parts checked
when it is opened, then each table's rows, keys and indexes a unit of its own, the rest at the end."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from app.engine.archive.container import (
    MAX_SCHEMA_BYTES,
    POST_DATA_MEMBER,
    PRE_DATA_MEMBER,
    ArchiveReader,
    split_statements,
)
from app.engine.archive.manifest import TableEntry
from app.engine.archive.table_data import table_rows
from app.engine.errors import ArchiveError, RestoreFailed, first_line
from app.engine.jobs import CancelToken
from app.engine.safety.sql_gate.native import check_native
from app.engine.safety.sql_gate.sending import execute_checked
from app.engine.safety.sql_gate.verdict import CheckedStatement
from app.engine.sources.archive_statements import is_gin, plain_table_created, words
from app.engine.sources.source import (
    BeforeBuilds,
    LoadedBytes,
    LoadProgress,
    LoadResult,
    SourceSummary,
    TableLoad,
    TableSummary,
    staging_path,
)

_PIPELINE_BATCH = 100  # file statements sent before waiting for their results (cancel is checked between batches)
# Post-data blocks built with their table's rows (by the connection that loads it); every other block runs
# once all tables are loaded: it may touch several tables.
_WITH_ROWS = frozenset({"constraint", "index"})
# A GIN index builds with less memory than the load's other builds: its build accumulates entries in a tree that
# gets slower as it grows (150,000 jsonb notes: 3.5-4.3 s at 32-128 MB, 4.3-6.2 s at 256 MB, 5.0-7.2 s at the
# load's 512 MB, one core). None: the load's setting for every build.
GIN_MAINTENANCE_MEM: str | None = "64MB"


class NativeArchiveSource:
    """A Resguardo native archive (docs/archive-format.md).

    Every statement of its schema parts is parsed and checked when the file is opened, so a file that
    would be refused is refused before anything runs; rows are streamed and stopped at the first byte or
    row more than the manifest declares.
    """

    def __init__(self, path: Path) -> None:
        self.reader = ArchiveReader(path)
        self.manifest = self.reader.manifest
        try:
            self._pre = self._checked(PRE_DATA_MEMBER)
            self._post = self._checked(POST_DATA_MEMBER)
        except BaseException:
            self.reader.close()
            raise
        self._summary = self._summarise()
        self._reading = threading.Lock()  # two connections load at once; the tar file has one position
        self._catalog = threading.Lock()
        self._plain: frozenset[str] | None = None
        self._builds: dict[str, list[CheckedStatement]] = {}  # table -> its keys and indexes, in file order
        for statement in self._post:
            if statement.table is not None:
                self._builds.setdefault(statement.table, []).append(statement)
        self._created_with_rows = self._tables_nothing_else_names()
        self._deferred = [s for s in self._pre if s.needs_superuser]  # known from the start (loads_in_one_step)

    def _summarise(self) -> SourceSummary:
        m = self.manifest
        search_paths = m.raw.get("search_paths", [])
        return SourceSummary(
            kind="native",
            path=self.reader.path,
            source_schema=m.source_schema,
            created_utc=m.created_utc,
            tables=[TableSummary(t.name, t.rows, t.bytes) for t in m.tables],
            migrations=list(m.migrations) if m.migrations is not None else None,
            size_bytes=m.total_bytes,
            tool_version=f"Resguardo {m.program_version}",
            schema_owner=m.schema_owner,
            privileges=list(m.privileges),
            search_paths=search_paths if isinstance(search_paths, list) else [],
        )

    def summary(self) -> SourceSummary:
        return self._summary

    def close(self) -> None:
        self.reader.close()

    def load_schema(
        self, conn: psycopg.Connection, staging: str, progress: LoadProgress, cancel: CancelToken
    ) -> LoadResult:
        self._deferred = [s for s in self._pre if s.needs_superuser]
        later = {id(s) for s in self._created_with_rows.values()}
        self._run(conn, staging, [s for s in self._pre if not s.needs_superuser and id(s) not in later], cancel)
        return LoadResult(tables=len(self.manifest.tables))

    def _tables_nothing_else_names(self) -> dict[str, CheckedStatement]:
        """Tables whose CREATE TABLE can wait for their rows, in their own table load: plain tables (no parent, no
        partitions, no foreign key written inline) whose name no other statement of the schema or of another
        table's build mentions. Created in the load's transaction, they take COPY FREEZE without the TRUNCATE
        (a new file for the table, its TOAST table and index: about 1 ms each) and are created on both connections
        at once. Read conservatively (any word equal to the name counts): a table held back runs as before."""
        names = {t.name for t in self.manifest.tables}
        creates: dict[str, CheckedStatement] = {}
        for statement in self._pre:
            if statement.kind == "CreateStmt" and not statement.needs_superuser:
                name = plain_table_created(statement.text)
                if name is not None and name in names and name not in creates:
                    creates[name] = statement
        mentioned: set[str] = set()
        for statement in [*self._pre, *(s for s in self._post if s.table is not None)]:
            for name in words(statement.text) & creates.keys():
                if statement is not creates[name] and statement.table != name:
                    mentioned.add(name)
        return {name: statement for name, statement in creates.items() if name not in mentioned}

    def superuser_statements(self) -> list[CheckedStatement]:
        return self._deferred

    def table_loads(self) -> list[TableLoad]:
        """Largest first, so the two connections end close together."""
        entries = sorted(self.manifest.tables, key=lambda e: e.bytes, reverse=True)
        return [TableLoad(e.name, e.bytes, self._table_runner(e)) for e in entries]

    def finish(self, conn: psycopg.Connection, staging: str, cancel: CancelToken) -> None:
        names = {t.name for t in self.manifest.tables}
        self._run(conn, staging, [s for s in self._post if s.table not in names], cancel)
        sequences = self.manifest.sequences
        if sequences:  # one statement for all: a round trip per sequence cost more than the setval itself
            conn.execute(
                "SELECT setval(s.name::regclass, s.value, s.called)"
                " FROM ROWS FROM (unnest(%s::text[]), unnest(%s::bigint[]), unnest(%s::bool[]))"
                " AS s(name, value, called)",
                [
                    [sql.Identifier(staging, s.name).as_string(conn) for s in sequences],
                    [s.last_value for s in sequences],
                    [s.is_called for s in sequences],
                ],
            )

    def _checked(self, member: str) -> list[CheckedStatement]:
        checked = []
        for line, label, text in split_statements(self._part_text(member)):
            statement = check_native(text, line=line, label=label)
            if statement is not None and statement.table is not None and label.split(" ", 1)[0] not in _WITH_ROWS:
                statement = replace(statement, table=None)  # e.g. an inherited check recurses into other tables
            if statement is not None:
                checked.append(statement)
        return checked

    def _table_runner(
        self, entry: TableEntry
    ) -> Callable[[psycopg.Connection, str, LoadedBytes, CancelToken, BeforeBuilds], int]:
        def run(
            conn: psycopg.Connection,
            staging: str,
            loaded: LoadedBytes,
            cancel: CancelToken,
            before_builds: BeforeBuilds,
        ) -> int:
            # Under the staging schema's search path, which the caller set for all its table loads (TableLoad):
            # Resguardo's own statements here name no function, type or operator but qualified ones.
            # COPY FREEZE is legal on a table created or truncated in this transaction.
            create = self._created_with_rows.get(entry.name)
            freeze = create is not None or entry.name in self._plain_tables(conn, staging)
            builds = self._builds.get(entry.name, [])
            if create is not None:
                self._run_each(conn, [create], cancel)
            elif freeze:
                conn.execute(sql.SQL("TRUNCATE ONLY {}").format(sql.Identifier(staging, entry.name)))
            rows = self._copy_table(conn, staging, entry, loaded, cancel, freeze=freeze)
            if builds:
                before_builds(conn)
                self._build(conn, builds, cancel)
            return rows

        return run

    def _build(self, conn: psycopg.Connection, builds: list[CheckedStatement], cancel: CancelToken) -> None:
        """A table's keys and indexes in file order, its GIN indexes with GIN_MAINTENANCE_MEM (under the staging
        schema's search path: every function qualified)."""
        start = 0
        for end in [i for i, b in enumerate(builds) if is_gin(b)] + [len(builds)]:
            self._run_each(conn, builds[start:end], cancel)
            if end == len(builds):
                return
            if GIN_MAINTENANCE_MEM is None:
                self._run_each(conn, [builds[end]], cancel)
            else:
                row = conn.execute(
                    "SELECT pg_catalog.current_setting('maintenance_work_mem'),"
                    " pg_catalog.set_config('maintenance_work_mem', %s, true)",
                    [GIN_MAINTENANCE_MEM],
                ).fetchone()
                self._run_each(conn, [builds[end]], cancel)
                conn.execute("SELECT pg_catalog.set_config('maintenance_work_mem', %s, true)", [row[0] if row else ""])
            start = end + 1

    def _plain_tables(self, conn: psycopg.Connection, staging: str) -> frozenset[str]:
        """The staging schema's plain tables (COPY FREEZE refuses partitioned ones), read once, not per table
        (read under the staging schema's search path: every name and operator qualified)."""
        with self._catalog:
            if self._plain is None:
                self._plain = frozenset(
                    r[0]
                    for r in conn.execute(
                        "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
                        " ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
                        " WHERE n.nspname OPERATOR(pg_catalog.=) %s::pg_catalog.name"
                        " AND c.relkind OPERATOR(pg_catalog.=) 'r'::pg_catalog.\"char\"",
                        [staging],
                    ).fetchall()
                )
            return self._plain

    def _run(
        self, conn: psycopg.Connection, staging: str, statements: list[CheckedStatement], cancel: CancelToken
    ) -> None:
        if not statements:
            return
        with staging_path(conn, staging):
            self._run_each(conn, statements, cancel)

    def _run_each(self, conn: psycopg.Connection, statements: list[CheckedStatement], cancel: CancelToken) -> None:
        """In a pipeline, a batch at a time: the server runs each statement on its own (one per message, as
        always), while the next ones are already on their way (a round trip each took a third of a load of
        small tables). The first failure stops the batch; its statement is the first that got no result."""
        for start in range(0, len(statements), _PIPELINE_BATCH):
            if cancel is not None:
                cancel.raise_if_cancelled()
            batch = statements[start : start + _PIPELINE_BATCH]
            sent: list[psycopg.Cursor[Any]] = []
            try:
                with conn.pipeline():
                    for statement in batch:
                        sent.append(execute_checked(conn, statement))
            except psycopg.errors.QueryCanceled:
                raise
            except psycopg.Error as exc:
                failed = batch[min(sum(1 for cur in sent if cur.pgresult is not None), len(batch) - 1)]
                raise RestoreFailed(
                    f"The archive's statement at line {failed.line} ({failed.kind}) could "
                    f"not be run: {first_line(exc)}.",
                    str(exc),
                ) from None

    def _part_text(self, member: str) -> str:
        expected = self.manifest.parts.get(member)
        if expected is None:
            raise ArchiveError(f"{self.reader.path.name} is damaged: the manifest does not list the part {member}.")
        data = self.reader.read_bytes(member, MAX_SCHEMA_BYTES)
        if len(data) != expected.bytes or hashlib.sha256(data).hexdigest() != expected.sha256:
            raise ArchiveError(f"{self.reader.path.name} is damaged: {member} does not match its checksum.")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ArchiveError(f"{self.reader.path.name} is damaged: {member} is not text.") from None

    def _copy_table(
        self,
        conn: psycopg.Connection,
        staging: str,
        entry: TableEntry,
        loaded: LoadedBytes,
        cancel: CancelToken,
        *,
        freeze: bool,
    ) -> int:
        """Stream the rows through the reader verify uses (app/engine/archive/table_data.py): the same checks."""
        name = entry.name
        columns = sql.SQL(", ").join(sql.Identifier(c) for c in entry.columns)
        statement = sql.SQL("COPY {} ({}) FROM STDIN{}").format(
            sql.Identifier(staging, name), columns, sql.SQL(" (FREEZE)" if freeze else "")
        )
        try:
            with conn.cursor() as cur:
                with cur.copy(statement) as copy:
                    for chunk in table_rows(self.reader, entry, cancel, self._reading):
                        copy.write(chunk)
                        loaded(len(chunk))
                rows = cur.rowcount
        except psycopg.errors.QueryCanceled:
            raise
        except psycopg.Error as exc:
            first = first_line(exc)
            raise RestoreFailed(f"The rows of table {name} could not be loaded: {first}.", str(exc)) from None
        if rows != entry.rows:
            raise ArchiveError(
                f"{self.reader.path.name} is damaged: table {name} holds {rows:,} rows, its manifest says "
                f"{entry.rows:,}."
            )
        return rows

"""What a restore loads from: a pluggable source, so every file kind goes through the same safe path.

A source describes itself for the preview (`summary`) and loads a staging
schema in three steps, each inside a transaction of the restore's: the objects
(`load_schema`), then each table's rows and its own keys and indexes
(`table_loads`: independent units the restore spreads over two connections),
then the rest (`finish`: foreign keys, triggers, sequences...). A source that
streams one file and cannot split does everything in its first step and has
no table loads. A source never commits, never touches another schema on
purpose, and leaves owners, grants, superusers, isolation and the swap to the
restore (app/engine/restore.py). `open_restore_source` picks the source by the file's kind.
"""

from __future__ import annotations

import hashlib
import re
import threading
from contextlib import ExitStack
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

import psycopg
from psycopg import sql

from app.engine.archive import (
    POST_DATA_MEMBER, PRE_DATA_MEMBER, ArchiveReader, split_statements,
)
from app.engine.connection import ConnectionTarget
from app.engine.errors import ArchiveError, RestoreFailed, first_line
from app.engine.jobs import CancelToken

# Statement kinds the native load does not replay: owners and grants come from the
# manifest's structured list (app/engine/ownership.py), sequence values from its list.
_SKIPPED_KINDS = {"owner", "grant", "sequence-value"}

LoadProgress = Callable[[float, str], None]  # (fraction of the load done, detail)
LoadedBytes = Callable[[int], None]  # bytes of rows just loaded
_CHUNK = 1 << 20  # bytes of COPY text per write

# The table a post-data statement builds on, as schema_ddl.py writes them (quote_ident names).
_IDENT = r'(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)'
_TABLE_OF = {
    "constraint": re.compile(rf"ALTER TABLE ({_IDENT}) ADD CONSTRAINT {_IDENT} "),
    "index": re.compile(rf"CREATE (?:UNIQUE )?INDEX {_IDENT} ON (?:ONLY )?({_IDENT}) USING "),
}


@dataclass(frozen=True)
class TableSummary:
    name: str
    rows: int | None  # None when the file does not say
    bytes: int | None


@dataclass(frozen=True)
class SourceSummary:
    """What the preview shows about a file, whatever its kind."""

    kind: str  # "native", "sql" or "pg_dump-custom"
    path: Path
    source_schema: str | None
    created_utc: str | None
    tables: list[TableSummary]
    migrations: list[tuple[str, str]] | None  # django_migrations (app, name); None when unknown
    size_bytes: int  # bytes of rows to load
    tool_version: str | None  # program or pg_dump version that wrote the file
    schema_owner: str | None = None
    privileges: list[dict[str, Any]] | None = None  # manifest-style owners/ACLs; None when the file has none


@dataclass
class LoadResult:
    tables: int = 0
    rows: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TableLoad:
    """One table's rows, keys and indexes: touches no other table, so any connection may run it."""

    name: str
    bytes: int
    run: Callable[[psycopg.Connection, str, LoadedBytes, CancelToken | None], int]  # -> rows loaded


class RestoreSource(Protocol):
    def summary(self) -> SourceSummary: ...

    def load_schema(self, conn: psycopg.Connection, staging: str, progress: LoadProgress,
                    cancel: CancelToken | None) -> LoadResult: ...

    def table_loads(self) -> list[TableLoad]: ...

    def finish(self, conn: psycopg.Connection, staging: str, cancel: CancelToken | None) -> None: ...

    def close(self) -> None: ...


class LoadsInOneStep:
    """For a source that streams one file: `load_schema` loads everything, nothing is left to split."""

    def table_loads(self) -> list[TableLoad]:
        return []

    def finish(self, conn: psycopg.Connection, staging: str, cancel: CancelToken | None) -> None:
        """Nothing left after the first step."""


def open_restore_source(path: Path, target: ConnectionTarget | None = None,
                        tenant: str | None = None) -> RestoreSource:
    """The source for `path`, by its kind (app/engine/file_kind.py); ArchiveError when the file is not one we can
    restore. A Django dumpdata export is mapped onto the live `tenant`, read through `target`."""
    from app.engine.file_kind import DJANGO_JSON, sniff_file
    from app.engine.pgdump_source import open_pgdump_source  # .sql and custom-format pg_dump files

    kind = sniff_file(Path(path))
    if kind.kind == DJANGO_JSON:
        from app.engine.django_json_source import DjangoJsonSource

        return DjangoJsonSource(Path(path), kind.compression, target, tenant)
    return open_pgdump_source(Path(path)) or NativeArchiveSource(Path(path))


class NativeArchiveSource:
    """A Resguardo native archive (docs/archive-format.md)."""

    def __init__(self, path: Path) -> None:
        self.reader = ArchiveReader(path)
        self.manifest = self.reader.manifest
        self._summary = self._summarise()
        self._post: list[tuple[str, str]] | None = None
        self._reading = threading.Lock()  # two connections load at once; the tar file has one position

    def _summarise(self) -> SourceSummary:
        m = self.manifest
        try:
            tables = [TableSummary(str(t["name"]), int(t["rows"]), int(t["bytes"])) for t in m["tables"]]
            migrations = m.get("migrations")
            return SourceSummary(
                kind="native", path=self.reader.path, source_schema=str(m["source_schema"]),
                created_utc=m.get("created_utc"), tables=tables,
                migrations=[(str(a), str(n)) for a, n in migrations] if migrations is not None else None,
                size_bytes=sum(t.bytes or 0 for t in tables),
                tool_version=f"Resguardo {m.get('program_version', '?')}",
                schema_owner=m.get("schema_owner"), privileges=list(m.get("privileges", [])),
            )
        except (KeyError, TypeError, ValueError):
            self.reader.close()
            raise ArchiveError(f"{self.reader.path.name} is damaged: its manifest is incomplete.") from None

    def summary(self) -> SourceSummary:
        return self._summary

    def close(self) -> None:
        self.reader.close()

    def load_schema(self, conn: psycopg.Connection, staging: str, progress: LoadProgress,
                    cancel: CancelToken | None) -> LoadResult:
        self._replay(conn, split_statements(self._checked_part(PRE_DATA_MEMBER)), cancel)
        return LoadResult(tables=len(self.manifest["tables"]))

    def table_loads(self) -> list[TableLoad]:
        """Largest first, so the two connections end close together."""
        entries = sorted(self.manifest["tables"], key=lambda e: int(e["bytes"]), reverse=True)
        return [TableLoad(str(e["name"]), int(e["bytes"]), self._table_runner(e)) for e in entries]

    def finish(self, conn: psycopg.Connection, staging: str, cancel: CancelToken | None) -> None:
        names = {str(e["name"]) for e in self.manifest["tables"]}
        self._replay(conn, [s for s in self._post_data() if _table_of(s) not in names], cancel)
        for seq in self.manifest.get("sequences", []):
            conn.execute("SELECT pg_catalog.setval(%s::regclass, %s, %s)",
                         [sql.Identifier(staging, str(seq["name"])).as_string(conn), int(seq["last_value"]),
                          bool(seq["is_called"])])

    def _post_data(self) -> list[tuple[str, str]]:
        with self._reading:
            if self._post is None:
                self._post = split_statements(self._checked_part(POST_DATA_MEMBER))
            return self._post

    def _chunks(self, stream: IO[bytes]) -> Iterator[bytes]:
        while True:
            with self._reading:
                chunk = stream.read(_CHUNK)
            if not chunk:
                return
            yield chunk

    def _table_runner(self, entry: dict[str, Any]):  # type: ignore[no-untyped-def]
        name = str(entry["name"])

        def run(conn: psycopg.Connection, staging: str, loaded: LoadedBytes, cancel: CancelToken | None) -> int:
            # TRUNCATE makes COPY FREEZE legal in this transaction (the table was created in an earlier one).
            freeze = _is_plain_table(conn, staging, name)
            if freeze:
                conn.execute(sql.SQL("TRUNCATE ONLY {}").format(sql.Identifier(staging, name)))
            rows = self._copy_table(conn, staging, entry, loaded, cancel, freeze=freeze)
            self._replay(conn, [s for s in self._post_data() if _table_of(s) == name], cancel)
            return rows

        return run

    def _replay(self, conn: psycopg.Connection, statements: list[tuple[str, str]], cancel: CancelToken | None) -> None:
        for label, statement in statements:
            if label.split(" ", 1)[0] in _SKIPPED_KINDS:
                continue
            if cancel is not None:
                cancel.raise_if_cancelled()
            try:
                conn.execute(statement.encode())  # bytes: no client-side placeholder parsing
            except psycopg.errors.QueryCanceled:
                raise
            except psycopg.Error as exc:
                first = first_line(exc)
                raise RestoreFailed(
                    f"The archive's {label} could not be created: {first}; nothing was changed.", str(exc)
                ) from None

    def _checked_part(self, member: str) -> str:
        data = self.reader.read_bytes(member)
        expected = self.manifest.get("parts", {}).get(member, {})
        if expected.get("sha256") and hashlib.sha256(data).hexdigest() != expected["sha256"]:
            raise ArchiveError(f"{self.reader.path.name} is damaged: {member} does not match its checksum.")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ArchiveError(f"{self.reader.path.name} is damaged: {member} is not text.") from None

    def _copy_table(self, conn: psycopg.Connection, staging: str, entry: dict[str, Any], loaded: LoadedBytes,
                    cancel: CancelToken | None, *, freeze: bool) -> int:
        name = str(entry["name"])
        columns = sql.SQL(", ").join(sql.Identifier(str(c["name"])) for c in entry["columns"])
        statement = sql.SQL("COPY {} ({}) FROM STDIN{}").format(
            sql.Identifier(staging, name), columns, sql.SQL(" (FREEZE)" if freeze else ""))
        digest = hashlib.sha256()
        size = 0
        damaged = ArchiveError(f"{self.reader.path.name} is damaged: the rows of table {name} cannot be read; "
                               "nothing was changed.")
        try:
            with conn.cursor() as cur, ExitStack() as opened:
                with self._reading:
                    stream = opened.enter_context(self.reader.open_table_data(str(entry["member"])))
                with cur.copy(statement) as copy:
                    try:
                        for chunk in self._chunks(stream):
                            if cancel is not None:
                                cancel.raise_if_cancelled()
                            digest.update(chunk)
                            size += len(chunk)
                            copy.write(chunk)
                            loaded(len(chunk))
                    except (OSError, EOFError, ValueError) as exc:  # zstd or tar damage
                        raise damaged from exc
                    if size != int(entry["bytes"]) or digest.hexdigest() != entry["sha256"]:
                        raise ArchiveError(
                            f"{self.reader.path.name} is damaged: the rows of table {name} do not match their "
                            "checksum; nothing was changed.")
                rows = cur.rowcount
        except psycopg.errors.QueryCanceled:
            raise
        except psycopg.Error as exc:
            first = first_line(exc)
            raise RestoreFailed(f"The rows of table {name} could not be loaded: {first}; nothing was changed.",
                                str(exc)) from None
        if rows != int(entry["rows"]):
            raise ArchiveError(f"{self.reader.path.name} is damaged: table {name} holds {rows} rows, its manifest "
                               f"says {entry['rows']}; nothing was changed.")
        return rows


def _is_plain_table(conn: psycopg.Connection, staging: str, table: str) -> bool:
    """Plain tables take COPY FREEZE: rows land frozen on all-visible pages, so the restored tenant's
    first readers (and autovacuum) do not rewrite every page to set hint bits. Partitioned tables refuse it."""
    row = conn.execute(
        "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relname = %s", [staging, table]).fetchone()
    return row is not None and row[0] == "r"


def _table_of(statement: tuple[str, str]) -> str | None:
    """The table whose key or index `statement` builds (so it runs with that table's rows); else None."""
    label, text = statement
    pattern = _TABLE_OF.get(label.split(" ", 1)[0])
    found = pattern.match(text) if pattern is not None else None
    if found is None:
        return None
    name = found.group(1)
    return name[1:-1].replace('""', '"') if name.startswith('"') else name

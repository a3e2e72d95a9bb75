"""What a restore loads from: a pluggable source, so every file kind goes through the same safe path.

A source describes itself for the preview (`summary`) and loads its objects
and rows into a staging schema (`load`) inside the restore's transaction; it
never commits, never touches another schema on purpose, and leaves owners,
grants, superusers, isolation and the swap to the restore (app/engine/restore.py).
`open_restore_source` picks the source by the file's kind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg import sql

from app.engine.archive import (
    POST_DATA_MEMBER, PRE_DATA_MEMBER, ArchiveReader, iter_chunks, split_statements,
)
from app.engine.errors import ArchiveError, RestoreFailed
from app.engine.jobs import CancelToken

# Statement kinds the native load does not replay: owners and grants come from the
# manifest's structured list (app/engine/ownership.py), sequence values from its list.
_SKIPPED_KINDS = {"owner", "grant", "sequence-value"}

LoadProgress = Callable[[float, str], None]  # (fraction of the load done, detail)


@dataclass(frozen=True)
class TableSummary:
    name: str
    rows: int | None  # None when the file does not say
    bytes: int | None


@dataclass(frozen=True)
class SourceSummary:
    """What the preview shows about a file, whatever its kind."""

    kind: str  # "native", later "sql", "pg_dump-custom"
    path: Path
    source_schema: str | None
    created_utc: str | None
    tables: list[TableSummary]
    migrations: list[tuple[str, str]] | None  # django_migrations (app, name); None when unknown
    size_bytes: int  # bytes of rows to load
    tool_version: str | None  # program or pg_dump version that wrote the file
    schema_owner: str | None = None
    tenant: dict[str, Any] | None = None
    privileges: list[dict[str, Any]] | None = None  # manifest-style owners/ACLs; None when the file has none


@dataclass
class LoadResult:
    tables: int = 0
    rows: int = 0
    warnings: list[str] = field(default_factory=list)


class RestoreSource(Protocol):
    def summary(self) -> SourceSummary: ...

    def load(self, conn: psycopg.Connection, staging: str, progress: LoadProgress,
             cancel: CancelToken | None) -> LoadResult: ...

    def close(self) -> None: ...


def open_restore_source(path: Path) -> RestoreSource:
    """The source for `path`, by its kind; ArchiveError when the file is not one we can restore."""
    from app.engine.pgdump_source import open_pgdump_source  # .sql and custom-format pg_dump files

    return open_pgdump_source(Path(path)) or NativeArchiveSource(Path(path))


class NativeArchiveSource:
    """A Resguardo native archive (docs/archive-format.md)."""

    def __init__(self, path: Path) -> None:
        self.reader = ArchiveReader(path)
        self.manifest = self.reader.manifest
        self._summary = self._summarise()

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
                schema_owner=m.get("schema_owner"), tenant=m.get("tenant"), privileges=list(m.get("privileges", [])),
            )
        except (KeyError, TypeError, ValueError):
            self.reader.close()
            raise ArchiveError(f"{self.reader.path.name} is damaged: its manifest is incomplete.") from None

    def summary(self) -> SourceSummary:
        return self._summary

    def close(self) -> None:
        self.reader.close()

    def load(self, conn: psycopg.Connection, staging: str, progress: LoadProgress,
             cancel: CancelToken | None) -> LoadResult:
        total = max(self._summary.size_bytes, 1)
        done = 0
        result = LoadResult()
        self._replay(conn, PRE_DATA_MEMBER, cancel)
        freezable = _freezable_tables(conn, staging)
        for entry in self.manifest["tables"]:
            if cancel is not None:
                cancel.raise_if_cancelled()
            progress(done / total, str(entry["name"]))
            rows = self._copy_table(conn, staging, entry, cancel, freeze=str(entry["name"]) in freezable)
            done += int(entry["bytes"])
            result.tables += 1
            result.rows += rows
        progress(1.0, "")
        self._replay(conn, POST_DATA_MEMBER, cancel)
        for seq in self.manifest.get("sequences", []):
            conn.execute("SELECT pg_catalog.setval(%s::regclass, %s, %s)",
                         [sql.Identifier(staging, str(seq["name"])).as_string(conn), int(seq["last_value"]),
                          bool(seq["is_called"])])
        return result

    def _replay(self, conn: psycopg.Connection, member: str, cancel: CancelToken | None) -> None:
        script = self._checked_part(member)
        for label, statement in split_statements(script):
            if label.split(" ", 1)[0] in _SKIPPED_KINDS:
                continue
            if cancel is not None:
                cancel.raise_if_cancelled()
            try:
                conn.execute(statement.encode())  # bytes: no client-side placeholder parsing
            except psycopg.errors.QueryCanceled:
                raise
            except psycopg.Error as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
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

    def _copy_table(self, conn: psycopg.Connection, staging: str, entry: dict[str, Any],
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
            with conn.cursor() as cur:
                with cur.copy(statement) as copy, self.reader.open_table_data(str(entry["member"])) as stream:
                    try:
                        for chunk in iter_chunks(stream):
                            if cancel is not None:
                                cancel.raise_if_cancelled()
                            digest.update(chunk)
                            size += len(chunk)
                            copy.write(chunk)
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
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise RestoreFailed(f"The rows of table {name} could not be loaded: {first}; nothing was changed.",
                                str(exc)) from None
        if rows != int(entry["rows"]):
            raise ArchiveError(f"{self.reader.path.name} is damaged: table {name} holds {rows} rows, its manifest "
                               f"says {entry['rows']}; nothing was changed.")
        return rows


def _freezable_tables(conn: psycopg.Connection, staging: str) -> set[str]:
    """Plain tables of the staging schema: this transaction created them, so COPY FREEZE is legal.

    Frozen rows on all-visible pages: the restored tenant's first readers (and autovacuum)
    do not rewrite every page to set hint bits. Partitioned tables refuse FREEZE.
    """
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind = 'r'", [staging]).fetchall()
    return {str(name) for (name,) in rows}

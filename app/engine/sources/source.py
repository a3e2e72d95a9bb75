"""What a restore loads from: a pluggable source, so every file kind goes through the same safe path.

A source describes itself for the preview (`summary`) and loads a staging
schema in three steps, each inside a transaction of the restore's: the objects
(`load_schema`), then each table's rows and its own keys and indexes
(`table_loads`: independent units the restore spreads over two connections),
then the rest (`finish`: foreign keys, triggers, sequences...). A source that
streams one file and cannot split does everything in its first step and has
no table loads. A source never commits, never touches another schema on
purpose, and leaves owners, grants, superusers, isolation and the swap to the
restore (app/engine/restore/restore.py). `open_restore_source` (app/engine/restore/sources.py) picks the
source by the file's kind; the native archive's is app/engine/sources/native.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import psycopg
from psycopg import sql

from app.engine.jobs import CancelToken
from app.engine.safety.sql_gate.verdict import CheckedStatement

LoadProgress = Callable[[float, str], None]  # (fraction of the load done, detail)
LoadedBytes = Callable[[int], None]  # bytes of rows just loaded
BeforeBuilds = Callable[[psycopg.Connection], None]  # called on a table load's connection before its keys and indexes


SourceKind = Literal["native", "sql", "pg_dump-custom", "django-json"]


@dataclass(frozen=True)
class TableSummary:
    name: str
    rows: int | None  # None when the file does not say
    bytes: int | None


@dataclass(frozen=True)
class SourceSummary:
    """What the preview shows about a file, whatever its kind."""

    kind: SourceKind  # what the preview names: Resguardo's format, or which of pg_dump's, or dumpdata's
    path: Path
    source_schema: str | None
    created_utc: str | None
    tables: list[TableSummary]
    migrations: list[tuple[str, str]] | None  # django_migrations (app, name); None when unknown
    size_bytes: int  # bytes of rows to load
    tool_version: str | None  # program or pg_dump version that wrote the file
    schema_owner: str | None = None
    privileges: list[dict[str, Any]] | None = None  # manifest-style owners/ACLs; None when the file has none
    search_paths: list[Any] | None = None  # native archives: routines whose search_path names the schema


@dataclass
class LoadResult:
    tables: int = 0
    rows: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TableLoad:
    """One table's rows, keys and indexes: touches no other table, so any connection may run it. `run` runs under
    the staging schema's search path (`staging_path`), which its caller sets once for all the loads of its step
    (a switch costs a round trip each way)."""

    name: str
    bytes: int
    run: Callable[[psycopg.Connection, str, LoadedBytes, CancelToken, BeforeBuilds], int]  # -> rows loaded


class RestoreSource(Protocol):
    def summary(self) -> SourceSummary: ...

    def load_schema(
        self, conn: psycopg.Connection, staging: str, progress: LoadProgress, cancel: CancelToken
    ) -> LoadResult: ...

    def table_loads(self) -> list[TableLoad]: ...

    def finish(self, conn: psycopg.Connection, staging: str, cancel: CancelToken) -> None: ...

    def superuser_statements(self) -> list[CheckedStatement]:
        """DDL that only a superuser may run (operator classes), checked; the restore runs it on its own
        session after `load_schema`, never the file's session. Empty for most files."""
        ...

    def close(self) -> None: ...


@contextmanager
def staging_path(conn: psycopg.Connection, staging: str) -> Iterator[None]:
    """A file's statements resolve their unqualified names in the staging schema; Resguardo's own SQL, before
    and after, resolves only in pg_catalog (a tenant's operators are never chosen for it)."""
    conn.execute("SELECT set_config('search_path', %s, true)", [sql.Identifier(staging).as_string(conn)])
    try:
        yield
    finally:
        if conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS:
            conn.execute("SELECT set_config('search_path', 'pg_catalog, pg_temp', true)")


class LoadsInOneStep:
    """For a source that streams one file: `load_schema` loads everything, nothing is left to split."""

    def table_loads(self) -> list[TableLoad]:
        return []

    def finish(self, conn: psycopg.Connection, staging: str, cancel: CancelToken) -> None:
        """Nothing left after the first step."""

    def superuser_statements(self) -> list[CheckedStatement]:
        return []

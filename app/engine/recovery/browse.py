"""Browsing a native backup before recovering rows from it: its tables, a table's rows, and what was deleted since.

What the window's "Recover records…" shows while the user looks for the rows to bring back. Every read is
bounded: a table's rows are streamed through the one checked reader (app/engine/archive/table_data.py) and
only the first `limit` matching rows are kept, however large the table; nothing is shown before the table
has been read to its end and passed its checksum. "Deleted since the backup" is the comparison's own
machinery (app/engine/comparison/) on one table: the backup's rows sorted by the live key (on disk past a
bound), merged with the live keys in one read-only snapshot, the rows only in the backup kept, up to `limit`.
Nothing here writes to the database or the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import psycopg

from app.engine.archive.container import ArchiveReader
from app.engine.archive.manifest import TableEntry
from app.engine.backup.preflight import check_tenant_name, check_tenant_schema
from app.engine.comparison.compare import comparison_failed
from app.engine.comparison.copy_text import NULL, BadRow, Key, key_reader, unescape
from app.engine.comparison.live import LiveTable, begin_snapshot, copy_query, lock_live_tables
from app.engine.comparison.model_name import ModelName
from app.engine.comparison.names import table_names
from app.engine.comparison.sorting import RUN_BYTES, RunSorter
from app.engine.connection import ConnectionTarget
from app.engine.copy_stream import copy_out
from app.engine.encryption.workspace import private_folder
from app.engine.errors import ArchiveError, ConnectionFailed, PreflightError, ResguardoError, first_line
from app.engine.inspection.file_kind import NATIVE, sniff_file
from app.engine.jobs import CancelToken, ProgressCallback, ProgressReporter, ignore_progress
from app.engine.recovery.archive_rows import rows_of

ROWS_SHOWN = 200  # rows a page holds by default: enough to pick from, small enough for any window
_CHUNK = 1 << 20

Value = str | None  # a field's text as PostgreSQL prints it; None for NULL


@dataclass(frozen=True)
class BackupTable:
    name: str
    model: ModelName | None  # what its rows are, as Django names them, when the clinic says
    rows: int
    columns: tuple[str, ...]
    key: tuple[str, ...]  # the live table's key, when the backup holds its columns; () when rows cannot be picked

    @property
    def can_pick(self) -> bool:
        return bool(self.key)

    @property
    def words(self) -> str | None:
        return self.model.words if self.model is not None else None


@dataclass(frozen=True)
class BackupContents:
    """What a backup holds, as the recovery dialog lists it."""

    path: Path
    source_schema: str
    created_utc: str | None
    tables: tuple[BackupTable, ...]  # by name

    def table(self, name: str) -> BackupTable:
        found = next((t for t in self.tables if t.name == name), None)
        if found is None:
            raise PreflightError(f"The backup {self.path.name} holds no table {name!r}.")
        return found


@dataclass(frozen=True)
class Search:
    """Rows whose `column` (any column when None) contains `text`, compared as text, ignoring case; with `null`,
    the rows whose `column` has no value (NULL), which no text can stand for."""

    text: str
    column: str | None = None
    null: bool = False

    @property
    def searches(self) -> bool:
        return bool(self.text) or self.null

    def matcher(self, columns: tuple[str, ...]) -> Callable[[list[bytes]], bool]:
        wanted = self.text.casefold()
        if self.column is not None and self.column not in columns:
            raise PreflightError(f"The backup's table has no column {self.column!r}.")
        at = [columns.index(self.column)] if self.column is not None else list(range(len(columns)))
        if self.null:
            if self.column is None:
                raise PreflightError("Say which column has no value.")
            return lambda fields: fields[at[0]] == NULL

        def matches(fields: list[bytes]) -> bool:
            return any(
                fields[i] != NULL and wanted in unescape(fields[i]).decode("utf-8", "replace").casefold() for i in at
            )

        return matches


@dataclass(frozen=True)
class RowsPage:
    """The first rows of a table that match, each as its values' text, in the table's columns' order."""

    table: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]
    matching: int  # rows that match in all (the page holds at most `limit` of them)
    scanned: int  # rows read

    @property
    def more(self) -> int:
        """Matching rows not in the page."""
        return self.matching - len(self.rows)

    def key_values(self, row: tuple[Value, ...]) -> tuple[tuple[str, str], ...]:
        """The row's key as (column, value) pairs: what `plan_recovery`'s `match` takes to choose it."""
        return tuple((c, row[self.columns.index(c)] or "") for c in self.key)


def list_tables(
    target: ConnectionTarget,
    schema: str,
    path: Path,
    *,
    tenants_table: str | None = None,
    cancel: CancelToken | None = None,
) -> BackupContents:
    """The backup's tables with their row counts, named in Django's words and keyed as the live clinic keys them."""
    cancel = cancel or CancelToken()
    path = _native(path)
    with ArchiveReader(path) as reader:
        manifest = reader.manifest
        live, names = _live_tables(target, schema, tenants_table)
        cancel.raise_if_cancelled()
        tables = []
        for entry in sorted(manifest.tables, key=lambda e: e.name):
            table = live.get(entry.name)
            key = table.key if table is not None and table.key and set(table.key) <= set(entry.columns) else ()
            tables.append(BackupTable(entry.name, names.get(entry.name), entry.rows, entry.columns, key))
        return BackupContents(path, manifest.source_schema, manifest.created_utc, tuple(tables))


def read_rows(
    path: Path,
    table: BackupTable,
    *,
    search: Search | None = None,
    limit: int = ROWS_SHOWN,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> RowsPage:
    """The first `limit` rows of `table` in the backup that match `search` (all rows without one)."""
    cancel = cancel or CancelToken()
    with ArchiveReader(_native(path)) as reader:
        entry = _entry(reader, table.name)
        matches = search.matcher(entry.columns) if search and search.searches else None
        reporter = ProgressReporter(progress, float(entry.bytes + 1))
        kept: list[tuple[Value, ...]] = []
        matching = scanned = 0
        for fields in rows_of(reader, entry, cancel, lambda size: reporter.advance(size, "Reading the backup")):
            scanned += 1
            if matches is None or matches(fields):
                matching += 1
                if len(kept) < limit:
                    kept.append(_values(fields))
        reporter.finish("Done")
        return RowsPage(entry.name, entry.columns, table.key, tuple(kept), matching, scanned)


def deleted_since(
    target: ConnectionTarget,
    schema: str,
    path: Path,
    table: BackupTable,
    *,
    search: Search | None = None,
    limit: int = ROWS_SHOWN,
    tenants_table: str | None = None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    run_bytes: int = RUN_BYTES,
) -> RowsPage:
    """The rows of `table` in the backup whose key the live clinic no longer holds (first `limit`, by key)."""
    cancel = cancel or CancelToken()
    path = _native(path)
    if not table.key:
        raise PreflightError(
            f"The table {table.name} has no primary key nor unique key, so its rows cannot be told apart from the "
            "clinic's: what was deleted from it cannot be listed."
        )
    check_tenant_name(schema)
    with ArchiveReader(path) as reader, ExitStack() as stack:
        entry = _entry(reader, table.name)
        reporter = ProgressReporter(progress, float(2 * entry.bytes + 1))
        matches = search.matcher(entry.columns) if search and search.searches else None
        conn = target.connect()
        stack.callback(conn.close)
        folder: list[Path] = []

        def spill() -> Path:
            if not folder:
                folder.append(stack.enter_context(private_folder()))
            return folder[0]

        try:
            check_tenant_schema(conn, schema, tenants_table)
            begin_snapshot(conn, reader.manifest.output_settings)
            live = _locked(conn, schema).get(table.name)
            if live is None or tuple(live.key) != table.key:
                raise PreflightError(
                    f"The clinic's table {table.name} is no longer keyed as when the backup was listed; list it again."
                )
            positions = [entry.columns.index(c) for c in table.key]
            key_of = key_reader(positions, [live.column(c).order for c in table.key])
            sorter = RunSorter(lambda line: key_of(line.split(b"\t")), spill, run_bytes)
            stack.callback(sorter.close)
            scanned = 0
            for fields in rows_of(reader, entry, cancel, lambda size: reporter.advance(size, "Reading the backup")):
                scanned += 1
                try:
                    sorter.add(key_of(fields), b"\t".join(fields))
                except BadRow as why:
                    raise ArchiveError(
                        f"{path.name} cannot be compared: row {scanned:,} of table {entry.name} {why}."
                    ) from None
            merge = _Deleted(sorter.rows(), matches, limit)
            _merge_live_keys(conn, live, merge, cancel, lambda size: reporter.advance(size, "Comparing rows"))
            conn.rollback()
        except psycopg.Error as exc:
            raise comparison_failed(schema, exc) from None
        reporter.finish("Done")
        return RowsPage(entry.name, entry.columns, table.key, tuple(merge.kept), merge.matching, scanned)


# -- pieces ----------------------------------------------------------------------------------------------------


def _native(path: Path) -> Path:
    path = Path(path)
    if sniff_file(path).kind != NATIVE:
        raise ArchiveError(
            f"Records can be recovered from Resguardo's own backups (.resguardo files, encrypted ones too) for now; "
            f"{path.name} is not one. A restore can still load it whole."
        )
    return path


def _entry(reader: ArchiveReader, name: str) -> TableEntry:
    entry = next((e for e in reader.manifest.tables if e.name == name), None)
    if entry is None:
        raise PreflightError(f"The backup {reader.path.name} holds no table {name!r}.")
    return entry


def _values(fields: list[bytes]) -> tuple[Value, ...]:
    return tuple(None if f == NULL else unescape(f).decode("utf-8", "replace") for f in fields)


def _live_tables(
    target: ConnectionTarget, schema: str, tenants_table: str | None
) -> tuple[dict[str, LiveTable], dict[str, ModelName]]:
    """The live clinic's tables (keys) and what their rows are, read in one short read-only snapshot."""
    check_tenant_name(schema)
    with target.connect() as conn:
        try:
            check_tenant_schema(conn, schema, tenants_table)
            begin_snapshot(conn, None)  # keys and names only: no value is compared
            live = _locked(conn, schema)
            names = table_names(conn, live)
            conn.rollback()
        except psycopg.OperationalError as exc:
            raise ConnectionFailed(
                f"The connection to the server was lost while reading {schema!r}.", str(exc).strip()
            ) from None
        except psycopg.Error as exc:
            raise ResguardoError(f"Reading the tables of {schema!r} failed: {first_line(exc)}", str(exc)) from None
    return live, names


def _locked(conn: psycopg.Connection, schema: str) -> dict[str, LiveTable]:
    try:
        return lock_live_tables(conn, schema)
    except psycopg.errors.LockNotAvailable:
        raise PreflightError(
            f"The tables of {schema!r} are locked by another session (a restore or a schema change); try again later."
        ) from None


class _Deleted:
    """The backup's rows, sorted by key, matched with the live keys as the server sends them (in the same order):
    the rows whose key is not live are kept, up to `limit`, and counted."""

    def __init__(
        self, backup: Iterator[tuple[Key, bytes]], matches: Callable[[list[bytes]], bool] | None, limit: int
    ) -> None:
        self._backup, self._matches, self._limit = backup, matches, limit
        self._head = next(backup, None)
        self.kept: list[tuple[Value, ...]] = []
        self.matching = 0

    def now(self, key: Key) -> None:
        while self._head is not None and self._head[0] < key:
            self._deleted(self._head[1])
            self._head = next(self._backup, None)
        if self._head is not None and self._head[0] == key:
            self._head = next(self._backup, None)

    def finish(self) -> None:
        while self._head is not None:
            self._deleted(self._head[1])
            self._head = next(self._backup, None)

    def _deleted(self, line: bytes) -> None:
        fields = line.split(b"\t")
        if self._matches is None or self._matches(fields):
            self.matching += 1
            if len(self.kept) < self._limit:
                self.kept.append(_values(fields))


def _merge_live_keys(
    conn: psycopg.Connection, table: LiveTable, merge: _Deleted, cancel: CancelToken, advance: Callable[[int], None]
) -> None:
    """Stream the live table's keys, in key order, into `merge`."""
    own = key_reader(list(range(len(table.key))), [table.column(c).order for c in table.key])

    def sink(chunk: bytearray) -> None:
        lines = bytes(chunk).split(b"\n")
        lines.pop()
        for line in lines:
            try:
                merge.now(own(line.split(b"\t")))
            except BadRow as why:
                raise ArchiveError(f"A live row of table {table.relation.name} {why}.") from None
        advance(len(chunk))

    copy_out(conn, copy_query(table, table.key, table.key), sink, chunk_bytes=_CHUNK, cancel=cancel)
    merge.finish()

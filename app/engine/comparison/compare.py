"""`compare_backup`: a native backup and the live clinic, table by table, with flat memory.

For each table of the backup: its rows are read through the one reader verify and restore use
(app/engine/archive/table_data.py: counts and checksums checked; the file's rows never become SQL text), each
row's fields counted against the manifest's columns, sorted by the live table's key (app/engine/comparison/
sorting.py: in memory up to a bound, else sorted runs on disk), then merged with the live rows, which the
server sends in the same order (app/engine/comparison/live.py). A keyed table's rows are first merged as they
are stored, while their keys ascend (app/engine/comparison/in_order.py: the usual case, no sort); at the first
that does not, the table is compared again through the sort. A table without a key is compared as a
multiset: both sides sorted by their whole text. Nothing is concluded from a table until its rows have passed
their checksum: the sort reads every row before its merge starts, the in-order merge ends with the last row.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import psycopg

from app.engine.archive.container import ArchiveReader
from app.engine.archive.manifest import TableEntry
from app.engine.archive.table_data import table_rows
from app.engine.backup.preflight import check_tenant_name, check_tenant_schema
from app.engine.comparison.copy_text import BadRow, Key, KeyOf, LineKeyOf, LinesKeyOf, key_reader, lines_key_reader
from app.engine.comparison.in_order import InOrderRows
from app.engine.comparison.live import LiveTable, begin_snapshot, copy_query, count_rows, lock_live_tables
from app.engine.comparison.merge import Batches, KeyedMerge, MultisetMerge, in_lists
from app.engine.comparison.model_name import ModelName
from app.engine.comparison.names import table_names
from app.engine.comparison.result import Comparison, Matching, TableDiff
from app.engine.comparison.sorting import RUN_BYTES, RunSorter
from app.engine.connection import ConnectionTarget
from app.engine.copy_stream import copy_out
from app.engine.encryption.workspace import private_folder
from app.engine.errors import ArchiveError, ConnectionFailed, PreflightError, ResguardoError, first_line
from app.engine.inspection.file_kind import CUSTOM, DJANGO_JSON, NATIVE, sniff_file
from app.engine.jobs import CancelToken, Progress, ProgressCallback, ProgressReporter, ignore_progress

_CHUNK = 1 << 20
_KINDS = {CUSTOM: "a pg_dump file in custom format", DJANGO_JSON: "a Django dumpdata export"}


def comparison_failed(schema: str, exc: psycopg.Error) -> ResguardoError:
    """A comparison of `schema` with a backup that the server stopped, in words (the diff, a recovery's browsing)."""
    if isinstance(exc, psycopg.OperationalError):
        return ConnectionFailed(
            f"The connection to the server was lost while comparing {schema!r} with the backup.", str(exc).strip()
        )
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return PreflightError(f"No privilege to read tenant {schema!r}: {first_line(exc)}", str(exc))
    return ResguardoError(f"The comparison of {schema!r} failed: {first_line(exc)}", str(exc))


def compare_backup(
    target: ConnectionTarget,
    schema: str,
    path: Path,
    *,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    tenants_table: str | None = None,
    run_bytes: int = RUN_BYTES,
) -> Comparison:
    """What differs between the backup `path` and the live clinic `schema`; changes nothing."""
    started = time.monotonic()
    cancel = cancel or CancelToken()
    path = Path(path)
    kind = sniff_file(path).kind
    if kind != NATIVE:
        raise ArchiveError(
            f"Comparing rows reads Resguardo's own backups (.resguardo files, encrypted ones too) for now; "
            f"{path.name} is {_KINDS.get(kind, 'a plain SQL file (pg_dump)')}. A restore can still load it whole."
        )
    check_tenant_name(schema)
    progress(Progress(0.0, "Connecting"))
    with ArchiveReader(path) as reader, ExitStack() as stack:
        conn = target.connect()
        stack.callback(conn.close)
        try:
            check_tenant_schema(conn, schema, tenants_table)
            begin_snapshot(conn, reader.manifest.output_settings)
            try:
                live = lock_live_tables(conn, schema)
            except psycopg.errors.LockNotAvailable:
                raise PreflightError(
                    f"The tables of {schema!r} are locked by another session (a restore or a schema change); "
                    "try again later."
                ) from None
            job = _Job(conn, reader, live, table_names(conn, live), progress, cancel, _Spill(stack), run_bytes)
            tables = job.run()
            conn.rollback()
        except psycopg.Error as exc:
            raise comparison_failed(schema, exc) from None
        manifest = reader.manifest
        return Comparison(
            tenant=schema,
            source_schema=manifest.source_schema,
            created_utc=manifest.created_utc,
            tables=tuple(tables),
            seconds=time.monotonic() - started,
            spilled_runs=job.spilled_runs,
        )


class _Spill:
    """The private folder for sorted runs, made the first time a table does not fit in memory."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._path: Path | None = None

    def __call__(self) -> Path:
        if self._path is None:
            self._path = self._stack.enter_context(private_folder())
        return self._path


class _Job:
    def __init__(
        self,
        conn: psycopg.Connection,
        reader: ArchiveReader,
        live: dict[str, LiveTable],
        names: dict[str, ModelName],
        progress: ProgressCallback,
        cancel: CancelToken,
        spill: Callable[[], Path],
        run_bytes: int,
    ) -> None:
        self.conn, self.reader, self.live, self.names = conn, reader, live, names
        self.cancel, self.spill, self.run_bytes = cancel, spill, run_bytes
        self.file = reader.path.name
        entries = reader.manifest.tables
        self.reporter = ProgressReporter(progress, float(sum(2 * e.bytes + 1 for e in entries) + len(live) + 1))
        self.spilled_runs = 0

    def run(self) -> list[TableDiff]:
        found: list[TableDiff] = []
        in_backup = set()
        for entry in self.reader.manifest.tables:
            in_backup.add(entry.name)
            self.reporter.advance(1, "Comparing rows", entry.name)
            table = self.live.get(entry.name)
            found.append(self._absent(entry) if table is None else self._table(entry, table))
        for name, table in sorted(self.live.items()):
            self.reporter.advance(1, "Counting rows", name)
            if name not in in_backup and table.holds_rows:
                self.cancel.raise_if_cancelled()
                rows = count_rows(self.conn, table)
                found.append(
                    TableDiff(name, Matching.NOT_IN_BACKUP, model=self.names.get(name), rows_now=rows, only_now=rows)
                )
        self.reporter.finish("Comparison complete")
        return found

    def _absent(self, entry: TableEntry) -> TableDiff:
        for chunk in table_rows(self.reader, entry, self.cancel):  # checked like every table's rows
            self.reporter.advance(2 * len(chunk), "Comparing rows", entry.name)
        return TableDiff(
            entry.name,
            Matching.ABSENT_NOW,
            model=self.names.get(entry.name),
            rows_in_backup=entry.rows,
            only_in_backup=entry.rows,
        )

    def _table(self, entry: TableEntry, table: LiveTable) -> TableDiff:
        live_names = [c.name for c in table.columns]
        common = tuple(c for c in entry.columns if c in live_names)
        key = table.key if table.key and set(table.key) <= set(common) else ()

        def fresh() -> TableDiff:
            return TableDiff(
                entry.name,
                table.matching if key else Matching.MULTISET,
                key=key,
                model=self.names.get(entry.name),
                rows_in_backup=entry.rows,
                columns_only_in_backup=tuple(c for c in entry.columns if c not in live_names),
                columns_only_now=tuple(c for c in live_names if c not in entry.columns),
            )

        diff = fresh()
        if key:
            positions, orders = [common.index(k) for k in key], [table.column(k).order for k in key]
            key_of = key_reader(positions, orders)
            line_key, lines_keys = lines_key_reader(positions, orders)
            if self._merge_in_order(diff, entry, table, common, (key_of, lines_keys), line_key):
                return diff
            diff = fresh()  # the rows are not stored in key order: the partial result is thrown away
        else:

            def key_of(fields: list[bytes]) -> Key:
                return (b"\t".join(fields),)

            def line_key(line: bytes) -> Key:
                return (line,)

        backup = self._sorted_backup(entry, common, key_of, line_key)
        try:
            if key:
                self._merge_keyed(diff, table, common, in_lists(backup.rows(), diff, self.file), line_key)
            else:
                self._merge_multiset(diff, table, common, backup, line_key)
        finally:
            self.spilled_runs += backup.spilled_runs
            backup.close()
        return diff

    def _merge_in_order(
        self,
        diff: TableDiff,
        entry: TableEntry,
        table: LiveTable,
        common: tuple[str, ...],
        keys: tuple[KeyOf, LinesKeyOf],
        line_key: LineKeyOf,
    ) -> bool:
        """Merge the backup's rows as stored with the live rows; False if they were not in key order.

        The merge's result counts only once the table's last row has passed its checksum (`table_rows` raises
        at its end otherwise); a False leaves the live COPY read to its end, so the snapshot is untouched.
        """
        keep = None if common == entry.columns else [entry.columns.index(c) for c in common]
        stored = InOrderRows(
            table_rows(self.reader, entry, self.cancel),
            len(entry.columns),
            keep,
            keys,
            lambda size: self.reporter.advance(size, "Reading the backup", entry.name),
            self.run_bytes // 8,
        )
        try:
            self._merge_keyed(diff, table, common, stored.batches(), line_key, lambda: stored.broken)
        finally:
            stored.close()
        return not stored.broken

    def _sorted_backup(
        self,
        entry: TableEntry,
        common: tuple[str, ...],
        key_of: Callable[[list[bytes]], Key],
        line_key: Callable[[bytes], Key],
    ) -> RunSorter:
        """The backup's rows of `entry`, checked, projected on `common` and sorted."""
        sorter = RunSorter(line_key, self.spill, self.run_bytes)
        width = len(entry.columns)
        keep = None if common == entry.columns else [entry.columns.index(c) for c in common]
        carry, row = b"", 0
        bad: str | None = None
        try:
            for chunk in table_rows(self.reader, entry, self.cancel):
                lines = (carry + chunk).split(b"\n")
                carry = lines.pop()
                for line in lines if bad is None else ():
                    row += 1
                    fields = line.split(b"\t")
                    if len(fields) != width:
                        bad = f"row {row:,} of table {entry.name} has {len(fields)} fields"
                        bad += f", its manifest names {width} columns"
                        break
                    if keep is not None:
                        fields = [fields[i] for i in keep]
                    try:
                        sorter.add(key_of(fields), line if keep is None else b"\t".join(fields))
                    except BadRow as why:
                        bad = f"row {row:,} of table {entry.name} {why}"
                        break
                self.reporter.advance(len(chunk), "Reading the backup", entry.name)
        except BaseException:
            sorter.close()
            raise
        if bad is not None:  # said once every byte passed its checksum: damage is said as damage
            sorter.close()
            raise ArchiveError(
                f"{self.file} cannot be compared: {bad} (the file was changed after Resguardo wrote it)."
            )
        return sorter

    def _merge_keyed(
        self,
        diff: TableDiff,
        table: LiveTable,
        common: tuple[str, ...],
        backup: Batches,
        line_key: LineKeyOf,
        abandoned: Callable[[], bool] = lambda: False,
    ) -> None:
        merge = KeyedMerge(diff, backup, common, self.file)
        budget = [2 * self.reader.manifest.table(diff.name).bytes]

        def sink(chunk: bytearray) -> None:
            if abandoned():  # the rest of the live rows is only read, to end the COPY cleanly
                return
            lines = bytes(chunk).split(b"\n")
            lines.pop()
            try:
                merge.now(lines, line_key)
            except BadRow as why:
                raise ArchiveError(f"A live row of table {diff.name} {why}; it cannot be compared.") from None
            diff.rows_now += len(lines)
            self._advance(budget, len(chunk), diff.name)

        copy_out(self.conn, copy_query(table, common, diff.key), sink, chunk_bytes=_CHUNK, cancel=self.cancel)
        if not abandoned():
            merge.finish()

    def _merge_multiset(
        self,
        diff: TableDiff,
        table: LiveTable,
        common: tuple[str, ...],
        backup: RunSorter,
        line_key: Callable[[bytes], Key],
    ) -> None:
        now = RunSorter(line_key, self.spill, self.run_bytes)
        budget = [2 * self.reader.manifest.table(diff.name).bytes]

        def sink(chunk: bytearray) -> None:
            lines = bytes(chunk).split(b"\n")
            lines.pop()
            for line in lines:
                now.add((line,), line)
            diff.rows_now += len(lines)
            self._advance(budget, len(chunk), diff.name)

        try:
            copy_out(self.conn, copy_query(table, common, ()), sink, chunk_bytes=_CHUNK, cancel=self.cancel)
            MultisetMerge(diff, backup.rows(), now.rows()).run()
        finally:
            self.spilled_runs += now.spilled_runs
            now.close()

    def _advance(self, budget: list[int], size: int, name: str) -> None:
        step = min(size, budget[0])
        budget[0] -= step
        self.reporter.advance(step, "Comparing rows", name)

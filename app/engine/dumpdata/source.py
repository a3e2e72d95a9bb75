"""A Django dumpdata export as a restore source: the live tenant's schema, the file's rows.

When the restore starts loading, the export becomes a temporary native archive: the live tenant's
DDL (the same extractor a native backup uses), each table's rows spooled from the file as COPY text
(app/engine/dumpdata/rows.py), and the live rows of the tables the file keeps
(app/engine/dumpdata/plan.py). From there the native source does the load, so a JSON file goes
through exactly what every restore goes through: the SQL gate, the staging schema, two-connection
loads, keys, sequences, owners and grants, the proof of isolation, the kept administrators, the swap
and the undo. The conversion reads the live tenant in one REPEATABLE READ READ ONLY transaction of its
own; it never writes.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Final, ParamSpec, TypeVar, cast

import psycopg
from psycopg import sql

from app.engine.archive.container import POST_DATA_MEMBER, PRE_DATA_MEMBER, data_member_name
from app.engine.archive.writer import ArchiveWriter, archive_manifest
from app.engine.catalog.schema_ddl import SchemaDDL, TableCopy, extract_schema_ddl
from app.engine.connection import ConnectionTarget
from app.engine.copy_stream import copy_out
from app.engine.dumpdata.keys import NaturalKeys
from app.engine.dumpdata.layout import read_layout
from app.engine.dumpdata.plan import EMPTY, LIVE, DumpPlan, default_table, plan_dump
from app.engine.dumpdata.reader import DumpScan, scan_dump
from app.engine.dumpdata.rows import Spool, Spooler, index_keys
from app.engine.errors import RestoreFailed, first_line
from app.engine.jobs import CancelToken
from app.engine.safety.sql_gate.verdict import CheckedStatement
from app.engine.sources.native import NativeArchiveSource
from app.engine.sources.source import LoadProgress, LoadResult, SourceSummary, TableLoad, TableSummary

P = ParamSpec("P")
R = TypeVar("R")
KIND: Final = "django-json"
_CHUNK = 1 << 20
_CONVERT_SHARE = 0.3  # of the load's progress: reading the file and writing the rows out


def scan_and_plan(
    path: Path, compression: str | None, conn: psycopg.Connection | None, tenant: str | None, cancel: CancelToken
) -> tuple[DumpScan, DumpPlan | None]:
    """Read the export in full, and map it onto `tenant` when a connection is given."""
    scan = scan_dump(path, compression, cancel=cancel, keep=True)  # the later passes read its copy
    if conn is None or tenant is None:
        return scan, None
    defaults = [default_table(m) for m in scan.models]
    return scan, plan_dump(scan, read_layout(conn, tenant, defaults))


def summarise(scan: DumpScan, plan: DumpPlan | None) -> SourceSummary:
    """Rows per table: of the tenant's tables when the plan is known (None: kept as they are), else per model."""
    if plan is None:
        tables = [TableSummary(default_table(m.model), m.objects, m.chars) for m in scan.models.values()]
    else:
        chars = {p.table: scan.models[m].chars for m, p in plan.models.items()}
        tables = [TableSummary(t, plan.rows[t], chars.get(t)) for t in plan.actions]
    return SourceSummary(
        kind=KIND,
        path=scan.path,
        source_schema=None,
        created_utc=None,
        tables=tables,
        migrations=None,
        size_bytes=sum(m.chars for m in scan.models.values()),
        tool_version="Django dumpdata",
    )


class DjangoJsonSource:
    """The restore source of a dumpdata export (see the module's docstring)."""

    def __init__(
        self,
        path: Path,
        cancel: CancelToken,
        compression: str | None = None,
        target: ConnectionTarget | None = None,
        tenant: str | None = None,
    ) -> None:
        self.path, self.compression, self.target, self.tenant = Path(path), compression, target, tenant
        if target is not None and tenant is not None:
            with target.connect() as conn:
                conn.read_only = True
                self.scan, self.plan = scan_and_plan(self.path, compression, conn, tenant, cancel)
                conn.rollback()
        else:
            self.scan, self.plan = scan_and_plan(self.path, compression, None, None, cancel)
        self._summary = summarise(self.scan, self.plan)
        self._folder: Path | None = None
        self._native: NativeArchiveSource | None = None
        self.warnings = list(self.plan.warnings) if self.plan is not None else []

    def summary(self) -> SourceSummary:
        """The file's rows per table; once loaded, with the live schema's facts the restore applies afterwards
        (routines' search paths), as the converted archive states them."""
        if self._native is None:
            return self._summary
        return replace(self._summary, search_paths=self._native.summary().search_paths)

    def load_schema(
        self, conn: psycopg.Connection, staging: str, progress: LoadProgress, cancel: CancelToken
    ) -> LoadResult:
        native = self._convert(progress, cancel)
        result = native.load_schema(conn, staging, progress, cancel)
        result.warnings.extend(self.warnings)
        return result

    def table_loads(self) -> list[TableLoad]:
        return [TableLoad(t.name, t.bytes, self._said_of_export(t.run)) for t in self._loaded().table_loads()]

    def finish(self, conn: psycopg.Connection, staging: str, cancel: CancelToken) -> None:
        self._said_of_export(self._loaded().finish)(conn, staging, cancel)

    def _said_of_export(self, step: Callable[P, R]) -> Callable[P, R]:
        """The converted archive's keys and foreign keys fail when the export's rows do not hold together (a
        duplicate email, a message pointing at no appointment): say so of the file, with PostgreSQL's detail,
        rather than of an archive the user never saw."""

        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return step(*args, **kwargs)
            except RestoreFailed as exc:
                if not exc.message.startswith("The archive's statement"):
                    raise
                lines = exc.details.strip().splitlines() or [exc.message]
                detail = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("DETAIL:")), "")
                raise RestoreFailed(
                    f"{self.path.name}: its rows do not hold together: {lines[0]}{f' ({detail})' if detail else ''}.",
                    exc.details,
                ) from None

        return run

    def superuser_statements(self) -> list[CheckedStatement]:
        return self._loaded().superuser_statements()

    def close(self) -> None:
        self.scan.close()
        if self._native is not None:
            self._native.close()
            self._native = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def _loaded(self) -> NativeArchiveSource:
        if self._native is None:
            raise RuntimeError("load_schema comes first")
        return self._native

    def _convert(self, progress: LoadProgress, cancel: CancelToken) -> NativeArchiveSource:
        """The export as a native archive of the live tenant's schema, in a private temporary folder."""
        if self.target is None or self.tenant is None:
            raise RestoreFailed(
                f"{self.path.name} is a Django dumpdata export: it can only be restored into a "
                "tenant that exists, whose schema it fills."
            )
        self._folder = Path(tempfile.mkdtemp(prefix="resguardo-json-"))
        archive = self._folder / "import.resguardo"
        try:
            with self.target.connect() as conn:
                conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
                conn.read_only = True
                # Row security never filters the rows kept, nor runs a policy's function: where it would apply,
                # the read fails instead (as in a backup).
                conn.execute("SELECT pg_catalog.set_config('row_security', 'off', true)")
                convert_dump(conn, self.scan, self.tenant, archive, progress, cancel)
                conn.rollback()
        except psycopg.errors.QueryCanceled:
            raise
        except psycopg.Error as exc:
            raise RestoreFailed(
                f"Reading tenant {self.tenant!r} for the import of {self.path.name} failed: {first_line(exc)}.",
                str(exc),
            ) from None
        except OSError as exc:
            raise RestoreFailed(
                f"The import of {self.path.name} could not write its temporary files in "
                f"{self._folder.parent}: {exc.strerror or exc}."
            ) from None
        self._native = NativeArchiveSource(archive)
        return self._native


def convert_dump(
    conn: psycopg.Connection, scan: DumpScan, tenant: str, out: Path, progress: LoadProgress, cancel: CancelToken
) -> DumpPlan:
    """Write the native archive of `tenant` with the export's rows (in `out`'s folder, spools included).

    `conn` is in a REPEATABLE READ READ ONLY transaction: the DDL, the layout, the natural keys of live
    rows and the rows kept come from one moment.
    """
    total = max(scan.objects, 1)
    defaults = [default_table(m) for m in scan.models]
    layout = read_layout(conn, tenant, defaults)
    plan = plan_dump(scan, layout)
    keys = NaturalKeys.needed(plan, layout, scan)
    passes = 2 if keys is not None else 1
    if keys is not None:
        index_keys(keys, cancel)
        keys.resolve(conn)
        progress(_CONVERT_SHARE / passes, "Reading natural keys")
    spooler = Spooler(scan, plan, layout, keys, out.parent)
    done = _CONVERT_SHARE * (passes - 1) / passes
    spooler.run(cancel, lambda n: progress(done + _CONVERT_SHARE / passes * n / total, "Reading the JSON file"))
    ddl = extract_schema_ddl(conn, tenant)
    _write_archive(conn, tenant, plan, ddl, spooler.spools, out, cancel)
    for spool in spooler.spools.values():
        spool.path.unlink(missing_ok=True)
    progress(_CONVERT_SHARE, "")
    return plan


def _write_archive(
    conn: psycopg.Connection,
    tenant: str,
    plan: DumpPlan,
    ddl: SchemaDDL,
    spools: dict[str, Spool],
    out: Path,
    cancel: CancelToken,
) -> None:
    with ArchiveWriter(out) as writer:
        pre = writer.add_bytes(PRE_DATA_MEMBER, ddl.pre_data_sql.encode())
        tables = []
        for index, table in enumerate(ddl.tables, start=1):
            member = data_member_name(index)
            types = {c["name"]: c["type"] for c in table.columns}
            spool = spools.get(table.name)
            action = plan.actions.get(table.name, LIVE)
            with writer.member(member, compress=True) as sink:
                columns = table.columns
                if spool is not None:
                    columns = [{"name": c, "type": types[c]} for c in spool.columns]
                    with open(spool.path, "rb") as handle:
                        while chunk := handle.read(_CHUNK):
                            cancel.raise_if_cancelled()
                            sink.write(chunk)
                elif action != EMPTY:
                    write = cast(Callable[[bytearray], None], sink.write)
                    copy_out(conn, _copy_live(tenant, table), write, chunk_bytes=_CHUNK, cancel=cancel)
            stored = writer.members[member]
            tables.append(
                {
                    "name": table.name,
                    "member": member,
                    "columns": columns,
                    "rows": stored.raw_lines,
                    "bytes": stored.raw_bytes,
                    "sha256": stored.raw_sha256,
                    "stored_bytes": stored.stored_bytes,
                    "stored_sha256": stored.stored_sha256,
                }
            )
        post = writer.add_bytes(POST_DATA_MEMBER, ddl.post_data_sql.encode())
        # migrations: none, the tenant's are kept as they are (django_migrations is not in a dumpdata export)
        writer.commit(
            archive_manifest(
                conn,
                tenant,
                ddl.manifest_fields(),
                None,
                None,
                tables,
                {
                    PRE_DATA_MEMBER: {"bytes": pre.stored_bytes, "sha256": pre.stored_sha256},
                    POST_DATA_MEMBER: {"bytes": post.stored_bytes, "sha256": post.stored_sha256},
                },
            )
        )


def _copy_live(tenant: str, table: TableCopy) -> sql.Composed:
    """A kept table's rows, by name: `read_layout` locked every table of the tenant in this transaction and
    checked it to be the table listed, so the name still names that table."""
    columns = sql.SQL(", ").join(sql.Identifier(c["name"]) for c in table.columns)
    return sql.SQL("COPY (SELECT {} FROM ONLY {}) TO STDOUT").format(columns, sql.Identifier(tenant, table.name))


def verify_dump(path: Path, compression: str | None, cancel: CancelToken) -> DumpScan:
    """Read a dumpdata export in full without a database; ArchiveError naming what is wrong."""
    return scan_dump(Path(path), compression, cancel=cancel)

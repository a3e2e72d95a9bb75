"""`plan_recovery`: which rows of a backup come back, and which are already there or in conflict; changes nothing.

Reads the live clinic as the comparison does (one REPEATABLE READ READ ONLY snapshot, every table locked
ACCESS SHARE and checked by oid, row security off: app/engine/comparison/live.py), and the backup through its
checked reader, streaming. Only the rows the plan holds are kept in memory (app/engine/recovery/closure.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg

from app.engine.archive.container import ArchiveReader
from app.engine.backup.preflight import check_tenant_name
from app.engine.comparison.copy_text import shown_key, unescape
from app.engine.comparison.live import LiveTable, begin_snapshot, lock_live_tables
from app.engine.comparison.model_name import ModelName
from app.engine.comparison.names import table_names
from app.engine.connection import ConnectionTarget
from app.engine.errors import Choice, ConnectionFailed, PreflightError, ResguardoError, first_line
from app.engine.inspection.file_kind import NATIVE, sniff_file
from app.engine.jobs import CancelToken, Progress, ProgressCallback, ProgressReporter, ignore_progress
from app.engine.recovery.backup_keys import declared_keys, missing_live
from app.engine.recovery.catalog import ForeignKey, foreign_keys, insert_order, unique_keys
from app.engine.recovery.closure import Closure, Picked
from app.engine.recovery.live_rows import Values, lookup
from app.engine.recovery.model import Conflict, PlannedRow, RecoveryLimits, RecoveryPlan, TablePlan
from app.engine.recovery.staged import staged_archive
from app.engine.restore.checks import check_tenant


def plan_recovery(
    target: ConnectionTarget,
    schema: str,
    path: Path,
    *,
    table: str,
    match: Sequence[tuple[str, str | None]],
    with_dependents: bool = True,
    tenants_table: str | None = None,
    allow_other_tenant: bool = False,
    limits: RecoveryLimits | None = None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> RecoveryPlan:
    """The rows to bring back from `path` into clinic `schema`: those of `table` matching every (column, value)
    of `match` (a value None: the column is NULL), with the rows that refer to them (`with_dependents`) and the
    parents they need."""
    cancel = cancel or CancelToken()
    path = Path(path)
    if not match:
        raise PreflightError("Say which rows to recover: at least one column and its value.")
    check_tenant_name(schema)
    options = _Options(
        table, tuple(match), with_dependents, tenants_table, allow_other_tenant, limits, progress, cancel
    )
    if sniff_file(path).kind == NATIVE:
        return _plan(target, schema, path, path, None, None, options)
    load, rest = _shares(progress, _STAGED_SHARE)
    with staged_archive(target, schema, path, tenants_table=tenants_table, progress=load, cancel=cancel) as (
        staged,
        source,
        when,
    ):
        plan = _plan(target, schema, staged, path, source or schema, when, replace(options, progress=rest))
    # The archive written from the load is new each time; the file itself is what the plan comes from.
    stat = path.stat()
    return replace(plan, manifest_checksum=f"file:{stat.st_size}:{stat.st_mtime_ns}")


_STAGED_SHARE = 0.7  # of the bar, for a file loaded beside the clinic first


def _shares(progress: ProgressCallback, first: float) -> tuple[ProgressCallback, ProgressCallback]:
    """Two callbacks that fill the one bar in turn: the first up to `first`, the second from there."""

    def loading(p: Progress) -> None:
        progress(Progress(min(p.fraction, 0.999) * first, "Loading the file beside the clinic", p.detail))

    def planning(p: Progress) -> None:
        progress(Progress(first + p.fraction * (1 - first), p.stage, p.detail))

    return loading, planning


@dataclass(frozen=True)
class _Options:
    table: str
    match: tuple[tuple[str, str | None], ...]
    with_dependents: bool
    tenants_table: str | None
    allow_other_tenant: bool
    limits: RecoveryLimits | None
    progress: ProgressCallback
    cancel: CancelToken


def _plan(
    target: ConnectionTarget,
    schema: str,
    archive: Path,
    path: Path,
    source_schema: str | None,
    created_utc: str | None,
    o: _Options,
) -> RecoveryPlan:
    """The plan from a native archive (`archive`: the file itself, or a staging load's; `path`: the file named)."""
    table, match, tenants_table, cancel = o.table, o.match, o.tenants_table, o.cancel
    with ArchiveReader(archive) as reader, target.connect() as conn:
        source = source_schema or reader.manifest.source_schema
        if source != schema and not o.allow_other_tenant:
            raise PreflightError(
                f"The file is a backup of tenant {source!r}, not {schema!r}. To put its rows into {schema!r} "
                f"anyway, {Choice.ALLOW_OTHER_TENANT}.",
                choices=(Choice.ALLOW_OTHER_TENANT,),
            )
        reporter = ProgressReporter(o.progress, float(2 * len(reader.manifest.tables) + 2))
        try:
            check_tenant(conn, schema, tenants_table)
            conn.rollback()
            begin_snapshot(conn, reader.manifest.output_settings)
            try:
                live = lock_live_tables(conn, schema)
            except psycopg.errors.LockNotAvailable:
                raise PreflightError(
                    f"The tables of {schema!r} are locked by another session (a restore or a schema change); "
                    "try again later."
                ) from None
            names = table_names(conn, live)
            chosen = _table_named(table, live, names, {e.name for e in reader.manifest.tables})
            keys = foreign_keys(conn, live)
            unfollowed = missing_live(declared_keys(reader), keys, set(live))
            closure = Closure(
                reader,
                live,
                keys,
                o.limits or RecoveryLimits(),
                cancel,
                lambda name: reporter.advance(1, "Reading", name),
            )
            reporter.stage("Finding the chosen rows", chosen)
            closure.choose(chosen, match)
            picked = closure.picked[chosen]
            if not picked.rows:
                shown = ", ".join(matched(c, v) for c, v in match)
                raise PreflightError(f"The backup holds no row of {chosen} with {shown}; nothing to recover.")
            if o.with_dependents:
                closure.dependents(chosen, list(picked.rows))
            closure.parents(conn)
            reporter.stage("Comparing with the clinic")
            uniques = unique_keys(conn, live)
            order = insert_order(list(closure.picked), keys)
            classified = (_classified(conn, closure.picked[n], names.get(n), uniques.get(n, []), keys) for n in order)
            tables = tuple(t for t in classified if t.rows or t.already_there or t.conflicts)  # tables read, none held
            conn.rollback()
        except psycopg.OperationalError as exc:
            raise ConnectionFailed(
                f"The connection to the server was lost while planning the recovery into {schema!r}.", str(exc)
            ) from None
        except psycopg.errors.InsufficientPrivilege as exc:
            raise PreflightError(f"No privilege to read tenant {schema!r}: {first_line(exc)}", str(exc)) from None
        except psycopg.Error as exc:
            raise ResguardoError(f"Planning the recovery into {schema!r} failed: {first_line(exc)}", str(exc)) from None
        manifest = reader.manifest
        checksum = str(manifest.raw.get("checksum", ""))
    reporter.finish("Planned")
    return RecoveryPlan(
        tenant=schema,
        path=path,
        source_schema=source,
        created_utc=manifest.created_utc if source_schema is None else created_utc,
        chosen_table=chosen,
        match=tuple((c, v) for c, v in match),
        with_dependents=o.with_dependents,
        tables=tables,
        manifest_checksum=checksum,
        warnings=_warnings(source, schema) + tuple(unfollowed),
        output_settings=manifest.output_settings,
    )


def matched(column: str, value: str | None) -> str:
    """A match as people read it: `email = a@b.c`, `deleted_at is NULL`."""
    return f"{column} is NULL" if value is None else f"{column} = {value}"


def _warnings(source: str, tenant: str) -> tuple[str, ...]:
    if source != tenant:
        return (f"The backup is of the clinic {source!r}, not {tenant!r}: its rows are put into {tenant!r}.",)
    return ()


def _table_named(name: str, live: dict[str, LiveTable], names: dict[str, ModelName], in_backup: set[str]) -> str:
    """The table a user names: its name in the clinic, or the words Django gives its model."""
    wanted = name.strip().lower()
    found = name if name in live else next((t for t, n in names.items() if n.words.lower() == wanted), None)
    if found is None:
        raise PreflightError(f"The clinic has no table {name!r}.")
    if not live[found].holds_rows:
        raise PreflightError(f"{found} is a partitioned table: its rows are in its partitions; name the partition.")
    if found not in in_backup:
        raise PreflightError(f"The backup holds no table {found}; nothing to recover from it.")
    return found


def _classified(
    conn: psycopg.Connection,
    picked: Picked,
    model: ModelName | None,
    uniques: list[tuple[str, ...]],
    keys: list[ForeignKey],
) -> TablePlan:
    """Each held row: to insert, already there (identical live), or a conflict (its key, or a unique value,
    taken live by other content), which is skipped."""
    live, columns = picked.live, picked.entry.columns
    key = live.key
    now = {_key_of(line, picked.key_at): line for line in lookup(conn, live, key, list(picked.rows), columns)}
    rows: list[PlannedRow] = []
    there: list[str] = []
    conflicts: list[Conflict] = []
    candidates: dict[Values, list[bytes]] = {}
    for k, (fields, why) in picked.rows.items():
        line = b"\t".join(fields)
        shown = _shown(k)
        if k in now:
            if now[k] == line:
                there.append(shown)
            else:
                differ = tuple(c for c, a, b in zip(columns, fields, now[k].split(b"\t"), strict=True) if a != b)
                conflicts.append(Conflict(shown, differ))
            continue
        candidates[k] = fields
        rows.append(PlannedRow(shown, why, line))
    taken = _taken(conn, picked, uniques, candidates)
    if taken:
        conflicts += [taken[r.key] for r in rows if r.key in taken]
        rows = [r for r in rows if r.key not in taken]
    return TablePlan(
        picked.entry.name,
        model,
        key,
        columns,
        tuple(_parents_first(picked, rows, keys)),
        tuple(there),
        tuple(conflicts),
    )


def _taken(
    conn: psycopg.Connection, picked: Picked, uniques: list[tuple[str, ...]], rows: dict[Values, list[bytes]]
) -> dict[str, Conflict]:
    """Rows whose values of a unique key (an e-mail, say) another live row holds: inserting them would fail."""
    found: dict[str, Conflict] = {}
    columns = picked.entry.columns
    for unique in uniques:
        if unique == picked.live.key or not rows or not set(unique) <= set(columns):
            continue
        by = {picked.values(unique, f): k for k, f in rows.items()}
        by.pop(None, None)
        if not by:
            continue
        for line in lookup(conn, picked.live, unique, [v for v in by if v is not None], columns):
            fields = line.split(b"\t")
            values = tuple(fields[columns.index(c)] for c in unique)
            mine = by.get(values)
            if mine is not None:
                shown = _shown(mine)
                found.setdefault(shown, Conflict(shown, unique, _shown(_key_of(line, picked.key_at))))
    return found


def _parents_first(picked: Picked, rows: list[PlannedRow], keys: list[ForeignKey]) -> list[PlannedRow]:
    """Within a table that refers to itself, a row after the row it refers to (a key checked at once needs it)."""
    own = [fk for fk in keys if fk.child == fk.parent == picked.entry.name]
    if not own or len(rows) < 2:
        return rows
    fields_of = {r.key: r.line.split(b"\t") for r in rows}
    provides: dict[tuple[str, Values], str] = {}
    for r in rows:
        for fk in own:
            v = picked.values(fk.parent_columns, fields_of[r.key])
            if v is not None:
                provides[(fk.name, v)] = r.key
    needs = {
        r.key: {
            provides[(fk.name, v)]
            for fk in own
            if (v := picked.values(fk.child_columns, fields_of[r.key])) is not None and (fk.name, v) in provides
        }
        - {r.key}
        for r in rows
    }
    ordered: list[PlannedRow] = []
    placed: set[str] = set()
    left = list(rows)
    while left:
        ready = [r for r in left if needs[r.key] <= placed] or left[:1]  # a cycle: its keys must be deferrable
        for r in ready:
            ordered.append(r)
            placed.add(r.key)
        left = [r for r in left if r.key not in placed]
    return ordered


def _key_of(line: bytes, at: list[int]) -> Values:
    fields = line.split(b"\t")
    return tuple(fields[i] for i in at)


def _shown(key: Values) -> str:
    return shown_key(tuple(unescape(k) for k in key))

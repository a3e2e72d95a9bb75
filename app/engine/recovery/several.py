"""Several chosen records in one recovery: one plan per record (`plan_recovery`), merged into one plan.

The window lets the user pick several rows of a table (three messages deleted since the backup, two patients);
`plan_recovery` takes one set of (column, value) pairs that must all hold, so each record is planned on its own
and the plans are merged: a row that several plans bring is inserted once (chosen before dependent before
parent), tables keep an order every plan agrees with (a plan's tables are parents first; a foreign key that
matters is always within one plan, since a plan brings the missing parents of its own rows), and rows keep
each plan's order within a table (parents first for a self-reference). The merged plan is applied as any plan:
one transaction, every row re-checked under the lock (app/engine/recovery/apply.py), one undo record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from app.engine.connection import ConnectionTarget
from app.engine.errors import PreflightError
from app.engine.jobs import CancelToken, Progress, ProgressCallback, ignore_progress
from app.engine.recovery.model import Conflict, PlannedRow, RecoveryLimits, RecoveryPlan, TablePlan, Why
from app.engine.recovery.planning import plan_recovery

MAX_RECORDS = 50  # records chosen at once: each is one pass of planning over the backup
_RANK = {Why.CHOSEN: 0, Why.DEPENDENT: 1, Why.PARENT: 2}

Match = tuple[tuple[str, str | None], ...]


def plan_several(
    target: ConnectionTarget,
    schema: str,
    path: Path,
    *,
    table: str,
    matches: Sequence[Match],
    with_dependents: bool = True,
    tenants_table: str | None = None,
    allow_other_tenant: bool = False,
    limits: RecoveryLimits | None = None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> RecoveryPlan:
    """One plan bringing back every record of `matches` (each a `plan_recovery` match) with what they need."""
    if not matches:
        raise PreflightError("Say which rows to recover: at least one.")
    if len(matches) > MAX_RECORDS:
        raise PreflightError(f"Choose at most {MAX_RECORDS} records at once; recover the others after.")
    plans = []
    for n, match in enumerate(matches):

        def part(p: Progress, n: int = n) -> None:
            progress(Progress((n + p.fraction) / len(matches), p.stage, p.detail))

        plans.append(
            plan_recovery(
                target,
                schema,
                path,
                table=table,
                match=match,
                with_dependents=with_dependents,
                tenants_table=tenants_table,
                allow_other_tenant=allow_other_tenant,
                limits=limits,
                progress=part,
                cancel=cancel,
            )
        )
    return merge_plans(plans)


def merge_plans(plans: Sequence[RecoveryPlan]) -> RecoveryPlan:
    """The plans as one: each row once, tables in an order every plan agrees with."""
    first = plans[0]
    if len(plans) == 1:
        return first
    for plan in plans[1:]:
        if (plan.tenant, plan.path, plan.manifest_checksum) != (first.tenant, first.path, first.manifest_checksum):
            raise PreflightError("The records to merge were planned from different backups or clinics.")
    by_name: dict[str, list[TablePlan]] = {}
    for plan in plans:
        for table in plan.tables:
            by_name.setdefault(table.name, []).append(table)
    tables = tuple(_merged_table(by_name[name]) for name in _table_order(plans))
    warnings = tuple(dict.fromkeys(w for p in plans for w in p.warnings))
    return replace(first, match=tuple(m for p in plans for m in p.match), tables=tables, warnings=warnings)


def _table_order(plans: Sequence[RecoveryPlan]) -> list[str]:
    """Each table after the ones that come before it in some plan; otherwise in the order first seen."""
    seen: list[str] = []
    before: dict[str, set[str]] = {}
    for plan in plans:
        names = [t.name for t in plan.tables]
        for i, name in enumerate(names):
            if name not in before:
                seen.append(name)
                before[name] = set()
            before[name].update(names[:i])
    ordered: list[str] = []
    placed: set[str] = set()
    while len(ordered) < len(seen):
        ready = next((n for n in seen if n not in placed and before[n] <= placed), None)
        if ready is None:  # the plans disagree (tables referring to each other): first seen first
            ready = next(n for n in seen if n not in placed)
        ordered.append(ready)
        placed.add(ready)
    return ordered


def _merged_table(parts: list[TablePlan]) -> TablePlan:
    first = parts[0]
    for part in parts[1:]:
        if (part.key, part.columns) != (first.key, first.columns):
            raise PreflightError(f"The table {first.name} changed while the records were planned; preview again.")
    at = [first.columns.index(c) for c in first.key]
    rows: dict[tuple[bytes, ...], PlannedRow] = {}
    for part in parts:
        for row in part.rows:
            key = tuple(row.line.split(b"\t")[i] for i in at)
            held = rows.get(key)
            if held is None or _RANK[row.why] < _RANK[held.why]:
                rows[key] = row if held is None else replace(held, why=row.why)  # the first place kept
    inserted = {row.key for row in rows.values()}
    conflicts: dict[str, Conflict] = {}
    for part in parts:
        for conflict in part.conflicts:
            if conflict.key not in inserted:
                conflicts.setdefault(conflict.key, conflict)
    there = [k for k in dict.fromkeys(k for p in parts for k in p.already_there) if k not in inserted]
    return replace(first, rows=tuple(rows.values()), already_there=tuple(there), conflicts=tuple(conflicts.values()))

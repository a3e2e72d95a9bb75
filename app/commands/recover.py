"""`resguardo recover`: bring chosen rows back from a backup into the live clinic (docs/recover.md)."""

from __future__ import annotations

import argparse
import json

from app.commands.common import (
    add_lock_options,
    add_tenants_table_option,
    confirm_by_typing,
    resolve_target,
    tenants_table,
    writing_beside_the_app,
)
from app.commands.encryption_options import add_identity_option, readable_file
from app.engine.comparison.names import counted
from app.engine.errors import CommandLineError
from app.engine.recovery.apply import apply_recovery
from app.engine.recovery.model import RecoveryPlan, RecoveryResult, TablePlan, Why
from app.engine.recovery.planning import matched as shown_match
from app.engine.recovery.planning import plan_recovery
from app.text_safety import terminal

_SHOWN_KEYS = 20


def match_option(text: str) -> tuple[str, str]:
    column, equals, value = text.partition("=")
    if not equals or not column.strip():
        raise argparse.ArgumentTypeError(f"expected COLUMN=VALUE, got {text!r}")
    return column.strip(), value


def column_option(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a column's name")
    return text.strip()


def matches(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    """Every --match, then every --match-null (a column whose value is None); at least one is required."""
    found: list[tuple[str, str | None]] = [*args.match, *((c, None) for c in args.match_null)]
    if not found:
        raise CommandLineError("Say which rows to recover: --match COLUMN=VALUE or --match-null COLUMN, at least one.")
    return found


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", required=True, metavar="SCHEMA", help="the clinic's schema name")
    parser.add_argument(
        "--file", required=True, metavar="PATH", help="the backup file (native, pg_dump custom or .sql, Django JSON)"
    )
    parser.add_argument(
        "--table", required=True, metavar="TABLE", help="the table of the chosen rows: its name in the clinic"
    )
    parser.add_argument(
        "--match",
        action="append",
        default=[],
        type=match_option,
        metavar="COLUMN=VALUE",
        help="a column and its value in the backup's rows (a value, never SQL); several must all hold",
    )
    parser.add_argument(
        "--match-null",
        action="append",
        default=[],
        type=column_option,
        metavar="COLUMN",
        help="a column that has no value (NULL) in the chosen rows; with --match, all must hold",
    )
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "--with-dependents",
        dest="with_dependents",
        action="store_true",
        default=True,
        help="also the rows that refer to the chosen ones, recursively (the default)",
    )
    scope.add_argument(
        "--only",
        dest="with_dependents",
        action="store_false",
        help="only the chosen rows (and the rows they need that the clinic lacks)",
    )
    parser.add_argument(
        "--allow-other-tenant", action="store_true", help="allow rows of another tenant's backup into this one"
    )
    parser.add_argument("--yes", action="store_true", help="do not show the preview nor ask for confirmation")
    parser.add_argument(
        "--json", action="store_true", help="print the plan as JSON (without --yes: only the plan, nothing is changed)"
    )
    add_tenants_table_option(parser)
    add_lock_options(parser)
    add_identity_option(parser)


def run(args: argparse.Namespace) -> int:
    target = resolve_target(args)
    locks = writing_beside_the_app(args)
    with readable_file(args, restoring=True) as path:
        plan = plan_recovery(
            target,
            args.tenant,
            path,
            table=args.table,
            match=matches(args),
            with_dependents=args.with_dependents,
            tenants_table=tenants_table(args),
            allow_other_tenant=args.allow_other_tenant,
        )
        if args.json and not args.yes:
            print(json.dumps(plan.as_json(), indent=2, ensure_ascii=False))
            return 0
        if not plan.rows_to_insert:  # every row is there already, or in conflict: nothing to do, nothing done
            print(json.dumps(plan.as_json(), indent=2, ensure_ascii=False) if args.json else describe_plan(plan))
            return 0
        if not args.yes:
            print(describe_plan(plan))
            confirm_by_typing(f"Type the tenant's name ({args.tenant}) to insert these rows:", args.tenant)
        result = apply_recovery(target, plan, tenants_table=tenants_table(args), locks=locks)
    if args.json:
        print(json.dumps({"plan": plan.as_json(), "result": result_json(result)}, indent=2, ensure_ascii=False))
    else:
        print(describe_result(result))
    return 0


def _rows(table: TablePlan, count: int) -> str:
    if table.model is not None:
        return terminal(counted(table.model, count))
    return f"{count:,} {'row' if count == 1 else 'rows'} of {terminal(table.name)}"


def _keys(keys: list[str]) -> str:
    shown = ", ".join(terminal(k) for k in keys[:_SHOWN_KEYS])
    return shown + (f" and {len(keys) - _SHOWN_KEYS:,} more" if len(keys) > _SHOWN_KEYS else "")


def describe_plan(plan: RecoveryPlan) -> str:
    matched = " and ".join(terminal(shown_match(c, v)) for c, v in plan.match)
    words = next((t.words for t in plan.tables if t.name == plan.chosen_table), None)
    chosen = f"the {terminal(words)} ({terminal(plan.chosen_table)})" if words else f"the rows of {plan.chosen_table}"
    lines = [
        f"Recover into {terminal(plan.tenant)} from {terminal(plan.path.name)} (backup of "
        f"{terminal(plan.source_schema)}, {plan.created_utc or 'date unknown'}): {chosen} with {matched}"
        + (", with the rows that refer to them" if plan.with_dependents else ", only them")
    ]
    lines += [f"  WARNING: {terminal(w)}" for w in plan.warnings]
    inserted = [_rows(t, len(t.rows)) for t in plan.tables if t.rows]
    lines.append(f"  {', '.join(inserted) if inserted else 'No row'} to insert ({plan.rows_to_insert:,} rows):")
    for t in plan.tables:
        name = terminal(t.name) + (f" ({terminal(t.words)})" if t.words else "")
        if t.rows:
            why = {w: [r.key for r in t.rows if r.why is w] for w in Why}
            parts = []
            for w, label in (
                (Why.CHOSEN, "chosen"),
                (Why.DEPENDENT, "referring to them"),
                (Why.PARENT, "missing, needed"),
            ):
                if why[w]:
                    parts.append(f"{label}: {_keys(why[w])}")
            lines.append(
                f"    {name}: insert {len(t.rows):,} by {', '.join(map(terminal, t.key))} ({'; '.join(parts)})"
            )
        if t.already_there:
            lines.append(f"    {name}: {len(t.already_there):,} already there ({_keys(list(t.already_there))})")
        for c in t.conflicts:
            if c.taken_by is not None:
                what = f"its {', '.join(map(terminal, c.columns))} belongs to the row {terminal(c.taken_by)} now"
            else:
                what = f"differs now in {', '.join(map(terminal, c.columns))}"
            lines.append(f"    {name}: conflict, skipped: {terminal(c.key)} ({what})")
    if plan.conflicts:
        lines.append(f"  {plan.conflicts:,} conflicts are skipped: those rows stay as they are now.")
    if not plan.rows_to_insert:
        lines.append("  Nothing to insert; nothing was changed.")
    else:
        lines.append("  Undo with: resguardo undo-recover --tenant " + terminal(plan.tenant))
    return "\n".join(lines)


def describe_result(r: RecoveryResult) -> str:
    parts = ", ".join(f"{n:,} into {terminal(t)}" for t, n in r.inserted.items())
    lines = [f"Recovered {r.rows:,} rows into {terminal(r.tenant)} ({parts}), {r.seconds:.1f} s"]
    lines.append(f"resguardo undo-recover --tenant {terminal(r.tenant)} removes exactly these rows")
    lines += [f"Warning: {terminal(w)}" for w in r.warnings]
    return "\n".join(lines)


def result_json(r: RecoveryResult) -> dict[str, object]:
    return {
        "tenant": r.tenant,
        "inserted": r.inserted,
        "rows": r.rows,
        "seconds": round(r.seconds, 3),
        "record": r.record.id,
    }

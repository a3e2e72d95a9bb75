"""`resguardo undo-recover`: remove exactly the rows the clinic's latest recovery inserted (docs/recover.md)."""

from __future__ import annotations

import argparse

from app.commands.common import (
    add_lock_options,
    add_tenants_table_option,
    confirm_by_typing,
    resolve_target,
    tenants_table,
    writing_beside_the_app,
)
from app.engine.errors import PreflightError
from app.engine.recovery.undo import last_recovery, undo_recovery
from app.text_safety import terminal


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", required=True, metavar="SCHEMA", help="the clinic's schema name")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_tenants_table_option(parser)
    add_lock_options(parser)


def run(args: argparse.Namespace) -> int:
    target = resolve_target(args)
    locks = writing_beside_the_app(args)
    if not args.yes:
        record = last_recovery(target, args.tenant)
        if record is None:
            raise PreflightError(f"There is no recovery of {args.tenant!r} to undo (made from this computer).")
        print(
            f"Undo the recovery of {record.rows:,} rows into {terminal(record.tenant)} from {terminal(record.file)} "
            f"({record.recovered_utc}):"
        )
        for table in record.tables:
            print(f"    {terminal(table.name)}: delete {len(table.rows):,}")
        confirm_by_typing(f"Type the tenant's name ({args.tenant}) to delete these rows:", args.tenant)
    result = undo_recovery(target, args.tenant, tenants_table=tenants_table(args), locks=locks)
    parts = ", ".join(f"{n:,} from {terminal(t)}" for t, n in result.deleted.items())
    print(
        f"Removed the {result.rows:,} recovered rows from {terminal(result.tenant)} ({parts}), {result.seconds:.1f} s"
    )
    for warning in result.warnings:
        print(f"Warning: {terminal(warning)}")
    return 0

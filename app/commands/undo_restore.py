"""`resguardo undo-restore`: bring back the tenant as it was before the latest restore."""

from __future__ import annotations

import argparse

from app.commands.common import (
    add_lock_options,
    add_tenants_table_option,
    confirm_by_typing,
    interrupted_lines,
    lock_policy,
    resolve_target,
    tenants_table,
)
from app.engine.restore.undo import undo_restore


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", required=True, metavar="SCHEMA", help="the tenant's schema name")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_tenants_table_option(parser)
    add_lock_options(parser)


def run(args: argparse.Namespace) -> int:
    target = resolve_target(args)
    if not args.yes:
        confirm_by_typing(f"Type the tenant's name ({args.tenant}) to swap its safety copy back in:", args.tenant)
    result = undo_restore(target, args.tenant, tenants_table=tenants_table(args), locks=lock_policy(args))
    print(f"{result.tenant} is back to {result.restored_from}, {result.seconds:.1f} s")
    if result.safety_copy:
        print(f"The replaced state is kept as the safety copy {result.safety_copy} (undo-restore again to return)")
    for line in interrupted_lines(result.interrupted):
        print(line)
    return 0

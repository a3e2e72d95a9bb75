"""`resguardo discard-safety-copy`: drop a safety copy left by a restore."""

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
from app.engine.restore.discard import discard_safety_copy


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--schema", required=True, metavar="NAME", help="the safety copy's schema name")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_tenants_table_option(parser)
    add_lock_options(parser)


def run(args: argparse.Namespace) -> int:
    target = resolve_target(args)
    if not args.yes:
        confirm_by_typing(f"Type the safety copy's name ({args.schema}) to drop it for good:", args.schema)
    interrupted = discard_safety_copy(target, args.schema, tenants_table=tenants_table(args), locks=lock_policy(args))
    print(f"Dropped the safety copy {args.schema}")
    for line in interrupted_lines(interrupted):
        print(line)
    return 0

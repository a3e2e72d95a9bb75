"""`resguardo backup`: one tenant to a backup file, for people and for the OS scheduler."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from app.cli import resolve_target
from app.commands.tenants import human_size
from app.engine.backup import BackupResult, backup_tenant
from app.engine.connection import ConnectionTarget

NAME = "backup"
HELP = "back up one tenant (clinic) to a file"
NEEDS_CONNECTION = True

Writer = Callable[[ConnectionTarget, str, Path, str | None], BackupResult]


def _native(target: ConnectionTarget, schema: str, out: Path, tenants_table: str | None) -> BackupResult:
    return backup_tenant(target, schema, out, tenants_table=tenants_table)


# --format NAME -> the engine call that writes it; other formats register here.
FORMATS: dict[str, Writer] = {"native": _native}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", required=True, metavar="SCHEMA", help="the tenant's schema name")
    parser.add_argument("--out", required=True, metavar="PATH",
                        help="the file to write, or an existing folder (the file is then named "
                        "<schema>_<YYYY-MM-DD_HHMM>.resguardo)")
    parser.add_argument("--format", choices=sorted(FORMATS), default="native",
                        help="native: Resguardo's own checked archive, needs no pg_dump (default)")
    parser.add_argument("--tenants-table", metavar="SCHEMA.TABLE",
                        help="the table holding one row per tenant, when detection is ambiguous")


def run(args: argparse.Namespace) -> int:
    target = resolve_target(args)
    override = args.tenants_table
    if override is None and args.profile:
        from app.engine.profiles import ProfileStore

        override = ProfileStore().get(args.profile).tenants_table or None
    result = FORMATS[args.format](target, args.tenant, Path(args.out), override)
    print(f"Backed up {args.tenant} to {result.path}")
    print(f"{human_size(result.size_bytes)}, {result.rows} rows in {result.tables} tables, "
          f"{result.seconds:.1f} s")
    return 0

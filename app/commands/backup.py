"""`resguardo backup`: one tenant to a backup file, for people and for the OS scheduler."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands.common import add_tenants_table_option, resolve_target, tenants_table
from app.engine.backup.pgdump import BACKUP_FORMATS, write_backup
from app.formatting import human_size

NAME = "backup"
HELP = "back up one tenant (clinic) to a file"
NEEDS_CONNECTION = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", required=True, metavar="SCHEMA", help="the tenant's schema name")
    parser.add_argument(
        "--out",
        required=True,
        metavar="PATH",
        help="the file to write, or an existing folder (the file is then named <schema>_<YYYY-MM-DD_HHMM>.resguardo)",
    )
    parser.add_argument(
        "--format",
        choices=sorted(BACKUP_FORMATS),
        default="native",
        help="native: Resguardo's own checked archive, needs no pg_dump (default); "
        "sql / custom: pg_dump plain SQL (.sql) / custom format (.dump), needs a pg_dump at least "
        "as new as the server (see `resguardo tools`); auto: custom when such a pg_dump exists "
        "and works, native otherwise",
    )
    add_tenants_table_option(parser)


def run(args: argparse.Namespace) -> int:
    target = resolve_target(args)
    result = write_backup(args.format, target, args.tenant, Path(args.out), tenants_table=tenants_table(args))
    print(f"Backed up {args.tenant} to {result.path}")
    rows = f"{result.rows} rows in " if result.format == "native" else ""
    print(
        f"{human_size(result.size_bytes)}, {rows}{result.tables} tables, {result.seconds:.1f} s"
        + (f", {result.tool}" if result.tool else "")
    )
    if result.note:
        print(result.note)
    return 0

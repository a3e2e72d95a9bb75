"""`resguardo backup`: one tenant to a backup file, for people and for the OS scheduler."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from app.cli import profile_setting, resolve_target
from app.engine.backup import BackupResult, backup_tenant
from app.engine.connection import ConnectionTarget
from app.formatting import human_size

NAME = "backup"
HELP = "back up one tenant (clinic) to a file"
NEEDS_CONNECTION = True

Writer = Callable[[ConnectionTarget, str, Path, str | None], BackupResult]


def _native(target: ConnectionTarget, schema: str, out: Path, tenants_table: str | None) -> BackupResult:
    return backup_tenant(target, schema, out, tenants_table=tenants_table)


def _pg_dump(fmt: str) -> Writer:
    def write(target: ConnectionTarget, schema: str, out: Path, tenants_table: str | None) -> BackupResult:
        from app.engine.pgdump_backup import pgdump_tenant

        return pgdump_tenant(target, schema, out, fmt=fmt)
    return write


def _auto(target: ConnectionTarget, schema: str, out: Path, tenants_table: str | None) -> BackupResult:
    from app.engine.pgdump_backup import backup_auto

    return backup_auto(target, schema, out, tenants_table=tenants_table)


# --format NAME -> the engine call that writes it; other formats register here.
FORMATS: dict[str, Writer] = {"native": _native, "sql": _pg_dump("sql"), "custom": _pg_dump("custom"),
                              "auto": _auto}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", required=True, metavar="SCHEMA", help="the tenant's schema name")
    parser.add_argument("--out", required=True, metavar="PATH",
                        help="the file to write, or an existing folder (the file is then named "
                        "<schema>_<YYYY-MM-DD_HHMM>.resguardo)")
    parser.add_argument("--format", choices=sorted(FORMATS), default="native",
                        help="native: Resguardo's own checked archive, needs no pg_dump (default); "
                        "sql / custom: pg_dump plain SQL (.sql) / custom format (.dump), needs a pg_dump at least "
                        "as new as the server (see `resguardo tools`); auto: custom when such a pg_dump exists "
                        "and works, native otherwise")
    parser.add_argument("--tenants-table", metavar="SCHEMA.TABLE",
                        help="the table holding one row per tenant, when detection is ambiguous")


def run(args: argparse.Namespace) -> int:
    target = resolve_target(args)
    override = args.tenants_table or profile_setting(args, "tenants_table")
    result = FORMATS[args.format](target, args.tenant, Path(args.out), override)
    print(f"Backed up {args.tenant} to {result.path}")
    fmt = getattr(result, "format", "native")
    rows = f"{result.rows} rows in " if fmt == "native" else ""
    print(f"{human_size(result.size_bytes)}, {rows}{result.tables} tables, {result.seconds:.1f} s"
          + (f", {getattr(result, 'tool', '')}" if fmt != "native" else ""))
    if getattr(result, "note", ""):
        print(result.note)  # type: ignore[attr-defined]
    return 0

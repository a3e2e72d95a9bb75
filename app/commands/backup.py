"""`resguardo backup`: one tenant, or every clinic, to backup files, for people and for the OS scheduler."""

from __future__ import annotations

import argparse

from app.commands.common import add_tenants_table_option, resolve_target, tenants_table
from app.commands.encryption_options import add_encrypt_option, encryption_keys
from app.engine.backup.backup import BACKUP_FORMATS, Backup
from app.engine.backup.many import MAX_JOBS, ClinicOutcome, backup_all
from app.engine.errors import CommandLineError
from app.formatting import human_size
from app.text_safety import terminal


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--tenant", metavar="SCHEMA", help="the tenant's schema name")
    which.add_argument(
        "--all",
        action="store_true",
        help="every clinic of the database, each into its own folder of --out: "
        "<out>/<clinic>/<clinic>_<YYYY-MM-DD_HHMMSSZ>.resguardo (staging schemas and safety copies are left out)",
    )
    parser.add_argument(
        "--out",
        required=True,
        metavar="PATH",
        help="the file to write, or an existing folder (the file is then named <schema>_<YYYY-MM-DD_HHMMSSZ>"
        ".resguardo, UTC, with _2, _3... rather than replace a file); a trailing / means a folder, which must "
        "exist; with --all, the existing folder to write into",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="replace the file --out names if it exists (without it, an existing file is refused)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help=f"with --all: how many clinics are backed up at a time (1 to {MAX_JOBS}, default 2)",
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
    add_encrypt_option(parser)


def run(args: argparse.Namespace) -> int:
    if args.jobs is not None and not args.all:
        raise CommandLineError("--jobs goes with --all (how many clinics at a time); a single --tenant is one job.")
    if args.jobs is not None and not 1 <= args.jobs <= MAX_JOBS:
        raise CommandLineError(
            f"--jobs must be between 1 and {MAX_JOBS} (clinics backed up at a time); {args.jobs} was given."
        )
    keys = encryption_keys(args)
    if args.all:
        return _run_all(args, keys)
    target = resolve_target(args)
    result = Backup(
        target,
        args.tenant,
        args.out,
        fmt=args.format,
        encrypt_to=keys,
        tenants_table=tenants_table(args),
        replace=args.replace,
    ).run()
    print(f"Backed up {args.tenant} to {result.path}")
    rows = f"{result.rows} rows in " if result.format == "native" else ""
    print(
        f"{human_size(result.size_bytes)}, {rows}{result.tables} tables, {result.seconds:.1f} s"
        + (f", {result.tool}" if result.tool else "")
    )
    if result.note:
        print(result.note)
    elif args.format == "auto":  # why it chose pg_dump, as the note says why it did not
        print(f"Automatic chose pg_dump's custom format: {result.tool or 'pg_dump'} fits this server.")
    return 0


def _run_all(args: argparse.Namespace, keys: list[str]) -> int:
    if args.replace:
        raise CommandLineError("--replace does not go with --all: its files get new names, and never replace a file.")
    target = resolve_target(args)
    result = backup_all(
        target,
        args.out,
        jobs=2 if args.jobs is None else args.jobs,
        fmt=args.format,
        tenants_table=tenants_table(args),
        on_clinic=_line,
        encrypt_to=keys,
    )
    print(result.summary() if result.clinics else "No clinics to back up in this database.")
    return 0 if result.ok else 1


def _line(outcome: ClinicOutcome) -> None:
    """One line per clinic, as each finishes."""
    name = terminal(outcome.schema)
    tries = " (at the retry)" if outcome.attempts > 1 else ""
    if outcome.ok and outcome.path is not None:
        print(
            f"ok      {name}: {terminal(str(outcome.path))}, {human_size(outcome.size_bytes)}, "
            f"{outcome.seconds:.1f} s{tries}",
            flush=True,
        )
        return
    print(f"{outcome.status.value:<7} {name}: {terminal(outcome.error)}{tries}", flush=True)

"""`resguardo verify`: check a backup file end to end, without any database."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands.tenants import human_size
from app.engine.verify import verify_archive

NAME = "verify"
HELP = "check that a backup file is whole (checksums, row counts); needs no database"
NEEDS_CONNECTION = False


def _native(path: Path) -> str:
    """The one-line summary of a native archive; raises ArchiveError naming what is wrong."""
    r = verify_archive(path)
    return (f"OK: {r.path.name} holds tenant {r.source_schema!r} from {r.created_utc}: {r.tables} tables, "
            f"{r.rows} rows, {human_size(r.bytes)} of data; every checksum matches.")


def _pg_dump(path: Path) -> str | None:
    """The one-line summary of a .sql or custom-format pg_dump file; None when it is not one."""
    from app.engine.pgdump_source import has_data, verify_pgdump

    s = verify_pgdump(path)
    if s is None:
        return None
    kind = "plain SQL" if s.kind == "sql" else "custom-format"
    data = "with data" if has_data(s) else "without data"
    return (f"OK: {s.path.name} is a complete {kind} dump of schema {s.source_schema!r} by {s.tool_version}: "
            f"{len(s.tables)} tables, {data}; it reads in full.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--file", required=True, metavar="PATH", help="the backup file to check")


def run(args: argparse.Namespace) -> int:
    print(_pg_dump(Path(args.file)) or _native(Path(args.file)))
    return 0

"""`resguardo verify`: check a backup file end to end, without any database."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from app.commands.encryption_options import add_identity_option, readable_file
from app.engine.archive.verify import FileCheck, verify_file
from app.formatting import human_size


def describe(check: FileCheck) -> str:
    """One line a script can log: what the file holds, and that it reads in full."""
    if check.kind == "native":
        return (
            f"OK: {check.path.name} holds tenant {check.source_schema!r} from {check.created_utc}: "
            f"{check.tables} tables, {check.rows} rows, {human_size(check.bytes)} of data; "
            "every checksum matches."
        )
    if check.kind == "django-json":
        return (
            f"OK: {check.path.name} is a complete Django dumpdata export: {check.rows} objects of "
            f"{check.tables} models; it reads in full."
        )
    kind = "plain SQL" if check.kind == "sql" else "custom-format"
    data = "with data" if check.has_data else "without data"
    return (
        f"OK: {check.path.name} is a complete {kind} dump of schema {check.source_schema!r} by "
        f"{check.tool_version}: {check.tables} tables, {data}; it reads in full."
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--file", required=True, metavar="PATH", help="the backup file to check")
    add_identity_option(parser)


def run(args: argparse.Namespace) -> int:
    with readable_file(args) as path:  # an encrypted file: its decrypted copy, checked in full
        check = verify_file(path)
    print(describe(replace(check, path=Path(args.file))))
    return 0

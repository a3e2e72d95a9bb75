"""`resguardo verify`: check a backup file end to end, without any database; with `--restore-test`, also load it into
a test copy of its clinic on the server, check every table against the file, and remove the copy."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from app.commands.common import add_connection_options, add_tenants_table_option
from app.commands.encryption_options import add_identity_option, readable_file
from app.engine.errors import CommandLineError
from app.engine.inspection.verify import FileCheck, verify_file
from app.formatting import human_size

if TYPE_CHECKING:
    from app.engine.rehearsal.rehearsal import RehearsalResult


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
    test = parser.add_argument_group("restore test (needs a server: --dsn or --profile)")
    test.add_argument(
        "--restore-test",
        action="store_true",
        help="load the backup into a test copy beside its clinic through the restore's own checks, compare every "
        "table's rows and checksum with the file, then remove the copy; the clinic itself is never touched. The "
        "result is written beside the file (FILE.restore-test.json)",
    )
    test.add_argument(
        "--tenant",
        metavar="SCHEMA",
        help="the clinic whose owner the test copy takes (default: the clinic the file was made from)",
    )
    add_connection_options(parser)
    add_tenants_table_option(parser)


def run(args: argparse.Namespace) -> int:
    if not args.restore_test:
        if args.tenant or args.dsn or args.profile:
            raise CommandLineError("--tenant, --dsn and --profile go with --restore-test.")
        return _verify(args)
    return _restore_test(args)


def _verify(args: argparse.Namespace) -> int:
    with readable_file(args) as path:  # an encrypted file: its decrypted copy, checked in full
        check = verify_file(path)
    print(describe(replace(check, path=Path(args.file))))
    return 0


def _restore_test(args: argparse.Namespace) -> int:
    """Exit 0 when the backup restored every table as the file says; 1 when it did not (the record says so) or the
    test was refused (busy clinic, rights, server: then nothing is recorded, since it says nothing of the file)."""
    from app.commands.common import resolve_target, tenants_table
    from app.engine.errors import ArchiveError, RestoreFailed
    from app.engine.rehearsal.rehearsal import RehearsalFailed, rehearse_restore
    from app.engine.routine.found import FoundBackup, read_backup
    from app.engine.routine.verified import record_restore_test

    target = resolve_target(args)
    original = Path(args.file)
    with readable_file(args) as path:  # an encrypted file: its decrypted copy, loaded
        found = read_backup(path)
        checksum = found.checksum if isinstance(found, FoundBackup) else None
        try:
            result = rehearse_restore(target, path, tenant=args.tenant, tenants_table=tenants_table(args))
        except (RehearsalFailed, ArchiveError, RestoreFailed) as exc:
            loaded = exc.result if isinstance(exc, RehearsalFailed) else None
            outcome = _outcome(loaded, target.describe()) if loaded else {"ok": False, "server": target.describe()}
            outcome["error"] = exc.message
            where = record_restore_test(original, checksum, outcome)
            exc.message += f" (recorded in {where.name})"
            raise
    where = record_restore_test(original, checksum, _outcome(result, target.describe()))
    print(_passed(result, original, where.name))
    for warning in result.warnings:
        print(f"Warning: {warning}")
    return 0


def _outcome(result: RehearsalResult, server: str) -> dict[str, object]:
    from app.engine.routine.clinic_backups import rehearsal_outcome

    return rehearsal_outcome(result, server)


def _passed(result: RehearsalResult, path: Path, record: str) -> str:
    checked = (
        "every table's row count and checksum match the file"
        if result.kind == "native"
        else "every table's rows were counted (the file holds no checksums)"
    )
    return (
        f"OK: restore test of {path.name} passed: {len(result.tables)} tables, {result.rows} rows loaded into a test "
        f"copy beside clinic {result.tenant!r} and read back; {checked} ({result.seconds:.1f} s). The test copy was "
        f"removed and the clinic was not touched. Recorded in {record}."
    )

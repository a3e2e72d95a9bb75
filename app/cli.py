"""The command line: the same engine as the window, for scripts and the OS scheduler.

Exit status: 0 success, 1 every refusal or failure (one line on stderr; --debug adds the traceback), 2 a wrong
command line only (argparse's errors, and CommandLineError: options that do not go together).
Each subcommand lives in `app/commands/<name>.py` and is listed in COMMANDS.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import logging
import os
import sys
import threading
import traceback
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from app import __version__
from app.engine.errors import Choice, CommandLineError, ResguardoError, said
from app.text_safety import terminal_sentence

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
FLAGS = {  # how to make, here, each choice an error names
    Choice.ALLOW_OTHER_TENANT: "--allow-other-tenant",
    Choice.LONGER_LOCK_WAIT: "--lock-wait SECONDS",
    Choice.INTERRUPT_APP: "--interrupt-app SECONDS",
    Choice.CUSTOM_FORMAT: "--format custom",
    Choice.KEY_FILE: "--identity FILE",
}


def _said(exc: ResguardoError) -> str:
    """The engine's sentence, with the flag beside each choice it names."""
    text = said(exc)
    for choice in exc.choices:
        text = text.replace(choice, f"{choice} ({FLAGS[choice]})", 1)
    return f"resguardo: {terminal_sentence(text)}"  # names and queries in it were written by the web application


# Each command as (name, module app/commands/<module>.py, help, whether it connects), listed here so that the
# parser names every command while importing only the one the command line asks for: `--version` imports no
# command and `tenants` no backup, pg_dump, pglast, Qt or JSON-reader code (tests/test_cli_imports.py).
COMMANDS: tuple[tuple[str, str, str, bool], ...] = (
    ("demo", "demo", "start a private PostgreSQL with the demo clinics and open the window on it", False),
    (
        "open",
        "open_file",
        "open the window on a backup file: it is checked, then offered for restore into the clinic it names "
        "(nothing is restored without the usual confirmation)",
        False,
    ),
    (
        "tenants",
        "tenants",
        "list the tenants (clinics) with their domains and sizes, and schemas that have no tenant row",
        True,
    ),
    ("backup", "backup", "back up one tenant (clinic), or all of them, to files", True),
    (
        "verify",
        "verify",
        "check that a backup file is whole (checksums, row counts); needs no database, except --restore-test "
        "(load it into a test copy beside its clinic, check every table, remove the copy)",
        False,
    ),
    (
        "diff",
        "diff",
        "compare a backup with the live tenant row by row: what was deleted, added and changed since the backup",
        True,
    ),
    (
        "restore",
        "restore",
        "restore one tenant (clinic) from a backup file; the replaced tenant is kept as a safety copy",
        True,
    ),
    (
        "undo-restore",
        "undo_restore",
        "swap a tenant's safety copy back in; the replaced state becomes the safety copy",
        True,
    ),
    (
        "recover",
        "recover",
        "bring chosen rows back from a backup into the live tenant, with the rows that refer to them; undoable",
        True,
    ),
    (
        "undo-recover",
        "undo_recover",
        "remove exactly the rows the tenant's latest recovery inserted (refused if any changed since)",
        True,
    ),
    (
        "discard-safety-copy",
        "discard_safety_copy",
        "drop a safety copy (a schema named in `resguardo tenants` as a safety copy)",
        True,
    ),
    (
        "prune",
        "prune",
        "remove the backups in a folder that the keep rules no longer want (per clinic, newest of each period)",
        False,
    ),
    (
        "schedule",
        "schedule",
        "back up clinics every day through the OS's own scheduler (add, list, remove, run)",
        False,
    ),
    (
        "key",
        "key",
        "make a key that encrypts backups, show its public half, print its recovery sheet, give it to a profile",
        False,
    ),
    (
        "tools",
        "tools",
        "list the PostgreSQL client tools found (pg_dump, pg_restore, psql) and, with a server, "
        "which one would be used for it",
        True,
    ),
)


def command_module(module: str) -> ModuleType:
    return importlib.import_module(f"app.commands.{module}")


def _command_named(argv: Sequence[str]) -> str | None:
    """The command the command line names: its first word that is not an option (the program's own options
    take no value), or None."""
    for word in argv:
        if word == "--":
            continue
        if not word.startswith("-"):
            return word
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; given the command line, only its command's options are built (and its module imported):
    argparse reads no other command's, and the listing of commands is the same either way."""
    parser = argparse.ArgumentParser(
        prog="resguardo",
        description="Back up and restore one clinic (tenant) at a time in a schema-per-tenant "
        "PostgreSQL database. With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"resguardo {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = None if argv is None else _command_named(argv)
    for name, module_name, help_text, needs_connection in COMMANDS:
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if argv is not None and name != wanted:
            continue
        module = command_module(module_name)
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        if needs_connection:
            from app.commands.common import add_connection_options

            add_connection_options(sub)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command is None:
            from app.ui.launch import open_window

            return open_window(None)
        return int(args.handler(args))
    except ResguardoError as exc:
        if args.debug:
            traceback.print_exc()
            if exc.details:
                print("\n".join(map(terminal_sentence, exc.details.split("\n"))), file=sys.stderr)
        print(_said(exc), file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, CommandLineError) else EXIT_FAILURE
    except KeyboardInterrupt:
        if args.debug:
            traceback.print_exc()
        print("resguardo: interrupted.", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        print(
            f"resguardo: unexpected error: {type(exc).__name__}: {terminal_sentence(str(exc))}"
            " (run with --debug for details)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


def run() -> NoReturn:
    """The program's entry point (`resguardo`, `python -m app`): `main`, then the process ends without the
    interpreter's teardown, which frees every module and class one by one (PostgreSQL's parse-tree classes,
    psycopg's adapters): about 0.1 s of CPU after a restore, longer than the swap. What the teardown does that
    matters happens first: output flushed, atexit handlers run (logging's shutdown closes its files). The
    normal exit instead when a window ran (Qt ends its own way), a thread other than a daemon's is still
    running (it is waited for), or the output cannot be written (the usual error and status)."""
    code = main()
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if "PySide6" in sys.modules or others:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        sys.exit(code)
    atexit._run_exitfuncs()
    os._exit(code)

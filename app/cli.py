"""The command line: the same engine as the window, for scripts and the OS scheduler.

Exit status: 0 success, 1 every refusal or failure (one line on stderr; --debug adds the traceback), 2 a wrong
command line only (argparse's errors, and CommandLineError: options that do not go together).
Each subcommand lives in `app/commands/<name>.py` and is listed in COMMANDS.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType

from app import __version__
from app.commands.common import add_connection_options
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


def _command_modules() -> list[ModuleType]:
    from app.commands import (
        backup,
        demo,
        discard_safety_copy,
        key,
        prune,
        restore,
        schedule,
        tenants,
        tools,
        undo_restore,
        verify,
    )

    return [demo, tenants, backup, verify, restore, undo_restore, discard_safety_copy, prune, schedule, key, tools]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="resguardo",
        description="Back up and restore one clinic (tenant) at a time in a schema-per-tenant "
        "PostgreSQL database. With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"resguardo {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        sub = subparsers.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        if getattr(module, "NEEDS_CONNECTION", False):
            add_connection_options(sub)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
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

"""The command line: the same engine as the window, for scripts and the OS scheduler.

Exit status: 0 success, 1 failure (one line on stderr), 2 usage error.
Each subcommand lives in `app/commands/<name>.py` and is listed in COMMANDS.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType

from app import __version__
from app.engine.connection import ConnectionTarget
from app.engine.errors import ResguardoError, UsageError
from app.engine.swap import LockPolicy

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def _command_modules() -> list[ModuleType]:
    from app.commands import backup, demo, discard_safety_copy, restore, tenants, tools, undo_restore, verify

    return [demo, tenants, backup, verify, restore, undo_restore, discard_safety_copy, tools]


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument("--dsn", metavar="URI", help="libpq URI or key=value string (or env RESGUARDO_DSN)")
    group.add_argument("--profile", metavar="NAME", help="a saved profile; its password comes from the keyring")


def resolve_target(args: argparse.Namespace) -> ConnectionTarget:
    """The server named by --dsn, RESGUARDO_DSN or --profile, in that order."""
    if args.dsn and args.profile:
        raise UsageError("Give either --dsn or --profile, not both.")
    if args.profile:
        from app.engine.profiles import ProfileStore
        from app.engine.secrets import SecretStore

        profile = ProfileStore().get(args.profile)
        password = SecretStore().get(profile.name)
        return profile.target(password)
    dsn = args.dsn or os.environ.get("RESGUARDO_DSN")
    if not dsn:
        raise UsageError("No server given: use --dsn URI, the RESGUARDO_DSN variable, or --profile NAME.")
    return ConnectionTarget.from_dsn(dsn)


def profile_setting(args: argparse.Namespace, name: str) -> str | None:
    """A per-database setting (`tenants_table`, `user_table`) of the --profile in use, if any."""
    if not getattr(args, "profile", None):
        return None
    from app.engine.profiles import ProfileStore

    return getattr(ProfileStore().get(args.profile), name) or None


def add_lock_options(parser: argparse.ArgumentParser) -> None:
    """How long the swap may make the web application wait, per attempt and in all."""
    default = LockPolicy()
    parser.add_argument("--lock-attempt", type=_seconds, default=default.attempt_seconds, metavar="SECONDS",
                        help="the longest one lock attempt may make the web application wait "
                             f"(default {default.attempt_seconds:g})")
    parser.add_argument("--lock-wait", type=_seconds, default=default.total_seconds, metavar="SECONDS",
                        help=f"how long to keep trying before giving up, changing nothing (default "
                             f"{default.total_seconds:g})")


def lock_policy(args: argparse.Namespace) -> LockPolicy:
    return LockPolicy(attempt_seconds=args.lock_attempt, total_seconds=args.lock_wait)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 86400 seconds: {text!r}")
    return value


def confirm_by_typing(prompt: str, expected: str) -> None:
    """Ask for `expected` to be typed on stdin; anything else cancels, having changed nothing."""
    print(f"{prompt} ", end="", flush=True)
    if sys.stdin.readline().strip() != expected:
        from app.engine.errors import Cancelled

        raise Cancelled("Cancelled; nothing was changed.")


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
    except UsageError as exc:
        print(f"resguardo: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except ResguardoError as exc:
        if args.debug:
            traceback.print_exc()
            if exc.details:
                print(exc.details, file=sys.stderr)
        print(f"resguardo: {exc.message}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("resguardo: interrupted.", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as exc:  # noqa: BLE001 - last resort: one line, traceback only with --debug
        if args.debug:
            traceback.print_exc()
        print(f"resguardo: unexpected error: {type(exc).__name__}: {exc} (run with --debug for details)",
              file=sys.stderr)
        return EXIT_FAILURE

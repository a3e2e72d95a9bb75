"""What the commands share: the connection options and target, profile settings, the lock options, and the
typed confirmation. (`app/cli.py` builds the parser from the commands; the commands never import it.)"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from app.engine.connection import ConnectionTarget
from app.engine.errors import CommandLineError

if TYPE_CHECKING:
    from app.engine.restore.table_locks import LockPolicy, Session
    from app.engine.stores.profiles import Profile
    from app.engine.stores.secrets import SecretStore


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument("--dsn", metavar="URI", help="libpq URI or key=value string (or env RESGUARDO_DSN)")
    group.add_argument("--profile", metavar="NAME", help="a saved profile; its password comes from the keyring")


def resolve_target(args: argparse.Namespace) -> ConnectionTarget:
    """The server named by --dsn, RESGUARDO_DSN or --profile, in that order."""
    if args.dsn and args.profile:
        raise CommandLineError("Give either --dsn or --profile, not both.")
    if args.profile:
        from app.engine.stores.profiles import ProfileStore
        from app.engine.stores.secrets import SecretStore

        profile = ProfileStore().get(args.profile)
        return profile_target(profile, SecretStore())
    dsn = args.dsn or os.environ.get("RESGUARDO_DSN")
    if not dsn:
        raise CommandLineError("No server given: use --dsn URI, the RESGUARDO_DSN variable, or --profile NAME.")
    return ConnectionTarget.from_dsn(dsn)


def profile_target(profile: Profile, secrets: SecretStore) -> ConnectionTarget:
    """The profile's server with its keyring password; a keyring that is locked or does not answer within a few
    seconds (an unlock prompt) is given up with a sentence, unless libpq has the password elsewhere."""
    from app.engine.errors import ConnectionFailed
    from app.engine.routine.password import libpq_source, what_to_do
    from app.engine.stores.secrets import KeyringState

    lookup = secrets.lookup(profile.name)
    if lookup.state in (KeyringState.LOCKED, KeyringState.NO_ANSWER) and libpq_source(profile) is None:
        raise ConnectionFailed(f"{lookup.sentence()} {what_to_do(profile)}")
    return profile.target(lookup.password)


def profile_setting(args: argparse.Namespace, name: str) -> str | None:
    """A per-database setting (`tenants_table`, `user_table`) of the --profile in use, if any."""
    if not getattr(args, "profile", None):
        return None
    from app.engine.stores.profiles import ProfileStore

    return getattr(ProfileStore().get(args.profile), name) or None


def add_tenants_table_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tenants-table",
        metavar="SCHEMA.TABLE",
        help="the table holding one row per tenant, when detection is ambiguous "
        "(default: the profile's setting, else detected)",
    )


def tenants_table(args: argparse.Namespace) -> str | None:
    """--tenants-table, else the profile's setting, else None (detected)."""
    return args.tenants_table or profile_setting(args, "tenants_table")


def add_lock_options(parser: argparse.ArgumentParser) -> None:
    """How long the swap may make the web application wait, per attempt and in all, and whether to interrupt it.
    (The lock modules are imported by the commands that take locks, not by `tenants` or `backup`.)"""
    from app.engine.restore.table_locks import LockPolicy

    default = LockPolicy()
    parser.add_argument(
        "--lock-attempt",
        type=_seconds,
        default=default.attempt_seconds,
        metavar="SECONDS",
        help=f"the longest one lock attempt may make the web application wait (default {default.attempt_seconds:g})",
    )
    parser.add_argument(
        "--lock-wait",
        type=_seconds,
        default=default.total_seconds,
        metavar="SECONDS",
        help=f"how long to keep trying before giving up, changing nothing (default {default.total_seconds:g})",
    )
    parser.add_argument(
        "--interrupt-app",
        type=_seconds,
        metavar="SECONDS",
        help="after trying this long, cancel the web application's statements that hold or wait for this "
        "clinic's tables (only those, never another clinic's), and say whose (default: never)",
    )


def lock_policy(args: argparse.Namespace) -> LockPolicy:
    """The lock options; --interrupt-app must come before --lock-wait ends, or it would never happen."""
    if args.interrupt_app is not None and args.interrupt_app >= args.lock_wait:
        raise CommandLineError(
            f"--interrupt-app {args.interrupt_app:g} would come after --lock-wait {args.lock_wait:g} has given up; "
            "give a shorter --interrupt-app or a longer --lock-wait."
        )
    from app.engine.restore.table_locks import LockPolicy

    return LockPolicy(
        attempt_seconds=args.lock_attempt, total_seconds=args.lock_wait, interrupt_after=args.interrupt_app
    )


def writing_beside_the_app(args: argparse.Namespace) -> LockPolicy:
    """The lock options of a job that only adds or removes rows beside the web application's work (recover,
    undo-recover): it never interrupts the application, so --interrupt-app is a wrong command line there."""
    if args.interrupt_app is not None:
        raise CommandLineError(
            "--interrupt-app does not apply here: the rows are written beside the web application's work, which "
            "is never interrupted; a table locked by a schema change or a restore is waited for (--lock-wait)."
        )
    return lock_policy(args)


def interrupted_lines(sessions: list[Session]) -> list[str]:
    """What --interrupt-app did: whose statements were cancelled."""
    if not sessions:
        return []
    return [f"Interrupted the web application's work on the clinic: {', '.join(s.short() for s in sessions)}"]


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

        raise Cancelled("Cancelled.", changed=False)

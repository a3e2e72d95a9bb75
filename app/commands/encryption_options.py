"""What the commands share for encrypted backups: --encrypt-to and --identity, the passphrase prompt, and reading an
encrypted file through its decrypted copy (app/engine/encryption/reading.py)."""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.engine.encryption.reading import plain_copy
from app.engine.errors import ResguardoError


def ask_passphrase(what: str) -> str:
    """The passphrase of `what` (a key file), read from the terminal without echo; never logged nor kept."""
    return getpass.getpass(f"Passphrase of {what}: ")


def add_encrypt_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--encrypt-to",
        action="append",
        default=[],
        metavar="RECIPIENT",
        help="write the backup as an age file (.age) encrypted to this public key (age1... or an SSH public key), "
        "or to the keys in this file; repeatable: any one key opens it. The profile's keys are always added",
    )


def encryption_keys(args: argparse.Namespace) -> list[str]:
    """--encrypt-to, plus the keys of the --profile in use: an encrypted profile never writes a plain backup."""
    keys: list[str] = list(args.encrypt_to)
    if getattr(args, "profile", None):
        from app.engine.stores.profiles import ProfileStore

        keys += ProfileStore().get(args.profile).encrypt_to
    return keys


def add_identity_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--identity",
        metavar="FILE",
        help="the key file that opens an encrypted (.age) backup: Resguardo's (asks for its passphrase), "
        "age-keygen's, or an SSH private key",
    )


@contextmanager
def readable_file(args: argparse.Namespace, *, restoring: bool = False) -> Iterator[Path]:
    """The --file to read: itself, or for an encrypted file its decrypted copy while the command runs. `restoring`:
    a failure before the restore changed anything says so (a wrong key, a damaged file)."""
    identity = Path(args.identity) if args.identity else None
    try:
        with plain_copy(Path(args.file), identity, ask_passphrase) as path:
            yield path
    except ResguardoError as exc:
        if restoring and exc.changed is None:
            exc.changed = False
        raise

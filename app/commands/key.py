"""`resguardo key`: make an encryption key, show its public half, print its recovery sheet."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path

from app.commands.encryption_options import ask_passphrase
from app.engine.encryption.identities import create_key, public_keys
from app.engine.encryption.recipients import fingerprint, parse_recipients, recipient_lines
from app.engine.encryption.recovery_sheet import write_recovery_sheet
from app.engine.errors import CommandLineError, UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="key_action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create", help="make a new key; the private half goes to FILE, protected by a passphrase you choose"
    )
    create.add_argument("--out", required=True, metavar="FILE", help="the new key file (never replaced)")
    show = actions.add_parser("show-public", help="print the public half of a key file (asks for its passphrase)")
    show.add_argument("file", metavar="FILE", help="the key file")
    sheet = actions.add_parser(
        "recovery-sheet", help="write a printable page: public key, fingerprint, how to recover a backup with age"
    )
    sheet.add_argument("file", metavar="FILE", help="the key file")
    sheet.add_argument("--out", required=True, metavar="PATH", help="the page to write (HTML, to print)")
    sheet.add_argument(
        "--include-key-file",
        action="store_true",
        help="also print the key file itself (still protected by its passphrase), for a paper copy in a safe",
    )
    profile = actions.add_parser(
        "set-profile",
        help="encrypt every backup of a saved profile to these public keys (or files of them); --none: plain again",
    )
    profile.add_argument("profile", metavar="PROFILE", help="the saved profile's name")
    profile.add_argument("keys", nargs="*", metavar="RECIPIENT", help="public keys (age1..., SSH) or files of them")
    profile.add_argument("--none", action="store_true", help="no keys: the profile's backups are plain again")


def run(args: argparse.Namespace) -> int:
    if args.key_action == "create":
        return _create(Path(args.out))
    if args.key_action == "set-profile":
        return _set_profile(args.profile, args.keys, args.none)
    if args.key_action == "show-public":
        for line in public_keys(Path(args.file), ask_passphrase):
            print(line)
        return 0
    key_file = Path(args.file)
    public = public_keys(key_file, ask_passphrase)[0]
    out = write_recovery_sheet(Path(args.out), public, key_file, include_key_file=args.include_key_file)
    print(f"Recovery sheet written to {out}; print it and keep it with the key, away from the backups.")
    return 0


def _create(out: Path) -> int:
    if out.exists():
        raise UsageError(f"{out} already exists; a key file is never replaced (choose another name).")
    first = getpass.getpass("New passphrase for the key: ")
    if getpass.getpass("The same passphrase again: ") != first:
        raise UsageError("The two passphrases differ; no key was made.")
    public = create_key(out, first)
    print(f"Key written to {out} (the private half, protected by the passphrase).")
    print("Public key (give it to `resguardo backup --encrypt-to`, or to a profile):")
    print(public)
    print(f"Fingerprint: {fingerprint(public)}")
    return 0


def _set_profile(name: str, keys: list[str], none: bool) -> int:
    from app.engine.stores.profiles import ProfileStore

    if none == bool(keys):
        raise CommandLineError("Give the public keys to encrypt to, or --none for plain backups (not both).")
    lines = recipient_lines(keys)
    if lines:
        parse_recipients(lines)  # each one a valid public key
        ProfileStore().set_encryption(name, lines)
    else:
        from app.engine.routine.profile_keys import remove_keys

        store = ProfileStore()
        remove_keys(name, store.get(name).encrypt_to, store)  # refused while a schedule encrypts with them
        print(
            f"Backups of profile {name} are no longer encrypted. Backups already written stay encrypted: keep "
            "their key file to read them."
        )
    for line in lines:
        print(f"Backups of profile {name} are encrypted to {line} ({fingerprint(line)})")
    return 0

"""Private keys: Resguardo's key file (an X25519 identity, age-encrypted with a passphrase) and the other identity
files `age -d -i` reads (age-keygen's plain file, an unencrypted OpenSSH private key).

The key file is age's own convention for a protected identity: `age -d key.age` with the passphrase prints it, and
`age -d -i key.age backup.age` asks for the passphrase and decrypts. It is armored (ASCII) so that it can be
printed. The passphrase comes from a prompt the front end owns (the CLI's getpass); the engine never stores it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyrage import DecryptError, IdentityError, passphrase, ssh, x25519

from app.engine.encryption.header import parse_header
from app.engine.errors import KeyRefused, UsageError
from app.engine.stores.files import fsync_dir

PassphrasePrompt = Callable[[str], str]  # given what the passphrase opens (a file name), the passphrase
MAX_KEY_FILE = 64 * 1024
MIN_PASSPHRASE = 8
SECRET_PREFIX = "AGE-SECRET-KEY-1"


def create_key(out: Path, new_passphrase: str) -> str:
    """Write a new identity to `out` (a new file, owner-only), encrypted with `new_passphrase`; its public key."""
    out = Path(out)
    if len(new_passphrase) < MIN_PASSPHRASE:
        raise UsageError(f"The passphrase is too short: use at least {MIN_PASSPHRASE} characters (a few words).")
    if not out.parent.is_dir():
        raise UsageError(f"The folder {out.parent} does not exist.")
    identity = x25519.Identity.generate()
    public = str(identity.to_public())
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    text = f"# created: {created}\n# public key: {public}\n{identity}\n"
    data: bytes = passphrase.encrypt(text.encode(), new_passphrase, armored=True)
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(f"{out} already exists; a key file is never replaced (choose another name).") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        fsync_dir(out.parent)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return public


def load_identities(path: Path, prompt: PassphrasePrompt) -> list[Any]:
    """pyrage's identities held by the identity file at `path`, asking `prompt` for its passphrase when it has one."""
    path = Path(path)
    data = _read(path)
    header = parse_header(data)
    if header is not None:
        if not header.passphrase:
            raise KeyRefused(
                f"{path.name} is an encrypted file, but not a key protected by a passphrase; give the key file."
            )
        try:
            data = passphrase.decrypt(data, prompt(path.name))
        except DecryptError:
            raise KeyRefused(
                f"The passphrase does not open the key file {path.name}.", reason=KeyRefused.WRONG_PASSPHRASE
            ) from None
    text = data.decode("utf-8", errors="replace")
    if "-----BEGIN OPENSSH PRIVATE KEY-----" in text or "-----BEGIN RSA PRIVATE KEY-----" in text:
        try:
            return [ssh.Identity.from_buffer(data)]
        except (IdentityError, ValueError):
            raise KeyRefused(
                f"{path.name} is an SSH private key Resguardo cannot use (protected by a passphrase, or of "
                "another type); use an age key (`resguardo key create`) or an unprotected ed25519 or RSA key."
            ) from None
    return _x25519(path, text)


def public_keys(path: Path, prompt: PassphrasePrompt) -> list[str]:
    """The public halves (age1...) of the age identities in the file at `path`."""
    identities = load_identities(path, prompt)
    publics = [str(i.to_public()) for i in identities if isinstance(i, x25519.Identity)]
    if not publics:
        raise UsageError(f"{path.name} is an SSH key: its public half is the .pub file beside it.")
    return publics


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_KEY_FILE:
            raise KeyRefused(f"{path.name} is too large to be a key file.")
        return path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"The key file {path} does not exist.") from None
    except OSError as exc:
        raise KeyRefused(f"The key file {path.name} cannot be read: {exc.strerror or exc}.") from None


def _x25519(path: Path, text: str) -> list[Any]:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines or not all(ln.startswith(SECRET_PREFIX) for ln in lines):
        raise KeyRefused(f"{path.name} is not a key file (Resguardo's, age-keygen's or an SSH private key).")
    try:
        return [x25519.Identity.from_str(ln) for ln in lines]
    except IdentityError:
        raise KeyRefused(f"{path.name} holds a damaged age key.") from None

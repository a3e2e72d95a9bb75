"""Public keys a backup is encrypted to: age X25519 keys (`age1...`) and SSH public keys, as `age -r` takes them.

A recipient may also be given as a file holding recipients, one a line (`#` comments), as `age -R` reads them:
an SSH `.pub` file, or a list of the clinic's keys.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pyrage import RecipientError, ssh, x25519

from app.engine.errors import UsageError

SSH_TYPES = ("ssh-ed25519", "ssh-rsa")
MAX_RECIPIENTS_FILE = 64 * 1024


def recipient_lines(values: Iterable[str]) -> list[str]:
    """Each public key named by `values` (keys, or files of keys), once, in the order given."""
    found: list[str] = []
    for value in values:
        for line in _expand(value.strip()):
            if line not in found:
                found.append(line)
    return found


def parse_recipients(values: Iterable[str]) -> list[Any]:
    """pyrage's recipient objects for `values`; UsageError naming the first one that is not a public key."""
    lines = recipient_lines(values)
    if not lines:
        raise UsageError("No public key given to encrypt to.")
    return [_parse(line) for line in lines]


def fingerprint(line: str) -> str:
    """A short, checkable name of a public key: OpenSSH's own for SSH keys (`ssh-keygen -lf`), and for age keys the
    SHA-256 of the key's text (`printf %s age1... | sha256sum`), in groups of four."""
    kind, _, rest = line.partition(" ")
    if kind in SSH_TYPES:
        blob = base64.b64decode(rest.split()[0])
        return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    digest = hashlib.sha256(line.encode()).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def _expand(value: str) -> list[str]:
    if value.startswith("age1") or value.startswith(SSH_TYPES):
        return [value]
    path = Path(value).expanduser()
    if path.is_file():
        if path.stat().st_size > MAX_RECIPIENTS_FILE:
            raise UsageError(f"{path.name} is too large to be a file of public keys.")
        text = path.read_text(encoding="utf-8", errors="replace")
        if "PRIVATE KEY" in text or "AGE-SECRET-KEY-" in text:
            raise UsageError(
                f"{path.name} holds a private key; encrypt to its public half (`resguardo key show-public`, or the "
                ".pub file beside an SSH key)."
            )
        return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    raise UsageError(f"{value!r} is not a public key (age1... or ssh-ed25519 / ssh-rsa ...) nor a file of public keys.")


def _parse(line: str) -> Any:
    try:
        if line.startswith(SSH_TYPES):
            return ssh.Recipient.from_str(line)
        if line.startswith("age1"):
            return x25519.Recipient.from_str(line)
    except RecipientError:
        pass
    raise UsageError(f"{_short(line)} is not a valid public key (age1... or ssh-ed25519 / ssh-rsa ...).")


def _short(line: str) -> str:
    return repr(line if len(line) <= 70 else line[:60] + "...")

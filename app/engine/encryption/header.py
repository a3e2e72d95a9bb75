"""Is a file an age file, and to what kind of key: read from its header, without any key.

An age file starts with `age-encryption.org/v1`, or, armored (ASCII), with `-----BEGIN AGE ENCRYPTED FILE-----`
and the same header in base64. Each recipient is a stanza line `-> TYPE ...`; `scrypt` is a passphrase.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"age-encryption.org/v1\n"
ARMOR_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----"
HEAD_BYTES = 16 * 1024  # more than any header Resguardo writes or reads (a stanza per recipient)
SUFFIX = ".age"


@dataclass(frozen=True)
class AgeHeader:
    armored: bool
    stanzas: tuple[str, ...]  # the recipient types: "X25519", "ssh-ed25519", "ssh-rsa", "scrypt", ...

    @property
    def passphrase(self) -> bool:
        """Encrypted with a passphrase (how Resguardo protects a key file), not to a key."""
        return "scrypt" in self.stanzas


def parse_header(head: bytes) -> AgeHeader | None:
    """The header of the bytes a file starts with, or None when they are not an age file."""
    armored = head.lstrip().startswith(ARMOR_BEGIN)
    if armored:
        head = _unarmored(head.lstrip()[len(ARMOR_BEGIN) :])
    if not head.startswith(MAGIC):
        return None
    stanzas = []
    for line in head[len(MAGIC) :].split(b"\n"):
        if line.startswith(b"---"):
            break
        if line.startswith(b"-> "):
            stanzas.append(line[3:].split(b" ", 1)[0].decode("ascii", errors="replace"))
    return AgeHeader(armored, tuple(stanzas))


def read_header(path: Path) -> AgeHeader | None:
    """The age header of the file at `path`; None when it is not an age file (or cannot be read: its reader
    says why)."""
    try:
        with open(path, "rb") as handle:
            return parse_header(handle.read(HEAD_BYTES))
    except OSError:
        return None


def _unarmored(body: bytes) -> bytes:
    """The base64 lines after the armor's first line, decoded as far as they are whole."""
    text = b"".join(line.strip() for line in body.split(b"\n") if not line.startswith(b"-----"))
    text = text[: len(text) - len(text) % 4]
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        return b""

"""Qt Linguist `.ts` sources to the binary `.qm` catalogues QTranslator loads, in pure Python.

The window compiles its catalogues at first run (off the UI thread, into the
user cache dir), so no build step and no Qt tool is needed where Resguardo
runs, a frozen bundle included. The layout follows Qt's `lrelease` (sections
language, hashes, messages, numerus rules; messages sorted by context, source,
comment); tests compare the result with `pyside6-lrelease`'s byte for byte.
"""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

MAGIC = bytes.fromhex("3cb86418caef9c95cd211cbf60a1bddd")
_LANGUAGE, _HASHES, _MESSAGES, _NUMERUS_RULES = 0xA7, 0x42, 0x69, 0x88
_END, _TRANSLATION, _SOURCE, _CONTEXT, _COMMENT = 0x01, 0x03, 0x06, 0x07, 0x08
# Qt's rule for languages whose forms are "one" and "other" (English, Spanish): n == 1 picks the first form.
_ONE_OTHER_RULES = bytes([0x01, 0x01])
RULES = {"en": _ONE_OTHER_RULES, "es": _ONE_OTHER_RULES}


@dataclass(frozen=True)
class Message:
    context: str
    source: str
    comment: str
    translations: tuple[str, ...]  # one, or one per plural form; empty when unfinished
    numerus: bool = False


def read_ts(path: Path) -> tuple[str, list[Message]]:
    """The catalogue's language and every message; unfinished and obsolete translations count as missing."""
    root = ET.parse(path).getroot()
    language = (root.get("language") or "").split("_")[0]
    messages = []
    for context in root.iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            numerus = message.get("numerus") == "yes"
            done = translation is not None and translation.get("type") not in ("unfinished", "obsolete", "vanished")
            forms: tuple[str, ...] = ()
            if done and translation is not None:
                forms = (
                    tuple(f.text or "" for f in translation.iter("numerusform"))
                    if numerus
                    else (translation.text or "",)
                )
            if any(not form for form in forms):
                forms = ()
            messages.append(
                Message(name, message.findtext("source") or "", message.findtext("comment") or "", forms, numerus)
            )
    return language, messages


def elf_hash(data: bytes) -> int:
    """Qt's lookup hash of a message (source text + comment, UTF-8)."""
    h = 0
    for byte in data:
        if byte == 0:
            break
        h = ((h << 4) + byte) & 0xFFFFFFFF
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g & 0xFFFFFFFF
    return h or 1


def _string(text: str) -> bytes:
    """A QDataStream QString: byte length, then UTF-16 big-endian."""
    data = text.encode("utf-16-be")
    return struct.pack(">I", len(data)) + data


def _bytes(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack(">I", len(data)) + data


def _section(tag: int, data: bytes) -> bytes:
    return struct.pack(">BI", tag, len(data)) + data


def write_qm(language: str, messages: list[Message]) -> bytes:
    """The `.qm` bytes of the finished messages (unfinished ones fall back to the source text at run time)."""
    if language not in RULES:
        raise ValueError(f"No plural rules known for language {language!r}.")
    done = sorted(
        (m for m in messages if m.translations),
        key=lambda m: (m.context.encode(), m.source.encode(), m.comment.encode()),
    )
    body = bytearray()
    hashes = []
    for message in done:
        hashes.append((elf_hash((message.source + message.comment).encode()), len(body)))
        for form in message.translations:
            body += bytes([_TRANSLATION]) + _string(form)
        body += bytes([_COMMENT]) + _bytes(message.comment)
        body += bytes([_SOURCE]) + _bytes(message.source)
        body += bytes([_CONTEXT]) + _bytes(message.context)
        body += bytes([_END])
    table = b"".join(struct.pack(">II", h, offset) for h, offset in sorted(hashes))
    return (
        MAGIC
        + _section(_LANGUAGE, language.encode())
        + _section(_HASHES, table)
        + _section(_MESSAGES, bytes(body))
        + _section(_NUMERUS_RULES, RULES[language])
    )


def compile_ts(path: Path) -> bytes:
    language, messages = read_ts(path)
    return write_qm(language, messages)

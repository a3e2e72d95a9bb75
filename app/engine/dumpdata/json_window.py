"""A dumpdata export as decoded text, a sliding window over the file (what is consumed is dropped), and one JSON
value decoded at a time with the C decoder, bounded in size (MAX_OBJECT_CHARS) and depth (MAX_DEPTH)."""

from __future__ import annotations

import codecs
import json
import re
from typing import Any, Protocol

from app.engine.dumpdata.compressed import STREAM_ERRORS
from app.engine.errors import ArchiveError

MAX_OBJECT_CHARS = 64 << 20  # one object (one row and its many-to-many lists); dumpdata objects are small
MAX_DEPTH = 100  # nesting of one object's values: the object, its fields, a JSON field's own levels
_CHUNK = 1 << 20
_WHITESPACE = " \t\n\r"
_NOT_SPACE = re.compile(r"[^ \t\n\r]")


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class Window:
    """Decoded text of the file, a sliding window over it: what is consumed is dropped."""

    def __init__(self, stream: Readable, name: str) -> None:
        self.stream = stream
        self.name = name
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.text = ""
        self.pos = 0
        self.offset = 0  # characters dropped before text[0]
        self.eof = False

    def fill(self, at_least: int = _CHUNK) -> bool:
        """Read more (at least `at_least` bytes unless the file ends); False at the end of the file."""
        if self.eof:
            return False
        if self.pos > _CHUNK:
            self.offset += self.pos
            self.text = self.text[self.pos :]
            self.pos = 0
        parts: list[str] = []
        got = 0
        while got < at_least:
            try:
                data = self.stream.read(max(at_least - got, _CHUNK))
            except EOFError:
                raise ArchiveError(
                    f"{self.name} is truncated: its compressed data ends early; the export did "
                    "not finish, or the copy was cut."
                ) from None
            except STREAM_ERRORS:
                raise ArchiveError(f"{self.name} is damaged: its compressed data cannot be read.") from None
            try:
                parts.append(self.decoder.decode(data, final=not data))
            except UnicodeDecodeError:
                raise ArchiveError(
                    f"{self.name} is not UTF-8 text: it cannot be a dumpdata export, or it is damaged."
                ) from None
            if not data:
                self.eof = True
                break
            got += len(data)
        self.text += "".join(parts)
        return True

    def skip_space(self) -> str:
        """The next character that is not white space ("" at the end of the file), not consumed."""
        while True:
            text, pos = self.text, self.pos
            near = min(len(text), pos + 16)  # between objects: a few characters, cheaper looked at one by one
            while pos < near and text[pos] in _WHITESPACE:
                pos += 1
            found = _NOT_SPACE.search(text, pos) if pos == near else None  # more: at the regex engine's speed
            self.pos = pos if pos < near else len(text) if found is None else found.start()
            if self.pos < len(text):
                return text[self.pos]
            if not self.fill():
                return ""

    def where(self) -> str:
        return f"character {self.offset + self.pos + 1:,}"


_decoder = json.JSONDecoder()


def decode_value(window: Window) -> tuple[Any, int]:
    """One JSON value at the window's position, and its length; widens the window as needed."""
    while True:
        try:
            value, end = _decoder.raw_decode(window.text, window.pos)
        except RecursionError:
            raise too_deep(window) from None
        except json.JSONDecodeError as exc:
            pending = len(window.text) - window.pos
            if pending > MAX_OBJECT_CHARS:
                raise ArchiveError(
                    f"{window.name} holds an object larger than {MAX_OBJECT_CHARS >> 20} MB at "
                    f"{window.where()}: it is not a dumpdata export, or it is damaged."
                ) from None
            if window.fill(max(pending, _CHUNK)):
                continue
            if exc.pos >= len(window.text.rstrip()) or exc.msg.startswith("Unterminated string"):
                raise ArchiveError(
                    f"{window.name} is truncated: it ends inside the object that starts at "
                    f"{window.where()}; the export did not finish."
                ) from None
            raise ArchiveError(
                f"{window.name} is damaged: not valid JSON at character {window.offset + exc.pos + 1:,} ({exc.msg})."
            ) from None
        except ValueError:  # a number of more than 4,300 digits, which Python does not read
            raise ArchiveError(
                f"{window.name} is damaged: the object that starts at {window.where()} holds a number of thousands "
                "of digits, which no column holds."
            ) from None
        length = end - window.pos
        if length > MAX_OBJECT_CHARS:
            raise ArchiveError(
                f"{window.name} holds an object larger than {MAX_OBJECT_CHARS >> 20} MB at "
                f"{window.where()}: it is not a dumpdata export, or it is damaged."
            )
        window.pos = end
        return value, length


def too_deep(window: Window, start: int | None = None) -> ArchiveError:
    """One sentence whether the decoder gave up (RecursionError) or the depth was measured: verify and restore
    read at different depths of Python's stack, and must still say the same."""
    where = window.where() if start is None else f"character {window.offset + start + 1:,}"
    return ArchiveError(
        f"{window.name} is damaged: the object that starts at {where} nests its values more than "
        f"{MAX_DEPTH} levels deep, which no dumpdata export does."
    )


def depth(value: Any) -> int:
    """How deep lists and objects nest in `value`, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest

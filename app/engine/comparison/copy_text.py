"""Rows as COPY text writes them, read field by field: the one encoding both the backup and the live read use.

A row is one line of fields split by tabs; `\\N` is NULL; a backslash escapes the bytes COPY writes specially.
Rows are compared as this text (two rows are equal when their text is), and ordered by their key as the
server orders the live read (app/engine/comparison/live.py): whole numbers by value, everything else by the
bytes of the value's text (the `C` collation), which is what `unescape` gives back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from enum import Enum
from itertools import repeat
from operator import itemgetter

NULL = b"\\N"
_ESCAPE = re.compile(rb"\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|(.))", re.DOTALL)
_SIMPLE = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}


class KeyOrder(Enum):
    """How a key column is ordered, alike on the server and here."""

    NUMBER = "number"  # smallint, integer, bigint: by value
    TEXT = "text"  # anything else: by the bytes of its text


Key = tuple[int | bytes, ...]
KeyOf = Callable[[list[bytes]], Key]
LineKeyOf = Callable[[bytes], Key]
LinesKeyOf = Callable[[list[bytes]], list[Key]]


class BadRow(Exception):
    """A row the key cannot be read from; the message is the clause after "row N of table T"."""


def unescape(field: bytes) -> bytes:
    """The value's text, from its COPY field."""
    if b"\\" not in field:
        return field
    return _ESCAPE.sub(_replace, field)


def _replace(match: re.Match[bytes]) -> bytes:
    octal, hexa, other = match.groups()
    if octal is not None:
        return bytes([int(octal, 8) & 0xFF])
    if hexa is not None:
        return bytes([int(hexa, 16)])
    return _SIMPLE.get(other, other)


def key_reader(positions: Sequence[int], orders: Sequence[KeyOrder]) -> KeyOf:
    """The key of a row's fields: the fields at `positions`, each read as its order says."""
    pairs = list(zip(positions, orders, strict=True))

    def key_of(fields: list[bytes]) -> Key:
        key: list[int | bytes] = []
        for at, order in pairs:
            field = fields[at]
            if field == NULL:
                raise BadRow("has no value in a column of its key")
            if order is KeyOrder.NUMBER:
                try:
                    key.append(int(field))
                except ValueError:
                    raise BadRow("has a key that is not a whole number") from None
            else:
                key.append(unescape(field))
        return tuple(key)

    return key_of


def lines_key_reader(positions: Sequence[int], orders: Sequence[KeyOrder]) -> tuple[LineKeyOf, LinesKeyOf]:
    """The key of a whole row's line (as many fields as the row's columns), and the keys of many lines at once:
    the keys `key_reader` reads from the rows' fields, splitting each line only up to the key's last column.
    The usual key, a whole number in the first column, is read for a whole list of lines without a Python
    step per line (most of a diff's time was reading keys, bench/RESULTS.md); a line it cannot read is read
    again alone, for the reason."""
    key_of = key_reader(positions, orders)
    reach = max(positions) + 1

    def line_key(line: bytes) -> Key:
        return key_of(line.split(b"\t", reach))

    def each(lines: list[bytes]) -> list[Key]:
        return list(map(line_key, lines))

    if list(positions) != [0] or orders[0] is not KeyOrder.NUMBER:
        return line_key, each

    def first_numbers(lines: list[bytes]) -> list[Key]:
        try:
            return list(zip(map(int, map(itemgetter(0), map(bytes.partition, lines, repeat(b"\t")))), strict=True))
        except ValueError:  # NULL, or not a number: the line that is not says why
            return each(lines)

    return line_key, first_numbers


def shown_key(key: Key) -> str:
    """A key as people read it: `42`, or `(a, 7)` for a key of several columns."""
    parts = [str(k) if isinstance(k, int) else k.decode("utf-8", "replace") for k in key]
    return parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ")"

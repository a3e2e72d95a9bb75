"""Text that the database or a file wrote (clinic, schema, table names), made safe to show.

The web application's role writes the tenants table and names the schemas and
tables, so a compromised web application chooses every name Resguardo shows.
A name must never act on what is around it: no markup (the window shows it as
plain text), no bidi control reversing a sentence, no newline faking a line, no
terminal escape. Here, without Qt, for the command line and the window alike:

- `visible`: hidden characters (controls, bidi controls, zero-width, any
  character Python does not count as printable) written out as ‹U+202E›;
- `shown`: that, for a name put into a sentence of the window, wrapped in a
  bidi isolate (FSI … PDI) when it holds right-to-left letters (around
  left-to-right text an isolate changes nothing, and would be copied along);
- `terminal`: hidden characters escaped as Python's repr escapes them (\\x1b,
  \\n, \\u202e), for the command line;
- `skeleton` and `looks_alike`: names that read the same (look-alike letters
  of other scripts, case, compatibility forms, hidden characters) but differ.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

FSI, PDI = "\u2068", "\u2069"  # first-strong isolate and its end: a name's direction stays inside it
_RIGHT_TO_LEFT = frozenset({"R", "AL", "AN"})  # bidi classes that reorder the text around them

# Letters of other scripts drawn like Latin ones (after NFKC), mapped to the Latin letter they pass for; both cases,
# as a capital and its small letter may resemble different Latin letters (Greek Η is H, η is n).
_LOOK_ALIKES = str.maketrans(
    {
        # Cyrillic
        "А": "A", "а": "a", "В": "B", "в": "b", "Е": "E", "е": "e", "Ё": "Ë", "ё": "ë", "Һ": "h", "һ": "h",
        "І": "I", "і": "i", "Ї": "Ï", "ї": "ï", "Ј": "J", "ј": "j", "К": "K", "к": "k", "М": "M", "м": "m",
        "Н": "H", "н": "h", "О": "O", "о": "o", "Р": "P", "р": "p", "С": "C", "с": "c", "Ѕ": "S", "ѕ": "s",
        "Т": "T", "т": "t", "У": "Y", "у": "y", "Х": "X", "х": "x", "Ԁ": "d", "ԁ": "d", "Ԛ": "Q", "ԛ": "q",
        "Ԝ": "W", "ԝ": "w", "Ӏ": "l", "ӏ": "l", "Ү": "Y", "ү": "y", "Ь": "b", "Ꙇ": "l",
        # Greek
        "Α": "A", "α": "a", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "η": "n", "Ι": "l", "ι": "i", "Κ": "K",
        "κ": "k", "Μ": "M", "Ν": "N", "ν": "v", "Ο": "O", "ο": "o", "Ρ": "P", "ρ": "p", "Τ": "T", "τ": "t",
        "Υ": "Y", "υ": "u", "Χ": "X", "χ": "x", "ϲ": "c", "Ϲ": "C", "ϳ": "j",
        # Latin and digits that pass for other Latin letters
        "ı": "i", "ȷ": "j", "ɑ": "a", "ɡ": "g", "ɩ": "i", "ʏ": "y", "I": "l", "1": "l", "|": "l", "0": "O",
    }
)  # fmt: skip


def hidden(ch: str) -> bool:
    """A character that draws nothing, or moves or reorders what follows: controls, bidi controls, zero-width."""
    return not ch.isprintable()


def visible(text: str) -> str:
    """Every hidden character written out as ‹U+XXXX›, so nothing is invisible and nothing acts on the rest."""
    return "".join(f"‹U+{ord(ch):04X}›" if hidden(ch) else ch for ch in text)


def visible_lines(text: str) -> str:
    """`visible` for text of several lines (the engine's details, a log): its newlines kept."""
    return "\n".join(visible(line) for line in text.split("\n"))


def shown(name: str) -> str:
    """A name for a sentence of the window: hidden characters made visible, right-to-left text isolated."""
    text = visible(name)
    return f"{FSI}{text}{PDI}" if any(unicodedata.bidirectional(ch) in _RIGHT_TO_LEFT for ch in text) else text


def terminal(text: str) -> str:
    """A name for the terminal: hidden characters (and the backslash) escaped as Python's repr escapes them."""
    return "".join(repr(ch)[1:-1] if hidden(ch) or ch == "\\" else ch for ch in text)


def terminal_sentence(text: str) -> str:
    """A sentence for the terminal, whose names may be escaped already (repr): only hidden characters escaped."""
    return "".join(repr(ch)[1:-1] if hidden(ch) else ch for ch in text)


def skeleton(text: str) -> str:
    """What a name reads as: compatibility forms folded, hidden characters dropped, look-alikes mapped, any case."""
    folded = "".join(ch for ch in unicodedata.normalize("NFKC", text) if not hidden(ch))
    return folded.translate(_LOOK_ALIKES).casefold().replace("rn", "m")


def looks_alike(a: str, b: str) -> bool:
    """Different names that read the same."""
    return a != b and skeleton(a) == skeleton(b)


@dataclass(frozen=True)
class Difference:
    """Where a typed text first differs from the one expected (0-based), and the characters there."""

    position: int
    typed: str | None  # None: the typed text ends here
    expected: str | None  # None: the expected text ends here


def first_difference(typed: str, expected: str) -> Difference | None:
    """None when they are equal."""
    if typed == expected:
        return None
    pairs = zip(typed, expected, strict=False)
    position = next((i for i, (a, b) in enumerate(pairs) if a != b), min(len(typed), len(expected)))
    return Difference(position, typed[position : position + 1] or None, expected[position : position + 1] or None)


def describe_character(ch: str) -> str:
    """One character for a sentence: itself (made visible), its code point and its Unicode name."""
    name = unicodedata.name(ch, "")
    return f"«{visible(ch)}» (U+{ord(ch):04X}{' ' + name if name else ''})"

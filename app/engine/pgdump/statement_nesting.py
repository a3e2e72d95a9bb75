"""Whether a `;` ends a statement: psql's rule, made exact.

A `;` inside parentheses does not; in CREATE [OR REPLACE] FUNCTION|PROCEDURE, neither does one inside a
SQL-standard body's BEGIN ATOMIC ... END (with the CASE ... END inside it); a function named `begin` opens no
body. Kept apart from the lexer because it sees tokens, not bytes.
"""

from __future__ import annotations

_ROUTINES = (
    [b"CREATE", b"FUNCTION"],
    [b"CREATE", b"PROCEDURE"],
    [b"CREATE", b"OR", b"REPLACE", b"FUNCTION"],
    [b"CREATE", b"OR", b"REPLACE", b"PROCEDURE"],
)


class Nesting:
    """One statement's depth of parentheses and BEGIN ATOMIC blocks, fed its tokens in order."""

    def __init__(self) -> None:
        self._paren = self._begin = 0
        self._words: list[bytes] = []
        self._routine = self._pending_begin = False

    def word(self, head: bytes, length: int) -> None:
        """A word of `length` bytes, `head` its first ones."""
        word = head.upper() if length <= len(head) else b""
        if len(self._words) < 4:
            self._words.append(word)
            self._routine = any(self._words[: len(r)] == r for r in _ROUTINES)
        if self._routine and self._paren == 0:
            if (self._pending_begin and word == b"ATOMIC") or (word == b"CASE" and self._begin):
                self._begin += 1
            elif word == b"END" and self._begin:
                self._begin -= 1
            self._pending_begin = word == b"BEGIN"
        else:
            self._pending_begin = False

    def token(self, char: int = 0) -> bool:
        """A number, string or symbol (`char`: its first byte); True for the `;` that ends the statement."""
        self._pending_begin = False
        if char == 0x28:  # (
            self._paren += 1
        elif char == 0x29:  # )
            self._paren = max(self._paren - 1, 0)
        return char == 0x3B and self._paren == 0 and self._begin == 0

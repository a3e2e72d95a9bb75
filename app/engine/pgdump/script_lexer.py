"""Finding where pg_dump SQL's statements end, in one linear pass over bytes.

`ScriptReader` only finds where statements end: a small lexer with psql's rules
(quotes, E'' strings, dollar quotes, quoted identifiers, nested comments; the
parentheses and BEGIN ATOMIC blocks of `statement_nesting`) that keeps its state
between reads, so every byte is examined a bounded number of times, whatever the
input: time is linear. It holds only the statement in progress (`script_input`,
which also streams COPY data), and refuses one with more than MAX_STATEMENT_TOKENS
words and symbols (pglast's tree costs memory and time per token): memory is
bounded.

The file is read as bytes: every encoding Resguardo reads is ASCII-compatible,
so the lexer looks only at ASCII; a statement is decoded with the file's
client_encoding just before it is parsed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from app.engine.errors import ArchiveError
from app.engine.pgdump.dump_comments import DumpComments
from app.engine.pgdump.script_input import READ_BYTES, ScriptInput
from app.engine.pgdump.statement_nesting import Nesting
from app.engine.safety.sql_gate.verdict import refusal

MAX_STATEMENT_TOKENS = 100_000
_MAX_TAG = 64  # bytes of a dollar-quote tag; pg_dump writes $$, $_$, $__$...
_MAX_META = 4096  # bytes of a psql backslash line
_SPACE = re.compile(rb"\s*")
_TOKEN = re.compile(rb"(?P<w>[A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*)|(?P<s>\s+)|(?P<n>[0-9]+)|(?P<c>.)", re.S)
_IDENT_REST = re.compile(rb"[A-Za-z0-9_$\x80-\xff]*")
_DOLLAR = re.compile(rb"\$(?:[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*)?\$")
_DOLLAR_START = re.compile(rb"\$[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*")
_ESCAPED = re.compile(rb"[\\']")
_COMMENT_EDGE = re.compile(rb"/\*|\*/")

# Lexer states
_OUT, _NORMAL, _WORD, _QUOTE, _ESCAPE_QUOTE, _DQUOTE, _DOLLAR_BODY, _LINE_COMMENT, _BLOCK_COMMENT = range(9)


@dataclass(frozen=True)
class Piece:
    """The bytes of one statement as written (up to its `;`), and the line it starts on."""

    data: bytes
    line: int


@dataclass(frozen=True)
class MetaCommand:
    """A psql backslash command line, such as `\\restrict KEY`."""

    text: str
    line: int

    @property
    def command(self) -> str:
        return self.text.split(None, 1)[0] if self.text.strip() else "\\"


class _More(Exception):
    """The buffer ends before the current token does: read on."""


class ScriptReader(ScriptInput):
    """Splits a byte stream of SQL into statements and meta-commands in one pass; streams COPY data.

    `scanned` is the measure of its work, which tests hold to a small multiple of the input.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(stream)
        self._state = _OUT
        self._after_comment = _OUT
        self._tag = b""
        self._depth = 0
        self._reset_statement()
        self.comments = DumpComments()

    def _reset_statement(self) -> None:
        self._tokens = 0
        self._nesting = Nesting()
        self._word_offset = 0  # where a word cut by the end of a read starts, from the statement's start

    def __iter__(self) -> Iterator[Piece | MetaCommand]:
        while True:
            try:
                item = self._next_item()
            except _More:
                if self._fill():
                    continue
                self._finish()
                return
            if item is not None:
                yield item

    def _finish(self) -> None:
        if (
            self._start is not None
            or self._state not in (_OUT, _LINE_COMMENT, _BLOCK_COMMENT)
            or (self._state == _BLOCK_COMMENT and self._after_comment != _OUT)
        ):
            line = self._line_at(self._start) if self._start is not None else self._line_no
            raise ArchiveError(
                f"The file ends in the middle of a statement that starts at line {line} (it is truncated or not SQL)."
            )

    def _next_item(self) -> Piece | MetaCommand | None:
        """Lex from where the last call stopped; a finished item, None to be called again, or _More."""
        state = self._state
        if state == _OUT:
            return self._between()
        if state == _NORMAL:
            return self._statement()
        buf, pos = self._buf, self._pos
        end = len(buf)
        if state == _WORD:
            pos = _IDENT_REST.match(buf, pos).end()  # type: ignore[union-attr]
            self.scanned += pos - self._pos
            self._pos = pos
            if pos == end and not self._eof:
                raise _More
            self._state = _NORMAL
            assert self._start is not None
            start = self._start + self._word_offset
            if pos - start == 1 and buf[start] in b"eE" and buf[pos : pos + 1] == b"'":
                self._string(_ESCAPE_QUOTE, pos + 1)
            else:
                self._nesting.word(bytes(buf[start : min(pos, start + 12)]), pos - start)
        elif state in (_QUOTE, _DQUOTE):
            quote = b"'" if state == _QUOTE else b'"'
            at = buf.find(quote, pos)
            self._closing(at, quote, end)
        elif state == _ESCAPE_QUOTE:
            m = _ESCAPED.search(buf, pos)
            at = m.start() if m is not None else -1
            if at >= 0 and buf[at] == 0x5C:  # a backslash escapes the next byte
                self.scanned += at + 2 - pos
                if at + 1 >= end and not self._eof:
                    self._pos = at
                    raise _More
                self._pos = at + 2
            else:
                self._closing(at, b"'", end)
        elif state == _DOLLAR_BODY:
            at = buf.find(self._tag, pos)
            if at < 0:
                self.scanned += end - pos
                self._pos = max(pos, end - len(self._tag) + 1)
                raise _More
            self.scanned += at + len(self._tag) - pos
            self._pos = at + len(self._tag)
            self._state = _NORMAL
        elif state == _LINE_COMMENT:
            at = buf.find(b"\n", pos)
            self.scanned += (at + 1 if at >= 0 else end) - pos
            if at < 0:
                self._pos = end
                raise _More
            self._pos = at + 1
            self._state = self._after_comment
        else:  # _BLOCK_COMMENT, nested like PostgreSQL's
            m = _COMMENT_EDGE.search(buf, pos)
            if m is None:
                self.scanned += end - pos
                self._pos = max(pos, end - 1)
                raise _More
            self.scanned += m.end() - pos
            self._pos = m.end()
            self._depth += 1 if m.group() == b"/*" else -1
            if self._depth == 0:
                self._state = self._after_comment
        return None

    def _closing(self, at: int, quote: bytes, end: int) -> None:
        """In a quoted string or name: `at` is the next quote (or -1); a doubled quote stays inside."""
        pos = self._pos
        if at < 0:
            self.scanned += end - pos
            self._pos = end
            raise _More
        self.scanned += at + 1 - pos
        if at + 1 == end and not self._eof:
            self._pos = at  # a doubled quote may follow
            raise _More
        if at + 1 < end and self._buf[at + 1 : at + 2] == quote:
            self._pos = at + 2
            return
        self._pos = at + 1
        self._state = _NORMAL

    def _between(self) -> MetaCommand | None:
        """Between statements: skip blank space and comments (noting pg_dump's header lines), find the next."""
        buf = self._buf
        pos = _SPACE.match(buf, self._pos).end()  # type: ignore[union-attr]
        self.scanned += pos - self._pos
        self._pos = pos
        if pos == len(buf):
            raise _More
        two = bytes(buf[pos : pos + 2])
        if two in (b"-", b"/") and not self._eof:
            raise _More
        if two == b"--":
            at = buf.find(b"\n", pos)
            if at >= 0:
                self.comments.note(bytes(buf[pos : min(at, pos + 200)]))
            self._comment(_LINE_COMMENT, pos + 2)
            return None
        if two == b"/*":
            self._depth = 1
            self._comment(_BLOCK_COMMENT, pos + 2)
            return None
        if two[:1] == b"\\":
            return self._meta()
        self._start = pos
        self._state = _NORMAL
        return None

    def _comment(self, state: int, pos: int) -> None:
        self._after_comment = self._state
        self._state = state
        self.scanned += pos - self._pos
        self._pos = pos

    def _meta(self) -> MetaCommand:
        buf, pos = self._buf, self._pos
        at = buf.find(b"\n", pos)
        if at < 0 and not self._eof:
            if len(buf) - pos > _MAX_META:
                raise refusal(
                    "holds a psql command line too long to be one",
                    self._line_at(pos),
                    bytes(buf[pos : pos + 200]).decode("utf-8", "replace"),
                )
            raise _More
        end = at if at >= 0 else len(buf)
        self.scanned += end - pos
        meta = MetaCommand(bytes(buf[pos:end]).decode("utf-8", "replace").strip(), self._line_at(pos))
        self._pos = end
        return meta

    def _statement(self) -> Piece | None:
        """Inside a statement: tokens until its `;` (at depth 0 of parentheses and BEGIN ATOMIC blocks)."""
        buf = self._buf
        end = len(buf)
        while True:
            pos = self._pos
            m = _TOKEN.match(buf, pos)
            if m is None:
                raise _More
            kind, after = m.lastgroup, m.end()
            self.scanned += after - pos
            if kind == "s":
                self._pos = after
                continue
            self._tokens += 1
            if self._tokens > MAX_STATEMENT_TOKENS:
                assert self._start is not None
                raise refusal(
                    f"holds a statement of more than {MAX_STATEMENT_TOKENS:,} words and symbols",
                    self._line_at(self._start),
                    bytes(buf[self._start : self._start + 200]).decode("utf-8", "replace"),
                )
            if kind == "w":
                self._pos = after
                if after == end and not self._eof:  # the word may go on in the next read
                    assert self._start is not None
                    self._word_offset = pos - self._start
                    self._state = _WORD
                    raise _More
                if after - pos == 1 and buf[pos] in b"eE" and buf[after : after + 1] == b"'":
                    self._string(_ESCAPE_QUOTE, after + 1)  # E'...': backslash escapes
                    return None
                self._nesting.word(bytes(buf[pos : min(after, pos + 12)]), after - pos)
                continue
            if kind == "n":
                self._nesting.token()
                self._pos = after
                continue
            char = buf[pos]
            if char in b"-/":
                if after == end and not self._eof:
                    self._tokens -= 1  # counted again when the next read comes
                    raise _More
                if bytes(buf[pos : pos + 2]) in (b"--", b"/*"):
                    self._tokens -= 1
                    self._depth = 1
                    self._comment(_LINE_COMMENT if char == 0x2D else _BLOCK_COMMENT, pos + 2)
                    return None
            ends = self._nesting.token(char)
            if char == 0x27:  # '
                self._string(_QUOTE, after)
                return None
            if char == 0x22:  # "
                self._string(_DQUOTE, after)
                return None
            if char == 0x24:  # $
                tag = _DOLLAR.match(buf, pos)
                if tag is not None:
                    self._tag = tag.group()
                    self._string(_DOLLAR_BODY, tag.end())
                    return None
                start = _DOLLAR_START.match(buf, pos)
                if start is not None and start.end() - pos > _MAX_TAG:
                    raise refusal(
                        "holds a dollar-quote tag too long to be one",
                        self._line_at(pos),
                        bytes(buf[pos : pos + 200]).decode("utf-8", "replace"),
                    )
                if start is not None and start.end() == end and not self._eof:
                    self._tokens -= 1
                    raise _More
            elif ends:
                assert self._start is not None
                piece = Piece(bytes(buf[self._start : after]), self._line_at(self._start))
                self._pos = after
                self._start = None
                self._state = _OUT
                self._reset_statement()
                if len(piece.data) > READ_BYTES:
                    self._drop_read()
                return piece
            self._pos = after

    def _string(self, state: int, pos: int) -> None:
        self._state = state
        self._pos = pos

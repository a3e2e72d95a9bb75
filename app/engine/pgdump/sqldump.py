"""Reading pg_dump's plain SQL (a `.sql` file, or `pg_restore -f -` output) as a stream of checked statements.

`ScriptReader` only finds where statements end: a small lexer with psql's rules
(quotes, E'' strings, dollar quotes, quoted identifiers, nested comments,
parentheses, the BEGIN ATOMIC ... END of SQL-standard function bodies) that keeps
its state between reads, so every byte is examined a bounded number of times,
whatever the input: time is linear. It holds only the statement in progress, and
refuses one longer than MAX_STATEMENT_BYTES or with more than MAX_STATEMENT_TOKENS
words and symbols (pglast's tree costs memory and time per token): memory is
bounded. COPY ... FROM stdin data is streamed in blocks up to its `\\.` line,
never held whole and never read as SQL.

The reader decides nothing. Every piece is parsed by pglast (app/engine/safety/sql_gate/)
and a piece that is not exactly one statement is refused, so a wrong boundary can
only cause a refusal, never a hidden statement. `DumpGate` then decides each
statement: run it rewritten into the staging schema, skip it (settings, owners,
grants: the restore's own business), or refuse the whole file.

The file is read as bytes: every encoding Resguardo reads is ASCII-compatible,
so the lexer looks only at ASCII; a statement is decoded with the file's
client_encoding just before it is parsed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from pglast import ast

from app.engine.errors import ArchiveError
from app.engine.jobs import CancelToken
from app.engine.safety.sql_gate.kinds import (
    GLOBAL_OBJECTS,
    NEEDS_SUPERUSER,
    SKIPPED_KINDS,
    enum_name,
    is_cleanup,
    is_owner_change,
    setting_cause,
)
from app.engine.safety.sql_gate.names import Name, quote_ident
from app.engine.safety.sql_gate.parse import Parsed, parse_one
from app.engine.safety.sql_gate.printing import rewritten
from app.engine.safety.sql_gate.rules import Rules
from app.engine.safety.sql_gate.setval import is_setval, only_call
from app.engine.safety.sql_gate.targets import table_built_on, targets
from app.engine.safety.sql_gate.verdict import CheckedStatement, refusal

HEADER_LINE = "-- PostgreSQL database dump"
TRAILER_LINE = "-- PostgreSQL database dump complete"
MAX_STATEMENT_BYTES = 64 * 1024 * 1024
MAX_STATEMENT_TOKENS = 100_000
_TOC_ENTRY = re.compile(rb"^-- (?:Data for )?Name: .*; Type: .*; Schema: ")
_DUMPED_FROM = re.compile(rb"^-- Dumped from database version (\S+)")
_DUMPED_BY = re.compile(rb"^-- Dumped by pg_dump version (\S+)")

# ---------------------------------------------------------------- the reader

_READ = 1 << 20  # at most this much per read: a line longer than that arrives in parts
_MAX_TAG = 64  # bytes of a dollar-quote tag; pg_dump writes $$, $_$, $__$...
_MAX_META = 4096  # bytes of a psql backslash line
_SPACE = re.compile(rb"\s*")
_TOKEN = re.compile(rb"(?P<w>[A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*)|(?P<s>\s+)|(?P<n>[0-9]+)|(?P<c>.)", re.S)
_IDENT_REST = re.compile(rb"[A-Za-z0-9_$\x80-\xff]*")
_DOLLAR = re.compile(rb"\$(?:[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*)?\$")
_DOLLAR_START = re.compile(rb"\$[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*")
_ESCAPED = re.compile(rb"[\\']")
_COMMENT_EDGE = re.compile(rb"/\*|\*/")
_COPY_END = re.compile(rb"^\\\.\r?$", re.M)
_BLANK = re.compile(rb"[ \t\r]*")
_ROUTINES = (
    [b"CREATE", b"FUNCTION"],
    [b"CREATE", b"PROCEDURE"],
    [b"CREATE", b"OR", b"REPLACE", b"FUNCTION"],
    [b"CREATE", b"OR", b"REPLACE", b"PROCEDURE"],
)

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


class ScriptReader:
    """Splits a byte stream of SQL into statements and meta-commands in one pass; streams COPY data.

    `scanned` counts the bytes the lexer examined (a byte examined twice counts twice): the
    measure of its work, which tests hold to a small multiple of the input.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._buf = bytearray()
        self._pos = 0
        self._eof = False
        self._state = _OUT
        self._start: int | None = None  # where the statement in progress starts
        self._line_pos, self._line_no = 0, 1  # newlines counted up to _line_pos
        self._after_comment = _OUT
        self._tag = b""
        self._depth = 0
        self._reset_statement()
        self.bytes_read = 0
        self.scanned = 0
        self.header_seen = False
        self.trailer_seen = False
        self.dumped_from = ""
        self.dumped_by = ""
        self.toc_entries = 0

    def _reset_statement(self) -> None:
        self._tokens = self._paren = self._begin = 0
        self._words: list[bytes] = []
        self._routine = self._pending_begin = False
        self._word_start = 0

    # -- input

    def _fill(self, *, block: bool = False) -> bool:
        """Read on (a line, or a block of COPY data); False at the end of the input."""
        keep = self._start if self._start is not None else self._pos
        if keep:
            self._line_at(keep)
            del self._buf[:keep]
            self._pos -= keep
            self._line_pos -= keep
            self._word_start -= keep
            if self._start is not None:
                self._start = 0
        data = self._stream.read(_READ) if block else self._stream.readline(_READ)
        if not data:
            self._eof = True
            return False
        self._buf += data
        self.bytes_read += len(data)
        if self._start is not None and len(self._buf) - self._start > MAX_STATEMENT_BYTES:
            line = self._line_at(self._start)
            raise refusal(
                f"holds a statement longer than {MAX_STATEMENT_BYTES >> 20} MiB",
                line,
                bytes(self._buf[self._start : self._start + 200]).decode("utf-8", "replace"),
            )
        return True

    def _line_at(self, pos: int) -> int:
        self._line_no += self._buf.count(b"\n", self._line_pos, pos)
        self._line_pos = pos
        return self._line_no

    # -- statements

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
            if pos - self._word_start == 1 and buf[self._word_start] in b"eE" and buf[pos : pos + 1] == b"'":
                self._string(_ESCAPE_QUOTE, pos + 1)
            else:
                self._word(bytes(buf[self._word_start : min(pos, self._word_start + 12)]), pos - self._word_start)
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
                self._note_comment(bytes(buf[pos : min(at, pos + 200)]))
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
                    self._word_start = pos
                    self._state = _WORD
                    raise _More
                if after - pos == 1 and buf[pos] in b"eE" and buf[after : after + 1] == b"'":
                    self._string(_ESCAPE_QUOTE, after + 1)  # E'...': backslash escapes
                    return None
                self._word(bytes(buf[pos : min(after, pos + 12)]), after - pos)
                continue
            if kind == "n":
                self._pending_begin = False
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
            self._pending_begin = False
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
            elif char == 0x28:  # (
                self._paren += 1
            elif char == 0x29:  # )
                self._paren = max(self._paren - 1, 0)
            elif char == 0x3B and self._paren == 0 and self._begin == 0:  # ; ends the statement
                assert self._start is not None
                piece = Piece(bytes(buf[self._start : after]), self._line_at(self._start))
                self._pos = after
                self._start = None
                self._state = _OUT
                self._reset_statement()
                if len(piece.data) > _READ:  # let a long statement go now (moving the rest costs less than it)
                    self._line_at(after)
                    del buf[:after]
                    self._pos = self._line_pos = 0
                return piece
            self._pos = after

    def _string(self, state: int, pos: int) -> None:
        self._state = state
        self._pos = pos

    def _word(self, head: bytes, length: int) -> None:
        """psql's rule, made exact: in CREATE [OR REPLACE] FUNCTION|PROCEDURE, BEGIN ATOMIC ... END (with the
        CASE ... END inside) hides semicolons; a function named `begin` does not."""
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

    def _note_comment(self, text: bytes) -> None:
        if text.startswith(TRAILER_LINE.encode()):
            self.trailer_seen = True
        elif text.startswith(HEADER_LINE.encode()):
            self.header_seen = True
        elif _TOC_ENTRY.match(text):
            self.toc_entries += 1
        elif not self.dumped_from and (m := _DUMPED_FROM.match(text)):
            self.dumped_from = m.group(1).decode("ascii", "replace")
        elif not self.dumped_by and (m := _DUMPED_BY.match(text)):
            self.dumped_by = m.group(1).decode("ascii", "replace")

    # -- COPY data

    def copy_rows(self, line: int) -> Iterator[bytes]:
        """The data after a COPY ... FROM stdin statement, in blocks of whole and partial lines, up to
        (without) its `\\.` line; called right after the statement."""
        buf = self._buf
        while True:  # the rest of the statement's line must be blank
            pos = _BLANK.match(buf, self._pos).end()  # type: ignore[union-attr]
            self._pos = pos
            if pos < len(buf):
                break
            if not self._fill():
                raise ArchiveError(f"The file ends inside the table data that starts at line {line} (it is truncated).")
        if buf[pos] != 0x0A:
            raise refusal(
                "has more text after COPY ... FROM stdin on the same line",
                line,
                bytes(buf[pos : pos + 200]).decode("utf-8", "replace"),
            )
        self._pos = pos + 1
        line_start = True  # whether the unread data starts a line (only a whole line `\.` ends the data)
        while True:
            buf, pos, end = self._buf, self._pos, len(self._buf)
            m = _COPY_END.search(buf, pos if line_start else pos + 1)
            if m is not None and (m.end() < end or self._eof):
                self.scanned += m.end() - pos
                if m.start() > pos:
                    yield bytes(buf[pos : m.start()])
                self._pos = min(m.end() + 1, end)
                return
            # Everything up to a line that could still become `\.` is data.
            tail = buf.rfind(b"\n", pos) + 1 or pos
            safe = tail if b"\\.\r".startswith(bytes(buf[tail:end])) and not self._eof else end
            self.scanned += end - pos
            if safe > pos:
                yield bytes(buf[pos:safe])
                self._pos = safe
                line_start = buf[safe - 1] == 0x0A
            if not self._fill(block=True):
                raise ArchiveError(f"The file ends inside the table data that starts at line {line} (it is truncated).")


# ---------------------------------------------------------------- what a pg_dump file may do

_SKIPPED_SETTINGS = frozenset(
    {
        "statement_timeout",
        "lock_timeout",
        "idle_in_transaction_session_timeout",
        "transaction_timeout",
        "client_min_messages",
        "escape_string_warning",
    }
)
_BOOLEANS = {"on": "on", "true": "on", "yes": "on", "1": "on", "off": "off", "false": "off", "no": "off", "0": "off"}
_LOCAL_SETTINGS: dict[str, Callable[[str], str | None]] = {  # value as written -> value sent with SET LOCAL
    "check_function_bodies": _BOOLEANS.get,
    "row_security": _BOOLEANS.get,
    "xmloption": {"content": "content", "document": "document"}.get,
    "default_table_access_method": lambda v: quote_ident(v) if re.fullmatch(r"[a-z_][a-z0-9_]*", v) else None,
}
CHECK_TARGET = "rg_check"  # the staging schema's stand-in when a file is only checked (preview, verify)


@dataclass(frozen=True)
class Decision:
    """What to do with one statement of a pg_dump file."""

    action: str  # "run", "copy" (COPY ... FROM stdin: the rows follow) or "skip"
    statement: CheckedStatement | None = None
    table: str | None = None  # the table a CREATE TABLE creates, or an INSERT/COPY fills (for the preview)
    encoding: str | None = None  # SET client_encoding: how the rest of the file is written


class DumpGate:
    """Decides, statement by statement, what a pg_dump of one schema does in the staging schema `target`.

    The file's schema is learned from its CREATE SCHEMA; before it only settings and what
    `pg_dump --clean` writes (DROP ..., checked once the schema is known) may come. A file that
    is only checked is rewritten into a stand-in schema, so it meets every check a restore would.
    """

    def __init__(self, target: str = CHECK_TARGET) -> None:
        self.target = target
        self.source: str | None = None
        self._cleanup: dict[str, tuple[int, str]] = {}  # schema named by a clean-up statement -> where

    def decide(self, text: str, line: int) -> Decision:
        parsed = parse_one(text, line)
        if parsed is None:
            return Decision("skip")
        stmt, kind = parsed.node, parsed.kind
        if kind == "VariableSetStmt":
            return self._setting(parsed)
        if kind == "SelectStmt":
            return self._select(parsed)
        if kind == "CreateSchemaStmt":
            return self._schema(parsed)
        if kind in SKIPPED_KINDS or is_owner_change(stmt):
            return Decision("skip")  # owners and privileges come from the live tenant
        if is_cleanup(stmt):
            return self._cleanup_statement(parsed)
        if self.source is None:
            raise refusal(
                "is not a pg_dump of one schema: an object comes before its CREATE SCHEMA "
                "(was it made with pg_dump --schema=<tenant>?)",
                line,
                parsed.text,
            )
        if kind == "CommentStmt" and enum_name(stmt.objtype) == "OBJECT_SCHEMA":
            return self._comment_on_schema(parsed)
        Rules(self.source).check(parsed)
        table = str(stmt.relation.relname) if kind in ("CreateStmt", "InsertStmt", "CopyStmt") else None
        return Decision("copy" if kind == "CopyStmt" else "run", self._checked(parsed, table_built_on(stmt)), table)

    def _checked(self, parsed: Parsed, table: str | None) -> CheckedStatement:
        assert self.source is not None
        return CheckedStatement(
            rewritten(parsed, self.source, self.target), parsed.line, parsed.kind, table, parsed.kind in NEEDS_SUPERUSER
        )

    def _schema(self, parsed: Parsed) -> Decision:
        stmt = parsed.node
        if stmt.schemaElts:
            raise refusal(
                "creates objects inside CREATE SCHEMA, which pg_dump does not write", parsed.line, parsed.text
            )
        name = str(stmt.schemaname)
        if self.source is None:
            self.source = name
            for other, (line, text) in self._cleanup.items():
                if other != name:
                    raise refusal(f"drops objects of the schema {other}, outside the tenant", line, text)
            return Decision("skip")  # the restore creates the staging schema itself
        if name != self.source:
            raise refusal(f"creates another schema ({name}); a tenant file holds one", parsed.line, parsed.text)
        return Decision("skip")

    def _comment_on_schema(self, parsed: Parsed) -> Decision:
        obj = parsed.node.object
        name = obj.sval if isinstance(obj, ast.String) else ""
        if name != self.source:
            raise refusal(f"changes the schema {name}, outside the tenant", parsed.line, parsed.text)
        return Decision("skip")  # the staging schema's comment is the restore's own

    def _cleanup_statement(self, parsed: Parsed) -> Decision:
        """pg_dump --clean's drops come before the schema exists; the staging schema starts empty: skipped."""
        stmt = parsed.node
        dropped = enum_name(stmt.removeType) if isinstance(stmt, ast.DropStmt) else ""
        if dropped in GLOBAL_OBJECTS and dropped != "OBJECT_SCHEMA":
            raise refusal(f"drops {GLOBAL_OBJECTS[dropped]}, outside any schema", parsed.line, parsed.text)
        if dropped == "OBJECT_SCHEMA":
            names = [(str(o.sval), f"the schema {o.sval}") for o in stmt.objects or () if isinstance(o, ast.String)]
        else:
            found: list[Name] = targets(stmt)
            if any(n.catalog is not None for n in found):
                raise refusal("drops an object of another database", parsed.line, parsed.text)
            names = [(n.schema, n.shown()) for n in found if n.schema is not None]
        for schema, shown in names:
            if self.source is not None:
                where = (
                    "outside the tenant"
                    if schema != self.source
                    else "after creating its schema, which pg_dump does not write"
                )
                raise refusal(f"drops {shown}, {where}", parsed.line, parsed.text)
            if schema not in self._cleanup:
                if self._cleanup:
                    raise refusal(f"drops objects of more than one schema ({schema})", parsed.line, parsed.text)
                self._cleanup[schema] = (parsed.line, parsed.text)
        if self.source is not None:
            raise refusal(
                "drops objects after creating its schema, which pg_dump does not write", parsed.line, parsed.text
            )
        return Decision("skip")

    def _setting(self, parsed: Parsed) -> Decision:
        """pg_dump's SETs are interpreted, never sent as written: a few go on as SET LOCAL with a sane value."""
        stmt = parsed.node
        cause = setting_cause(stmt)
        if cause is not None:
            raise refusal(cause, parsed.line, parsed.text)
        name = (stmt.name or "").lower()
        args = stmt.args or ()
        if not all(isinstance(a, ast.A_Const) for a in args):
            raise refusal(f"sets {name} to an expression", parsed.line, parsed.text)
        words = [_constant_text(a.val) for a in args]
        value = words[0].lower() if len(words) == 1 else ""
        if name in _SKIPPED_SETTINGS:
            return Decision("skip")  # Resguardo's own timeouts and messages govern
        if name == "client_encoding" and len(words) == 1:
            return Decision("skip", encoding=words[0])
        if name == "standard_conforming_strings":
            if _BOOLEANS.get(value) == "on":
                return Decision("skip")
            raise refusal(
                "turns standard_conforming_strings off, so its strings would not be read as they were checked",
                parsed.line,
                parsed.text,
            )
        if name == "default_tablespace":
            if value == "":
                return Decision("skip")
            raise refusal(f"places objects in the tablespace {words[0]}", parsed.line, parsed.text)
        if name == "default_with_oids" and _BOOLEANS.get(value) == "off":
            return Decision("skip")
        if name == "search_path":
            allowed = {"", "pg_catalog", "public"} | ({self.source} if self.source else set())
            if all(w in allowed for w in words):
                return Decision("skip")  # the restore's search_path stays: the staging schema
            raise refusal(f"sets search_path to {', '.join(words)}, outside the tenant", parsed.line, parsed.text)
        sane = _LOCAL_SETTINGS.get(name)
        sent = sane(value) if sane is not None and len(words) == 1 else None
        if sent is None:
            raise refusal(
                f"changes the setting {name}, which a restore does not take from a file", parsed.line, parsed.text
            )
        return Decision("run", CheckedStatement(f"SET LOCAL {name} = {sent}", parsed.line, "VariableSetStmt"))

    def _select(self, parsed: Parsed) -> Decision:
        """Only pg_dump's two SELECTs: the empty search_path (skipped) and setval into its own schema."""
        stmt = parsed.node
        call = only_call(stmt)
        words = [getattr(p, "sval", "") for p in call.funcname] if call is not None else []
        if words in (["pg_catalog", "set_config"], ["set_config"]):
            args = [getattr(a, "val", None) for a in call.args or ()]
            if (
                len(args) == 3
                and isinstance(args[0], ast.String)
                and args[0].sval == "search_path"
                and isinstance(args[1], ast.String)
                and not args[1].sval
                and isinstance(args[2], ast.Boolean)
                and not args[2].boolval
            ):
                return Decision("skip")  # pg_dump's empty search_path: its names are qualified, ours stays
            raise refusal("changes a setting with set_config", parsed.line, parsed.text)
        if words and words[-1].startswith(("lo_", "lowrite")):
            raise refusal("uses a large object, which lives outside any schema", parsed.line, parsed.text)
        if self.source is not None and is_setval(stmt, parsed, Rules(self.source)):
            return Decision("run", self._checked(parsed, None))
        raise refusal("runs a query (SELECT), which a schema dump does not need", parsed.line, parsed.text)


def _constant_text(value: Any) -> str:
    if isinstance(value, ast.String):
        return str(value.sval or "")
    if isinstance(value, ast.Integer):
        return str(value.ival)
    if isinstance(value, ast.Float):
        return str(value.fval)
    if isinstance(value, ast.Boolean):
        return "on" if value.boolval else "off"
    return str(getattr(value, "bsval", ""))


_META_ALLOWED = frozenset({"\\restrict", "\\unrestrict"})  # pg_dump 17.6+, 16.10+, 15.14+: psql's own guard


def check_meta(meta: MetaCommand) -> None:
    """psql commands are never run: pg_dump's \\restrict lines are skipped, any other refuses the file."""
    if meta.command in _META_ALLOWED:
        return
    if meta.command in ("\\c", "\\connect"):
        raise refusal("switches to another database", meta.line, meta.text)
    if meta.command == "\\.":
        raise refusal("has table data without a COPY statement", meta.line, meta.text)
    raise refusal(f"holds the psql command {meta.command}, which Resguardo does not run", meta.line, meta.text)


# ---------------------------------------------------------------- encodings

_PG_CODECS = {  # ASCII-compatible only: the reader finds statement boundaries in the bytes
    "UTF8": "utf-8",
    "UNICODE": "utf-8",
    "SQLASCII": "utf-8",
    "LATIN1": "latin-1",
    "LATIN2": "iso8859-2",
    "LATIN3": "iso8859-3",
    "LATIN4": "iso8859-4",
    "LATIN5": "iso8859-9",
    "LATIN6": "iso8859-10",
    "LATIN7": "iso8859-13",
    "LATIN8": "iso8859-14",
    "LATIN9": "iso8859-15",
    "LATIN10": "iso8859-16",
    "WIN1250": "cp1250",
    "WIN1251": "cp1251",
    "WIN1252": "cp1252",
    "WIN1253": "cp1253",
    "WIN1254": "cp1254",
    "WIN1255": "cp1255",
    "WIN1256": "cp1256",
    "WIN1257": "cp1257",
    "WIN1258": "cp1258",
    "WIN866": "cp866",
    "WIN874": "cp874",
    "KOI8R": "koi8-r",
    "KOI8U": "koi8-u",
    "EUCJP": "euc-jp",
    "EUCKR": "euc-kr",
    "EUCCN": "gb2312",
    "ISO88595": "iso8859-5",
    "ISO88596": "iso8859-6",
    "ISO88597": "iso8859-7",
    "ISO88598": "iso8859-8",
}


def python_codec(pg_encoding: str) -> str:
    """The Python codec for a PostgreSQL encoding name, or an ArchiveError."""
    codec = _PG_CODECS.get(pg_encoding.upper().replace("_", "").replace("-", ""))
    if codec is None:
        raise ArchiveError(f"The file is written in the {pg_encoding} encoding, which Resguardo cannot read.")
    return codec


# ---------------------------------------------------------------- reading a whole dump


@dataclass(frozen=True)
class Step:
    """One statement of a dump, decided; `rows` is a COPY's data (consume it before the next step)."""

    decision: Decision
    line: int
    rows: Iterator[bytes] | None = None
    codec: str = "utf-8"  # how the file is written (COPY data is passed on in this encoding)


def read_dump(reader: ScriptReader, gate: DumpGate) -> Iterator[Step]:
    """Every statement of the stream, checked and decided, in order; RefusedStatement at the first that may
    not run. A COPY's rows not read by the consumer are skipped."""
    codec = "utf-8"
    for item in reader:
        if not reader.header_seen:
            raise ArchiveError(
                "The file is not a pg_dump output (it does not start with "
                f"'{HEADER_LINE}'); Resguardo restores only pg_dump files of one schema."
            )
        if isinstance(item, MetaCommand):
            check_meta(item)
            continue
        line, data = item.line, item.data
        del item  # a long statement is held once: as text from here on
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            raise refusal(f"is not valid {codec} text", line, data[:200].decode(codec, "replace")) from None
        del data
        decision = gate.decide(text, line)
        del text
        if decision.encoding is not None:
            codec = python_codec(decision.encoding)
        if decision.action != "copy":
            yield Step(decision, line)
            continue
        rows = reader.copy_rows(line)
        yield Step(decision, line, rows, codec)
        for _ in rows:
            pass


@dataclass
class DumpFacts:
    """What a pg_dump SQL stream holds, learned by reading and checking it once without running anything."""

    source_schema: str = ""
    tables: dict[str, int | None] = field(default_factory=dict)  # name -> rows in the file (None: unknown)
    dumped_from: str = ""
    dumped_by: str = ""


def scan_dump(stream: IO[bytes], cancel: CancelToken) -> DumpFacts:
    """Read a whole dump and check every statement as a restore would: pg_dump's own, complete, one schema,
    nothing outside it. Raises ArchiveError (RefusedStatement for a statement that may not run)."""
    reader = ScriptReader(stream)
    gate = DumpGate()
    facts = DumpFacts()
    for step in read_dump(reader, gate):
        cancel.raise_if_cancelled()
        table, action = step.decision.table, step.decision.action
        if table is None:
            continue
        current = facts.tables.get(table, 0)
        if step.rows is not None:
            rows = sum(chunk.count(b"\n") for chunk in step.rows)
            facts.tables[table] = None if current is None else current + rows
        elif step.decision.statement is not None and step.decision.statement.kind == "InsertStmt":
            facts.tables[table] = None if current is None else current + 1
        elif action == "run":
            facts.tables.setdefault(table, 0)
    if not reader.header_seen:
        raise ArchiveError(f"The file is not a pg_dump output (it is empty or has no '{HEADER_LINE}' header).")
    if gate.source is None:
        raise ArchiveError(
            "The file is not a dump of one tenant schema: it creates no schema "
            "(was it made with pg_dump --schema=<tenant>?)."
        )
    if not reader.trailer_seen:
        raise ArchiveError(
            f"The file is incomplete: its last line '{TRAILER_LINE}' is missing "
            "(the file was truncated or pg_dump failed while writing it)."
        )
    facts.source_schema = gate.source
    facts.dumped_from, facts.dumped_by = reader.dumped_from, reader.dumped_by
    return facts

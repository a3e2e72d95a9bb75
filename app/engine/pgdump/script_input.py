"""The bytes of a SQL script as its lexer reads them, and the COPY data streamed from them unlexed.

Only the statement in progress is kept across reads, and it is bounded (MAX_STATEMENT_BYTES); COPY ... FROM
stdin data is passed on in blocks up to its `\\.` line, never held whole and never read as SQL. Line numbers
are counted only when one is needed, each newline once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from app.engine.errors import ArchiveError
from app.engine.safety.sql_gate.verdict import refusal

MAX_STATEMENT_BYTES = 64 * 1024 * 1024
READ_BYTES = 1 << 20  # at most this much per read: a line longer than that arrives in parts
_COPY_END = re.compile(rb"^\\\.\r?$", re.M)
_BLANK = re.compile(rb"[ \t\r]*")


class ScriptInput:
    """The buffer under the lexer. `scanned` counts the bytes examined (a byte examined twice counts twice)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._buf = bytearray()
        self._pos = 0
        self._eof = False
        self._start: int | None = None  # where the statement in progress starts
        self._line_pos, self._line_no = 0, 1  # newlines counted up to _line_pos
        self.bytes_read = 0
        self.scanned = 0

    def _fill(self, *, block: bool = False) -> bool:
        """Read on (a line, or a block of COPY data); False at the end of the input."""
        keep = self._start if self._start is not None else self._pos
        if keep:
            self._line_at(keep)
            del self._buf[:keep]
            self._pos -= keep
            self._line_pos -= keep
            if self._start is not None:
                self._start = 0
        data = self._stream.read(READ_BYTES) if block else self._stream.readline(READ_BYTES)
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

    def _drop_read(self) -> None:
        """Let what was read go now (a long statement: moving the rest costs less than it)."""
        self._line_at(self._pos)
        del self._buf[: self._pos]
        self._pos = self._line_pos = 0

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

"""The gate's answer for a statement: checked (safe to send), or refused naming the cause and the line."""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.errors import ArchiveError
from app.engine.safety.sql_gate.names import Name

_EXCERPT = 80


class RefusedStatement(ArchiveError):
    """A statement of the file is not one Resguardo runs; nothing of the file has run. `cause` is the sentence's
    middle, e.g. "runs an anonymous code block (DO)" (a backup says it of the object it would write)."""

    cause: str = ""
    outside: Name | None = None  # the name refused for lying outside the tenant, when that is the cause


def refusal(cause: str, line: int, text: str) -> RefusedStatement:
    """'The file <cause> (line N: <statement>).' (the CLI and the window add that nothing was changed)"""
    refused = RefusedStatement(f"The file {cause} (line {line}: {excerpt(text)}).")
    refused.cause = cause
    return refused


def excerpt(text: str) -> str:
    """The statement on one short printable line, for messages."""
    flat = " ".join(text[: 4 * _EXCERPT].split())
    flat = "".join(c if c.isprintable() else "?" for c in flat)
    return flat if len(flat) <= _EXCERPT else flat[: _EXCERPT - 3] + "..."


@dataclass(frozen=True)
class CheckedStatement:
    """A statement that passed the gate: `text` parses as exactly this one statement."""

    text: str
    line: int
    kind: str  # the pglast node name, e.g. "CreateStmt"
    table: str | None = None  # the table a key (not a foreign key) or index builds on: load it with its rows
    needs_superuser: bool = False  # DDL only a superuser may run (operator classes and families)

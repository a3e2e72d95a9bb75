"""Stand-in for the SQL gate (being written on main); the lead's branch only."""

from __future__ import annotations

from dataclasses import dataclass

import pglast
import psycopg
from pglast import ast

from app.engine.errors import ArchiveError


@dataclass(frozen=True)
class CheckedStatement:
    text: str
    line: int
    kind: str
    table: str | None = None
    needs_superuser: bool = False


_SKIP = (ast.GrantStmt, ast.AlterOwnerStmt, ast.AlterDefaultPrivilegesStmt)


def check_native(text: str, *, line: int, label: str) -> CheckedStatement | None:
    try:
        parsed = pglast.parse_sql(text)
    except pglast.parser.ParseError as exc:
        raise ArchiveError(f"line {line}: {exc}") from None
    if len(parsed) != 1:
        raise ArchiveError(f"line {line}: not one statement")
    node = parsed[0].stmt
    if isinstance(node, _SKIP) or (isinstance(node, ast.DoStmt) and label.startswith("default-privileges")):
        return None
    if isinstance(node, ast.SelectStmt) and label.startswith("sequence-value"):
        return None
    if isinstance(node, ast.AlterTableStmt) and any(
            isinstance(c, ast.AlterTableCmd) and c.subtype.name == "AT_AlterColumnType" for c in node.cmds):
        pass
    if isinstance(node, (ast.DoStmt, ast.TransactionStmt, ast.VariableSetStmt, ast.CopyStmt)):
        raise ArchiveError(f"The file holds a statement Resguardo never runs (line {line}: {node.__class__.__name__}).")
    table = None
    if isinstance(node, ast.IndexStmt):
        table = node.relation.relname
    elif isinstance(node, ast.AlterTableStmt) and node.cmds and all(
            isinstance(c.def_, ast.Constraint) and c.def_.contype.name != "CONSTR_FOREIGN" for c in node.cmds):
        table = node.relation.relname
    return CheckedStatement(text, line, type(node).__name__, table,
                            isinstance(node, (ast.CreateOpClassStmt, ast.CreateOpFamilyStmt, ast.AlterOpFamilyStmt)))


def execute_checked(conn: psycopg.Connection, statement: CheckedStatement) -> None:
    with psycopg.RawCursor(conn) as cur:
        cur.execute(statement.text.encode(), [])

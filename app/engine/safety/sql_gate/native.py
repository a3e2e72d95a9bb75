"""Checking a native archive's pre-data and post-data statements (unqualified names, replayed in the staging schema)."""

from __future__ import annotations

from typing import Any

from app.engine.safety.sql_gate.kinds import (
    NEEDS_SUPERUSER,
    SKIPPED_KINDS,
    copy_cause,
    is_cleanup,
    is_owner_change,
    setting_cause,
)
from app.engine.safety.sql_gate.parse import parse_one
from app.engine.safety.sql_gate.rules import Rules
from app.engine.safety.sql_gate.setval import is_setval
from app.engine.safety.sql_gate.targets import table_built_on
from app.engine.safety.sql_gate.verdict import CheckedStatement, refusal


def check_native(text: str, *, line: int, label: str) -> CheckedStatement | None:
    """Check one statement of a native archive's pre-data or post-data (written with unqualified names,
    replayed with search_path set to the staging schema). None: skip it (owners, grants and sequence
    values are applied by the restore itself); RefusedStatement when it may not run."""
    parsed = parse_one(text, line)
    if parsed is None:
        return None
    stmt, kind = parsed.node, parsed.kind
    if kind == "DoStmt" and label.startswith("default-privileges"):
        return None  # archives of the previous version: default privileges come from the live tenant now
    if kind in SKIPPED_KINDS or is_owner_change(stmt) or is_setval(stmt, parsed, None):
        return None
    if kind in (
        "VariableSetStmt",
        "SelectStmt",
        "CreateSchemaStmt",
        "DropStmt",
        "InsertStmt",
        "CopyStmt",
    ) or is_cleanup(stmt):
        raise refusal(_native_cause(stmt, kind), line, parsed.text)
    Rules(None).check(parsed)
    return CheckedStatement(parsed.text, line, kind, table_built_on(stmt), kind in NEEDS_SUPERUSER)


def _native_cause(stmt: Any, kind: str) -> str:
    if kind == "VariableSetStmt":
        return setting_cause(stmt) or f"changes the setting {stmt.name}"
    if kind == "CopyStmt":
        return copy_cause(stmt) or "loads rows outside the archive's table data"
    return {
        "SelectStmt": "runs a query (SELECT)",
        "CreateSchemaStmt": "creates a schema",
        "InsertStmt": "inserts rows outside the archive's table data",
    }.get(kind, "drops objects")

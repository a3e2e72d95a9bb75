"""The one function call a file may run: `SELECT setval(...)` on its own sequence, as pg_dump writes it."""

from __future__ import annotations

from typing import Any

from pglast import ast

from app.engine.safety.sql_gate.names import Unreadable, literal_name
from app.engine.safety.sql_gate.parse import Parsed
from app.engine.safety.sql_gate.rules import Rules
from app.engine.safety.sql_gate.verdict import refusal


def is_setval(stmt: Any, parsed: Parsed, rules: Rules | None) -> bool:
    """`SELECT pg_catalog.setval('<seq>', n, bool)` exactly, as pg_dump and the native format write it."""
    call = only_call(stmt)
    if call is None or [p.sval for p in call.funcname] not in (["pg_catalog", "setval"], ["setval"]):
        return False
    args: tuple[Any, ...] = tuple(call.args or ())
    if (
        not 2 <= len(args) <= 3
        or not all(isinstance(a, ast.A_Const) for a in args)
        or not isinstance(args[0].val, ast.String)
        or not isinstance(args[1].val, (ast.Integer, ast.Float))
        or (len(args) == 3 and not isinstance(args[2].val, ast.Boolean))
    ):
        raise refusal("sets a sequence in a form pg_dump does not write", parsed.line, parsed.text)
    try:
        (name,) = list(literal_name(args[0], "regclass"))
    except Unreadable:
        raise refusal("sets a sequence whose name cannot be read", parsed.line, parsed.text) from None
    own = rules.own if rules is not None else None
    if name.catalog is not None or name.schema != own:
        raise refusal(f"sets the sequence {name.shown()}, outside its own schema", parsed.line, parsed.text)
    return True


def only_call(stmt: Any) -> Any:
    """The function call of `SELECT f(...)` with nothing else around it, or None."""
    if not isinstance(stmt, ast.SelectStmt) or not stmt.targetList or len(stmt.targetList) != 1:
        return None
    if any(
        getattr(stmt, s)
        for s in (
            "fromClause",
            "whereClause",
            "groupClause",
            "havingClause",
            "withClause",
            "valuesLists",
            "sortClause",
            "limitCount",
            "limitOffset",
            "distinctClause",
            "lockingClause",
            "windowClause",
            "larg",
            "rarg",
            "intoClause",
        )
    ):
        return None
    target = stmt.targetList[0]
    if target.name is not None or not isinstance(target.val, ast.FuncCall):
        return None
    call = target.val
    if call.agg_order or call.agg_filter or call.over or call.agg_star or call.agg_distinct or call.func_variadic:
        return None
    return call

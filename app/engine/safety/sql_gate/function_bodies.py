"""The statements a sql or plpgsql function's string body runs, parsed, for the same checks as the file's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pglast import ast
from pglast.parser import ParseError, parse_plpgsql_json, parse_sql_json

from app.engine.safety.sql_gate.parse import node_from_json

# What a function body written as a string may run: queries and row changes (names checked like the file's).
BODY_KINDS = frozenset({"SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "CallStmt", "NotifyStmt"})
_DYNAMIC = frozenset({"PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors"})
_PLPGSQL_TRANSACTION = frozenset({"PLpgSQL_stmt_commit", "PLpgSQL_stmt_rollback"})


class Unchecked(Exception):
    """A function body whose statements cannot be known before it runs."""


def function_body(stmt: Any, text: str) -> Iterator[Any]:
    """The statements a sql or plpgsql function's string body runs, parsed; Unchecked when they cannot be
    known before it runs (SQL built at run time). The body runs with the rights of whoever calls it, the
    restore itself among them (a CHECK, a default, an index expression, a trigger)."""
    options = {str(o.defname): o.arg for o in stmt.options or ()}
    language = options.get("language")
    body = options.get("as")
    if stmt.sql_body is not None or not isinstance(body, tuple) or len(body) != 1:
        return  # a BEGIN ATOMIC body is part of the tree, already checked
    source = str(body[0].sval or "")
    if language is None or (isinstance(language, ast.String) and language.sval == "sql"):
        yield from _statements(source)
    elif isinstance(language, ast.String) and language.sval == "plpgsql":
        try:
            tree = json.loads(parse_plpgsql_json(text))
        except ParseError as exc:
            raise Unchecked(f"is not plpgsql PostgreSQL reads ({exc.args[0]})") from None
        for query in _plpgsql_queries(tree):
            yield from _statements(query)


def _statements(text: str) -> Iterator[Any]:
    try:
        data = json.loads(parse_sql_json(text))
    except ParseError as exc:
        raise Unchecked(f"holds text that is not SQL PostgreSQL reads ({exc.args[0]})") from None
    for raw in data.get("stmts", ()):
        yield node_from_json("RawStmt", raw).stmt


def _plpgsql_queries(tree: Any) -> Iterator[str]:
    """Every SQL text a plpgsql function holds, as a statement (expressions become SELECTs)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            if key in _DYNAMIC or (key in ("PLpgSQL_stmt_open", "PLpgSQL_stmt_return_query") and "dynquery" in value):
                raise Unchecked("runs SQL built while it runs (EXECUTE), which Resguardo cannot check")
            if key in _PLPGSQL_TRANSACTION:
                raise Unchecked("ends or changes the transaction (COMMIT, ROLLBACK)")
            if key == "PLpgSQL_expr":
                query, mode = str(value.get("query", "")), int(value.get("parseMode", 0))
                if mode == 0:
                    yield query
                elif mode == 2:
                    yield "SELECT " + query
                else:  # an assignment `target := expression`
                    yield "SELECT " + query.split(":=", 1)[-1]
            stack.append(value)

"""The functions that reach outside the tenant (server files, settings, signals, locks, queries given as text)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pglast import ast

from app.engine.safety.sql_gate.names import Name, from_strings, nodes_in
from app.engine.safety.sql_gate.tree import child_slots

_OUTSIDE_FUNCTIONS = frozenset(
    {
        "set_config",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_promote",
        "pg_switch_wal",
        "pg_create_restore_point",
        "pg_backup_start",
        "pg_backup_stop",
        "pg_log_backend_memory_contexts",
        "pg_import_system_collations",
        "pg_stat_file",
        "loread",
        "lowrite",
        "pg_sleep",
        "pg_sleep_for",
        "pg_sleep_until",
    }
)
_OUTSIDE_PREFIXES = (
    "lo_",
    "pg_read_",
    "pg_ls_",
    "pg_file_",
    "pg_advisory",
    "pg_try_advisory",
    "dblink",
    "pg_stat_reset",
    "pg_replication_",
    "pg_logical_",
    "pg_create_",
    "pg_drop_replication",
    "pg_copy_",
    "pg_wal_",
)
# Functions that run a query they are given as text (or build one from the names they are given), with the
# caller's rights and out of the gate's sight: query_to_xml, cursor_to_xml, table_to_xml, schema_to_xml and
# database_to_xml with their ..._xmlschema forms, ts_stat, the two-argument ts_rewrite(tsquery, text), and
# tablefunc's and xml2's crosstab, connectby and xpath_table (in public when installed there).
_OUTSIDE_PARTS = ("_to_xml",)
_QUERY_TEXT_FUNCTIONS = frozenset({"ts_stat", "connectby", "xpath_table"})
_QUERY_TEXT_PREFIXES = ("crosstab",)
_QUERY_TEXT_BY_ARITY = frozenset({("ts_rewrite", 2)})  # ts_rewrite(tsquery, tsquery, tsquery) runs none


def reaches_outside(name: str, arity: int | None = None) -> bool:
    """Whether calling `name` (with `arity` arguments, None when unknown) reaches outside the tenant: server
    files and programs, settings, signals, locks, replication, or a query given as text."""
    return (
        name in _OUTSIDE_FUNCTIONS
        or name in _QUERY_TEXT_FUNCTIONS
        or name.startswith(_OUTSIDE_PREFIXES + _QUERY_TEXT_PREFIXES)
        or any(p in name for p in _OUTSIDE_PARTS)
        or any(name == f and arity in (n, None) for f, n in _QUERY_TEXT_BY_ARITY)
    )


def called_functions(tree: Any) -> Iterator[tuple[Name, int | None]]:
    """Functions the tree calls or names as a function (FuncCall, and operator/aggregate support functions),
    each with the number of arguments it is called with (None when it is only named)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FuncCall):
            yield from_strings(node.funcname or ()), len(node.args or ())
        elif isinstance(node, ast.DefElem) and isinstance(node.arg, ast.TypeName):
            yield from_strings(node.arg.names or ()), None
        for slot in child_slots(node):
            value = getattr(node, slot)
            if isinstance(value, ast.Node):
                stack.append(value)
            elif isinstance(value, tuple):
                stack.extend(nodes_in(value))

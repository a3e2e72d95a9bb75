"""PostgreSQL's own deparsers, run with the tenant's schema on the search path, and nothing else there.

pg_get_viewdef, pg_get_expr, format_type and the other deparsers write a name unqualified only when
it is visible on the search path, and a backup must write the tenant's names unqualified (so the
statements replay into a schema of any name). But a search path holding the tenant's schema lets the
tenant's owner decide what an unqualified function, operator or type means: an operator
`=(oid, integer)` of its own would be chosen, and would run with the rights of the user making the
backup. So the only statements run under that path are the few below, made of schema-qualified
functions, types and operators alone (tests/test_schema_ddl.py parses each of them to prove it), and
the path goes back to what it was right after. Every other catalog query runs with the session's
`search_path = pg_catalog, pg_temp`.

`source_schema_references` reads back what the deparsers wrote: a statement that still names the
source schema (a tenant object hidden by a built-in of the same name) could not replay elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
from pglast.parser import ParseError, parse_sql_json
from psycopg import sql

_ROWS = "SELECT o.oid, {expr} FROM pg_catalog.unnest(%s::pg_catalog.oid[]) AS o(oid)"

# What may be asked for one object by oid: PostgreSQL's deparsers and visibility tests.
DEFINITIONS = {
    "view": "pg_catalog.pg_get_viewdef(o.oid, true)",
    "function": "pg_catalog.pg_get_functiondef(o.oid)",
    "identity_arguments": "pg_catalog.pg_get_function_identity_arguments(o.oid)",
    "arguments": "pg_catalog.pg_get_function_arguments(o.oid)",
    "constraint": "pg_catalog.pg_get_constraintdef(o.oid, true)",
    "index": "pg_catalog.pg_get_indexdef(o.oid, 0, true)",
    "trigger": "pg_catalog.pg_get_triggerdef(o.oid, true)",
    "rule": "pg_catalog.pg_get_ruledef(o.oid, true)",
    "statistics": "pg_catalog.pg_get_statisticsobjdef(o.oid)",
    "partition_key": "pg_catalog.pg_get_partkeydef(o.oid)",
    "type": "pg_catalog.format_type(o.oid, NULL)",
    "operator": "o.oid::pg_catalog.regoperator::pg_catalog.text",
    "visible:pg_class": "pg_catalog.pg_table_is_visible(o.oid)",
    "visible:pg_type": "pg_catalog.pg_type_is_visible(o.oid)",
    "visible:pg_proc": "pg_catalog.pg_function_is_visible(o.oid)",
    "visible:pg_operator": "pg_catalog.pg_operator_is_visible(o.oid)",
    "visible:pg_opclass": "pg_catalog.pg_opclass_is_visible(o.oid)",
    "visible:pg_opfamily": "pg_catalog.pg_opfamily_is_visible(o.oid)",
    "visible:pg_collation": "pg_catalog.pg_collation_is_visible(o.oid)",
    "visible:pg_ts_config": "pg_catalog.pg_ts_config_is_visible(o.oid)",
    "visible:pg_ts_dict": "pg_catalog.pg_ts_dict_is_visible(o.oid)",
    "visible:pg_statistic_ext": "pg_catalog.pg_statistics_obj_is_visible(o.oid)",
}

# Expressions stored as node trees (which no client may send back): (catalog, column, relation of the Vars).
EXPRESSIONS = {
    "default": ("pg_attrdef", "adbin", "x.adrelid"),
    "partition_bound": ("pg_class", "relpartbound", "x.oid"),
    "policy_using": ("pg_policy", "polqual", "x.polrelid"),
    "policy_check": ("pg_policy", "polwithcheck", "x.polrelid"),
    "domain_default": ("pg_type", "typdefaultbin", "0::pg_catalog.oid"),
}
_EXPRESSION = (
    "SELECT x.oid, pg_catalog.pg_get_expr(x.{column}, {relation}) FROM pg_catalog.{catalog} x"
    " WHERE x.oid OPERATOR(pg_catalog.=) ANY (%s::pg_catalog.oid[])"
)

_TYPES = (
    "SELECT t.n, pg_catalog.format_type(t.typ, t.mod) FROM ROWS FROM (pg_catalog.unnest(%s::pg_catalog.oid[]),"
    " pg_catalog.unnest(%s::pg_catalog.int4[])) WITH ORDINALITY AS t(typ, mod, n)"
)


def deparse_queries() -> Iterator[str]:
    """Every statement this module runs under the tenant's search path (for the test that parses them)."""
    for expr in DEFINITIONS.values():
        yield _ROWS.format(expr=expr)
    for catalog, column, relation in EXPRESSIONS.values():
        yield _EXPRESSION.format(catalog=catalog, column=column, relation=relation)
    yield _TYPES


class TenantDeparser:
    """Batched deparsing with the tenant's schema (alone) on the search path, inside the caller's transaction."""

    def __init__(self, conn: psycopg.Connection, schema: str) -> None:
        self.conn = conn
        self.path = sql.Identifier(schema).as_string(conn)

    def _run(self, query: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        previous = self.conn.execute("SELECT pg_catalog.current_setting('search_path')").fetchone()
        self.conn.execute("SELECT pg_catalog.set_config('search_path', %s, true)", [self.path])
        rows = self.conn.execute(query, params).fetchall()  # an error ends the backup (the path goes with it)
        self.conn.execute(
            "SELECT pg_catalog.set_config('search_path', %s, true)",
            [previous[0] if previous else "pg_catalog, pg_temp"],
        )
        return rows

    def definitions(self, what: str, oids: Sequence[int]) -> dict[int, Any]:
        """oid -> the deparser's answer (see DEFINITIONS)."""
        if not oids:
            return {}
        return dict(self._run(_ROWS.format(expr=DEFINITIONS[what]), [list(oids)]))

    def expressions(self, what: str, oids: Sequence[int]) -> dict[int, str | None]:
        """Catalog row oid -> its stored expression as SQL (see EXPRESSIONS)."""
        if not oids:
            return {}
        catalog, column, relation = EXPRESSIONS[what]
        query = _EXPRESSION.format(catalog=catalog, column=column, relation=relation)
        return dict(self._run(query, [list(oids)]))

    def types(self, pairs: Sequence[tuple[int, int | None]]) -> list[str]:
        """format_type of (type oid, typmod) pairs, in order."""
        if not pairs:
            return []
        rows = self._run(_TYPES, [[p[0] for p in pairs], [p[1] for p in pairs]])
        return [text for _, text in sorted(rows)]


def source_schema_references(statement: str, schema: str) -> list[str]:
    """Names in `statement` qualified with `schema` (e.g. `clinic.lower`), as `schema.name` texts.

    Raises ValueError when pglast (PostgreSQL's parser) cannot parse the statement.
    """
    try:
        parsed = parse_sql_json(statement)  # every statement is read back by PostgreSQL's parser
    except ParseError as exc:
        raise ValueError(str(exc)) from None
    if not could_name(statement, schema):
        return []
    tree = json.loads(parsed)
    found: list[str] = []
    _walk(tree, schema, found)
    return found


def could_name(statement: str, schema: str) -> bool:
    """False when `statement` cannot hold an identifier equal to `schema`, which spares walking its tree (the
    walk took 0.3 s for a schema of 300 tables). An identifier is written bare (folded to lower case) or quoted
    (`"` doubled inside); in ASCII text without `U&` escapes, either way its name appears in the lower-cased
    text. Anything else (non-ASCII text, `U&"..."`) is walked."""
    if not statement.isascii():
        return True
    text = statement.lower()
    name = schema.lower()
    return "u&" in text or name in text or name.replace('"', '""') in text


def _walk(node: Any, schema: str, found: list[str]) -> None:
    if isinstance(node, list):
        names = [item.get("String", {}).get("sval") if isinstance(item, dict) else None for item in node]
        if len(names) >= 2 and names[0] == schema and all(isinstance(n, str) for n in names):
            found.append(".".join(names))  # type: ignore[arg-type]
        for item in node:
            _walk(item, schema, found)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "RangeVar" and isinstance(value, dict) and value.get("schemaname") == schema:
                found.append(f"{schema}.{value.get('relname')}")
            if key == "ColumnRef" and isinstance(value, dict):  # `alias.column` may use the schema's name as alias
                fields = value.get("fields", [])
                if len(fields) >= 3:
                    _walk(fields, schema, found)
                continue
            _walk(value, schema, found)

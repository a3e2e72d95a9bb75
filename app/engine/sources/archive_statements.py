"""What the native source reads in its checked statements, conservatively: the plain table a CREATE TABLE makes,
the names a statement's words may mention, and whether it builds a GIN index."""

from __future__ import annotations

import json
import re

from pglast.parser import ParseError, parse_sql_json

from app.engine.safety.sql_gate.verdict import CheckedStatement

# Words of SQL text, as a conservative reading of the names it may mention: quoted identifiers, and bare words
# (also folded to lower case, as PostgreSQL folds them); words inside string literals and bodies count too.
_WORD = re.compile(r'[^\W\d][\w$]*|"(?:[^"]|"")+"')
_GIN = re.compile(r"\bUSING\s+gin\s*\(", re.IGNORECASE)


def plain_table_created(text: str) -> str | None:
    """The name of the plain table a CREATE TABLE makes, None for any other kind of table (a partition, a parent,
    an inheriting or typed table, one with a foreign key written inline). libpg_query's JSON, not pglast's tree:
    this is read for every table, and the gate has already checked the statement."""
    try:
        tree = parse_sql_json(text)
    except ParseError:
        return None
    statements = json.loads(tree).get("stmts", [])
    if len(statements) != 1 or '"CONSTR_FOREIGN"' in tree:
        return None
    create = statements[0].get("stmt", {}).get("CreateStmt")
    if not isinstance(create, dict) or any(
        create.get(k) for k in ("inhRelations", "partbound", "partspec", "ofTypename")
    ):
        return None
    relation = create.get("relation", {})
    name = relation.get("relname")
    return name if isinstance(name, str) and relation.get("relpersistence", "p") == "p" else None


def is_gin(statement: CheckedStatement) -> bool:
    return statement.kind == "IndexStmt" and _GIN.search(statement.text) is not None


def words(text: str) -> set[str]:
    found = set(_WORD.findall(text))
    return found | {w[1:-1].replace('""', '"') if w[0] == '"' else w.lower() for w in found}

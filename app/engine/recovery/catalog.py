"""The live clinic's tables, keys and foreign keys: what decides which rows come along and how they are inserted.

The live catalog is the authority. A backup's DDL may have been changed, and what the insert must satisfy
is the live clinic's foreign keys; so the rows that come along follow the live foreign keys between the
clinic's own tables (a key into `public` or another schema is never followed: those rows are not the
clinic's to insert). The backup's manifest is only trusted for the columns its rows carry, and it must
agree with the live table (every column of the backup's rows exists live).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from app.engine.comparison.live import LiveTable

# Foreign keys between two tables of the schema: child columns -> parent columns, in the constraint's order.
_FOREIGN_KEYS = """
SELECT k.conname, k.conrelid, k.confrelid, k.condeferrable,
  ARRAY(SELECT a.attname FROM pg_catalog.unnest(k.conkey) WITH ORDINALITY u(n, o)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.o)::text[],
  ARRAY(SELECT a.attname FROM pg_catalog.unnest(k.confkey) WITH ORDINALITY u(n, o)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.o)::text[]
FROM pg_catalog.pg_constraint k
WHERE k.contype = 'f' AND k.conrelid = ANY(%(oids)s::pg_catalog.oid[]) AND k.confrelid = ANY(%(oids)s::pg_catalog.oid[])
ORDER BY k.conrelid, k.conname
"""


@dataclass(frozen=True)
class ForeignKey:
    name: str
    child: str
    child_columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    deferrable: bool


def foreign_keys(conn: psycopg.Connection, tables: dict[str, LiveTable]) -> list[ForeignKey]:
    """The live foreign keys between the clinic's tables (the tables locked and checked by the caller)."""
    by_oid = {t.relation.oid: name for name, t in tables.items()}
    found = []
    for name, child, parent, deferrable, child_cols, parent_cols in conn.execute(_FOREIGN_KEYS, {"oids": list(by_oid)}):
        found.append(
            ForeignKey(
                str(name),
                by_oid[int(child)],
                tuple(child_cols),
                by_oid[int(parent)],
                tuple(parent_cols),
                bool(deferrable),
            )
        )
    return found


def insert_order(tables: list[str], keys: list[ForeignKey]) -> list[str]:
    """Parents before children (a cycle, a self-reference aside, keeps the tables' order within it)."""
    wanted = set(tables)
    parents = {t: {k.parent for k in keys if k.child == t and k.parent in wanted and k.parent != t} for t in tables}
    ordered: list[str] = []
    placed: set[str] = set()
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in placed and parents[t] <= placed]
        if not ready:  # a cycle between tables: the rest in their order (deferred keys check at the end)
            ready = [next(t for t in tables if t not in placed)]
        for t in ready:
            ordered.append(t)
            placed.add(t)
    return ordered


_UNIQUE = """
SELECT i.indrelid, ARRAY(SELECT a.attname FROM pg_catalog.unnest(i.indkey::pg_catalog.int2[]) WITH ORDINALITY k(n, o)
    JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n WHERE k.o <= i.indnkeyatts
    ORDER BY k.o)::text[]
FROM pg_catalog.pg_index i
WHERE i.indrelid = ANY(%s::pg_catalog.oid[]) AND i.indisunique AND i.indexprs IS NULL AND i.indpred IS NULL
  AND pg_catalog.array_position(i.indkey::pg_catalog.int2[], 0::pg_catalog.int2) IS NULL
"""


def unique_keys(conn: psycopg.Connection, tables: dict[str, LiveTable]) -> dict[str, list[tuple[str, ...]]]:
    """Every unique index on plain columns of each table, its key among them: a row to insert must take none
    of their values from another live row."""
    by_oid = {t.relation.oid: name for name, t in tables.items()}
    found: dict[str, list[tuple[str, ...]]] = {}
    for oid, columns in conn.execute(_UNIQUE, [list(by_oid)]):
        found.setdefault(by_oid[int(oid)], []).append(tuple(columns))
    return found

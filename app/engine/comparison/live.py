"""The live clinic, read as the backup reads it: one REPEATABLE READ READ ONLY snapshot, every table locked
ACCESS SHARE and checked by oid once locked (app/engine/safety/relation_guard.py), row security off (COPY then
fails where a policy would hide rows), and, in sessions with more rights than the owner,
`restrict_nonsystem_relation_kind` (app/engine/connection.py).

Each table's key is its primary key, else its first unique index on plain NOT NULL columns (no expression, no
predicate). Rows are read with `COPY (SELECT ... ORDER BY key)`: a whole-number column orders by its own value
(bigint/integer/smallint: their btree order is PostgreSQL's, which no owner can change), a uuid by its value too
(the order of its text); any other column by `pg_catalog.concat(column) COLLATE "C"`, the bytes of its text
through its type's output function, never a cast (a cast to text may be the owner's function, CREATE CAST on a
type it owns). app/engine/comparison/copy_text.py orders the backup's rows the same way. Values are written
under the output settings the backup recorded (`begin_snapshot`), so both sides' text is alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from app.engine.comparison.copy_text import KeyOrder
from app.engine.comparison.result import Matching
from app.engine.output_settings import Settings, pin
from app.engine.safety.relation_guard import Relation, lock_tables, schema_tables

LOCK_TIMEOUT = "10s"
_WHOLE_NUMBERS = (20, 21, 23)  # int8, int2, int4
_UUID = 2950

_COLUMNS = """
SELECT a.attrelid, a.attname, a.atttypid, a.attnotnull, c.relkind::text
FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
WHERE a.attrelid = ANY(%s::pg_catalog.oid[]) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
ORDER BY a.attrelid, a.attnum
"""

_KEYS = """
SELECT i.indrelid, i.indisprimary, ARRAY(SELECT a.attname
    FROM pg_catalog.unnest(i.indkey::pg_catalog.int2[]) WITH ORDINALITY k(n, o)
    JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n WHERE k.o <= i.indnkeyatts
    ORDER BY k.o)::text[],
  pg_catalog.array_position(i.indkey::pg_catalog.int2[], 0::pg_catalog.int2) IS NULL
FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class x ON x.oid = i.indexrelid
WHERE i.indrelid = ANY(%s::pg_catalog.oid[]) AND i.indisunique AND i.indisvalid AND i.indexprs IS NULL
  AND i.indpred IS NULL
ORDER BY i.indrelid, NOT i.indisprimary, i.indnkeyatts, x.relname
"""


@dataclass(frozen=True)
class LiveColumn:
    name: str
    type_oid: int
    not_null: bool

    @property
    def order(self) -> KeyOrder:
        return KeyOrder.NUMBER if self.type_oid in _WHOLE_NUMBERS else KeyOrder.TEXT


@dataclass(frozen=True)
class LiveTable:
    relation: Relation
    columns: tuple[LiveColumn, ...]
    key: tuple[str, ...]  # () without a key
    matching: Matching
    holds_rows: bool  # False for a partitioned table (its partitions hold them)

    def column(self, name: str) -> LiveColumn:
        return next(c for c in self.columns if c.name == name)


def begin_snapshot(conn: psycopg.Connection, settings: Settings | None) -> None:
    """The transaction every read of the comparison happens in, writing values under the `settings` the backup
    recorded (app/engine/output_settings.py; None, an older backup: the session's own)."""
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    conn.execute("SELECT pg_catalog.set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])
    conn.execute("SELECT pg_catalog.set_config('row_security', 'off', true)")
    pin(conn, settings)


def lock_live_tables(conn: psycopg.Connection, schema: str) -> dict[str, LiveTable]:
    """Every table of `schema`, locked and checked, with its columns and key."""
    relations = schema_tables(conn, schema)
    lock_tables(conn, relations)
    return describe_tables(conn, relations)


def describe_tables(conn: psycopg.Connection, relations: list[Relation]) -> dict[str, LiveTable]:
    """Columns and key of each relation (locked and checked by the caller)."""
    oids = [r.oid for r in relations]
    columns: dict[int, list[LiveColumn]] = {}
    kinds: dict[int, str] = {}
    for oid, name, type_oid, not_null, kind in conn.execute(_COLUMNS, [oids]):
        columns.setdefault(int(oid), []).append(LiveColumn(str(name), int(type_oid), bool(not_null)))
        kinds[int(oid)] = str(kind)
    keys: dict[int, tuple[tuple[str, ...], Matching]] = {}
    for oid, primary, names, plain in conn.execute(_KEYS, [oids]):
        if int(oid) in keys or not plain:
            continue
        cols = {c.name: c for c in columns.get(int(oid), [])}
        if primary or all(n in cols and cols[n].not_null for n in names):
            keys[int(oid)] = (tuple(names), Matching.PRIMARY_KEY if primary else Matching.UNIQUE_KEY)
    tables = {}
    for r in relations:
        key, matching = keys.get(r.oid, ((), Matching.MULTISET))
        tables[r.name] = LiveTable(r, tuple(columns.get(r.oid, [])), key, matching, kinds.get(r.oid, "r") == "r")
    return tables


def order_by(table: LiveTable, key: tuple[str, ...]) -> sql.Composable:
    parts: list[sql.Composable] = []
    for name in key:
        column = table.column(name)
        if column.type_oid in _WHOLE_NUMBERS or column.type_oid == _UUID:
            parts.append(sql.SQL("t.{}").format(sql.Identifier(name)))
        else:
            parts.append(sql.SQL('pg_catalog.concat(t.{}) COLLATE pg_catalog."C"').format(sql.Identifier(name)))
    return sql.SQL(", ").join(parts)


def copy_query(table: LiveTable, columns: tuple[str, ...], key: tuple[str, ...]) -> sql.Composed:
    """The live rows of `columns`, ordered by `key` (in no order without one)."""
    select = sql.SQL("SELECT {} FROM ONLY {} t").format(
        sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in columns), table.relation.identifier()
    )
    if key:
        select = sql.SQL("{} ORDER BY {}").format(select, order_by(table, key))
    return sql.SQL("COPY ({}) TO STDOUT").format(select)


def count_rows(conn: psycopg.Connection, table: LiveTable) -> int:
    """Rows of a locked table (ONLY: a partitioned table's rows are its partitions')."""
    row = conn.execute(
        sql.SQL("SELECT pg_catalog.count(*) FROM ONLY {}").format(table.relation.identifier())
    ).fetchone()
    return int(row[0]) if row else 0

"""Resguardo's own queries over one schema's relations, found by index (cost follows the tenant, not the database):
the identity and serial sequences continued after the restored rows, and the rows the web application wrote."""

from __future__ import annotations

import psycopg
from psycopg import sql

from app.engine.catalog.schema_oids import IN_SCHEMA

_OWNED_SEQUENCES = f"""
SELECT s.relname, t.relname, a.attname FROM pg_class s
JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid
 AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
JOIN pg_sequence q ON q.seqrelid = s.oid
WHERE s.oid = ANY({IN_SCHEMA}) AND s.relkind = 'S' AND q.seqincrement > 0
  AND (%(table)s::text IS NULL OR t.relname = %(table)s)
"""


def continue_sequences(conn: psycopg.Connection, schema: str, nsp: int, table: str | None = None) -> None:
    """Identity and serial sequences continue after the largest restored value: no duplicate key on insert.
    One statement for all of them (a round trip each cost more than the work on a schema of small tables)."""
    moves = []
    for seq, tab, col in conn.execute(_OWNED_SEQUENCES, {"nsp": nsp, "table": table}).fetchall():
        q_seq = sql.Identifier(schema, seq)
        moves.append(
            sql.SQL(
                "SELECT setval({name}::regclass, m) FROM (SELECT max({col})::bigint AS m FROM {tab}) x"
                " WHERE m IS NOT NULL AND m >= (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END"
                " FROM {seq})"
            ).format(
                name=sql.Literal(q_seq.as_string(conn)),
                col=sql.Identifier(col),
                tab=sql.Identifier(schema, tab),
                seq=q_seq,
            )
        )
    if moves:
        conn.execute(sql.SQL(" UNION ALL ").join(moves))


def write_count(observer: psycopg.Connection, schema_oid: int) -> int:
    """Rows inserted, updated or deleted in a schema's tables, as PostgreSQL's statistics count them."""
    observer.execute("SELECT pg_stat_clear_snapshot()")
    row = observer.execute(
        "SELECT coalesce(sum(pg_stat_get_tuples_inserted(c.oid) + pg_stat_get_tuples_updated(c.oid)"
        f" + pg_stat_get_tuples_deleted(c.oid)), 0)::bigint FROM pg_class c"
        f" WHERE c.oid = ANY({IN_SCHEMA}) AND c.relkind IN ('r', 'p', 'm')",
        {"nsp": schema_oid},
    ).fetchone()
    return int(row[0]) if row else 0


def has_sessions_table(observer: psycopg.Connection, schema_oid: int) -> bool:
    """Django keeps who is signed in in the clinic's django_session (sessions among the tenant apps); the
    restore puts back the backup's rows, so everyone who signed in since must sign in again."""
    row = observer.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = %s AND relname = 'django_session')",
        [schema_oid],
    ).fetchone()
    return bool(row and row[0])

"""A schema's pg_class and pg_type rows found by index (app/engine/catalog/schema_oids.py) are exactly those the
catalogs hold for it: a backup lists what it carries, and a restore what it locks and gives owners to, this way."""

from __future__ import annotations

import pytest
from psycopg import sql

from app.engine.catalog.schema_oids import ALL_RELATIONS, ALL_TYPES, IN_SCHEMA, TYPES_IN_SCHEMA
from app.engine.connection import ConnectionTarget
from tests.support.schema import ODD_SCHEMA, make_odd_tenant

pytestmark = pytest.mark.core

# Kinds the odd tenant lacks: ranges (and their multiranges), partitions and their indexes, composite types,
# an unlogged table, a table moved in from another schema and a table moved out, a sequence owned by a column.
MORE = """
CREATE TYPE span AS RANGE (subtype = integer);
CREATE TABLE log (at date NOT NULL, n span, k integer) PARTITION BY RANGE (at);
CREATE TABLE log_2026 PARTITION OF log FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX log_at ON log (at);
CREATE TYPE bundle AS (a span, b pair);
CREATE UNLOGGED TABLE scratch (v text);
CREATE TABLE public.moved_in (a integer PRIMARY KEY, b text);
ALTER TABLE public.moved_in SET SCHEMA {schema};
CREATE TABLE leaving (a integer PRIMARY KEY);
ALTER TABLE leaving SET SCHEMA public;
CREATE SEQUENCE counter OWNED BY log.k;
"""


def test_the_schemas_rows_found_by_index_are_all_its_rows(demo_db: ConnectionTarget) -> None:
    make_odd_tenant(demo_db)
    with demo_db.connect() as conn:
        conn.execute(sql.SQL("SET search_path = {}, public").format(sql.Identifier(ODD_SCHEMA)))
        conn.execute(sql.SQL(MORE).format(schema=sql.Identifier(ODD_SCHEMA)))
        conn.commit()
        for schema in (ODD_SCHEMA, "bienestar", "public"):
            row = conn.execute("SELECT %s::regnamespace::oid", [sql.Identifier(schema).as_string(conn)]).fetchone()
            assert row is not None
            nsp = {"nsp": row[0]}
            relations = {r[0] for r in conn.execute("SELECT oid FROM pg_class WHERE relnamespace = %(nsp)s", nsp)}
            types = {r[0] for r in conn.execute("SELECT oid FROM pg_type WHERE typnamespace = %(nsp)s", nsp)}
            found = conn.execute(f"SELECT {ALL_RELATIONS}, {ALL_TYPES}, {IN_SCHEMA}, {TYPES_IN_SCHEMA}", nsp).fetchone()
            assert found is not None
            assert set(found[0]) == relations and len(found[0]) == len(relations), schema
            assert set(found[1]) == types and len(found[1]) == len(types), schema
            kinds: dict[int, str] = dict(
                conn.execute("SELECT oid, relkind FROM pg_class WHERE relnamespace = %(nsp)s", nsp).fetchall()
            )
            assert set(found[2]) == {o for o, k in kinds.items() if k not in ("i", "I", "c")}, schema
            assert set(found[3]) <= types

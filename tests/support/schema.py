"""An awkward tenant (names that need quoting, every kind of object) and the by-hand replay and catalog reading
with which the DDL tests compare a schema to its copy."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from app.engine.archive.container import split_statements
from app.engine.connection import ConnectionTarget

ODD_SCHEMA = 'x"; drop schema public; --'

# Runs with search_path = <odd schema>, public. Names are meant to be awkward.
ODD_OBJECTS = r'''
CREATE TYPE "Mood" AS ENUM ('calm', 'it''s ok', 'ánimo');
CREATE DOMAIN positive_int AS integer DEFAULT 1 CHECK (VALUE > 0);
CREATE TYPE pair AS (a integer, "B b" text);
CREATE SEQUENCE "Odd Seq" START WITH 100 INCREMENT BY 5;
CREATE TABLE "Pacientes Ñandú" (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "Nombre ""quoted""" text NOT NULL COLLATE "C",
    mood "Mood" NOT NULL DEFAULT 'calm',
    visits positive_int,
    email public.citext UNIQUE,
    ticket integer DEFAULT nextval('"Odd Seq"'),
    doubled integer GENERATED ALWAYS AS (visits * 2) STORED,
    clinic_id bigint REFERENCES public.customers_client (id) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT "check it" CHECK (length("Nombre ""quoted""") > 0)
);
CREATE TABLE "x""; drop table users; --" (
    id serial PRIMARY KEY,
    paciente_id bigint REFERENCES "Pacientes Ñandú" (id) ON DELETE CASCADE,
    p pair,
    changed_at timestamptz
);
CREATE INDEX "idx lower" ON "Pacientes Ñandú" (lower("Nombre ""quoted""")) WHERE visits > 1;
CREATE FUNCTION "touch()"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.changed_at := now(); RETURN NEW; END $$;
CREATE FUNCTION add_one(v positive_int) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT v + 1';
CREATE PROCEDURE noop(n integer) LANGUAGE plpgsql AS $$ BEGIN PERFORM n; END $$;
CREATE TRIGGER "on change" BEFORE INSERT OR UPDATE ON "x""; drop table users; --"
    FOR EACH ROW EXECUTE FUNCTION "touch()"();
CREATE VIEW "Vista" AS SELECT id, add_one(visits) AS next_visits, email FROM "Pacientes Ñandú" WHERE mood <> 'calm';
CREATE VIEW vista2 AS SELECT count(*) AS n FROM "Vista";
CREATE MATERIALIZED VIEW "Resumen" AS SELECT mood, count(*) AS n FROM "Pacientes Ñandú" GROUP BY mood;
CREATE UNIQUE INDEX resumen_mood ON "Resumen" (mood);
COMMENT ON TABLE "Pacientes Ñandú" IS 'Pacientes: it''s a test';
COMMENT ON COLUMN "Pacientes Ñandú".mood IS 'how they feel';
COMMENT ON FUNCTION add_one(positive_int) IS 'adds one';
COMMENT ON TYPE "Mood" IS 'moods';
COMMENT ON INDEX "idx lower" IS 'by name';
COMMENT ON CONSTRAINT "check it" ON "Pacientes Ñandú" IS 'named';
COMMENT ON VIEW "Vista" IS 'a view';
GRANT SELECT ON "Pacientes Ñandú" TO clinic_app;
INSERT INTO "Pacientes Ñandú" ("Nombre ""quoted""", mood, visits, email, clinic_id)
VALUES ('Ana', 'it''s ok', 3, 'Ana@X.org', 1), ('Luis', 'calm', 1, NULL, NULL);
INSERT INTO "x""; drop table users; --" (paciente_id, p) VALUES (1, ROW(1, 'uno'));
SELECT setval('"Odd Seq"', 140);
'''


def make_odd_tenant(target: ConnectionTarget, schema: str = ODD_SCHEMA) -> None:
    with target.connect() as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("SET LOCAL search_path = {}, public").format(sql.Identifier(schema)))
        conn.execute(ODD_OBJECTS)


def replay(
    conn: psycopg.Connection, pre: str, post: str, target_schema: str, load: Any = None, role: str = "postgres"
) -> None:
    """What a by-hand restore does: create the schema, run pre-data, (load), run post-data, as `role`
    (owners are not in the statements: objects belong to whoever creates them)."""
    conn.execute(
        sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(sql.Identifier(target_schema), sql.Identifier(role))
    )
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
    conn.execute(sql.SQL("SET LOCAL search_path = {}").format(sql.Identifier(target_schema)))
    conn.execute("SET LOCAL check_function_bodies = off")
    for _, _, statement in split_statements(pre):
        conn.execute(statement)
    if load is not None:
        load()
    for _, _, statement in split_statements(post):
        conn.execute(statement)
    conn.execute("RESET ROLE")


def catalog_facts(conn: psycopg.Connection, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    """What a user would see of a schema's objects, written as if the schema had no name."""
    conn.execute(sql.SQL("SET LOCAL search_path = {}").format(sql.Identifier(schema)))
    nsp = {"nsp": schema}
    queries = {
        "columns": "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,"
        " a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid), a.attcollation::regcollation::text"
        " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
        " WHERE n.nspname = %(nsp)s AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'm', 'c')",
        "constraints": "SELECT c.relname, o.conname, o.contype, pg_get_constraintdef(o.oid, true), o.condeferrable,"
        " o.condeferred FROM pg_constraint o JOIN pg_class c ON c.oid = o.conrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(nsp)s AND o.contype <> 'n'",
        "indexes": "SELECT c.relname, x.relname, pg_get_indexdef(i.indexrelid, 0, true) FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(nsp)s",
        "relations": "SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner),"
        " obj_description(c.oid, 'pg_class'), CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(nsp)s",
        "column_comments": "SELECT c.relname, a.attname, col_description(c.oid, a.attnum) FROM pg_attribute a"
        " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %(nsp)s AND a.attnum > 0 AND col_description(c.oid, a.attnum) IS NOT NULL",
        "sequences": "SELECT c.relname, s.seqtypid::regtype::text, s.seqstart, s.seqincrement, s.seqmin, s.seqmax"
        " FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %(nsp)s",
        "triggers": "SELECT g.tgname, pg_get_triggerdef(g.oid, true), obj_description(g.oid, 'pg_trigger')"
        " FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %(nsp)s AND NOT g.tgisinternal",
        "routines": "SELECT p.proname, p.prokind, pg_get_function_identity_arguments(p.oid), p.prosrc,"
        " pg_get_function_result(p.oid), obj_description(p.oid, 'pg_proc'), pg_get_userbyid(p.proowner)"
        " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %(nsp)s",
        "types": "SELECT t.typname, t.typtype, format_type(t.typbasetype, t.typtypmod), t.typdefault,"
        " obj_description(t.oid, 'pg_type'), (SELECT array_agg(enumlabel ORDER BY enumsortorder) FROM pg_enum"
        " WHERE enumtypid = t.oid), (SELECT array_agg(pg_get_constraintdef(o.oid) ORDER BY conname)"
        " FROM pg_constraint o WHERE o.contypid = t.oid AND o.contype <> 'n')"
        " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = %(nsp)s"
        " AND t.typtype IN ('e', 'd', 'c')",
        "constraint_comments": "SELECT o.conname, obj_description(o.oid, 'pg_constraint') FROM pg_constraint o"
        " JOIN pg_namespace n ON n.oid = o.connamespace WHERE n.nspname = %(nsp)s"
        " AND obj_description(o.oid, 'pg_constraint') IS NOT NULL",
    }
    return {key: sorted(conn.execute(q, nsp).fetchall(), key=repr) for key, q in queries.items()}

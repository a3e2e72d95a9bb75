"""The schema DDL replays into a schema of another name and recreates the same objects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from pglast.parser import parse_sql_json

from app.engine.catalog.schema_ddl import extract_schema_ddl, one_line
from app.engine.catalog.schema_ddl_base import literal
from app.engine.catalog.tenant_deparse import deparse_queries
from app.engine.connection import ConnectionTarget
from app.engine.errors import PreflightError
from tests.support.schema import ODD_SCHEMA, catalog_facts, make_odd_tenant, replay


def _extract(target: ConnectionTarget, schema: str) -> tuple[str, str, Any]:
    with target.connect() as conn:
        ddl = extract_schema_ddl(conn, schema)
        conn.rollback()
    return ddl.pre_data_sql, ddl.post_data_sql, ddl


def test_odd_tenant_replays_into_another_name_with_the_same_objects(demo_db: ConnectionTarget) -> None:
    make_odd_tenant(demo_db)
    pre, post, ddl = _extract(demo_db, ODD_SCHEMA)
    assert ODD_SCHEMA not in pre + post  # nothing names the source schema
    assert "public.citext" in pre and "public.customers_client" in post
    with demo_db.connect() as conn:
        replay(conn, pre, post, "copia Ñ")
        source, copy = catalog_facts(conn, ODD_SCHEMA), catalog_facts(conn, "copia Ñ")
        for key in source:
            assert copy[key] == source[key], key
        assert conn.execute('SELECT last_value FROM "copia Ñ"."Odd Seq"').fetchone() == (140,)
        conn.rollback()
    tables = {t.name: [c["name"] for c in t.columns] for t in ddl.tables}
    assert tables['x"; drop table users; --'] == ["id", "paciente_id", "p", "changed_at"]
    assert "doubled" not in tables["Pacientes Ñandú"]  # generated: not copied
    kinds = {(p["kind"], p["name"]) for p in ddl.privileges}
    assert {
        ("schema", ODD_SCHEMA),
        ("table", "Pacientes Ñandú"),
        ("view", "Vista"),
        ("materialized-view", "Resumen"),
        ("function", "add_one(v positive_int)"),
        ("procedure", "noop(IN n integer)"),
        ("type", "Mood"),
        ("sequence", "Odd Seq"),
    } <= kinds
    granted = next(p for p in ddl.privileges if p["name"] == "Pacientes Ñandú")
    assert any(item.startswith("clinic_app=r/") for item in granted["acl"])


def test_demo_tenant_replays_with_foreign_keys_into_public(demo_db: ConnectionTarget) -> None:
    pre, post, ddl = _extract(demo_db, "bienestar")
    assert "bienestar" not in pre + post
    with demo_db.connect() as conn:
        replay(conn, pre, post, "bienestar_copy", role="clinic_app")
        source, copy = catalog_facts(conn, "bienestar"), catalog_facts(conn, "bienestar_copy")
        for key in source:
            assert copy[key] == source[key], key
        conn.rollback()
    assert ddl.schema_owner == "clinic_app"
    assert [t.name for t in ddl.tables][:2] == ["appointments_appointment", "auth_group"]


# (setup as a superuser, what the refusal must say): objects a tenant's backup cannot carry
REFUSED = [
    (
        "CREATE FOREIGN DATA WRAPPER rg_fdw; CREATE SERVER rg_srv FOREIGN DATA WRAPPER rg_fdw;"
        " CREATE FOREIGN TABLE mindcare.ft (id int) SERVER rg_srv",
        "holds the foreign table ft, which .* bound to the foreign server rg_srv",
    ),
    (
        "CREATE FUNCTION mindcare.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;"
        " CREATE EVENT TRIGGER rg_evt ON ddl_command_start EXECUTE FUNCTION mindcare.on_ddl()",
        "holds the function on_ddl, which .* the event trigger rg_evt of the whole database runs it",
    ),
    (
        "CREATE FUNCTION mindcare.absolute(integer) RETURNS integer LANGUAGE internal IMMUTABLE AS 'int4abs'",
        "holds the function absolute\\(integer\\), which .* written in internal, which only a superuser may create",
    ),
    (
        "CREATE TABLE public.rg_base (id int); CREATE TABLE mindcare.child () INHERITS (public.rg_base)",
        "holds the table child, which .* inherits from \\(or is a partition of\\) public.rg_base, outside the tenant",
    ),
    (
        "CREATE TABLE public.rg_parted (id int) PARTITION BY RANGE (id);"
        " CREATE TABLE mindcare.part PARTITION OF public.rg_parted FOR VALUES FROM (1) TO (2)",
        "holds the table part, which .* partition of\\) public.rg_parted, outside the tenant",
    ),
    (
        "CREATE TABLE mindcare.base (id int); CREATE TABLE public.rg_child () INHERITS (mindcare.base)",
        "holds the table base, which .* public.rg_child, outside the tenant, inherits from it",
    ),
    (
        "CREATE FUNCTION mindcare.h(point) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 1';"
        " CREATE OPERATOR CLASS mindcare.h_ops DEFAULT FOR TYPE point USING hash"
        " AS OPERATOR 1 pg_catalog.~= (point, point), FUNCTION 1 mindcare.h(point)",
        "holds the operator class h_ops, which .* the DEFAULT for its type, so queries anywhere",
    ),
]


def test_objects_a_tenant_backup_cannot_carry_are_refused_naming_them(demo_db: ConnectionTarget) -> None:
    with demo_db.connect() as conn:
        for setup, message in REFUSED:
            conn.execute(setup)
            with pytest.raises(PreflightError, match=message):
                extract_schema_ddl(conn, "mindcare")
            conn.rollback()
        assert extract_schema_ddl(conn, "mindcare").tables  # the clinic itself backs up


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _names(items: list[dict[str, Any]]) -> list[str]:
    return [i["String"]["sval"] for i in items]


def test_what_runs_with_the_tenant_schema_on_the_path_names_only_pg_catalog() -> None:
    """A tenant's own function, operator or type can never be chosen by these statements (issue 10)."""
    queries = list(deparse_queries())
    assert len(queries) > 20
    for query in queries:
        numbered = query
        for n in range(1, query.count("%s") + 1):
            numbered = numbered.replace("%s", f"${n}", 1)
        tree = json.loads(parse_sql_json(numbered))
        for key, value in _walk(tree):
            if key == "FuncCall":
                assert _names(value["funcname"])[0] == "pg_catalog", query
            elif key == "A_Expr":
                assert _names(value["name"])[0] == "pg_catalog", query
            elif key == "TypeName":
                assert _names(value["names"])[0] == "pg_catalog", query
            elif key == "RangeVar":
                assert value.get("schemaname") == "pg_catalog", query
            elif key in ("SubLink", "A_Indirection", "CoalesceExpr", "MinMaxExpr", "NullTest", "BoolExpr"):
                raise AssertionError(f"{key} in {query}")


def test_a_tenant_object_hidden_by_a_builtin_of_the_same_name_is_refused(demo_db: ConnectionTarget) -> None:
    with demo_db.connect() as conn:
        conn.execute(
            "CREATE FUNCTION mindcare.lower(text) RETURNS text LANGUAGE sql AS 'SELECT $1';"
            " CREATE VIEW mindcare.shouting AS SELECT mindcare.lower('HOLA') AS x"
        )
        with pytest.raises(PreflightError, match=r"The view shouting of 'mindcare' names mindcare\.lower, an object"):
            extract_schema_ddl(conn, "mindcare")
        conn.rollback()
        conn.execute(
            "CREATE FUNCTION mindcare.int4pl(integer, integer) RETURNS integer LANGUAGE sql"
            " AS 'SELECT $1 + $2'; CREATE AGGREGATE mindcare.total(integer)"
            " (SFUNC = mindcare.int4pl, STYPE = integer)"
        )
        with pytest.raises(PreflightError, match="The function int4pl of 'mindcare' has the name of one of"):
            extract_schema_ddl(conn, "mindcare")
        conn.rollback()


def test_a_search_path_naming_the_schema_is_kept_as_data_for_the_restore(demo_db: ConnectionTarget) -> None:
    with demo_db.connect() as conn:
        conn.execute(
            "CREATE FUNCTION mindcare.applied() RETURNS bigint LANGUAGE sql STABLE"
            " SET search_path = mindcare, \"$user\", public SET work_mem = '8MB'"
            " AS 'SELECT count(*) FROM django_migrations';"
            " CREATE FUNCTION mindcare.one() RETURNS integer LANGUAGE sql SET search_path = pg_catalog"
            " AS 'SELECT 1'"
        )
        ddl = extract_schema_ddl(conn, "mindcare")
        conn.rollback()
    assert ddl.search_paths == [{"kind": "function", "name": "applied()", "search_path": [None, "$user", "public"]}]
    blocks = {b.split("\n", 1)[0]: b for b in ddl.pre_data}
    assert "search_path" not in blocks["-- object: function applied()"]
    assert "SET work_mem TO '8MB'" in blocks["-- object: function applied()"]
    assert "SET search_path TO 'pg_catalog'" in blocks["-- object: function one()"]


def test_a_default_that_needs_the_table_row_type_is_set_after_both(demo_db: ConnectionTarget) -> None:
    """A cycle PostgreSQL allows (table -> default -> function -> table's row type) is broken as pg_dump does."""
    with demo_db.connect() as conn:
        conn.execute(
            "CREATE TABLE mindcare.item (id integer, label text);"
            " CREATE FUNCTION mindcare.describe(mindcare.item) RETURNS text LANGUAGE sql"
            " AS 'SELECT $1.id::text';"
            " ALTER TABLE mindcare.item ALTER label SET DEFAULT mindcare.describe(NULL::mindcare.item)"
        )
        conn.commit()
    pre, post, _ = _extract(demo_db, "mindcare")
    assert "ALTER TABLE ONLY item ALTER COLUMN label SET DEFAULT describe(NULL::item)" in pre
    with demo_db.connect() as conn:
        replay(conn, pre, post, "copia")
        assert catalog_facts(conn, "copia")["columns"] == catalog_facts(conn, "mindcare")["columns"]
        conn.rollback()


@pytest.mark.parametrize(
    "text", ["plain", "it's", "back\\slash", "one\n-- object: table x\nDROP TABLE t", "tab\tcr\rbell\x07del\x7f"]
)
def test_a_literal_the_backup_writes_reads_back_the_same_and_holds_no_line_break(text: str) -> None:
    """A line `-- object: ...` inside a literal would end the statement when the restore reads the archive."""
    written = literal(text)
    assert "\n" not in written and "\r" not in written
    (raw,) = json.loads(parse_sql_json(f"SELECT {written}"))["stmts"]
    assert raw["stmt"]["SelectStmt"]["targetList"][0]["ResTarget"]["val"]["A_Const"]["sval"]["sval"] == text


def test_a_label_is_one_printable_line() -> None:
    assert one_line("table notas\nCREATE TABLE x\u202e\x00é") == "table notas\\nCREATE TABLE x\\u202e\\x00é"

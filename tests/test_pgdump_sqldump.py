"""The plain-SQL reader and rewriter: statements land in the staging schema, and nothing else is allowed."""

from __future__ import annotations

import pytest

from app.engine.errors import ArchiveError
from app.engine.sqldump import MetaCommand, Planner, RefusedStatement, ScriptReader, Statement, scan_dump

HEADER = "--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 18.1\n" \
         "-- Dumped by pg_dump version 18.1\n\n"
TRAILER = "\n--\n-- PostgreSQL database dump complete\n--\n\n"


def lines(text: str) -> list[bytes]:
    return text.encode("utf-8").splitlines(True)


def plans(body: str, source: str = "src", target: str = 'stg"1') -> list[tuple[str, str]]:
    """(action, sql) for every statement of `body`, read as a dump of `source` restored into `target`."""
    planner = Planner(source, target)
    out = []
    reader = ScriptReader(lines(body))
    for item in reader:
        if isinstance(item, MetaCommand):
            planner.check_meta(item)
            out.append(("meta", item.text))
            continue
        plan = planner.plan(item)
        rows = b"".join(reader.copy_rows()).decode() if plan.action == "copy" else ""
        out.append((plan.action, plan.sql + (("\n" + rows) if rows else "")))
    return out


def test_names_strings_and_sequences_are_moved_to_the_staging_schema() -> None:
    body = (
        "CREATE TABLE src.t (id integer DEFAULT nextval('src.t_id_seq'::regclass), e public.citext,"
        " note text DEFAULT 'src.not_a_name');\n"
        "SELECT pg_catalog.setval('src.t_id_seq', 20, true);\n"
        'CREATE INDEX i ON "src".t USING btree (id);\n'
        "COMMENT ON COLUMN src.t.note IS 'it''s src.t; really';\n"
    )
    got = [sql for action, sql in plans(body) if action == "execute"]
    assert got[0] == ('CREATE TABLE "stg""1".t (id integer DEFAULT nextval(\'"stg""1".t_id_seq\'::regclass),'
                      " e public.citext, note text DEFAULT 'src.not_a_name')")
    assert got[1] == "SELECT pg_catalog.setval('\"stg\"\"1\".t_id_seq', 20, true)"
    assert got[2] == 'CREATE INDEX i ON "stg""1".t USING btree (id)'
    assert got[3] == "COMMENT ON COLUMN \"stg\"\"1\".t.note IS 'it''s src.t; really'"


def test_function_bodies_dollar_quotes_and_begin_atomic_stay_one_statement() -> None:
    body = (
        "CREATE FUNCTION src.f() RETURNS integer LANGUAGE plpgsql AS $_$\nBEGIN\n  RETURN 1; -- src.x;\nEND;\n$_$;\n"
        "CREATE FUNCTION src.g() RETURNS integer LANGUAGE sql\nBEGIN ATOMIC\n SELECT 1;\n SELECT 2;\nEND;\n"
        "/* a ; comment /* nested; */ */ CREATE VIEW src.v AS SELECT 1 AS \"a;b\";\n"
    )
    got = plans(body)
    assert [a for a, _ in got] == ["execute", "execute", "execute"]
    assert "RETURN 1; -- src.x;" in got[0][1]  # the body is the function's own business
    assert got[1][1].endswith("SELECT 1;\n SELECT 2;\nEND")
    assert got[2][1].endswith('CREATE VIEW "stg""1".v AS SELECT 1 AS "a;b"')


def test_copy_data_streams_until_the_end_marker_and_may_hold_anything() -> None:
    body = "COPY src.t (id, note) FROM stdin;\n1\tDROP SCHEMA public; \\\\.\n2\t'\"$$\n\\.\nCREATE TABLE src.u (id int);\n"
    got = plans(body)
    assert got[0] == ("copy", 'COPY "stg""1".t (id, note) FROM stdin\n1\tDROP SCHEMA public; \\\\.\n2\t\'"$$\n')
    assert got[1] == ("execute", 'CREATE TABLE "stg""1".u (id int)')


def test_settings_search_path_owners_grants_and_restrict_lines() -> None:
    body = (
        "\\restrict abc123\n"
        "SET statement_timeout = 0;\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n"
        "SELECT pg_catalog.set_config('search_path', '', false);\nSET search_path = src, public, pg_catalog;\n"
        "CREATE SCHEMA src;\nALTER SCHEMA src OWNER TO clinic_app;\nCOMMENT ON SCHEMA src IS 'x';\n"
        "ALTER TABLE src.t OWNER TO clinic_app;\nGRANT SELECT ON TABLE src.t TO reader;\n"
        "SET SESSION AUTHORIZATION clinic_app;\nSET ROLE clinic_app;\n"
        "\\unrestrict abc123\n"
    )
    got = plans(body)
    sp = "SELECT pg_catalog.set_config('search_path', '\"stg\"\"1\", pg_catalog', true)"
    assert got == [
        ("meta", "\\restrict abc123"), ("skip", ""), ("skip", ""),
        ("execute", "SET LOCAL standard_conforming_strings = on"), ("execute", sp), ("execute", sp),
        ("skip", ""), ("skip", ""), ("skip", ""), ("skip", ""), ("skip", ""), ("skip", ""), ("skip", ""),
        ("meta", "\\unrestrict abc123"),
    ]


@pytest.mark.parametrize("statement, named", [
    ("DROP SCHEMA mindcare CASCADE;", "schema mindcare"),
    ("INSERT INTO public.customers_client (schema_name) VALUES ('x');", "public.customers_client"),
    ("ALTER TABLE ONLY mindcare.users ADD COLUMN x int;", "mindcare.users"),
    ("CREATE INDEX i ON public.customers_client (id);", "public.customers_client"),
    ("COPY public.customers_domain (id) FROM stdin;", "public.customers_domain"),
    ("GRANT ALL ON TABLE public.customers_client TO PUBLIC;", "public.customers_client"),
    ("ALTER TABLE src.t SET SCHEMA public;", "schema public"),
    ("CREATE ROLE intruder SUPERUSER;", "a role"),
    ("ALTER SYSTEM SET fsync = off;", "the server configuration"),
    ("CREATE EXTENSION hstore;", "an extension"),
    ("DO $$ BEGIN EXECUTE 'DROP SCHEMA public CASCADE'; END $$;", "anonymous code block"),
    ("SELECT public.wipe();", "runs a query"),
    ("SELECT pg_catalog.setval('mindcare.users_id_seq', 1);", "sequence mindcare.users_id_seq"),
    ("COPY src.t FROM '/etc/passwd';", "server file"),
    ("ROLLBACK;", "ends the transaction"),
    ("\\connect other", "switches to another database"),
    ("\\! rm -rf /", "psql command \\!"),
])
def test_anything_outside_the_schema_is_refused_naming_it(statement: str, named: str) -> None:
    with pytest.raises(RefusedStatement) as caught:
        plans(statement + "\n")
    assert named in caught.value.message
    assert "Nothing was changed" in caught.value.message


def test_scan_reads_a_whole_dump_and_learns_its_schema_tables_and_rows() -> None:
    body = HEADER + ("CREATE SCHEMA \"Clínica\";\nCREATE TABLE \"Clínica\".a (id int);\n"
                     "CREATE TABLE \"Clínica\".b (id int);\nCOPY \"Clínica\".a (id) FROM stdin;\n1\n2\n\\.\n") + TRAILER
    facts = scan_dump(lines(body))
    assert facts.source_schema == "Clínica"
    assert facts.tables == {"a": 2, "b": 0}
    assert any(facts.tables.values()) and facts.dumped_by == "18.1" and facts.dumped_from == "18.1"


@pytest.mark.parametrize("body, message", [
    ("CREATE TABLE t (id int);\n", "not a pg_dump output"),
    ("", "not a pg_dump output"),
    (HEADER + "CREATE SCHEMA s;\nCREATE TABLE s.t (id int);\n", "incomplete"),
    (HEADER + "CREATE SCHEMA s;\nCOPY s.t (id) FROM stdin;\n1\n", "truncated"),
    (HEADER + "CREATE SCHEMA s;\nCREATE TABLE s.t (id int", "truncated"),
    (HEADER + "CREATE TABLE public.t (id int);\n" + TRAILER, "creates no schema"),
    (HEADER + "CREATE SCHEMA s;\nCREATE SCHEMA other;\n" + TRAILER, "schema other"),
])
def test_scan_refuses_files_that_are_not_a_whole_pg_dump_of_one_schema(body: str, message: str) -> None:
    with pytest.raises(ArchiveError) as caught:
        scan_dump(lines(body))
    assert message in caught.value.message


def test_old_dumps_without_standard_conforming_strings_are_lexed_with_backslash_escapes() -> None:
    body = "SET standard_conforming_strings = off;\nINSERT INTO src.t VALUES ('it\\'s; src.x');\n" \
           "SET standard_conforming_strings = on;\nINSERT INTO src.t VALUES ('a\\');\n"
    got = [sql for action, sql in plans(body) if action == "execute"]
    assert got[1] == "INSERT INTO \"stg\"\"1\".t VALUES ('it\\'s; src.x')"
    assert got[3] == "INSERT INTO \"stg\"\"1\".t VALUES ('a\\')"


def test_statement_lines_are_reported_for_messages() -> None:
    reader = ScriptReader(lines("\n\n-- c\nCREATE TABLE src.t\n (id int);\n\nDROP TABLE src.t;\n"))
    items = [i for i in reader if isinstance(i, Statement)]
    assert [i.line for i in items] == [4, 7]

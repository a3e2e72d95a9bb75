"""The plain-SQL reader: statements land in the staging schema, one checked statement at a time, nothing else
is allowed, and any input costs linear time and bounded memory."""

from __future__ import annotations

import io
import tracemalloc

import pytest
from pglast.parser import parse_sql_json

from app.engine.errors import ArchiveError
from app.engine.jobs import CancelToken
from app.engine.pgdump import script_input
from app.engine.pgdump.dump_gate import DumpGate
from app.engine.pgdump.script_lexer import MetaCommand, Piece, ScriptReader
from app.engine.pgdump.sqldump import read_dump, scan_dump
from app.engine.safety.sql_gate import parse
from app.engine.safety.sql_gate.verdict import RefusedStatement

HEADER = (
    "--\n-- PostgreSQL database dump\n--\n\n-- Dumped from database version 18.1\n-- Dumped by pg_dump version 18.1\n\n"
)
TRAILER = "\n--\n-- PostgreSQL database dump complete\n--\n\n"


def stream(text: str | bytes) -> io.BytesIO:
    return io.BytesIO(text.encode() if isinstance(text, str) else text)


def plans(body: str, target: str = 'stg"1') -> list[tuple[str, str]]:
    """(action, text sent) for every statement of `body`, a dump of schema `src` restored into `target`."""
    out = []
    for step in read_dump(ScriptReader(stream(HEADER + "CREATE SCHEMA src;\n" + body)), DumpGate(target)):
        text = step.decision.statement.text if step.decision.statement is not None else ""
        rows = b"".join(step.rows).decode() if step.rows is not None else ""
        out.append((step.decision.action, text + (("\n" + rows) if rows else "")))
    return out[1:]


def test_names_strings_and_sequences_are_moved_to_the_staging_schema() -> None:
    body = (
        "CREATE TABLE src.t (id integer DEFAULT nextval('src.t_id_seq'::regclass), e public.citext,"
        " note text DEFAULT 'src.not_a_name');\n"
        "SELECT pg_catalog.setval('src.t_id_seq', 20, true);\n"
        'CREATE INDEX i ON "src".t USING btree (id);\n'
        "COMMENT ON COLUMN src.t.note IS 'it''s src.t; really';\n"
        "CREATE VIEW src.v AS SELECT src.t.id, src.src.x FROM src.t, src.src;\n"
    )
    assert [text for _, text in plans(body)] == [
        'CREATE TABLE "stg""1".t (id integer DEFAULT nextval(CAST(\'"stg""1".t_id_seq\' AS regclass)),'
        " e public.citext, note text DEFAULT 'src.not_a_name')",
        'SELECT pg_catalog.setval(\'"stg""1".t_id_seq\', 20, TRUE)',
        'CREATE INDEX i ON "stg""1".t (id)',
        "COMMENT ON COLUMN \"stg\"\"1\".t.note IS 'it''s src.t; really'",
        # a table named like its schema: only the schema part of a name moves
        'CREATE VIEW "stg""1".v AS SELECT "stg""1".t.id, "stg""1".src.x FROM "stg""1".t, "stg""1".src',
    ]


def test_function_bodies_dollar_quotes_and_begin_atomic_stay_one_statement() -> None:
    body = (
        "CREATE FUNCTION src.f() RETURNS integer LANGUAGE plpgsql AS $_$\nBEGIN\n  RETURN 1; -- src.x;\nEND;\n$_$;\n"
        "CREATE FUNCTION src.g() RETURNS integer LANGUAGE sql\nBEGIN ATOMIC\n SELECT 1;\n"
        " SELECT CASE WHEN true THEN 2 END;\nEND;\n"
        '/* a ; comment /* nested; */ */ CREATE VIEW src.v AS SELECT 1 AS "a;b";\n'
    )
    got = plans(body)
    assert [a for a, _ in got] == ["run", "run", "run"]
    assert "RETURN 1; -- src.x;" in got[0][1]  # a body written as a string is the function's own business
    assert got[1][1].endswith("BEGIN ATOMIC SELECT 1; SELECT CASE WHEN TRUE THEN 2 END; END")
    assert got[2][1] == 'CREATE VIEW "stg""1".v AS SELECT 1 AS "a;b"'


def test_a_function_named_begin_hides_nothing() -> None:
    """psql's own rule counts any BEGIN: it merged what follows into one statement the old reader called
    clean. Each statement here is read, and the hidden one is refused on its own."""
    body = (
        "CREATE FUNCTION src.begin() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;\n"
        "DROP SCHEMA mindcare CASCADE;\nCREATE TABLE src.after (id int);\n"
    )
    reader = ScriptReader(stream(body))
    assert [p.line for p in reader if isinstance(p, Piece)] == [1, 2, 3]
    with pytest.raises(RefusedStatement) as caught:
        plans(body)
    assert caught.value.message.startswith("The file drops the schema mindcare, outside the tenant (line 10: DROP")


def test_copy_data_streams_until_the_end_marker_and_may_hold_anything() -> None:
    body = (
        "COPY src.t (id, note) FROM stdin;\n1\tDROP SCHEMA public; \\\\.\n2\t'\"$$\n\\.\nCREATE TABLE src.u (id int);\n"
    )
    assert plans(body) == [
        ("copy", 'COPY "stg""1".t (id, note) FROM STDIN\n1\tDROP SCHEMA public; \\\\.\n2\t\'"$$\n'),
        ("run", 'CREATE TABLE "stg""1".u (id integer)'),
    ]


def test_copy_data_longer_than_a_read_ends_only_at_a_whole_end_line() -> None:
    """A `\\.` that starts a read in the middle of a row is data, not the end."""
    row = "x" * ((1 << 20) - 40) + "\\.more\n"
    body = f"COPY src.t (note) FROM stdin;\n{row}{row}\\.\nCREATE TABLE src.u (id int);\n"
    got = plans(body)
    assert got[0][1].endswith(row + row) and got[1] == ("run", 'CREATE TABLE "stg""1".u (id integer)')


def test_settings_search_path_owners_grants_and_restrict_lines() -> None:
    body = (
        "\\restrict abc123\n"
        "SET statement_timeout = 0;\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n"
        "SELECT pg_catalog.set_config('search_path', '', false);\nSET check_function_bodies = false;\n"
        "SET search_path = src, public, pg_catalog;\nSET default_table_access_method = heap;\n"
        "ALTER SCHEMA src OWNER TO clinic_app;\nCOMMENT ON SCHEMA src IS 'x';\n"
        "ALTER TABLE src.t OWNER TO clinic_app;\nGRANT SELECT ON TABLE src.t TO reader;\n"
        "ALTER DEFAULT PRIVILEGES FOR ROLE x IN SCHEMA src GRANT SELECT ON TABLES TO PUBLIC;\n"
        "\\unrestrict abc123\n"
    )
    assert plans(body) == [
        ("skip", ""),
        ("skip", ""),
        ("skip", ""),
        ("skip", ""),
        ("run", "SET LOCAL check_function_bodies = off"),
        ("skip", ""),
        ("run", 'SET LOCAL default_table_access_method = "heap"'),
        ("skip", ""),
        ("skip", ""),
        ("skip", ""),
        ("skip", ""),
        ("skip", ""),
    ]


@pytest.mark.parametrize(
    "statement, expected",
    [
        ("DROP SCHEMA mindcare CASCADE;", "drops the schema mindcare, outside the tenant"),
        (
            "INSERT INTO public.customers_client (schema_name) VALUES ('x');",
            "creates or changes public.customers_client, outside its own schema",
        ),
        (
            # names as the server reads them
            "INSERT INTO U&\"\\0070ublic\".customers_client (schema_name) VALUES ('x');",
            "creates or changes public.customers_client, outside its own schema",
        ),
        (
            "ALTER TABLE ONLY mindcare.users ADD CONSTRAINT c CHECK (true);",
            "creates or changes mindcare.users, outside its own schema",
        ),
        ("CREATE INDEX i ON public.customers_client (id);", "creates or changes public.customers_client"),
        ("COPY public.customers_domain (id) FROM stdin;", "creates or changes public.customers_domain"),
        (
            "CREATE TABLE src.t (id int) INHERITS (public.customers_client);",
            "creates or changes public.customers_client",
        ),
        ("CREATE VIEW src.v AS SELECT * FROM mindcare.users_customuser;", "names mindcare.users_customuser, outside"),
        ("ALTER TABLE src.t SET SCHEMA public;", "moves an object to another schema"),
        ("CREATE ROLE intruder SUPERUSER;", "changes a role"),
        ("GRANT pg_read_server_files TO clinic_app;", "changes a role's membership"),
        ("ALTER SYSTEM SET fsync = off;", "changes the server configuration (ALTER SYSTEM)"),
        ("CREATE EXTENSION hstore;", "changes an extension"),
        ("DO $$ BEGIN EXECUTE 'DROP SCHEMA public CASCADE'; END $$;", "runs an anonymous code block (DO)"),
        ("SELECT public.wipe();", "runs a query (SELECT)"),
        ("SELECT pg_catalog.setval('mindcare.users_id_seq', 1);", "sets the sequence mindcare.users_id_seq, outside"),
        ("COPY src.t FROM '/etc/passwd';", "reads or writes a file on the server (COPY ... FILE)"),
        ("COPY src.t TO PROGRAM 'id';", "runs an operating-system program (COPY ... PROGRAM)"),
        ("ROLLBACK;", "ends or changes the transaction"),
        ("COMMIT;", "ends or changes the transaction"),
        ("SET ROLE postgres;", "changes the session's role"),
        ("RESET ROLE;", "resets the session's settings or role (RESET)"),
        ("SET SESSION AUTHORIZATION postgres;", "changes the session's role"),
        ("SET work_mem = '64GB';", "changes the setting work_mem, which a restore does not take from a file"),
        ("SET standard_conforming_strings = off;", "turns standard_conforming_strings off"),
        ("SET default_tablespace = fast;", "places objects in the tablespace fast"),
        ("CREATE TEMP TABLE t (id int);", "creates a temporary object"),
        ("CREATE TABLE pg_temp.t (id int);", "creates or changes pg_temp.t, outside its own schema"),
        (
            "CREATE FUNCTION src.f() RETURNS int LANGUAGE c AS '/tmp/x.so', 'f';",
            "creates a function in the language c, which a restore does not run",
        ),
        (
            "CREATE FUNCTION src.f() RETURNS int LANGUAGE sql SET role = 'postgres' AS 'SELECT 1';",
            "creates a function that changes the session's role",
        ),
        (
            "CREATE MATERIALIZED VIEW src.m AS SELECT pg_catalog.pg_read_file('/etc/passwd') WITH NO DATA;",
            "calls pg_read_file, which reaches outside the tenant",
        ),
        (
            "CREATE TABLE src.t (id int DEFAULT pg_catalog.pg_advisory_unlock_all());",
            "calls pg_advisory_unlock_all, which reaches outside the tenant",
        ),
        ("CREATE TABLE src.t (a int CHECK (a OPERATOR(mindcare.=) 1));", "names mindcare.=, outside the tenant"),
        ("CREATE TABLE src.t (id int DEFAULT nextval('mindcare.x_seq'::regclass));", "names mindcare.x_seq, outside"),
        ("CREATE TABLE src.t AS SELECT 1;", "runs a query into a new table"),
        ("INSERT INTO src.t VALUES (public.evil());", "computes a value in an INSERT"),
        ("LOAD 'plpython3u';", "loads a server library (LOAD)"),
        ("NOTIFY x;", "sends a notification (NOTIFY)"),
        ("VACUUM src.t;", "runs maintenance (VACUUM or ANALYZE)"),
        ("SELECT pg_catalog.lo_import('/etc/passwd');", "uses a large object, which lives outside any schema"),
        ("\\connect other", "switches to another database"),
        ("\\! rm -rf /", "holds the psql command \\!, which Resguardo does not run"),
        ("COMMENT ON DATABASE x IS 'y';", "changes the comment of a database"),
        ("CREATE SCHEMA other;", "creates another schema (other)"),
    ],
)
def test_anything_outside_the_schema_is_refused_naming_it(statement: str, expected: str) -> None:
    with pytest.raises(RefusedStatement) as caught:
        plans(statement + "\n")
    assert caught.value.message.startswith(f"The file {expected}")
    assert " (line 9: " in caught.value.message and caught.value.message.endswith(").")


def test_a_piece_holding_two_statements_is_refused_whole() -> None:
    """Should the reader ever cut a statement wrong, the gate sees two statements in one piece: refused."""
    with pytest.raises(RefusedStatement) as caught:
        DumpGate().decide("CREATE TABLE src.t (id int); DROP TABLE public.x", 7)
    assert caught.value.message == (
        "The file holds more than one statement where one was expected (line 7: "
        "CREATE TABLE src.t (id int); DROP TABLE public.x)."
    )


def test_scan_reads_a_whole_dump_and_learns_its_schema_tables_and_rows() -> None:
    body = (
        HEADER
        + (
            '\\restrict k\nCREATE SCHEMA "Clínica";\nCREATE TABLE "Clínica".a (id int);\n'
            'CREATE TABLE "Clínica".b (id int);\nCOPY "Clínica".a (id) FROM stdin;\n1\n2\n\\.\n'
            "\\unrestrict k\n"
        )
        + TRAILER
    )
    facts = scan_dump(stream(body), CancelToken())
    assert facts.source_schema == "Clínica"
    assert facts.tables == {"a": 2, "b": 0}
    assert facts.dumped_by == "18.1" and facts.dumped_from == "18.1"


def test_a_file_in_another_encoding_is_decoded_before_it_is_parsed() -> None:
    body = (
        HEADER + "SET client_encoding = 'LATIN1';\nCREATE SCHEMA \"Clínica\";\n"
        'CREATE TABLE "Clínica"."año" (id int);\n' + TRAILER
    )
    assert scan_dump(stream(body.encode("latin-1")), CancelToken()).tables == {"año": 0}


@pytest.mark.parametrize(
    "body, message",
    [
        ("CREATE TABLE t (id int);\n", "not a pg_dump output"),
        ("", "not a pg_dump output"),
        (HEADER + "CREATE SCHEMA s;\nCREATE TABLE s.t (id int);\n", "incomplete"),
        (HEADER + "CREATE SCHEMA s;\nCOPY s.t (id) FROM stdin;\n1\n", "truncated"),
        (HEADER + "CREATE SCHEMA s;\nCREATE TABLE s.t (id int", "truncated"),
        (HEADER + "CREATE TABLE public.t (id int);\n" + TRAILER, "an object comes before its CREATE SCHEMA"),
        (HEADER + "DROP TABLE mindcare.x;\nCREATE SCHEMA s;\n" + TRAILER, "drops objects of the schema mindcare"),
        (HEADER + "CREATE SCHEMA s;\nCREATE SCHEMA other;\n" + TRAILER, "creates another schema (other)"),
    ],
)
def test_scan_refuses_files_that_are_not_a_whole_pg_dump_of_one_schema(body: str, message: str) -> None:
    with pytest.raises(ArchiveError) as caught:
        scan_dump(stream(body), CancelToken())
    assert message in caught.value.message


def test_pg_dump_clean_drops_before_the_schema_are_skipped() -> None:
    body = (
        HEADER
        + (
            "DROP TABLE IF EXISTS s.t;\nALTER TABLE IF EXISTS ONLY s.t DROP CONSTRAINT IF EXISTS c;\n"
            "DROP SCHEMA IF EXISTS s;\nCREATE SCHEMA s;\nCREATE TABLE s.t (id int);\n"
        )
        + TRAILER
    )
    assert scan_dump(stream(body), CancelToken()).tables == {"t": 0}


def test_statement_lines_are_reported_for_messages() -> None:
    reader = ScriptReader(stream("\n\n-- c\nCREATE TABLE src.t\n (id int);\n\n\\restrict x\nDROP TABLE src.t;\n"))
    assert [(type(i).__name__, i.line) for i in reader] == [("Piece", 4), ("MetaCommand", 7), ("Piece", 8)]


# ---------------------------------------------------------------- cost: linear work, bounded memory


def scanned(text: bytes) -> tuple[int, list[Piece | MetaCommand]]:
    reader = ScriptReader(stream(text))
    items = list(reader)
    return reader.scanned, items


def test_a_dollar_quoted_body_of_100k_lines_is_read_in_linear_work() -> None:
    body = (
        b"CREATE FUNCTION src.f() RETURNS int LANGUAGE plpgsql AS $body$\n"
        + b"BEGIN PERFORM 1; -- ' \" ; $x$\n" * 100_000
        + b"RETURN 1; END $body$;\n"
    )
    work, items = scanned(body)
    assert len(items) == 1 and work <= 2 * len(body)


def test_a_20_mb_string_literal_costs_linear_work_and_a_few_times_its_size_in_memory() -> None:
    literal = "é" * 10_000_000  # 20 MB in UTF-8, on one line
    body = (
        HEADER + f"CREATE SCHEMA src;\nCREATE TABLE src.t (v text);\nCOMMENT ON TABLE src.t IS '{literal}';\n" + TRAILER
    )
    data = body.encode()
    del body
    work, _ = scanned(data)
    assert work <= 2 * len(data)
    tracemalloc.start()
    try:
        steps = [s.decision.statement for s in read_dump(ScriptReader(stream(data)), DumpGate("stg"))]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert steps[-1] is not None and len(steps[-1].text) > 10_000_000
    assert peak < 8 * len(literal.encode())


def test_millions_of_semicolons_in_a_begin_atomic_body_are_refused_after_linear_work() -> None:
    body = b"CREATE FUNCTION src.f() RETURNS int LANGUAGE sql BEGIN ATOMIC\n" + b"SELECT 1;\n" * 2_000_000 + b"END;\n"
    reader = ScriptReader(stream(body))
    with pytest.raises(RefusedStatement) as caught:
        list(reader)
    assert caught.value.message.startswith(
        "The file holds a statement of more than 100,000 words and symbols (line 1: CREATE FUNCTION"
    )
    assert reader.scanned <= 2 * len(body)


def test_a_statement_longer_than_the_cap_is_refused_before_it_is_held(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(script_input, "MAX_STATEMENT_BYTES", 1 << 20)
    body = b"\n\nCOMMENT ON TABLE src.t IS '" + b"x" * (3 << 20) + b"';\n"
    reader = ScriptReader(stream(body))
    with pytest.raises(RefusedStatement) as caught:
        list(reader)
    assert caught.value.message.startswith("The file holds a statement longer than 1 MiB (line 3: COMMENT ON")
    assert reader.bytes_read <= 3 << 20


def test_every_byte_goes_to_the_parser_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each statement is parsed once as read, and once more as printed back (the round trip), no more."""
    parsed: list[int] = []

    def counted(text: str) -> str:
        parsed.append(len(text))
        return parse_sql_json(text)

    monkeypatch.setattr(parse, "parse_sql_json", counted)
    body = (
        HEADER
        + "CREATE SCHEMA src;\n"
        + "".join(f"CREATE TABLE src.t{i} (id int, note text DEFAULT 'x');\n" for i in range(2000))
        + TRAILER
    )
    scan_dump(stream(body), CancelToken())
    assert sum(parsed) <= 3 * len(body)
    assert len(parsed) == 2 * 2000 + 1  # CREATE SCHEMA is only read


def test_an_expression_nested_too_deep_to_walk_is_refused_not_crashed() -> None:
    body = "CREATE VIEW src.v AS SELECT " + " + ".join(["1"] * 5000) + ";\n"
    with pytest.raises(RefusedStatement) as caught:
        plans(body)
    assert caught.value.message.startswith("The file nests expressions too deeply to be checked (line 9: CREATE VIEW")


def test_meta_commands_are_lines_of_their_own() -> None:
    items = list(ScriptReader(stream("\\restrict k\nSELECT 1;\n")))
    assert items == [MetaCommand("\\restrict k", 1), Piece(b"SELECT 1;", 2)]

"""The SQL gate against a real server: hostile pg_dump files (plain and custom) are refused before anything runs,
naming the cause and the line; nothing changes, no server file is written; legit dumps round-trip exactly."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from app.engine.archive.container import POST_DATA_MEMBER, PRE_DATA_MEMBER, ArchiveReader
from app.engine.backup.native import backup_tenant
from app.engine.backup.pgdump import pgdump_tenant
from app.engine.connection import ConnectionTarget
from app.engine.errors import ArchiveError, RestoreFailed
from app.engine.jobs import CancelToken
from app.engine.pgdump.source import SqlDumpSource, verify_pgdump
from app.engine.restore.restore import restore_tenant
from app.engine.safety.registry import REGISTRY_SCHEMA
from app.engine.safety.sql_gate.native import check_native
from app.engine.safety.sql_gate.parse import parse_one
from app.engine.safety.sql_gate.printing import rewritten
from app.engine.safety.sql_gate.rules import Rules
from app.engine.safety.sql_gate.sending import execute_checked, prepare_session
from app.engine.safety.sql_gate.verdict import CheckedStatement, RefusedStatement
from app.engine.server.pgserver import embedded_bin_dir
from tests.support.pg import TestServer
from tests.support.restore import PATIENT, emails, fingerprint

EMBEDDED = embedded_bin_dir()

pytestmark = pytest.mark.usefixtures("embedded_tools_only")


def pg_dump(target: ConnectionTarget, schema: str, out: Path, *args: str) -> Path:
    subprocess.run(
        [str(EMBEDDED / "pg_dump"), "--no-password", "-n", schema, "-f", str(out), *args, target.conninfo],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out


def everything(target: ConnectionTarget) -> dict[str, Any]:
    """Every schema (names and fingerprints), the roles, the databases, the server's settings and Resguardo's
    record of its own schemas (made by the first restore, so only its rows count): what no refused file may
    change."""
    with target.connect() as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%%' AND nspname <> 'information_schema'"
                " AND nspname <> %s ORDER BY 1",
                [REGISTRY_SCHEMA],
            )
        ]
        roles = conn.execute("SELECT rolname, rolsuper, rolcanlogin FROM pg_roles ORDER BY 1").fetchall()
        databases = conn.execute("SELECT datname FROM pg_database ORDER BY 1").fetchall()
        settings = conn.execute("SELECT name, setting FROM pg_file_settings ORDER BY 1, 2").fetchall()
        registry = (
            conn.execute(
                sql.SQL("SELECT * FROM {} ORDER BY 1").format(sql.Identifier(REGISTRY_SCHEMA, "schemas"))
            ).fetchall()
            if registered(conn)
            else []
        )
    return {
        "schemas": {n: fingerprint(target, n) for n in names},
        "roles": roles,
        "databases": databases,
        "settings": settings,
        "registry": registry,
    }


def registered(conn: psycopg.Connection[Any]) -> bool:
    return conn.execute("SELECT pg_catalog.to_regclass('resguardo.schemas') IS NOT NULL").fetchone() == (True,)


@pytest.fixture
def marker(demo_db: ConnectionTarget) -> Iterator[Path]:
    """A path the attacks try to make the server write; first proven writable by the server itself (as root
    the server runs as another OS user), so its absence afterwards means the attack was stopped."""
    folder = Path(tempfile.mkdtemp(prefix="rg-marker-"))
    folder.chmod(0o777)
    control = folder / "control"
    with demo_db.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("COPY (SELECT 1) TO {}").format(sql.Literal(str(control))))
    assert control.exists()
    control.unlink()
    yield folder / "attack"
    shutil.rmtree(folder)


@pytest.fixture(scope="module")
def plain_dump(pg_server: TestServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """pg_dump's plain output of the demo tenant bienestar (made once)."""
    target = pg_server.new_database()
    try:
        out = tmp_path_factory.mktemp("dump") / "bienestar.sql"
        return pgdump_tenant(target, "bienestar", out, fmt="sql", extra_dirs=[EMBEDDED]).path.read_text()
    finally:
        pg_server.drop_database(target)


END = "--\n-- PostgreSQL database dump complete"

# (name, statements added before the dump's last line, the refusal's cause as the message starts)
ATTACKS = [
    (
        "function-named-begin",
        "CREATE FUNCTION bienestar.begin() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;\n"
        "COPY (SELECT 1) TO PROGRAM 'touch {marker}';\n",
        "runs an operating-system program (COPY ... PROGRAM)",
    ),
    (
        "reset-role-then-program",
        "RESET ROLE;\nCOPY (SELECT 1) TO PROGRAM 'touch {marker}';\nSET ROLE clinic_app;\n",
        "resets the session's settings or role (RESET)",
    ),
    (
        "commit-mid-file",
        "COMMIT;\nINSERT INTO public.customers_client (schema_name, name, paid_until, on_trial, created_on)"
        " VALUES ('evil', 'Evil', '2030-01-01', false, '2025-01-01');\nBEGIN;\n",
        "ends or changes the transaction (BEGIN, COMMIT, ROLLBACK, SAVEPOINT...)",
    ),
    ("session-authorization", "SET SESSION AUTHORIZATION postgres;\n", "changes the session's role"),
    ("do-block", "DO $$BEGIN EXECUTE 'COPY (SELECT 1) TO ''{marker}'''; END$$;\n", "runs an anonymous code block (DO)"),
    ("create-extension", "CREATE EXTENSION IF NOT EXISTS file_fdw;\n", "changes an extension"),
    (
        "alter-system",
        "ALTER SYSTEM SET archive_command = 'touch {marker}';\n",
        "changes the server configuration (ALTER SYSTEM)",
    ),
    (
        "insert-into-public",
        "INSERT INTO public.customers_client (schema_name, name, paid_until, on_trial, created_on)"
        " VALUES ('evil', 'Evil', '2030-01-01', false, '2025-01-01');\n",
        "creates or changes public.customers_client, outside its own schema",
    ),
    (
        "copy-into-mindcare",
        "COPY mindcare.auth_group (id, name) FROM stdin;\n999\tevil\n\\.\n",
        "creates or changes mindcare.auth_group, outside its own schema",
    ),
    (
        "operator-of-another-tenant",
        "ALTER TABLE ONLY bienestar.auth_group ADD CONSTRAINT evil CHECK (id OPERATOR(mindcare.=) id);\n",
        "names mindcare.=, outside the tenant",
    ),
    (
        "setval-of-another-tenant",
        "SELECT pg_catalog.setval('mindcare.auth_group_id_seq', 999, true);\n",
        "sets the sequence mindcare.auth_group_id_seq, outside its own schema",
    ),
    (
        "standard-strings-off",
        "SET standard_conforming_strings = off;\n"
        "COMMENT ON TABLE bienestar.auth_group IS 'x\\'; COPY (SELECT 1) TO PROGRAM ''touch {marker}''; --';\n",
        "turns standard_conforming_strings off, so its strings would not be read as they were checked",
    ),
    (
        "escape-string-backslash",
        "COMMENT ON TABLE bienestar.auth_group IS E'x\\\\'; COPY (SELECT 1) TO PROGRAM 'touch {marker}'; --';\n",
        "runs an operating-system program (COPY ... PROGRAM)",
    ),
    (
        "statement-behind-a-comment",
        "COMMENT ON TABLE bienestar.auth_group IS 'x' /* ; */ ; COPY (SELECT 1) TO PROGRAM 'touch {marker}' -- ;\n;\n",
        "runs an operating-system program (COPY ... PROGRAM)",
    ),
    (
        "copy-from-server-file",
        "COPY bienestar.auth_group (id, name) FROM '/etc/passwd';\n",
        "reads or writes a file on the server (COPY ... FILE)",
    ),
    (
        "copy-to-server-file",
        "COPY bienestar.auth_group TO '{marker}';\n",
        "reads or writes a file on the server (COPY ... FILE)",
    ),
    ("connect-other-database", "\\connect postgres\n", "switches to another database"),
    ("psql-shell", "\\! touch {marker}\n", "holds the psql command \\!, which Resguardo does not run"),
    (
        "c-language-function",
        "CREATE FUNCTION bienestar.f() RETURNS integer LANGUAGE c AS '/tmp/evil.so', 'f';\n",
        "creates a function in the language c, which a restore does not run",
    ),
    (
        "materialized-view-reads-a-file",
        "CREATE MATERIALIZED VIEW bienestar.mv AS SELECT pg_catalog.pg_read_file('/etc/hostname') AS x WITH NO DATA;\n"
        "REFRESH MATERIALIZED VIEW bienestar.mv;\n",
        "calls pg_read_file, which reaches outside the tenant",
    ),
    (
        "release-the-tenant-lock",
        "CREATE TABLE bienestar.x (id integer DEFAULT pg_catalog.pg_advisory_unlock_all());\n",
        "calls pg_advisory_unlock_all, which reaches outside the tenant",
    ),
    (
        "inherit-a-shared-table",
        "CREATE TABLE bienestar.evil () INHERITS (public.customers_client);\n",
        "creates or changes public.customers_client, outside its own schema",
    ),
    (
        "temporary-schema",
        "CREATE FUNCTION pg_temp.f() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;\n",
        "creates or changes pg_temp.f, outside its own schema",
    ),
    (
        "function-sets-role",
        "CREATE FUNCTION bienestar.f() RETURNS integer LANGUAGE sql SET role = 'postgres' AS $$ SELECT 1 $$;\n",
        "creates a function that changes the session's role",
    ),
    ("grant-a-role", "GRANT pg_execute_server_program TO clinic_app;\n", "changes a role's membership"),
    (
        "large-object",
        "SELECT pg_catalog.lo_import('/etc/passwd');\n",
        "uses a large object, which lives outside any schema",
    ),
    (
        "information-schema",
        "COMMENT ON TABLE information_schema.tables IS 'x';\n",
        "creates or changes information_schema.tables, outside its own schema",
    ),
]


@pytest.mark.parametrize("name, payload, cause", ATTACKS, ids=[a[0] for a in ATTACKS])
def test_a_hostile_sql_file_is_refused_naming_the_cause_and_changes_nothing(
    demo_db: ConnectionTarget, tmp_path: Path, marker: Path, plain_dump: str, name: str, payload: str, cause: str
) -> None:
    at = plain_dump.index(END)
    path = tmp_path / "bienestar.sql"
    path.write_text(plain_dump[:at] + payload.format(marker=marker) + plain_dump[at:])
    line = plain_dump[:at].count("\n") + 1
    before = everything(demo_db)
    with pytest.raises(ArchiveError) as caught:
        restore_tenant(demo_db, "bienestar", path)
    message = caught.value.message
    assert message.startswith(f"bienestar.sql: The file {cause} (line "), message
    assert message.endswith(").") and caught.value.changed is False
    named = re.search(r"\(line (\d+):", message)
    assert named is not None and int(named.group(1)) >= line
    with pytest.raises(ArchiveError) as verified:
        verify_pgdump(path, CancelToken())
    assert verified.value.message == message  # verify refuses what restore refuses, with the same words
    assert everything(demo_db) == before
    assert not marker.exists()


def test_a_statement_in_a_nested_comment_is_a_comment(
    demo_db: ConnectionTarget, tmp_path: Path, marker: Path, plain_dump: str
) -> None:
    """PostgreSQL's comments nest: what a non-nesting reader would run stays a comment, and is harmless."""
    at = plain_dump.index(END)
    path = tmp_path / "bienestar.sql"
    path.write_text(plain_dump[:at] + f"/* /* */ COPY (SELECT 1) TO PROGRAM 'touch {marker}'; */\n" + plain_dump[at:])
    restore_tenant(demo_db, "bienestar", path)
    assert PATIENT in emails(demo_db, "bienestar")
    assert not marker.exists()


# A body written as a string runs with the rights of whoever calls it, the restore itself among them (here: a CHECK
# validated while loading); its statements are read and checked like the file's own.
BODIES = [
    (
        "plpgsql-execute",
        "LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'RESET ROLE'; "
        "EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch {marker}'''; RETURN $1; END $$",
        "runs SQL built while it runs (EXECUTE), which Resguardo cannot check",
    ),
    (
        "plpgsql-program",
        "LANGUAGE plpgsql AS $$ BEGIN COPY (SELECT 1) TO PROGRAM 'touch {marker}'; RETURN $1; END $$",
        "runs an operating-system program (COPY ... PROGRAM)",
    ),
    (
        "plpgsql-set-config",
        "LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_catalog.set_config('role', 'postgres', false); RETURN $1; END $$",
        "calls set_config, which reaches outside the tenant",
    ),
    (
        "plpgsql-other-tenant",
        "LANGUAGE plpgsql AS $$ DECLARE n integer; BEGIN "
        "n := (SELECT count(*) FROM mindcare.users_customuser); RETURN $1; END $$",
        "names mindcare.users_customuser, outside the tenant",
    ),
    (
        "sql-reset-role",
        "LANGUAGE sql AS $$ RESET ROLE; COPY (SELECT 1) TO PROGRAM 'touch {marker}'; SELECT $1 $$",
        "resets the session's settings or role (RESET)",
    ),
    (
        "sql-write-file",
        "LANGUAGE sql AS 'COPY (SELECT 1) TO ''{marker}''; SELECT $1'",
        "reads or writes a file on the server (COPY ... FILE)",
    ),
]


@pytest.mark.parametrize("name, body, cause", BODIES, ids=[b[0] for b in BODIES])
def test_a_function_body_that_would_run_while_loading_is_checked_like_the_file(
    demo_db: ConnectionTarget, tmp_path: Path, marker: Path, plain_dump: str, name: str, body: str, cause: str
) -> None:
    at = plain_dump.index(END)
    path = tmp_path / "bienestar.sql"
    path.write_text(
        plain_dump[:at]
        + "CREATE FUNCTION bienestar.f(integer) RETURNS integer "
        + body.format(marker=marker)
        + ";\n"
        + "ALTER TABLE bienestar.auth_group ADD CONSTRAINT evil CHECK (bienestar.f(id) > 0);\n"
        + plain_dump[at:]
    )
    before = everything(demo_db)
    with pytest.raises(ArchiveError) as caught:
        restore_tenant(demo_db, "bienestar", path)
    assert caught.value.message.startswith(f"bienestar.sql: The file creates a function whose body {cause} (line ")
    assert everything(demo_db) == before
    assert not marker.exists()


# Real pg_dump custom files of a source whose tenant schema holds what a file may not bring.
CUSTOM_ATTACKS = [
    (
        "CREATE TABLE bienestar.evil () INHERITS (public.customers_client)",
        "creates or changes public.customers_client, outside its own schema",
    ),
    (
        "CREATE VIEW bienestar.peek AS SELECT email FROM mindcare.users_customuser",
        "names mindcare.users_customuser, outside the tenant",
    ),
    (
        "CREATE MATERIALIZED VIEW bienestar.mv AS SELECT pg_catalog.pg_read_file('/etc/hostname') AS x",
        "calls pg_read_file, which reaches outside the tenant",
    ),
    (
        "CREATE FUNCTION bienestar.f() RETURNS integer LANGUAGE sql SET session_authorization = 'postgres' "
        "AS $$ SELECT 1 $$",
        "creates a function that changes the session's role",
    ),
]


@pytest.mark.parametrize("poison, cause", CUSTOM_ATTACKS)
def test_a_hostile_custom_file_is_refused_before_anything_runs(
    pg_server: TestServer, demo_db: ConnectionTarget, tmp_path: Path, poison: str, cause: str
) -> None:
    source = pg_server.new_database()
    try:
        with source.connect(autocommit=True) as conn:
            conn.execute(poison)
        path = pg_dump(source, "bienestar", tmp_path / "bienestar.dump", "-Fc")
    finally:
        pg_server.drop_database(source)
    before = everything(demo_db)
    with pytest.raises(ArchiveError) as caught:
        restore_tenant(demo_db, "bienestar", path)
    assert caught.value.message.startswith(f"bienestar.dump: The file {cause} (line "), caught.value.message
    with pytest.raises(ArchiveError) as verified:
        verify_pgdump(path, CancelToken())
    assert verified.value.message == caught.value.message
    assert everything(demo_db) == before


def test_a_custom_file_whose_data_part_reaches_outside_is_refused_while_loading_and_rolled_back(
    demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    """The data part (sequence values) is read only while loading; a hostile one is refused before it runs,
    and what ran before it is rolled back. verify reads it all."""
    path = pg_dump(demo_db, "bienestar", tmp_path / "bienestar.dump", "-Fc")
    data = path.read_bytes()
    original = b"pg_catalog.setval('bienestar.auth_group_id_seq'"
    assert data.count(original) == 1  # the TOC of a custom file is stored as written
    path.write_bytes(data.replace(original, b"pg_catalog.setval('\"mindcar\".auth_group_id_seq'"))
    before = everything(demo_db)
    with pytest.raises(ArchiveError) as caught:
        restore_tenant(demo_db, "bienestar", path)
    cause = "bienestar.dump: The file sets the sequence mindcar.auth_group_id_seq, outside its own schema (line "
    assert caught.value.message.startswith(cause), caught.value.message
    assert everything(demo_db) == before
    with pytest.raises(ArchiveError) as verified:
        verify_pgdump(path, CancelToken())
    assert verified.value.message.startswith(cause)


# ---------------------------------------------------------------- sending one statement


def test_execute_checked_lets_the_server_refuse_a_second_command(demo_db: ConnectionTarget) -> None:
    with demo_db.connect() as conn:
        execute_checked(conn, CheckedStatement("CREATE TABLE bienestar.one (id integer)", 1, "CreateStmt"))
        with pytest.raises(psycopg.errors.SyntaxError) as caught:
            execute_checked(conn, CheckedStatement("SELECT 1; SELECT 2", 2, "SelectStmt"))
        assert "cannot insert multiple commands into a prepared statement" in str(caught.value)
        conn.rollback()
        with pytest.raises(psycopg.errors.SyntaxError):
            execute_checked(conn, CheckedStatement("SELECT 1; DROP SCHEMA mindcare CASCADE", 3, "SelectStmt"))
    assert fingerprint(demo_db, "mindcare") != {"missing": True}


def test_the_server_reads_strings_as_the_gate_did_whatever_the_database_default(
    pg_server: TestServer, demo_db: ConnectionTarget
) -> None:
    with pg_server.admin.connect(autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET standard_conforming_strings = off").format(sql.Identifier(demo_db.dbname))
        )
    with demo_db.connect() as conn:
        prepare_session(conn)
        execute_checked(conn, CheckedStatement("COMMENT ON TABLE bienestar.auth_group IS 'a\\'", 1, "CommentStmt"))
        row = conn.execute("SELECT obj_description('bienestar.auth_group'::regclass)").fetchone()
    assert row == ("a\\",)


# ---------------------------------------------------------------- native archives


def blocks(part: str) -> Iterator[tuple[str, str, int]]:
    """(label, statement, line) of an archive's schema part, as the restore reads them."""
    label: str | None = None
    body: list[str] = []
    start = 0
    for number, text in enumerate(io.StringIO(part), 1):
        if text.startswith("-- object: "):
            if label is not None:
                yield label, "".join(body), start
            label, body, start = text[len("-- object: ") :].strip(), [], number + 1
        elif label is not None:
            body.append(text)
    if label is not None:
        yield label, "".join(body), start


def test_every_statement_of_a_native_backup_passes_and_keys_name_their_table(
    demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    path = backup_tenant(demo_db, "bienestar", tmp_path / "b.resguardo").path
    checked: list[CheckedStatement] = []
    with ArchiveReader(path) as reader:
        for member in (PRE_DATA_MEMBER, POST_DATA_MEMBER):
            for label, text, line in blocks(reader.read_text(member)):
                statement = check_native(text, line=line, label=label)
                if statement is not None:
                    assert statement.line == line and statement.text == text.strip().rstrip(";")
                    checked.append(statement)
    kinds = {s.kind for s in checked}
    assert {"CreateStmt", "IndexStmt", "AlterTableStmt"} <= kinds
    tables = {s.table for s in checked if s.kind == "IndexStmt"}
    assert "chat_chatmessage" in tables
    keys = [s for s in checked if s.kind == "AlterTableStmt" and "PRIMARY KEY" in s.text]
    assert len(keys) == 15 and all(s.table is not None for s in keys)  # each of the tenant's 15 tables has one
    assert all(s.table is None for s in checked if "FOREIGN KEY" in s.text)


@pytest.mark.parametrize(
    "label, text, expected",
    [
        ("grant table t", "GRANT SELECT ON TABLE t TO clinic_app", None),
        ("owner table t", "ALTER TABLE t OWNER TO postgres", None),
        ("sequence-value s", "SELECT pg_catalog.setval('s', 20, true)", None),
        (
            "default-privileges postgres tables",
            "DO $resguardo$ BEGIN EXECUTE pg_catalog.format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT "
            "SELECT ON TABLES TO PUBLIC', 'postgres', pg_catalog.current_schema()); END $resguardo$",
            None,
        ),
        ("constraint t_pkey", "ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY (id)", ("AlterTableStmt", "t", False)),
        (
            "foreign-key t_fk",
            "ALTER TABLE t ADD CONSTRAINT t_fk FOREIGN KEY (c) REFERENCES public.customers_client(id)",
            ("AlterTableStmt", None, False),
        ),
        ("index i", "CREATE UNIQUE INDEX i ON ONLY t USING btree (lower(name))", ("IndexStmt", "t", False)),
        (
            "operator-class c",
            "CREATE OPERATOR CLASS c FOR TYPE integer USING btree AS OPERATOR 1 <",
            ("CreateOpClassStmt", None, True),
        ),
    ],
)
def test_native_statements_are_run_or_skipped_by_their_tree(
    label: str, text: str, expected: tuple[str, str | None, bool] | None
) -> None:
    checked = check_native(text, line=3, label=label)
    assert (None if checked is None else (checked.kind, checked.table, checked.needs_superuser)) == expected


@pytest.mark.parametrize(
    "label, text, cause",
    [
        ("table t", "RESET ROLE", "resets the session's settings or role (RESET)"),
        ("table t", "COPY (SELECT 1) TO PROGRAM 'id'", "runs an operating-system program (COPY ... PROGRAM)"),
        ("table t", "SET ROLE postgres", "changes the session's role"),
        ("table t", "COMMIT", "ends or changes the transaction"),
        ("table t", "CREATE TABLE public.t (id integer)", "creates or changes public.t, outside its own schema"),
        ("constraint c", "ALTER TABLE mindcare.t ADD CONSTRAINT c CHECK (true)", "creates or changes mindcare.t"),
        ("index i", "CREATE INDEX i ON public.customers_client (id)", "creates or changes public.customers_client"),
        ("view v", "CREATE VIEW v AS SELECT * FROM mindcare.users_customuser", "names mindcare.users_customuser"),
        ("function f", "DO $$ BEGIN PERFORM 1; END $$", "runs an anonymous code block (DO)"),
        ("comment", "COMMENT ON SCHEMA bienestar IS 'resguardo:{}'", "changes the comment of a schema"),
        (
            "table t",
            "SELECT pg_catalog.setval('mindcare.s', 1)",
            "sets the sequence mindcare.s, outside its own schema",
        ),
        ("table t", "CREATE TABLE t (id integer); DROP SCHEMA mindcare", "holds more than one statement"),
        ("table t", "CREATE TABLE bienestar.t (id integer)", "creates or changes bienestar.t, outside its own schema"),
    ],
)
def test_native_statements_that_reach_outside_are_refused(label: str, text: str, cause: str) -> None:
    with pytest.raises(RefusedStatement) as caught:
        check_native(text, line=12, label=label)
    assert caught.value.message.startswith(f"The file {cause}")
    assert "(line 12: " in caught.value.message


# Functions in FROM: libpg_query writes `{}` for a RangeFunction's absent column list, which crashed the gate
# ("unexpected error: ValueError") on every view or body that used one.
FUNCTIONS_IN_FROM = [
    "CREATE VIEW v AS SELECT g FROM generate_series(1, 3) g",
    "CREATE VIEW v AS SELECT * FROM unnest(ARRAY[1, 2]) WITH ORDINALITY AS u(x, n)",
    "CREATE VIEW v AS SELECT * FROM ROWS FROM (generate_series(1, 2), jsonb_each('{}') AS (k text, v jsonb)) t",
    "CREATE VIEW v AS SELECT r.a FROM t, LATERAL jsonb_to_recordset(t.j) AS r(a integer)",
    "CREATE FUNCTION f(integer[]) RETURNS bigint LANGUAGE sql AS 'SELECT sum(x) FROM unnest($1) x'",
    "CREATE FUNCTION f(jsonb) RETURNS integer LANGUAGE plpgsql AS $$DECLARE n integer; BEGIN"
    " SELECT count(*) INTO n FROM jsonb_each($1); FOR n IN SELECT 1 FROM generate_series(1, 2) LOOP END LOOP;"
    " RETURN n; END$$",
    "CREATE VIEW v AS SELECT ts_rewrite('a'::tsquery, 'a'::tsquery, 'b'::tsquery)",  # no query text
    "CREATE VIEW v AS SELECT nextval('s'), nextval('s'::regclass), currval(CAST('s' AS text))",
    "CREATE VIEW v AS SELECT pg_relation_size(c.oid) FROM pg_catalog.pg_class c",  # reports, acts on nothing
    "CREATE FUNCTION f() RETURNS integer LANGUAGE sql SET search_path = public, pg_temp AS 'SELECT 1'",
    "CREATE FUNCTION f() RETURNS integer LANGUAGE sql SET search_path = '' AS 'SELECT 1'",
]


@pytest.mark.parametrize("text", FUNCTIONS_IN_FROM)
def test_native_statements_that_stay_inside_pass(text: str) -> None:
    checked = check_native(text, line=3, label="view v")
    assert checked is not None and checked.text == text


# Issue 19, item 5: SQL text the gate never saw (functions that run a query given as text), and names read from
# text that passed through a cast. Each reached pg_read_file, pg_ls_dir or another clinic's table.
QUERY_TEXT = "'SELECT pg_catalog.pg_read_file(''/etc/passwd'')'"
TEXT_TO_SQL = [
    (f"CREATE VIEW v AS SELECT * FROM ts_stat({QUERY_TEXT})", "calls ts_stat, which reaches outside"),
    (f"CREATE VIEW v AS SELECT * FROM ts_stat({QUERY_TEXT}, 'a')", "calls ts_stat, which reaches outside"),
    (f"CREATE VIEW v AS SELECT ts_rewrite('a'::tsquery, {QUERY_TEXT})", "calls ts_rewrite, which reaches outside"),
    *[
        (f"CREATE VIEW v AS SELECT {f}({QUERY_TEXT}, true, true, '')", f"calls {f}, which reaches outside")
        for f in ("query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema")
    ],
    *[
        (f"CREATE VIEW v AS SELECT {f}('mindcare.users_customuser', true, true, '')", f"calls {f}, which reaches")
        for f in ("table_to_xml", "table_to_xmlschema", "table_to_xml_and_xmlschema")
    ],
    *[
        (f"CREATE VIEW v AS SELECT {f}('mindcare', true, true, '')", f"calls {f}, which reaches outside")
        for f in ("schema_to_xml", "schema_to_xmlschema", "schema_to_xml_and_xmlschema")
    ],
    *[
        (f"CREATE VIEW v AS SELECT {f}(true, true, '')", f"calls {f}, which reaches outside")
        for f in ("database_to_xml", "database_to_xmlschema", "database_to_xml_and_xmlschema")
    ],
    ("CREATE VIEW v AS SELECT cursor_to_xml('c'::refcursor, 1, true, true, '')", "calls cursor_to_xml, which"),
    (f"CREATE VIEW v AS SELECT * FROM public.crosstab({QUERY_TEXT}) AS t(a text)", "calls crosstab, which"),
    ("CREATE VIEW v AS SELECT * FROM connectby('t', 'id', 'up', '1', 0) AS t(a int)", "calls connectby, which"),
    (f"CREATE VIEW v AS SELECT * FROM xpath_table('id', 'x', {QUERY_TEXT}, '/a', 'true') AS t(a int)", "calls xpath"),
    (f"CREATE VIEW v AS SELECT * FROM dblink('dbname=x', {QUERY_TEXT}) AS t(a text)", "calls dblink, which"),
    (
        f"CREATE FUNCTION f() RETURNS SETOF record LANGUAGE sql AS $$SELECT * FROM ts_stat({QUERY_TEXT})$$",
        "creates a function whose body calls ts_stat, which reaches outside",
    ),
    # names read from text at run time, through a cast: resolved as the cast reads them
    ("CREATE VIEW v AS SELECT nextval('\"mindcare\".seq'::text)", "names mindcare.seq, outside the tenant"),
    ("CREATE VIEW v AS SELECT nextval(CAST('mindcare.seq' AS varchar))", "names mindcare.seq, outside"),
    ("CREATE VIEW v AS SELECT setval(('mindcare.seq'::text)::regclass, 1)", "names mindcare.seq, outside"),
    ("CREATE VIEW v AS SELECT currval('mindcare.seq'::name::text)", "names mindcare.seq, outside"),
    ("CREATE VIEW v AS SELECT pg_sequence_last_value('mindcare.seq')", "names mindcare.seq, outside"),
    ("CREATE VIEW v AS SELECT pg_relation_size('mindcare.users_customuser'::text)", "names mindcare.users"),
    ("CREATE VIEW v AS SELECT pg_input_is_valid('1', 'mindcare.dom')", "names mindcare.dom, outside"),
    ("CREATE VIEW v AS SELECT pg_input_error_info('1', 'mindcare.dom'::text)", "names mindcare.dom, outside"),
    # names computed while the function runs: they could be any relation
    ("CREATE VIEW v AS SELECT nextval('mind' || 'care.seq')", "holds a construct Resguardo cannot check (nextval's"),
    ("CREATE VIEW v AS SELECT nextval(format('%I.seq', 'mindcare'))", "holds a construct Resguardo cannot check"),
    ("CREATE VIEW v AS SELECT nextval(16384)", "holds a construct Resguardo cannot check (nextval's object"),
    ("CREATE VIEW v AS SELECT nextval('16384'::oid)", "holds a construct Resguardo cannot check (nextval's object"),
    ("CREATE VIEW v AS SELECT setval(to_regclass('mindcare.seq'), 1)", "holds a construct Resguardo cannot check"),
    ("CREATE VIEW v AS SELECT brin_summarize_new_values(c.oid) FROM pg_class c", "holds a construct Resguardo"),
    (
        "CREATE FUNCTION f(s text) RETURNS bigint LANGUAGE plpgsql AS $$BEGIN RETURN nextval(s); END$$",
        "creates a function whose body holds a construct Resguardo cannot check (nextval's object",
    ),
    ("CREATE VIEW v AS SELECT pg_input_is_valid('1', t.name) FROM t", "holds a construct Resguardo cannot check"),
    # a routine's search_path: its unqualified names resolve there
    (
        "CREATE FUNCTION f() RETURNS bigint LANGUAGE sql SET search_path = mindcare AS 'SELECT count(*) FROM t'",
        "creates a function whose search_path names mindcare, outside the tenant",
    ),
    (
        "CREATE FUNCTION f() RETURNS bigint LANGUAGE sql SET search_path TO 'public', 'Other' AS 'SELECT 1'",
        "creates a function whose search_path names Other, outside the tenant",
    ),
]


@pytest.mark.parametrize("text, cause", TEXT_TO_SQL)
def test_text_the_gate_cannot_see_and_names_it_cannot_prove_are_refused(text: str, cause: str) -> None:
    with pytest.raises(RefusedStatement) as caught:
        check_native(text, line=7, label="view v")
    assert caught.value.message.startswith(f"The file {cause}"), caught.value.message


def test_a_name_behind_a_cast_is_rewritten_into_the_staging_schema() -> None:
    """A pg_dump statement naming its own schema through a cast to text is checked and rewritten like any name."""
    parsed = parse_one("CREATE VIEW bienestar.v AS SELECT nextval(CAST('bienestar.seq' AS text))", 1)
    assert parsed is not None
    Rules("bienestar").check(parsed)
    assert rewritten(parsed, "bienestar", "rg_staging") == (
        "CREATE VIEW rg_staging.v AS SELECT nextval(CAST('\"rg_staging\".seq' AS text))"
    )


def test_a_routines_search_path_naming_its_schema_is_rewritten_into_the_staging_schema() -> None:
    """While rows load, the CHECKs and triggers that call it must find the staging schema's objects (the restore
    names the tenant again before the swap); other schemas of the list stay."""
    parsed = parse_one(
        "CREATE FUNCTION bienestar.f() RETURNS integer LANGUAGE sql SET search_path TO 'bienestar', 'public'"
        " AS $$SELECT 1$$",
        1,
    )
    assert parsed is not None
    Rules("bienestar").check(parsed)
    assert rewritten(parsed, "bienestar", "rg_staging") == (
        "CREATE FUNCTION rg_staging.f() RETURNS integer LANGUAGE sql SET search_path TO 'rg_staging', 'public'"
        " AS $$SELECT 1$$"
    )


# ---------------------------------------------------------------- legit dumps round-trip

RICH = """
CREATE SCHEMA rich AUTHORIZATION clinic_app;
CREATE TYPE rich.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE rich.pair AS (a integer, b text);
CREATE TYPE rich.floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE TYPE rich.shell_t;
CREATE DOMAIN rich.posint AS integer DEFAULT 1 CHECK (VALUE > 0);
ALTER DOMAIN rich.posint ADD CONSTRAINT small CHECK (VALUE < 1000000) NOT VALID;
CREATE COLLATION rich.ci (provider = libc, locale = 'C');
CREATE TABLE rich.parent (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text COLLATE rich.ci,
  m rich.mood, p rich.pair, r rich.floatrange, n rich.posint, created timestamptz DEFAULT now(),
  g int GENERATED ALWAYS AS (id * 2) STORED) WITH (fillfactor = 80);
ALTER TABLE rich.parent ALTER COLUMN name SET STATISTICS 500;
ALTER TABLE rich.parent ALTER COLUMN name SET STORAGE EXTERNAL;
ALTER TABLE rich.parent ALTER COLUMN name SET (n_distinct = 100);
CREATE TABLE rich."Weird Name" ("Col;" text, "é" int);
CREATE UNLOGGED TABLE rich.unl (x int);
CREATE TABLE rich.child (extra int) INHERITS (rich.parent);
CREATE TABLE rich.meas (id int, at date NOT NULL, v numeric(10,2)) PARTITION BY RANGE (at);
CREATE TABLE rich.meas_2024 PARTITION OF rich.meas FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE rich.meas_def PARTITION OF rich.meas DEFAULT;
CREATE INDEX meas_at ON rich.meas (at);
CREATE SEQUENCE rich.counter AS integer START 5 INCREMENT 2;
CREATE TABLE rich.item (id serial PRIMARY KEY, parent_id bigint REFERENCES rich.parent(id), tag text,
  qty int CHECK (qty >= 0), c int DEFAULT nextval('rich.counter'), owner_id int REFERENCES public.customers_client(id),
  EXCLUDE USING btree (tag WITH =) DEFERRABLE);
ALTER TABLE rich.item REPLICA IDENTITY FULL;
ALTER TABLE rich.item ENABLE ROW LEVEL SECURITY;
ALTER TABLE rich.item FORCE ROW LEVEL SECURITY;
CREATE POLICY item_pol ON rich.item FOR SELECT TO clinic_app USING (qty > 0);
CREATE UNIQUE INDEX item_tag ON rich.item (lower(tag) COLLATE "C" text_pattern_ops);
CREATE INDEX item_part ON rich.item (qty) WHERE qty > 0;
ALTER TABLE rich.item CLUSTER ON item_tag;
CREATE STATISTICS rich.item_st (dependencies) ON parent_id, qty FROM rich.item;
CREATE FUNCTION rich.add1(i integer) RETURNS integer LANGUAGE sql IMMUTABLE RETURN i + 1;
CREATE FUNCTION rich.atomic(i integer) RETURNS integer LANGUAGE sql
  BEGIN ATOMIC SELECT i + 1; SELECT rich.add1(i) + (SELECT count(*)::int FROM rich.item); END;
CREATE PROCEDURE rich.proc(i integer) LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; END $$;
CREATE FUNCTION rich.trg() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = rich, pg_catalog
  AS $body$ BEGIN NEW.tag := lower(NEW.tag); RETURN NEW; END; $body$;
CREATE TRIGGER item_trg BEFORE INSERT OR UPDATE OF tag ON rich.item FOR EACH ROW WHEN (NEW.qty > 0)
  EXECUTE FUNCTION rich.trg();
ALTER TABLE rich.item DISABLE TRIGGER item_trg;
CREATE FUNCTION rich.sum_state(a integer, b integer) RETURNS integer LANGUAGE sql AS 'SELECT a + b';
CREATE AGGREGATE rich.mysum(integer) (SFUNC = rich.sum_state, STYPE = integer, INITCOND = '0');
CREATE FUNCTION rich.pair_eq(a rich.pair, b rich.pair) RETURNS boolean LANGUAGE sql AS 'SELECT a.a = b.a';
CREATE OPERATOR rich.=== (LEFTARG = rich.pair, RIGHTARG = rich.pair, PROCEDURE = rich.pair_eq,
  COMMUTATOR = OPERATOR(rich.===));
CREATE FUNCTION rich.pair_cmp(a rich.pair, b rich.pair) RETURNS integer LANGUAGE sql
  AS 'SELECT pg_catalog.btint4cmp(a.a, b.a)';
CREATE OPERATOR FAMILY rich.pair_fam USING btree;
CREATE OPERATOR CLASS rich.pair_ops FOR TYPE rich.pair USING btree FAMILY rich.pair_fam AS OPERATOR 3 rich.===,
  FUNCTION 1 rich.pair_cmp(rich.pair, rich.pair);
CREATE VIEW rich.v_item AS SELECT i.id, i.tag, p.name, rich.add1(i.qty) AS q1 FROM rich.item i
  JOIN rich.parent p ON p.id = i.parent_id WHERE i.tag OPERATOR(pg_catalog.=) 'x';
CREATE VIEW rich.v_sec WITH (security_barrier) AS SELECT * FROM rich.item WITH LOCAL CHECK OPTION;
CREATE MATERIALIZED VIEW rich.mv AS SELECT m, count(*) AS n FROM rich.parent GROUP BY m;
CREATE INDEX mv_m ON rich.mv (m);
CREATE RULE r_ins AS ON INSERT TO rich.v_item DO INSTEAD INSERT INTO rich.item (tag) VALUES (NEW.tag);
CREATE TEXT SEARCH DICTIONARY rich.simp (TEMPLATE = pg_catalog.simple, STOPWORDS = english);
CREATE TEXT SEARCH CONFIGURATION rich.cfg (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION rich.cfg ALTER MAPPING FOR asciiword WITH rich.simp;
COMMENT ON TABLE rich.item IS 'items; with ''quotes''';
COMMENT ON COLUMN rich.item.tag IS 'tag';
COMMENT ON FUNCTION rich.add1(integer) IS 'adds';
COMMENT ON CONSTRAINT item_qty_check ON rich.item IS 'chk';
CREATE TABLE rich.ident (id int GENERATED ALWAYS AS IDENTITY (START 10), note text);
INSERT INTO rich.parent (name, m, p, r, n) VALUES ('Ánna; x', 'ok', ROW(1,'a'), '[1,2)', 5),
  (E'back\\\\slash ''q''', 'sad', NULL, NULL, 7);
INSERT INTO rich.item (parent_id, tag, qty) VALUES (1, 'x', 1), (2, 'y', 2);
INSERT INTO rich.meas VALUES (1, '2024-05-01', 1.5), (2, '2030-01-01', 2);
INSERT INTO rich.ident (note) VALUES ('a'), ('b');
INSERT INTO rich."Weird Name" VALUES ('a;b', 1);
REFRESH MATERIALIZED VIEW rich.mv;
"""


def comparable(dump: str, schema: str) -> list[str]:
    """A pg_dump's statements and rows, less what depends on who loaded it (owners, grants, comments); the
    schema where it qualifies a name, and in a function's search_path (other strings are kept as written)."""
    dump = re.sub(rf"\b{schema}\.", "SCHEMA.", dump).replace(f"search_path TO '{schema}'", "search_path TO 'SCHEMA'")
    return [
        line
        for line in dump.splitlines()
        if line.strip()
        and not line.startswith(
            (
                "--",
                "\\restrict",
                "\\unrestrict",
                "ALTER SCHEMA",
                "COMMENT ON SCHEMA",
                "CREATE SCHEMA",
                "DROP SCHEMA",
                "GRANT ",
                "REVOKE ",
            )
        )
        and " OWNER TO " not in line
    ]


@pytest.mark.parametrize(
    "schema, extra", [("bienestar", []), ("rich", []), ("rich", ["--inserts", "--clean", "--if-exists"])]
)
def test_a_pg_dump_round_trips_through_the_rewriter(
    demo_db: ConnectionTarget, tmp_path: Path, schema: str, extra: list[str]
) -> None:
    """Loaded into another schema and dumped again, a dump of every kind of object pg_dump writes for a schema
    comes back statement for statement and row for row."""
    if schema == "rich":
        with demo_db.connect() as conn:
            conn.execute(RICH)
    original = pg_dump(demo_db, schema, tmp_path / "a.sql", *extra)
    source = SqlDumpSource(original, CancelToken())
    with demo_db.connect() as conn:
        conn.execute("CREATE SCHEMA copy_of")
        conn.execute("SET LOCAL search_path = copy_of")
        source.load_schema(conn, "copy_of", lambda fraction, detail: None, CancelToken())
    again = pg_dump(demo_db, "copy_of", tmp_path / "b.sql", *extra)
    assert comparable(again.read_text(), "copy_of") == comparable(original.read_text(), schema)


def test_a_statement_the_server_refuses_names_its_line(
    demo_db: ConnectionTarget, tmp_path: Path, plain_dump: str
) -> None:
    at = plain_dump.index(END)
    path = tmp_path / "bienestar.sql"
    path.write_text(plain_dump[:at] + "CREATE TABLE bienestar.auth_group (id integer);\n" + plain_dump[at:])
    with pytest.raises(RestoreFailed) as caught:
        restore_tenant(demo_db, "bienestar", path)
    line = plain_dump[:at].count("\n") + 1
    assert caught.value.message.startswith(
        f'Line {line} of bienestar.sql failed: relation "auth_group" already exists (CREATE TABLE '
    )

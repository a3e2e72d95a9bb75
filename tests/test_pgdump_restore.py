"""Restoring pg_dump files (.sql and custom format) through the same safe restore as native archives."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.backup.pgdump import pgdump_tenant
from app.engine.connection import ConnectionTarget
from app.engine.errors import ArchiveError, Cancelled, PreflightError, RestoreFailed
from app.engine.inspection.verify import verify_file
from app.engine.jobs import CancelToken, Progress
from app.engine.pgdump.pgtools import find_tools
from app.engine.pgdump.source import open_pgdump_source, pg_restore_for, read_custom_header
from app.engine.restore.preview import preview_restore
from app.engine.restore.restore import restore_tenant
from app.engine.restore.undo import undo_restore
from app.engine.server.demo import django_password_verifies
from app.engine.server.pgserver import embedded_bin_dir
from tests.support.cli import run_cli
from tests.support.pgtools import SYSTEM_15, needs_system_15
from tests.support.restore import (
    PATIENT,
    delete_patient,
    emails,
    fingerprint,
    other_schemas,
    password_hash,
    resguardo_schemas,
    set_password,
    table_rows,
)

ADMIN = "admin@gmail.com"

EMBEDDED = [embedded_bin_dir()]

pytestmark = pytest.mark.usefixtures("embedded_tools_only")


def dump(target: ConnectionTarget, schema: str, folder: Path, fmt: str) -> Path:
    return pgdump_tenant(target, schema, folder / f"{schema}.{'sql' if fmt == 'sql' else 'dump'}", fmt=fmt).path


@pytest.mark.parametrize("fmt", ["sql", "custom"])
def test_acceptance_story_with_a_pg_dump_file(demo_db: ConnectionTarget, tmp_path: Path, fmt: str) -> None:
    path = dump(demo_db, "bienestar", tmp_path, fmt)
    dumped = table_rows(demo_db, "bienestar")
    delete_patient(demo_db)
    set_password(demo_db, "bienestar", ADMIN, "nueva-clave")
    after_deletion = fingerprint(demo_db, "bienestar")
    others = other_schemas(demo_db, "bienestar")

    preview = preview_restore(demo_db, "bienestar", path)
    assert preview.source.source_schema == "bienestar"
    assert preview.source.tool_version == f"pg_dump {find_tools('pg_dump', EMBEDDED, defaults=False)[0].version}"
    assert {t.name for t in preview.source.tables} == set(dumped)
    assert fingerprint(demo_db, "bienestar") == after_deletion  # the preview changed nothing
    seen: list[Progress] = []
    result = restore_tenant(demo_db, "bienestar", path, progress=seen.append)

    assert PATIENT in emails(demo_db, "bienestar")
    assert django_password_verifies("nueva-clave", password_hash(demo_db, "bienestar", ADMIN) or "")
    assert other_schemas(demo_db, "bienestar") == others
    assert (result.rows, result.tables) == (sum(dumped.values()), 15)
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    with demo_db.connect() as conn:  # owners come from the live tenant, the web role still owns everything
        owners = {
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relnamespace = 'bienestar'::regnamespace"
            )
        }
        assert owners == {"clinic_app"}
        conn.execute("INSERT INTO bienestar.auth_group (name) VALUES ('nuevo')")  # identity continues

    undo_restore(demo_db, "bienestar")
    assert fingerprint(demo_db, "bienestar") == after_deletion
    assert other_schemas(demo_db, "bienestar") == others


@pytest.mark.parametrize("fmt", ["sql", "custom"])
def test_a_dump_of_one_tenant_restores_into_another_only_when_allowed(
    demo_db: ConnectionTarget, tmp_path: Path, fmt: str
) -> None:
    path = dump(demo_db, "mindcare", tmp_path, fmt)
    others = other_schemas(demo_db, "bienestar")
    with pytest.raises(PreflightError):
        restore_tenant(demo_db, "bienestar", path)
    result = restore_tenant(demo_db, "bienestar", path, allow_other_tenant=True)
    assert result.source_schema == "mindcare"
    assert fingerprint(demo_db, "bienestar")["data"] == fingerprint(demo_db, "mindcare")["data"]
    assert other_schemas(demo_db, "bienestar") == others


@pytest.mark.parametrize(
    "edit, refusal",
    [
        (
            "DROP SCHEMA mindcare CASCADE;\n",
            "The file drops the schema mindcare, outside the tenant (line {line}: DROP SCHEMA mindcare CASCADE).",
        ),
        (
            "INSERT INTO public.customers_client (schema_name, name, paid_until, on_trial, created_on)"
            " VALUES ('evil', 'Evil', '2030-01-01', false, '2025-01-01');\n",
            "The file creates or changes public.customers_client, outside its own schema (line {line}: INSERT INTO "
            "public.customers_client (schema_name, name, paid_until, on_trial,...).",
        ),
    ],
)
def test_a_hand_edited_sql_file_reaching_outside_is_refused_and_changes_nothing(
    demo_db: ConnectionTarget, tmp_path: Path, edit: str, refusal: str
) -> None:
    path = dump(demo_db, "bienestar", tmp_path, "sql")
    text = path.read_text()
    at = text.index("CREATE TABLE bienestar.users_customuser")
    path.write_text(text[:at] + edit + "\n" + text[at:])
    before = {**other_schemas(demo_db, "bienestar"), "bienestar": fingerprint(demo_db, "bienestar")}
    with pytest.raises(ArchiveError) as caught:
        restore_tenant(demo_db, "bienestar", path)
    line = text[:at].count("\n") + 1
    assert caught.value.message == "bienestar.sql: " + refusal.format(line=line)
    assert caught.value.changed is False
    assert {**other_schemas(demo_db, "bienestar"), "bienestar": fingerprint(demo_db, "bienestar")} == before
    assert resguardo_schemas(demo_db) == []


def test_a_statement_hidden_from_the_static_check_is_rolled_back_by_the_isolation_proof(
    demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    path = dump(demo_db, "bienestar", tmp_path, "sql")
    text = path.read_text()  # an unqualified name resolved through a search_path the file cannot change
    hidden = (
        "CREATE FUNCTION bienestar.sneak() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN "
        "DELETE FROM public.customers_domain; RETURN NULL; END $$;\n"
        "CREATE TABLE bienestar.trap (id int);\n"
        "CREATE TRIGGER t AFTER INSERT ON bienestar.trap FOR EACH STATEMENT EXECUTE FUNCTION bienestar.sneak();\n"
        "INSERT INTO bienestar.trap VALUES (1);\n"
    )
    at = text.index("--\n-- PostgreSQL database dump complete")
    path.write_text(text[:at] + hidden + text[at:])
    before = other_schemas(demo_db, "bienestar")
    live = fingerprint(demo_db, "bienestar")
    with pytest.raises(RestoreFailed) as caught:
        restore_tenant(demo_db, "bienestar", path)
    assert "public.customers_domain" in caught.value.message and "outside the tenant" in caught.value.message
    assert other_schemas(demo_db, "bienestar") == before
    assert fingerprint(demo_db, "bienestar") == live
    assert resguardo_schemas(demo_db) == []


def test_truncated_and_foreign_files_are_refused_before_anything(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    custom = dump(demo_db, "bienestar", tmp_path, "custom")
    cut = tmp_path / "cut.dump"
    cut.write_bytes(custom.read_bytes()[: custom.stat().st_size * 2 // 3])
    plain = dump(demo_db, "bienestar", tmp_path, "sql")
    cut_sql = tmp_path / "cut.sql"
    cut_sql.write_bytes(plain.read_bytes()[: plain.stat().st_size * 2 // 3])
    foreign = tmp_path / "notes.sql"
    foreign.write_text("CREATE TABLE clinic_notes (id int);\nINSERT INTO clinic_notes VALUES (1);\n")
    before = fingerprint(demo_db, "bienestar")
    for path, message in [
        (
            cut,
            "cut.dump cannot be read in full by pg_restore (damaged or truncated): could not read from input "
            "file: end of file.",
        ),
        (
            cut_sql,
            "cut.sql: The file is incomplete: its last line '-- PostgreSQL database dump complete' is missing "
            "(the file was truncated or pg_dump failed while writing it).",
        ),
        (
            foreign,
            "notes.sql: The file is not a pg_dump output (it does not start with '-- PostgreSQL database "
            "dump'); Resguardo restores only pg_dump files of one schema.",
        ),
    ]:
        with pytest.raises(ArchiveError) as caught:
            restore_tenant(demo_db, "bienestar", path)
        assert caught.value.message == message
    assert fingerprint(demo_db, "bienestar") == before
    assert resguardo_schemas(demo_db) == []


@needs_system_15
def test_an_old_pg_restore_is_not_used_for_a_newer_file(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    header = read_custom_header(dump(demo_db, "bienestar", tmp_path, "custom"))
    assert header.pg_dump_major >= 17 and header.dbname == demo_db.dbname
    with pytest.raises(PreflightError) as caught:
        pg_restore_for(header, "bienestar.dump", [SYSTEM_15])
    assert f"written by pg_dump {header.pg_dump_version}" in caught.value.message
    assert "the newest pg_restore found is 15" in caught.value.message


def test_a_sql_file_in_an_older_pg_dump_layout_restores(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    """pg_dump 15 refuses this newer server, so its output shape (no \\restrict) is made by editing an 18 dump."""
    path = dump(demo_db, "bienestar", tmp_path, "sql")
    text = "".join(
        ln
        for ln in path.read_text().splitlines(True)
        if not ln.startswith(("\\restrict", "\\unrestrict", "SET transaction_timeout"))
    )
    old = tmp_path / "old.sql"
    old.write_text(text.replace("pg_dump version 18", "pg_dump version 15"))
    source = open_pgdump_source(old, CancelToken())
    assert source is not None
    version = source.summary().tool_version
    assert version is not None and version.startswith("pg_dump 15")
    restore_tenant(demo_db, "bienestar", old)
    assert PATIENT in emails(demo_db, "bienestar")


def test_cli_backs_up_in_each_format_and_verify_reads_the_files(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    dsn = demo_db.conninfo
    for fmt, suffix in [("sql", ".sql"), ("custom", ".dump")]:
        made = run_cli(
            "backup", "--dsn", dsn, "--tenant", "bienestar", "--out", str(tmp_path / f"b{suffix}"), "--format", fmt
        )
        assert made.returncode == 0, made.stderr
        assert "pg_dump 18" in made.stdout
        checked = run_cli("verify", "--file", str(tmp_path / f"b{suffix}"))
        assert checked.returncode == 0, checked.stderr
        assert "of schema 'bienestar' by pg_dump 18" in checked.stdout and "with data" in checked.stdout
    whole = (tmp_path / "b.dump").read_bytes()
    (tmp_path / "cut.dump").write_bytes(whole[: len(whole) // 2])
    bad = run_cli("verify", "--file", str(tmp_path / "cut.dump"))
    assert (bad.returncode, bad.stderr) == (
        1,
        "resguardo: cut.dump cannot be read in full by pg_restore (damaged or "
        "truncated): could not read from input file: end of file.\n",
    )
    fallback = run_cli(
        "backup",
        "--dsn",
        dsn,
        "--tenant",
        "bienestar",
        "--out",
        str(tmp_path),
        "--format",
        "auto",
        env={"RESGUARDO_PG_BIN": str(tmp_path / "nothing")},
    )
    assert fallback.returncode == 0, fallback.stderr
    assert "Native format written: no fitting pg_dump" in fallback.stdout


def test_a_sql_file_in_another_encoding_restores_the_same_rows(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    """A LATIN1 dump: statements are decoded before they are checked, COPY rows are recoded on the way in
    (in blocks that may split a character)."""
    path = dump(demo_db, "bienestar", tmp_path, "sql")
    text = path.read_text()
    assert "SET client_encoding = 'UTF8';" in text and any(ord(c) > 127 for c in text)
    latin = tmp_path / "latin1.sql"
    latin.write_bytes(
        text.replace("SET client_encoding = 'UTF8';", "SET client_encoding = 'LATIN1';").encode("latin-1")
    )
    live = fingerprint(demo_db, "bienestar")["data"]
    delete_patient(demo_db)
    restore_tenant(demo_db, "bienestar", latin)
    assert fingerprint(demo_db, "bienestar")["data"] == live


@pytest.mark.parametrize("fmt", ["sql", "custom"])
def test_cancel_stops_the_reading_of_a_pg_dump_file(demo_db: ConnectionTarget, tmp_path: Path, fmt: str) -> None:
    """Reading a pg_dump file in full (every statement checked) may take minutes: cancel stops it, before the
    preview or verify asks anything of the server (here, a server nobody listens on)."""
    file = dump(demo_db, "bienestar", tmp_path, fmt)
    cancelled = CancelToken()
    cancelled.cancel()
    nowhere = ConnectionTarget("host=127.0.0.1 port=1 user=nobody dbname=nothing", connect_timeout=1)
    with pytest.raises(Cancelled):
        preview_restore(nowhere, "bienestar", file, cancel=cancelled)
    with pytest.raises(Cancelled):
        verify_file(file, cancel=cancelled)

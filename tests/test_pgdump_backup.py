"""Backups with pg_dump: exactly the tenant's schema, password never on a command line, cancel, fallback."""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from app.engine.backup.backup import Backup
from app.engine.backup.pgdump import pgdump_tenant
from app.engine.backup.result import BackupResult
from app.engine.connection import ConnectionTarget
from app.engine.errors import Cancelled, PreflightError, ResguardoError, TenantBusy
from app.engine.jobs import CancelToken, Progress
from app.engine.safety.locks import tenant_lock
from app.engine.server.pgserver import PASSWORD_LOGIN_ROLE, embedded_bin_dir
from tests.support.pg import TestServer
from tests.support.pgtools import SYSTEM_15, fake_tool, needs_system_15

EMBEDDED = [embedded_bin_dir()]


@pytest.fixture(autouse=True)
def search_only_given_dirs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test says exactly which client tools exist."""
    monkeypatch.setenv("RESGUARDO_PG_BIN_ONLY", "1")


def children() -> list[int]:
    """Processes whose parent is this test process (pg_dump while it runs)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid():
                found.append(int(entry))
    return found


def wait_for_child(name: str) -> int:
    for _ in range(200):
        for pid in children():
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() == name:
                    return pid
            except OSError:
                continue
        time.sleep(0.05)
    raise AssertionError(f"no {name} child appeared")


@pytest.fixture
def blocked_table(demo_db: ConnectionTarget) -> Iterator[psycopg.Connection]:
    """An exclusive lock on a bienestar table: pg_dump waits for it, so the test can watch the child."""
    conn = demo_db.connect()
    conn.execute("LOCK TABLE bienestar.chat_chatmessage IN ACCESS EXCLUSIVE MODE")
    yield conn
    conn.close()


@pytest.mark.parametrize("fmt, magic", [("sql", b"--\n-- PostgreSQL database dump"), ("custom", b"PGDMP")])
def test_pg_dump_writes_exactly_the_tenant_with_moving_progress(
    demo_db: ConnectionTarget, tmp_path: Path, fmt: str, magic: bytes
) -> None:
    seen: list[Progress] = []
    result = pgdump_tenant(demo_db, "bienestar", tmp_path, fmt=fmt, progress=seen.append, extra_dirs=EMBEDDED)
    assert result.format == fmt and result.path.parent == tmp_path and result.tables == 15
    assert result.path.read_bytes().startswith(magic)
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == [result.path.name]  # no temporary file left
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    tables = {p.detail for p in seen if p.stage == "Dumping tables"}
    assert "bienestar.users_customuser" in tables and len(tables) == 15
    if fmt == "sql":
        text = result.path.read_text()
        assert "CREATE TABLE bienestar.users_customuser" in text and "mindcare" not in text


def test_a_strange_schema_name_is_matched_exactly_not_as_a_pattern(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    odd, decoy = 'x"; drop schema public; --.*?', 'x"; drop schema public; --aXX'
    with demo_db.connect() as conn:
        for name, table in ((odd, "t_odd"), (decoy, "t_decoy")):
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE TABLE {} (id int)").format(sql.Identifier(name, table)))
    result = pgdump_tenant(demo_db, odd, tmp_path, fmt="sql", extra_dirs=EMBEDDED)
    text = result.path.read_text()
    assert "t_odd" in text and "t_decoy" not in text
    with demo_db.connect() as conn:
        assert conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'public'").fetchone()


def test_the_password_is_never_on_the_child_command_line(
    demo_db: ConnectionTarget,
    pg_server: TestServer,
    blocked_table: psycopg.Connection,
    tmp_path: Path,
) -> None:
    role, secret = f"rg_pw_{os.getpid()}", "S3cret-never-shown"
    with pg_server.admin.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN SUPERUSER PASSWORD {} IN ROLE {}").format(
                sql.Identifier(role), sql.Literal(secret), sql.Identifier(PASSWORD_LOGIN_ROLE)
            )
        )
    try:
        params = demo_db.params
        target = ConnectionTarget.from_dsn(
            f"host={params['host']} port={params['port']} dbname={params['dbname']} user={role}", secret
        )
        outcome: list[BackupResult] = []
        worker = threading.Thread(
            target=lambda: outcome.append(
                pgdump_tenant(target, "bienestar", tmp_path, fmt="custom", extra_dirs=EMBEDDED)
            )
        )
        worker.start()
        pid = wait_for_child("pg_dump")
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        assert b"pg_dump" in cmdline and secret.encode() not in cmdline
        blocked_table.rollback()  # let pg_dump go on
        worker.join(60)
        assert len(outcome) == 1 and outcome[0].path.exists()
    finally:
        with pg_server.admin.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def test_cancel_stops_pg_dump_and_leaves_no_file(
    demo_db: ConnectionTarget, blocked_table: psycopg.Connection, tmp_path: Path
) -> None:
    cancel = CancelToken()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            pgdump_tenant(demo_db, "bienestar", tmp_path, fmt="sql", cancel=cancel, extra_dirs=EMBEDDED)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    pid = wait_for_child("pg_dump")
    cancel.cancel()
    worker.join(30)
    assert not worker.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], Cancelled)
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
    assert os.listdir(tmp_path) == []


def test_a_busy_tenant_is_refused(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    with demo_db.connect(autocommit=True) as conn, tenant_lock(conn, "bienestar"), pytest.raises(TenantBusy):
        pgdump_tenant(demo_db, "bienestar", tmp_path, fmt="custom", extra_dirs=EMBEDDED)
    assert os.listdir(tmp_path) == []


@needs_system_15
def test_a_too_old_pg_dump_is_refused_before_anything_and_auto_falls_back(
    demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    with demo_db.connect() as conn:
        if conn.info.server_version < 160000:
            pytest.skip("the test server is not newer than the system's pg_dump 15")
        major = conn.info.server_version // 10000
    with pytest.raises(PreflightError) as caught:
        pgdump_tenant(demo_db, "bienestar", tmp_path, fmt="sql", extra_dirs=[SYSTEM_15])
    refusal = (
        f"Server is PostgreSQL {major}; the newest pg_dump found is 15 at {SYSTEM_15 / 'pg_dump'}; "
        f"install PostgreSQL {major}+ client tools or use the native format."
    )
    assert caught.value.message == refusal
    assert os.listdir(tmp_path) == []
    result = Backup(demo_db, "bienestar", tmp_path, fmt="auto", extra_dirs=[SYSTEM_15]).run()
    assert result.format == "native" and result.path.suffix == ".resguardo"
    assert result.note == f"Native format written: no fitting pg_dump ({refusal})"


def test_auto_uses_custom_format_when_pg_dump_fits_and_native_when_it_is_missing(
    demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    dumped = Backup(demo_db, "bienestar", tmp_path / "x.dump", fmt="auto", extra_dirs=EMBEDDED).run()
    assert dumped.format == "custom" and dumped.path.read_bytes()[:5] == b"PGDMP"
    missing = Backup(demo_db, "bienestar", tmp_path / "y.dump", fmt="auto", extra_dirs=[tmp_path / "empty"]).run()
    assert missing.format == "native" and missing.path == tmp_path / "y.resguardo"
    with demo_db.connect() as conn:
        major = conn.info.server_version // 10000
    assert missing.note == (
        f"Native format written: no fitting pg_dump (Server is PostgreSQL {major}; no pg_dump was found (searched "
        f"the settings' folder, PATH, the usual install folders and the embedded server); install PostgreSQL "
        f"{major}+ client tools or use the native format.)"
    )


def test_a_failing_pg_dump_shows_its_own_error_and_auto_falls_back(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    bad = tmp_path / "bin"
    fake_tool(bad, "pg_dump", "pg_dump (PostgreSQL) 99.0")
    script = bad / "pg_dump"
    script.write_text(
        "#!/bin/sh\ncase \"$1\" in --version) echo 'pg_dump (PostgreSQL) 99.0'; exit 0;; esac\n"
        "echo 'pg_dump: error: query failed: out of shared memory' >&2\nexit 1\n"
    )
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ResguardoError) as caught:
        pgdump_tenant(demo_db, "bienestar", out, fmt="custom", extra_dirs=[bad])
    assert caught.value.message == "pg_dump failed: query failed: out of shared memory; no file was written."
    assert os.listdir(out) == []
    result = Backup(demo_db, "bienestar", out, fmt="auto", extra_dirs=[bad]).run()
    assert result.format == "native" and result.note == (
        "Native format written because pg_dump failed: pg_dump failed: query failed: out of shared memory; "
        "no file was written."
    )
    assert os.listdir(out) == [result.path.name]

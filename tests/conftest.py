"""Shared fixtures: a real PostgreSQL with the demo clinics, an in-memory keyring, private dirs.

Every fixture more than one test module uses is defined here, or in a support module listed in
`pytest_plugins`; helpers live in tests/support/.
"""

from __future__ import annotations

import gc
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from tests.support import REPO

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Subprocesses (CLI tests) use the in-memory keyring too.
os.environ["PYTHON_KEYRING_BACKEND"] = "tests.support.memory_keyring.MemoryKeyring"
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))

import keyring
import pytest
from psycopg import sql

from app.engine.connection import ConnectionTarget
from app.engine.server.pgserver import PASSWORD_LOGIN_ROLE, embedded_bin_dir
from tests.support.memory_keyring import MemoryKeyring
from tests.support.pg import TestServer, start_test_server, stop_test_server

pytest_plugins = ("tests.support.django_app",)  # django_template, django_db


@pytest.fixture(scope="session")
def pg_server() -> Iterator[TestServer]:
    server, workdir = start_test_server()
    yield server
    stop_test_server(server, workdir)


@pytest.fixture
def demo_db(pg_server: TestServer) -> Iterator[ConnectionTarget]:
    """A fresh database holding the demo clinics, dropped after the test; connects as a superuser."""
    target = pg_server.new_database()
    yield target
    pg_server.drop_database(target)


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Config, data and log dirs of this test alone."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("RESGUARDO_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def gui_garbage_collected_when_idle(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a window's test: wait until no worker thread of any window runs, then collect the test's cyclic
    garbage (its closed windows and dialogs) there, at a point where no thread uses them. Left to the automatic
    collector, they went at a random allocation of a later test, while its workers ran; the full suite crashed
    in that collection twice (a segfault inside Qt), never reproduced alone."""
    yield
    if "qtbot" not in request.fixturenames:
        return
    from PySide6.QtCore import QCoreApplication, QEvent

    from app.ui import job_runner

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with job_runner._alive_lock:
            if not job_runner._alive:
                break
        QCoreApplication.processEvents()
        time.sleep(0.01)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


@pytest.fixture
def embedded_tools_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """pg_dump, pg_restore and psql are the embedded server's only, whatever the machine has installed."""
    monkeypatch.setenv("RESGUARDO_PG_BIN_ONLY", "1")
    monkeypatch.setenv("RESGUARDO_PG_BIN", str(embedded_bin_dir()))


@pytest.fixture
def password_role(demo_db: ConnectionTarget) -> Iterator[tuple[str, str]]:
    """A role that must give its password over TCP (member of the embedded server's password role)."""
    name, password = f"rg_it_{uuid.uuid4().hex[:8]}", "s3cret-" + uuid.uuid4().hex[:8]
    with demo_db.connect(autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
                sql.Identifier(name), sql.Literal(password), sql.Identifier(PASSWORD_LOGIN_ROLE)
            )
        )
        conn.execute(sql.SQL("GRANT pg_read_all_data TO {}").format(sql.Identifier(name)))
    yield name, password
    with demo_db.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))

"""Shared fixtures: a real PostgreSQL with the demo clinics, an in-memory keyring, private dirs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parent.parent
# Subprocesses (CLI tests) use the in-memory keyring too.
os.environ["PYTHON_KEYRING_BACKEND"] = "tests.memory_keyring.MemoryKeyring"
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))

import keyring  # noqa: E402
import pytest  # noqa: E402

from app.engine.connection import ConnectionTarget  # noqa: E402
from tests.memory_keyring import MemoryKeyring  # noqa: E402
from tests.pg import TestServer, start_test_server, stop_test_server  # noqa: E402
from tests.django_support import django_db, django_template  # noqa: E402,F401  (fixtures)


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


def run_cli(*args: str, env: dict[str, str] | None = None, input: str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `python -m app ARGS` in a child process, as a script would."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True, text=True, timeout=timeout, input=input,
        env={**os.environ, **(env or {})}, cwd=REPO,
    )

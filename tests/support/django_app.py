"""A real Django + django-tenants clinic application for the tests (project in tests/django_project).

Fixtures (registered by `pytest_plugins` in tests/conftest.py):

- `django_template` (session): a database built once per test session by the project itself —
  `migrate_schemas` as the application's role, then the clinics written through the ORM
  (`clinic_site/seed.py`): tenants `public`, `bienestar`, `mindcare`; in each clinic `admin@gmail.com`
  (superuser, password `admin`), `psicologo1..3@test.com` and `paciente1..5@test.com` (`password123`),
  profiles, specializations, groups, appointments, chat messages, an admin log.
- `django_db`: a fresh copy of that database (`CREATE DATABASE … TEMPLATE`), dropped after the test:
  a `DjangoDB` with `.superuser` and `.app` (`ConnectionTarget`s of the copy).

The application connects as `clinic_web` (APP_ROLE): LOGIN, not a superuser, owner of the database and of
every schema; its password is made once per test session and never leaves memory except through a
child's environment.

Helpers: `run_django` (ORM code or a management command in a child process), `add_tenant`, `OrmWriter`
(a writer that reports every committed write), `HeldAtomic` (an `atomic()` block held open at a point in
time).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import queue
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from app.engine.connection import ConnectionTarget
from app.engine.server.pgserver import PASSWORD_LOGIN_ROLE
from tests.support.pg import TestServer

PROJECT = Path(__file__).resolve().parents[1] / "django_project"
APP_ROLE = "clinic_web"
TENANTS = ("bienestar", "mindcare")
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@gmail.com", "admin"
USER_PASSWORD = "password123"
PSYCHOLOGISTS = tuple(f"psicologo{i}@test.com" for i in (1, 2, 3))
PATIENTS = tuple(f"paciente{i}@test.com" for i in (1, 2, 3, 4, 5))

_counter = itertools.count()


@dataclass(frozen=True)
class DjangoDB:
    """One database of the clinic project: the same database as a superuser and as the application."""

    superuser: ConnectionTarget
    app: ConnectionTarget

    @property
    def dbname(self) -> str:
        return self.superuser.dbname


@dataclass(frozen=True)
class DjangoTemplate:
    server: TestServer
    db: DjangoDB

    def new_database(self) -> DjangoDB:
        """A copy of the template, owned by the application's role like the original."""
        name = f"rg_django_{os.getpid()}_{next(_counter)}"
        with self.server.admin.connect(autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(self.db.dbname), sql.Identifier(APP_ROLE)
                )
            )
        return _database(self.server.admin, name, self.db.app.password)

    def drop_database(self, db: DjangoDB) -> None:
        with self.server.admin.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db.dbname)))


def _database(admin: ConnectionTarget, name: str, app_password: str | None) -> DjangoDB:
    superuser = admin.with_dbname(name)
    app = ConnectionTarget(make_conninfo(superuser.conninfo, user=APP_ROLE), app_password)
    return DjangoDB(superuser, app)


def ensure_app_role(admin: ConnectionTarget) -> str:
    """Create (or re-key) the application's role, server-wide, and return its new password.

    The password is sent to the server only as a SCRAM verifier computed here, so it appears in no
    statement text (and no server log); the role logs in with a real password check where the embedded
    server's pg_hba asks for one (members of PASSWORD_LOGIN_ROLE).
    """
    password = secrets.token_urlsafe(18)
    with admin.connect(autocommit=True) as conn:
        verifier = conn.pgconn.encrypt_password(password.encode(), APP_ROLE.encode(), b"scram-sha-256").decode()
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(
            sql.SQL(verb + " ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}").format(
                sql.Identifier(APP_ROLE), sql.Literal(verifier)
            )
        )
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [PASSWORD_LOGIN_ROLE]).fetchone():
            conn.execute(
                sql.SQL("GRANT {} TO {}").format(sql.Identifier(PASSWORD_LOGIN_ROLE), sql.Identifier(APP_ROLE))
            )
    return password


def build_template(server: TestServer) -> DjangoTemplate:
    """The clinic project's database, made as the application would make it (slow: about 10 s)."""
    password = ensure_app_role(server.admin)
    name = f"rg_django_template_{os.getpid()}"
    with server.admin.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0 ENCODING 'UTF8'").format(
                sql.Identifier(name), sql.Identifier(APP_ROLE)
            )
        )
    db = _database(server.admin, name, password)
    run_django(db, ["migrate_schemas", "--shared", "--verbosity", "0"], timeout=600)
    run_django(db, "from clinic_site.seed import seed_clinics\nseed_clinics()", timeout=600)
    return DjangoTemplate(server, db)


def drop_template(template: DjangoTemplate) -> None:
    template.drop_database(template.db)


def django_env(db: DjangoDB | ConnectionTarget, schema: str | None = None) -> dict[str, str]:
    """The environment of a child of the clinic project: the database (password included) and the tenant."""
    target = db.app if isinstance(db, DjangoDB) else db
    params = target.params
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLINIC_", "PG"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "clinic_site.settings",
            "CLINIC_DB_NAME": params.get("dbname", ""),
            "CLINIC_DB_HOST": params.get("host", "127.0.0.1"),
            "CLINIC_DB_PORT": params.get("port", "5432"),
            "CLINIC_DB_USER": params.get("user", ""),
            "CLINIC_DB_PASSWORD": target.password or "",
            "CLINIC_SCHEMA": schema or "",
        }
    )
    return env


@dataclass
class DjangoRun:
    stdout: str
    stderr: str
    result: Any = None  # what the code assigned to `result`, through JSON


class DjangoFailed(AssertionError):
    """The child exited with an error; its stderr is in the message."""


def run_django(
    db: DjangoDB | ConnectionTarget,
    code_or_command: str | Sequence[str],
    *,
    schema: str | None = None,
    timeout: float = 120,
    check: bool = True,
) -> DjangoRun:
    """Run ORM code (a `str`) or a management command (a list: `["dumpdata", "--indent", "2"]`) in a child.

    Code runs inside `schema_context(schema)` (default `public`) with the project's models (`User`, `Client`,
    `Domain`, `Specialization`, `PsychologistProfile`, `PatientProfile`, `Appointment`, `ChatMessage`,
    `ClinicSettings`), `Group`, `Permission`, `ContentType`, `transaction`, `connection`, `schema_context`
    and `call_command` in scope (clinic_site/child.py); a value it assigns to `result` comes back
    (JSON-decoded) in `DjangoRun.result`. A command runs as `manage.py ARGS` (pass `tenant_command`,
    `--schema` yourself where you need a tenant). With `check`, a non-zero exit raises DjangoFailed.
    """
    env = django_env(db, schema)
    if isinstance(code_or_command, str):
        with tempfile.TemporaryDirectory(prefix="rg-django-") as tmp:
            env["CLINIC_RESULT_PATH"] = str(Path(tmp) / "result.json")
            done = subprocess.run(
                [sys.executable, "-m", "clinic_site.child", "code"],
                input=code_or_command,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=env,
                cwd=PROJECT,
                check=False,  # the exit status is checked below, with the child's stderr in the message
            )
            out = Path(env["CLINIC_RESULT_PATH"])
            result = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
    else:
        done = subprocess.run(
            [sys.executable, "manage.py", *code_or_command],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=PROJECT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        result = None
    if check and done.returncode != 0:
        raise DjangoFailed(f"Django child failed ({done.returncode}): {done.stderr.strip()[-3000:]}")
    return DjangoRun(done.stdout, done.stderr, result)


def add_tenant(
    db: DjangoDB, schema: str, name: str | None = None, *, appointments: int = 20, messages: int = 60
) -> int:
    """One more clinic, made like the others (`migrate_schemas` for its schema, then its rows); its client id."""
    code = (
        "from clinic_site.seed import add_clinic\n"
        f"result = add_clinic({schema!r}, {name or schema.title()!r}, appointments={appointments},"
        f" messages={messages})"
    )
    return int(run_django(db, code, timeout=600).result)


class _Child:
    """A child of the project in one of clinic_site/child.py's modes, talking line by line on stdin/stdout.

    Its stderr goes to a temporary file: a pipe that nobody reads could fill and stop the child.
    """

    def __init__(self, db: DjangoDB | ConnectionTarget, mode: str, schema: str, first_line: str, **env: str) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()
        # Open while the child runs (no `with` can span it); end() closes it.
        self._errors = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "clinic_site.child", mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            text=True,
            bufsize=1,
            env={**django_env(db, schema), **env},
            cwd=PROJECT,
        )
        self.send(first_line)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)  # end of output

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def next_line(self, timeout: float) -> str | None:
        """The next line, None once the child's output ended; AssertionError after `timeout` s."""
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the Django child said nothing in {timeout} s") from None

    def stderr(self) -> str:
        self._errors.seek(0)
        return self._errors.read().strip()[-2000:]

    def end(self, timeout: float = 60) -> None:
        """Close stdin, wait for the child (killed after `timeout` s), and read its last lines."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout)
        self._errors.close()


# Default body of an OrmWriter: one chat message per turn, from a psychologist to a patient.
CHAT_WRITE = """\
sender = User.objects.get(email="psicologo1@test.com")
recipient = User.objects.get(email="paciente2@test.com")
written = ChatMessage.objects.create(sender=sender, recipient=recipient, content=f"writer {n}").pk
"""


def login_body(email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> str:
    """An OrmWriter body that logs in as Django's login view does (`authenticate`, then `last_login` written):
    each turn reports {"ok": the password was accepted, "seconds": how long the login took}."""
    return (
        "import time\n"
        "from django.contrib.auth import authenticate\n"
        "from django.contrib.auth.models import update_last_login\n"
        "started = time.monotonic()\n"
        f"user = authenticate(email={email!r}, password={password!r})\n"
        "if user is not None:\n"
        "    update_last_login(None, user)\n"
        "written = {'ok': user is not None, 'seconds': time.monotonic() - started}\n"
    )


class OrmWriter:
    """A child process writing through the ORM into one tenant in a loop, each write its own transaction.

    `with OrmWriter(db, "mindcare") as w: …` starts it; `w.wait_for(10)` waits until ten writes are
    committed; `w.stop()` (also on leaving the block) lets the current write finish, ends the loop and
    returns the ids committed. `w.committed` lists each write's `written` once its transaction committed
    (the child prints it only after the commit); `w.errors` the failures (the loop goes on after one).
    `body` is Python run each turn (`n` = the turn, models in scope as in `run_django`); it must set
    `written`. `pause`: seconds between turns.
    """

    def __init__(
        self, db: DjangoDB | ConnectionTarget, schema: str, body: str = CHAT_WRITE, pause: float = 0.0
    ) -> None:
        self.db, self.schema, self.body, self.pause = db, schema, body, pause
        self.committed: list[Any] = []
        self.errors: list[str] = []
        self._child: _Child | None = None
        self._collector: threading.Thread | None = None

    def start(self) -> OrmWriter:
        self._child = _Child(self.db, "writer", self.schema, json.dumps(self.body), CLINIC_WRITER_PAUSE=str(self.pause))
        self._collector = threading.Thread(target=self._collect, daemon=True)
        self._collector.start()
        return self

    def _collect(self) -> None:
        assert self._child is not None
        while (line := self._child.lines.get()) is not None:
            kind, _, rest = line.partition(" ")
            if kind == "ok":
                self.committed.append(json.loads(rest))
            elif kind == "error":
                self.errors.append(rest)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        """Until `count` writes are committed in all; AssertionError after `timeout` s or if the child died."""
        assert self._child is not None
        deadline = time.monotonic() + timeout
        while len(self.committed) < count:
            if self._child.proc.poll() is not None:
                raise AssertionError(f"the ORM writer died: {self._child.stderr()}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the ORM writer committed {len(self.committed)} of {count} writes "
                    f"in {timeout} s; last errors: {self.errors[-3:]}"
                )
            time.sleep(0.02)

    def stop(self, timeout: float = 60) -> list[Any]:
        """Let the current write finish, end the child, and return everything it committed."""
        if self._child is not None:
            if self._child.proc.poll() is None:
                self._child.send("stop")
            self._child.end(timeout)
            assert self._collector is not None
            self._collector.join(timeout)
        return list(self.committed)

    def __enter__(self) -> OrmWriter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class HeldAtomic:
    """A Django `atomic()` block held open across a point in time, in a child process.

    `h = HeldAtomic(db, "bienestar", before=CODE_A, after=CODE_B).start()`: the child opens the block,
    runs `before` (say, update appointment A), and `h.wait_held()` returns; the block stays open, its locks
    held, until `h.go()`; then the child runs `after` (update appointment B) and commits, and
    `h.wait_done()` returns "committed" or "failed <first line of the error>". Code is Python with the
    models in scope, as in `run_django`. Also a context manager: leaving it ends the child (a block still
    open rolls back).
    """

    def __init__(self, db: DjangoDB | ConnectionTarget, schema: str, before: str, after: str) -> None:
        self.db, self.schema, self.before, self.after = db, schema, before, after
        self._child: _Child | None = None

    def start(self) -> HeldAtomic:
        self._child = _Child(self.db, "hold", self.schema, json.dumps({"before": self.before, "after": self.after}))
        return self

    def _next(self, timeout: float) -> str:
        assert self._child is not None
        line = self._child.next_line(timeout)
        if line is None:
            raise AssertionError(f"the atomic block's child ended: {self._child.stderr()}")
        return line

    def wait_held(self, timeout: float = 60) -> None:
        """Until `before` ran inside the open block; AssertionError if it failed instead."""
        line = self._next(timeout)
        if line != "held":
            raise AssertionError(f"the atomic block did not reach its hold: {line}")

    def go(self) -> None:
        """Let the block run `after` and commit."""
        assert self._child is not None
        self._child.send("go")

    def wait_done(self, timeout: float = 60) -> str:
        """`committed`, or `failed <first line of the error>`."""
        return self._next(timeout)

    def close(self) -> None:
        if self._child is not None:
            if self._child.proc.poll() is None:
                self._child.proc.kill()
            self._child.end()

    def __enter__(self) -> HeldAtomic:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


@pytest.fixture(scope="session")
def django_template(pg_server: TestServer) -> Iterator[DjangoTemplate]:
    """The clinic project's database, built once per test session (see the module's docstring)."""
    template = build_template(pg_server)
    yield template
    drop_template(template)


@pytest.fixture
def django_db(django_template: DjangoTemplate) -> Iterator[DjangoDB]:
    """A fresh copy of the clinic project's database, dropped after the test."""
    db = django_template.new_database()
    yield db
    django_template.drop_database(db)


def delete_user(db: DjangoDB, schema: str, email: str) -> dict[str, int]:
    """`user.delete()` through the ORM (Django's Python-side cascade); the rows deleted, per model label."""
    code = f"result = User.objects.get(email={email!r}).delete()[1]"
    return dict(run_django(db, code, schema=schema).result)


def check_login(db: DjangoDB, schema: str, email: str, password: str) -> bool:
    """What a login form checks: the account exists, is active, and `check_password` accepts the password."""
    code = (
        f"user = User.objects.filter(email={email!r}, is_active=True).first()\n"
        f"result = user is not None and user.check_password({password!r})"
    )
    return bool(run_django(db, code, schema=schema).result)


def dump_tenant(db: DjangoDB, schema: str, out: Path, *flags: str) -> Path:
    """`manage.py tenant_command dumpdata --schema SCHEMA FLAGS -o OUT`: the seed's JSON backup of a clinic
    (dumpdata compresses when OUT ends in .gz, .bz2 or .xz)."""
    run_django(db, ["tenant_command", "dumpdata", "--schema", schema, *flags, "-o", str(out)], timeout=600)
    return out


def set_password(db: DjangoDB, schema: str, email: str, password: str) -> None:
    """`user.set_password(...)`, `user.save()`: what the clinic's "change password" page does."""
    run_django(db, f"u = User.objects.get(email={email!r})\nu.set_password({password!r})\nu.save()", schema=schema)

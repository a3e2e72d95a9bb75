"""Back up one tenant with pg_dump (plain `.sql` or custom `.dump`).

pg_dump runs on exactly the tenant's schema, as a child in its own process
group (so cancel stops it and anything it started), with the password in its
environment only. It writes under a temporary name in the target folder; the
file is renamed only when pg_dump succeeded. The seed's hybrid (`auto`: pg_dump's custom format when a
fitting pg_dump exists and works, the native archive otherwise) is the backup's choice of format
(app/engine/backup/backup.py).
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import psycopg

from app.engine.backup.destination import ARCHIVE_SUFFIX, Destination, default_archive_name, resolve_out
from app.engine.backup.preflight import check_tenant_name, check_tenant_schema
from app.engine.backup.result import BackupResult
from app.engine.child_process import NO_CONSOLE_WINDOW
from app.engine.connection import ConnectionTarget
from app.engine.errors import (
    ArchiveError,
    Cancelled,
    ConnectionFailed,
    PreflightError,
    ResguardoError,
    TenantBusy,
    UsageError,
)
from app.engine.jobs import CancelToken, Progress, ProgressCallback, ProgressReporter, ignore_progress
from app.engine.pgdump.pgtools import ClientTool, server_major, tool_for_server
from app.engine.safety.locks import tenant_lock
from app.engine.stores.files import partial_file, publish

log = logging.getLogger(__name__)

SUFFIXES = {"sql": ".sql", "custom": ".dump"}
PG_FORMAT_FLAG = {"sql": "p", "custom": "c"}
LOCK_WAIT = "30s"  # pg_dump gives up instead of queueing forever behind an exclusive lock
# pg_dump leads its own process group, so that cancel can stop the whole group.
if sys.platform == "win32":
    _NEW_GROUP_FLAGS = subprocess.CREATE_NEW_PROCESS_GROUP
else:
    _NEW_GROUP_FLAGS = 0
KILL_GRACE_S = 0.5
_TABLE_DONE = "dumping contents of table "


def schema_pattern(schema: str) -> str:
    """pg_dump's --schema pattern that matches exactly `schema`.

    Inside double quotes a pattern is literal (* ? . $ and regex characters
    included); a double quote itself is doubled.
    """
    return '"' + schema.replace('"', '""') + '"'


def default_name(schema: str, fmt: str) -> str:
    return default_archive_name(schema, suffix=SUFFIXES.get(fmt, ARCHIVE_SUFFIX))


def _tables(conn: psycopg.Connection, schema_oid: int) -> list[str]:
    """The schema's tables whose rows pg_dump will dump: what its progress is counted against."""
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT relname FROM pg_catalog.pg_class WHERE relnamespace = %s AND relkind = 'r' ORDER BY relname",
            [schema_oid],
        ).fetchall()
    ]
    conn.rollback()
    return tables


def find_pg_dump(target: ConnectionTarget, extra_dirs: Sequence[Path | str] | None = None) -> ClientTool:
    """The pg_dump that fits the server, or a PreflightError that says what was found and why it does not fit."""
    with target.connect(autocommit=True) as conn:
        return tool_for_server("pg_dump", server_major(conn), extra_dirs)


def pgdump_tenant(
    target: ConnectionTarget,
    schema: str,
    out: Path | str,
    *,
    fmt: str,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    extra_dirs: Sequence[Path | str] | None = None,
    tool: ClientTool | None = None,
    replace: bool = False,
) -> BackupResult:
    """Write `schema` with pg_dump in format "sql" or "custom" to `out` (a file, or a folder for a dated name)."""
    if fmt not in SUFFIXES:
        raise UsageError(f"Unknown pg_dump format {fmt!r}; use sql or custom.")
    started = time.monotonic()
    cancel = cancel or CancelToken()
    destination = resolve_out(out, default_name(schema, fmt), replace=replace)
    check_tenant_name(schema)
    progress(Progress(0.0, "Connecting"))
    with target.connect() as conn:
        tables = _tables(conn, check_tenant_schema(conn, schema, None))
        if tool is None:
            tool = tool_for_server("pg_dump", server_major(conn), extra_dirs)
        conn.autocommit = True
        with tenant_lock(conn, schema):
            fd, tmp = partial_file(destination.path)  # 0600; pg_dump reopens and truncates it, keeping the mode
            try:
                path = _pg_dump_into(tmp, tool, target, schema, fmt, tables, progress, cancel, destination)
            finally:
                os.close(fd)  # held open until now: its lock tells a later run that this one is alive
    size = path.stat().st_size
    return BackupResult(path, size, 0, len(tables), time.monotonic() - started, format=fmt, tool=tool.describe())


def _pg_dump_into(
    tmp: Path,
    tool: ClientTool,
    target: ConnectionTarget,
    schema: str,
    fmt: str,
    tables: list[str],
    progress: ProgressCallback,
    cancel: CancelToken,
    destination: Destination,
) -> Path:
    """pg_dump into `tmp`, which takes the destination's name (the one returned) when pg_dump succeeded."""
    command = [
        str(tool.path),
        f"--format={PG_FORMAT_FLAG[fmt]}",
        f"--schema={schema_pattern(schema)}",
        "--strict-names",
        "--verbose",
        "--no-password",
        f"--lock-wait-timeout={LOCK_WAIT}",
        f"--file={tmp}",
        f"--dbname={target.conninfo}",
    ]
    reporter = ProgressReporter(progress, len(tables) + 1.0)
    # The detail holds no words (the window shows a detail it has no words for as it is).
    reporter.stage("Starting pg_dump", f"{tool.name} {tool.version} ({tool.path})")
    try:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, **target.child_env()},
            creationflags=_NEW_GROUP_FLAGS | NO_CONSOLE_WINDOW,
            start_new_session=sys.platform != "win32",
        )
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise PreflightError(f"{tool.path} could not be started: {exc.strerror or exc}.") from None
    lines: queue.Queue[str | None] = queue.Queue()
    tail: list[str] = []
    reader = threading.Thread(target=_read_stderr, args=(proc, lines), daemon=True)
    reader.start()
    try:
        stderr_ended = False
        while not (stderr_ended and proc.poll() is not None):
            if cancel.wait(0.1):
                _stop(proc)
                raise Cancelled("Cancelled; no file was written.")
            stderr_ended = _drain(lines, tail, reporter) or stderr_ended
        reader.join()
        if proc.returncode != 0:
            raise _failure(proc.returncode, tail, schema)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        path = publish(tmp, destination.path, destination.if_exists)
    except BaseException:
        if proc.poll() is None:
            _stop(proc)
        tmp.unlink(missing_ok=True)
        raise
    reporter.finish("Backup complete")
    return path


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the group, SIGKILL after a short grace period."""
    if sys.platform == "win32" or not hasattr(os, "killpg"):
        proc.kill()
        proc.wait()
        return
    for sig, wait in ((signal.SIGTERM, KILL_GRACE_S), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue


def _read_stderr(proc: subprocess.Popen[bytes], lines: queue.Queue[str | None]) -> None:
    assert proc.stderr is not None
    for raw in proc.stderr:
        lines.put(raw.decode("utf-8", errors="replace").rstrip())
    lines.put(None)


def _drain(lines: queue.Queue[str | None], tail: list[str], reporter: ProgressReporter) -> bool:
    """Handle pg_dump's verbose lines; True once its stderr has ended."""
    while True:
        try:
            line = lines.get_nowait()
        except queue.Empty:
            return False
        if line is None:
            return True
        log.debug("%s", line)
        tail.append(line)
        del tail[:-40]
        at = line.find(_TABLE_DONE)
        if at >= 0:
            reporter.advance(1, "Dumping tables", line[at + len(_TABLE_DONE) :].strip('"'))


def _failure(code: int, tail: list[str], schema: str) -> ResguardoError:
    """The sentence for pg_dump's own failure, from its last lines (tests/data/pgdump_stderr holds real ones).

    pg_dump 15+ names the failed query on a `detail:` line: a lock wait that ran out is a statement timeout
    whose query was `LOCK TABLE`. Only libpq's own words mean "could not connect": a table may be named
    `password_resets`."""
    errors = [ln for ln in tail if "error:" in ln or "detail:" in ln or "FATAL" in ln or "DETAIL" in ln] or tail[-3:]
    first = errors[0].split("error:", 1)[-1].strip() if errors else f"exit status {code}"
    details = "\n".join(tail)
    text = " ".join(errors).lower()
    if "could not connect" in text or "connection to server" in text:
        return ConnectionFailed(f"pg_dump could not connect: {first}; no file was written.", details)
    if "timeout" in text and "query was: lock table" in text:
        return TenantBusy(
            f"pg_dump waited too long for a lock on a table of {schema!r} (another session holds "
            f"it); no file was written. pg_dump said: {first}",
            details,
        )
    if "no space" in text:
        return ArchiveError(f"The disk is full; no file was written. pg_dump said: {first}", details)
    return ResguardoError(f"pg_dump failed: {first}; no file was written.", details)

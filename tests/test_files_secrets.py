"""Files and secrets (issue 10): where a backup may be written, leftovers of killed runs, the log's mode, and
passwords of malformed connection strings kept out of every message."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from app.engine.archive.writer import ArchiveWriter
from app.engine.backup.native import backup_tenant
from app.engine.backup.pgdump import pgdump_tenant
from app.engine.backup.result import BackupResult
from app.engine.connection import ConnectionTarget
from app.engine.errors import ConnectionFailed, PreflightError, UsageError
from app.engine.server.pgserver import embedded_bin_dir
from app.engine.stores.files import STALE_AFTER_SECONDS
from tests.support.cli import run_cli

pytestmark = [pytest.mark.core, pytest.mark.usefixtures("embedded_tools_only")]
TENANT = "bienestar"
Backup = Callable[[ConnectionTarget, Path], BackupResult]
BACKUPS: dict[str, Backup] = {
    "native": lambda target, out: backup_tenant(target, TENANT, out),
    "pg_dump": lambda target, out: pgdump_tenant(target, TENANT, out, fmt="sql", extra_dirs=[embedded_bin_dir()]),
}


def _device(folder: Path) -> Path:
    """A character device to aim --out at: a null device node of our own as root (so that a failure cannot
    replace the machine's /dev/null), the machine's /dev/null otherwise (which we could not replace anyway)."""
    if os.geteuid() != 0:
        return Path("/dev/null")
    node = folder / "null"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    return node


@pytest.mark.parametrize("kind", BACKUPS)
def test_out_is_a_new_file_a_regular_file_or_a_folder_never_a_device_or_a_pipe(
    demo_db: ConnectionTarget, tmp_path: Path, kind: str
) -> None:
    backup = BACKUPS[kind]
    device = _device(tmp_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link"
    link.symlink_to(device)
    for out in (device, fifo, link):
        with pytest.raises(
            PreflightError,
            match=f"{out} is not a regular file .a device, a pipe or a socket.; give "
            "the name of a new file, of a backup file to replace, or of a folder",
        ):
            backup(demo_db, out)
    assert stat.S_ISCHR(os.stat(device).st_mode) and stat.S_ISFIFO(os.stat(fifo).st_mode) and link.is_symlink()
    existing = tmp_path / "existing.backup"
    existing.write_bytes(b"yesterday")
    with pytest.raises(UsageError, match=r"existing\.backup already exists, and a backup never replaces a file"):
        backup(demo_db, existing)  # replaced only when told to (tests/test_backup_names.py)
    assert existing.read_bytes() == b"yesterday"
    folder = tmp_path / "folder"
    folder.mkdir()
    dated = backup(demo_db, folder).path  # a folder means a dated file inside it
    assert dated.parent == folder and dated.name.startswith(f"{TENANT}_")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")) == []


def test_the_cli_refuses_a_device_in_one_line(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    device = _device(tmp_path)
    result = run_cli("backup", "--dsn", demo_db.conninfo, "--tenant", TENANT, "--out", str(device))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"resguardo: {device} is not a regular file (a device, a pipe or a socket); give "
        "the name of a new file, of a backup file to replace, or of a folder."
    )
    assert stat.S_ISCHR(os.stat(device).st_mode)


# ---------------------------------------------------------------- leftovers of killed runs

_WRITER = """
import sys, time
from pathlib import Path
from app.engine.archive.writer import ArchiveWriter
writer = ArchiveWriter(Path(sys.argv[1]))
print(writer.temp_path, flush=True)
time.sleep(600)
"""


def _killed_writer(final: Path) -> tuple[subprocess.Popen[str], Path]:
    """A process in the middle of writing a backup (its `.partial` made and locked), to be killed."""
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(final)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, Path(proc.stdout.readline().strip())


def _age(path: Path, seconds: float = STALE_AFTER_SECONDS + 60) -> Path:
    old = time.time() - seconds
    os.utime(path, (old, old), follow_symlinks=False)
    return path


def _leftover(path: Path, *, aged: bool = True) -> Path:
    path.write_bytes(b"")
    return _age(path) if aged else path


@pytest.mark.parametrize("kind", BACKUPS)
def test_partial_files_of_killed_runs_are_removed_by_the_next_run_and_only_those(
    demo_db: ConnectionTarget, tmp_path: Path, kind: str
) -> None:
    final = tmp_path / "b.resguardo"
    killed, left = _killed_writer(final)
    alive, writing = _killed_writer(final)
    try:
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        _age(left)
        keep = [
            _age(writing),  # old, but its writer still holds the lock: a backup that is still running
            _leftover(tmp_path / ".b.resguardo.fr3shabc.partial", aged=False),  # maybe another computer's
            *(
                _leftover(tmp_path / name)
                for name in (  # not our name pattern
                    "notours.partial",
                    ".b.resguardo.partial",
                    "b.resguardo.abcdefgh.partial",
                    ".b.resguardo.abcdefgh.partial.txt",
                )
            ),
        ]
        (tmp_path / ".dir.abcdefgh.partial").mkdir()
        keep.append(_age(tmp_path / ".dir.abcdefgh.partial"))  # not a file
        if os.geteuid() == 0:  # another user's leftover is not ours to remove
            theirs = _leftover(tmp_path / ".b.resguardo.th3irsab.partial")
            os.chown(theirs, 65534, 65534)
            keep.append(theirs)
        assert left.exists()
        BACKUPS[kind](demo_db, tmp_path / ("b.resguardo" if kind == "native" else "b.sql"))
        assert not left.exists()
        assert [p.name for p in keep if not p.exists()] == []
    finally:
        alive.kill()
        alive.wait()


# ---------------------------------------------------------------- the log file


def test_the_log_file_is_the_owners_only(private_home: Path) -> None:
    import logging
    import logging.handlers

    from app.ui.logging_setup import log_file, setup_logging

    old = log_file()
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_text("a log written by an older version\n")
    old.chmod(0o644)
    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        path = setup_logging()
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        handler = next(h for h in root.handlers if isinstance(h, logging.handlers.RotatingFileHandler))
        handler.doRollover()
        logging.getLogger("resguardo.test").warning("after the rollover")
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(f"{path}.1").st_mode) == 0o600
    finally:
        for h in root.handlers:
            if h not in handlers:
                root.removeHandler(h)
                h.close()


# ---------------------------------------------------------------- passwords in connection strings

SECRET = "s3cr3tPw"
BAD_DSNS = [
    f"postgresql://u:{SECRET}@host:badport/db",
    f"host=x password={SECRET} port=",
    f"postgresql://u:{SECRET}@[::1/db",  # an unclosed bracket: libpq quotes the whole URI
    f"postgresql://u:{SECRET}%zz@host/db",  # a bad percent-encoding inside the password: libpq quotes it
    f"host=x password='{SECRET} port=5432",  # an unterminated quote
    f"postgresql://host/db?password={SECRET}&nosuchoption=1",
    f"host=x password={SECRET} nosuchoption=1",
    f"postgresql://u:{SECRET}@127.0.0.1:1/db",  # well formed, nothing listens there
]


@pytest.mark.parametrize("dsn", BAD_DSNS)
def test_no_message_echoes_the_password_of_a_connection_string(dsn: str) -> None:
    try:
        target = ConnectionTarget.from_dsn(dsn)
    except ConnectionFailed as exc:
        message = exc.message
        assert message.startswith("The connection string is not valid: ")
    else:
        assert SECRET not in target.conninfo
        with pytest.raises(ConnectionFailed) as caught:
            ConnectionTarget(target.conninfo, target.password, 2).connect()
        message = caught.value.message + caught.value.details
    assert SECRET not in message and SECRET[2:-2] not in message, message


@pytest.mark.parametrize("dsn", [BAD_DSNS[2], BAD_DSNS[3], BAD_DSNS[7]])
def test_the_cli_never_prints_nor_logs_the_password(dsn: str, private_home: Path) -> None:
    """Through --dsn (with --debug, which adds the traceback and details) and through RESGUARDO_DSN."""
    for args, env in ((["--debug", "tenants", "--dsn", dsn], {}), (["tenants"], {"RESGUARDO_DSN": dsn})):
        result = run_cli(*args, env=env)
        assert result.returncode == 1
        assert SECRET not in result.stdout + result.stderr
        assert "resguardo: " in result.stderr
    for path in private_home.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), path


def test_an_engine_error_logged_by_the_window_never_holds_the_password(private_home: Path) -> None:
    import logging

    from app.ui.logging_setup import setup_logging

    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        path = setup_logging()
        for dsn in BAD_DSNS[2:7]:  # those libpq cannot read
            with pytest.raises(ConnectionFailed) as caught:
                ConnectionTarget.from_dsn(dsn)
            logging.getLogger("resguardo.test").error("Connecting failed: %s (%s)", caught.value.message, dsn)
        for h in root.handlers:
            h.flush()
        text = path.read_text()
        assert "Connecting failed: The connection string is not valid" in text
        assert SECRET not in text
    finally:
        for h in root.handlers:
            if h not in handlers:
                root.removeHandler(h)
                h.close()


def test_a_writer_holds_its_partial_file_locked(tmp_path: Path) -> None:
    """What lets a later run tell a killed writer's leftover from a running one's file."""
    import fcntl

    with ArchiveWriter(tmp_path / "b.resguardo") as writer:
        fd = os.open(writer.temp_path, os.O_RDONLY)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)

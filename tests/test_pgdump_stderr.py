"""The sentence a pg_dump or pg_restore failure becomes, from what the real tools wrote (tests/data/pgdump_stderr).

Each recorded stderr is replayed, with the real tool's exit, by a stand-in that is run exactly as the real one
(a child process, its stderr read on a thread, its last lines kept): only the tool is replaced.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.engine.backup.pgdump import pgdump_tenant
from app.engine.connection import ConnectionTarget
from app.engine.errors import ArchiveError, ConnectionFailed, ResguardoError, TenantBusy
from app.engine.jobs import CancelToken
from app.engine.pgdump.pgtools import ClientTool
from app.engine.pgdump.source import open_pgdump_source
from app.engine.server.pgserver import embedded_bin_dir
from tests.support.pg import TestServer

RECORDED = Path(__file__).resolve().parent / "data" / "pgdump_stderr"


def replaying(folder: Path, name: str, recording: str, *, crash: bool = False) -> ClientTool:
    """A stand-in `name` that writes the recorded stderr and fails as the real tool did (exit 1, or signal 11)."""
    folder.mkdir(exist_ok=True)
    script = folder / name
    ending = "ulimit -c 0; kill -SEGV $$" if crash else "exit 1"
    script.write_text(
        f"#!/bin/sh\ncase \"$1\" in --version) echo '{name} (PostgreSQL) 99.0'; exit 0;; esac\n"
        f"cat '{RECORDED / recording}' >&2\n{ending}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return ClientTool(name, script, 99, "99.0")


@pytest.fixture(scope="module")
def clinics(pg_server: TestServer) -> Iterator[ConnectionTarget]:
    """One database of demo clinics for the module: a failing pg_dump changes nothing in it."""
    target = pg_server.new_database()
    yield target
    pg_server.drop_database(target)


@pytest.fixture(scope="module")
def custom_dump(clinics: ConnectionTarget, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real custom-format dump of bienestar: its header picks the pg_restore, which then fails."""
    folder = tmp_path_factory.mktemp("dump")
    tool = ClientTool("pg_dump", embedded_bin_dir() / "pg_dump", 18, "embedded")
    return pgdump_tenant(clinics, "bienestar", folder / "bienestar.dump", fmt="custom", tool=tool).path


PG_DUMP = [
    (
        "pg_dump_wrong_password.txt",
        ConnectionFailed,
        'pg_dump could not connect: connection to server at "127.0.0.1", port 48649 failed: FATAL:  password '
        'authentication failed for user "rg_rec_pw"; no file was written.',
    ),
    (
        "pg_dump_no_password.txt",
        ConnectionFailed,
        'pg_dump could not connect: connection to server at "127.0.0.1", port 48649 failed: fe_sendauth: no password '
        "supplied; no file was written.",
    ),
    (
        "pg_dump_missing_database.txt",
        ConnectionFailed,
        'pg_dump could not connect: connection to server at "127.0.0.1", port 48649 failed: FATAL:  database '
        '"clinicas_no_existe" does not exist; no file was written.',
    ),
    (
        "pg_dump_server_down.txt",
        ConnectionFailed,
        'pg_dump could not connect: connection to server at "127.0.0.1", port 38915 failed: Connection refused; '
        "no file was written.",
    ),
    (
        "pg_dump_permission_denied.txt",
        ResguardoError,
        "pg_dump failed: query failed: ERROR:  permission denied for table password_resets; no file was written.",
    ),
    (
        "pg_dump_lock_timeout.txt",
        TenantBusy,
        "pg_dump waited too long for a lock on a table of 'bienestar' (another session holds it); no file was "
        "written. pg_dump said: query failed: ERROR:  canceling statement due to statement timeout",
    ),
    (
        "pg_dump_15_lock_timeout.txt",
        TenantBusy,
        "pg_dump waited too long for a lock on a table of 'bienestar' (another session holds it); no file was "
        "written. pg_dump said: query failed: ERROR:  canceling statement due to statement timeout",
    ),
    (
        "pg_dump_server_version_mismatch.txt",
        ResguardoError,
        "pg_dump failed: aborting because of server version mismatch; no file was written.",
    ),
    (
        "pg_dump_disk_full.txt",
        ArchiveError,
        "The disk is full; no file was written. pg_dump said: could not write to output file: No space left on device",
    ),
]


@pytest.mark.parametrize("recording, kind, sentence", PG_DUMP, ids=[r for r, _, _ in PG_DUMP])
def test_a_pg_dump_failure_is_named_by_its_cause_and_writes_no_file(
    clinics: ConnectionTarget, tmp_path: Path, recording: str, kind: type[ResguardoError], sentence: str
) -> None:
    tool = replaying(tmp_path / "bin", "pg_dump", recording)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ResguardoError) as caught:
        pgdump_tenant(clinics, "bienestar", out / "bienestar.dump", fmt="custom", tool=tool)
    assert type(caught.value) is kind
    assert caught.value.message == sentence
    recorded = [line.rstrip() for line in (RECORDED / recording).read_text().splitlines()]
    assert caught.value.details == "\n".join(recorded[-40:])  # its last lines, for the details and the log
    assert os.listdir(out) == []


PG_RESTORE = [
    ("pg_restore_truncated.txt", "could not read from input file: end of file"),
    ("pg_restore_damaged.txt", "could not uncompress data: incorrect data check"),
    ("pg_restore_crashed.txt", "it stopped with an error"),
    ("pg_restore_not_an_archive.txt", "input file does not appear to be a valid archive (too short?)"),
    ("pg_restore_too_new.txt", "unsupported version (1.16) in file header"),
    ("pg_restore_missing_file.txt", 'could not open input file "/tmp/rec/work/gone.dump": No such file or directory'),
]


@pytest.mark.parametrize("recording, said", PG_RESTORE, ids=[r for r, _ in PG_RESTORE])
def test_a_pg_restore_failure_says_the_file_cannot_be_read_in_full_and_what_pg_restore_said(
    custom_dump: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recording: str, said: str
) -> None:
    monkeypatch.setenv("RESGUARDO_PG_BIN_ONLY", "1")
    tool = replaying(tmp_path / "bin", "pg_restore", recording, crash=recording == "pg_restore_crashed.txt")
    with pytest.raises(ArchiveError) as caught:
        open_pgdump_source(custom_dump, CancelToken(), [tool.path.parent])
    assert caught.value.message == (
        f"bienestar.dump cannot be read in full by pg_restore (damaged or truncated): {said}."
    )
    assert caught.value.details == f"pg_restore 99.0 at {tool.path}\n{(RECORDED / recording).read_text()}"


def test_every_recording_is_replayed_here() -> None:
    recorded = {p.name for p in RECORDED.glob("*.txt")}
    replayed = {r for r, _, _ in PG_DUMP} | {r for r, _ in PG_RESTORE}
    assert recorded == replayed and len(recorded) == 15

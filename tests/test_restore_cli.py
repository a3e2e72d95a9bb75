"""The acceptance story through the command line, and its confirmation and failure lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.engine.connection import ConnectionTarget
from app.engine.server.demo import django_password_verifies
from tests.support.cli import run_cli
from tests.support.restore import (
    PATIENT,
    delete_patient,
    emails,
    fingerprint,
    other_schemas,
    password_hash,
    resguardo_schemas,
    set_password,
)

pytestmark = pytest.mark.core


def test_acceptance_story_through_the_cli(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    dsn = ("--dsn", demo_db.conninfo)
    archive = tmp_path / "bienestar.resguardo"
    assert run_cli("backup", "--tenant", "bienestar", "--out", str(archive), *dsn).returncode == 0
    delete_patient(demo_db)
    set_password(demo_db, "bienestar", "admin@gmail.com", "de-hoy")
    after_deletion = fingerprint(demo_db, "bienestar")
    others = other_schemas(demo_db, "bienestar")

    refused = run_cli("restore", "--tenant", "bienestar", "--file", str(archive), *dsn, input="mindcare\n")
    assert refused.returncode == 1
    assert refused.stderr.strip() == "resguardo: Cancelled. Nothing was changed."
    assert "users_customuser: 9 in the file, 8 now" in refused.stdout
    assert "Administrator accounts kept: admin@gmail.com" in refused.stdout
    assert fingerprint(demo_db, "bienestar") == after_deletion

    done = run_cli("restore", "--tenant", "bienestar", "--file", str(archive), *dsn, input="bienestar\n")
    assert done.returncode == 0, done.stderr
    copy = re.search(r"Safety copy of the previous bienestar: (\S+)", done.stdout)
    assert copy and (copy.group(1), "safety-copy") in resguardo_schemas(demo_db)
    assert PATIENT in emails(demo_db, "bienestar")
    assert django_password_verifies("de-hoy", password_hash(demo_db, "bienestar", "admin@gmail.com") or "")
    assert other_schemas(demo_db, "bienestar") == others

    undone = run_cli("undo-restore", "--tenant", "bienestar", "--yes", *dsn)
    assert undone.returncode == 0, undone.stderr
    assert fingerprint(demo_db, "bienestar") == after_deletion
    assert other_schemas(demo_db, "bienestar") == others
    ((newest, _),) = resguardo_schemas(demo_db)
    dropped = run_cli("discard-safety-copy", "--schema", newest, "--yes", *dsn)
    assert dropped.returncode == 0, dropped.stderr
    assert resguardo_schemas(demo_db) == []


def test_every_failure_is_one_line_saying_nothing_was_changed(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    dsn = ("--dsn", demo_db.conninfo)
    archive = tmp_path / "mindcare.resguardo"
    assert run_cli("backup", "--tenant", "mindcare", "--out", str(archive), *dsn).returncode == 0
    before = fingerprint(demo_db, "bienestar")
    for args in (
        ("--tenant", "public", "--allow-other-tenant"),
        ("--tenant", "bienestar"),
        ("--tenant", "bienestar", "--file", str(tmp_path / "missing.resguardo")),
    ):
        file_args = () if "--file" in args else ("--file", str(archive))
        result = run_cli("restore", *args, *file_args, "--yes", *dsn)
        assert result.returncode == 1, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].endswith(". Nothing was changed."), lines
        if args == ("--tenant", "bienestar"):  # the engine names the choice; the CLI adds its flag
            assert lines[0].endswith("allow another tenant's backup (--allow-other-tenant). Nothing was changed.")
    assert fingerprint(demo_db, "bienestar") == before
    undo = run_cli("undo-restore", "--tenant", "bienestar", "--yes", *dsn)
    assert undo.returncode == 1 and "no safety copy" in undo.stderr


def test_a_locked_tenant_makes_the_cli_give_up_in_the_time_given(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    """A session holding a live table: the restore tries for --lock-wait seconds, each attempt making the web
    application wait at most --lock-attempt, then names the table and the session and changes nothing."""
    dsn = ("--dsn", demo_db.conninfo)
    archive = tmp_path / "bienestar.resguardo"
    assert run_cli("backup", "--tenant", "bienestar", "--out", str(archive), *dsn).returncode == 0
    before = fingerprint(demo_db, "bienestar")
    with demo_db.connect() as holder:
        holder.execute("SET application_name = 'clinic-web'")
        holder.execute("LOCK TABLE bienestar.users_customuser IN ROW EXCLUSIVE MODE")
        pid = holder.info.backend_pid
        refused = run_cli(
            "restore",
            "--tenant",
            "bienestar",
            "--file",
            str(archive),
            "--yes",
            *dsn,
            "--lock-attempt",
            "0.2",
            "--lock-wait",
            "1",
        )
        holder.rollback()
    assert refused.returncode == 1
    line = refused.stderr.strip()
    assert line.startswith(
        "resguardo: The restore gave up after 1 s: the table bienestar.users_customuser was kept "
        f"locked by session {pid} (clinic-web, from 127.0.0.1, idle in transaction since "
    ), line
    assert line.endswith(". Nothing was changed."), line
    assert fingerprint(demo_db, "bienestar") == before and resguardo_schemas(demo_db) == []


@pytest.mark.parametrize("value", ["0", "-1", "soon", "100000"])
def test_lock_options_take_a_sensible_number_of_seconds(value: str) -> None:
    refused = run_cli(
        "restore", "--tenant", "bienestar", "--file", "x.resguardo", "--dsn", "host=nowhere", "--lock-attempt", value
    )
    assert refused.returncode == 2
    assert "--lock-attempt" in refused.stderr and value in refused.stderr


def test_undo_and_discard_take_the_tenants_table_as_restore_does(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    """Where detection is ambiguous the engine asks for the tenants table; undo-restore and discard-safety-copy
    must be able to name it, as restore, backup and tenants can."""
    dsn = ("--dsn", demo_db.conninfo)
    archive = tmp_path / "bienestar.resguardo"
    assert run_cli("backup", "--tenant", "bienestar", "--out", str(archive), *dsn).returncode == 0
    assert run_cli("restore", "--tenant", "bienestar", "--file", str(archive), "--yes", *dsn).returncode == 0
    ((copy, _),) = resguardo_schemas(demo_db)
    for args in (("undo-restore", "--tenant", "bienestar"), ("discard-safety-copy", "--schema", copy)):
        result = run_cli(*args, "--tenants-table", "public.nothing_here", "--yes", *dsn)
        assert result.returncode == 1, result.stderr
        assert result.stderr.strip() == (
            "resguardo: The tenants table 'public.nothing_here' does not exist. Nothing was changed."
        )
    assert resguardo_schemas(demo_db) == [(copy, "safety-copy")]


def test_another_tenants_backup_is_said_first_as_a_replacement(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    """The preview's first line says what happens: Mindcare's backup replaces Bienestar's data (issue 23.1)."""
    dsn = ("--dsn", demo_db.conninfo)
    archive = tmp_path / "mindcare.resguardo"
    assert run_cli("backup", "--tenant", "mindcare", "--out", str(archive), *dsn).returncode == 0
    before = fingerprint(demo_db, "bienestar")
    shown = run_cli("restore", "--tenant", "bienestar", "--file", str(archive), "--allow-other-tenant", *dsn)
    first = shown.stdout.splitlines()[0]
    assert first.startswith("WARNING: bienestar's data will be replaced by mindcare's (a backup of another tenant"), (
        shown.stdout
    )
    assert "rollback" not in shown.stdout and fingerprint(demo_db, "bienestar") == before  # nothing typed, nothing done

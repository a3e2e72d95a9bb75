"""Rehearsed restores (`verify --restore-test`): a backup loads into a staging schema through the restore's safe path,
every table is checked against the file, the staging schema goes, the live clinic is never touched."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from app.engine.backup.native import backup_tenant
from app.engine.backup.pgdump import pgdump_tenant
from app.engine.connection import ConnectionTarget
from app.engine.errors import Cancelled, RestoreFailed
from app.engine.jobs import CancelToken, Progress
from app.engine.rehearsal.rehearsal import RehearsalFailed, rehearse_restore
from app.engine.routine.found import FoundBackup, read_backup
from app.engine.routine.verified import VerifiedStore, read_restore_test, restore_test_path
from tests.support.cli import run_cli
from tests.support.restore import fingerprint, other_schemas, resguardo_schemas, rewrite_archive

pytestmark = pytest.mark.core


@pytest.fixture
def archive(demo_db: ConnectionTarget, tmp_path: Path) -> Path:
    path = tmp_path / "bienestar.resguardo"
    backup_tenant(demo_db, "bienestar", path)
    with demo_db.connect() as conn:  # the live clinic differs from the file, so "untouched" means something
        conn.execute("UPDATE bienestar.users_customuser SET first_name = 'Cambiado'")
    return path


def _state(target: ConnectionTarget) -> dict[str, object]:
    """Every schema's name, the tenants table's rows, and the fingerprints of the clinic and of every other schema."""
    with target.connect() as conn:
        schemas = [  # Resguardo's record, made by its first job, aside: resguardo_schemas() says it holds nothing
            r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname <> 'resguardo' ORDER BY 1")
        ]
        tenants = conn.execute("SELECT * FROM public.customers_client ORDER BY id").fetchall()
    return {
        "schemas": schemas,
        "tenants": tenants,
        **other_schemas(target, "bienestar"),
        "bienestar": fingerprint(target, "bienestar"),
    }


def test_a_native_backup_rehearses_ok_and_leaves_the_database_as_it_was(
    demo_db: ConnectionTarget, archive: Path
) -> None:
    before = _state(demo_db)
    done = run_cli("verify", "--restore-test", "--file", str(archive), "--dsn", demo_db.conninfo)
    assert done.returncode == 0, done.stderr
    assert "OK: restore test of bienestar.resguardo passed" in done.stdout
    assert "every table's row count and checksum match the file" in done.stdout
    assert _state(demo_db) == before and resguardo_schemas(demo_db) == []
    record = read_restore_test(archive)
    assert record is not None and record["restore_test"]["ok"] is True
    assert record["restore_test"]["tenant"] == "bienestar"
    tables = record["restore_test"]["tables"]
    assert tables and all(t["checksum_ok"] and t["rows"] == t["expected_rows"] for t in tables)
    found = read_backup(archive)
    assert isinstance(found, FoundBackup) and record["checksum"] == found.checksum
    assert VerifiedStore().is_verified(found)  # prune counts it as verified
    assert not done.stderr


def test_tampered_rows_fail_naming_the_table_and_leave_no_staging_schema(
    demo_db: ConnectionTarget, archive: Path, tmp_path: Path
) -> None:
    damaged = rewrite_archive(
        archive,
        tmp_path / "damaged.resguardo",
        fix_checksums=False,
        table_data=lambda name, raw: raw.replace(b"Madrid", b"Madrix") if name == "core_clinicsettings" else raw,
    )
    before = _state(demo_db)
    done = run_cli("verify", "--restore-test", "--file", str(damaged), "--dsn", demo_db.conninfo)
    assert done.returncode == 1 and "core_clinicsettings" in done.stderr, done.stderr
    assert _state(demo_db) == before and resguardo_schemas(demo_db) == []
    record = json.loads(restore_test_path(damaged).read_text())
    assert record["restore_test"]["ok"] is False and "core_clinicsettings" in record["restore_test"]["error"]


def test_rows_the_database_holds_otherwise_than_the_file_fail_the_check(
    demo_db: ConnectionTarget, archive: Path, tmp_path: Path
) -> None:
    """A file whose checksums are all consistent, but whose own trigger changes a table's rows as they load: the
    load succeeds, the read-back check names the table."""
    trigger = [
        (
            "function other_phone",
            "CREATE FUNCTION other_phone() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.phone := '000';"
            " RETURN NEW; END $$;\n",
        ),
        (
            "trigger other_phone",
            "CREATE TRIGGER other_phone BEFORE INSERT ON core_clinicsettings FOR EACH ROW"
            " EXECUTE FUNCTION other_phone();\n",
        ),
    ]
    changed = rewrite_archive(archive, tmp_path / "changed.resguardo", pre_extra=trigger)
    before = _state(demo_db)
    with pytest.raises(RehearsalFailed, match="core_clinicsettings") as caught:
        rehearse_restore(demo_db, changed)
    assert caught.value.result is not None and [t.name for t in caught.value.result.failed_tables] == [
        "core_clinicsettings"
    ]
    assert _state(demo_db) == before and resguardo_schemas(demo_db) == []


def test_cancel_and_a_killed_connection_leave_no_staging_schema(demo_db: ConnectionTarget, archive: Path) -> None:
    before = _state(demo_db)
    token = CancelToken()

    def cancel_on_load(p: Progress) -> None:
        if p.stage == "Loading rows":
            token.cancel()

    with pytest.raises(Cancelled):
        rehearse_restore(demo_db, archive, progress=cancel_on_load, cancel=token)
    assert _state(demo_db) == before and resguardo_schemas(demo_db) == []
    token = CancelToken()

    def cancel_on_check(p: Progress) -> None:
        if p.stage == "Checking every table against the file":
            token.cancel()

    with pytest.raises(Cancelled):
        rehearse_restore(demo_db, archive, progress=cancel_on_check, cancel=token)
    assert _state(demo_db) == before and resguardo_schemas(demo_db) == []

    killed: list[int] = []

    def kill_on_load(p: Progress) -> None:
        if p.stage == "Loading rows" and not killed:
            with psycopg.connect(demo_db.conninfo, autocommit=True) as admin:
                rows = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchall()
            killed.append(len(rows))

    with pytest.raises(RestoreFailed):
        rehearse_restore(demo_db, archive, progress=kill_on_load)
    assert killed and killed[0] >= 3
    assert _state(demo_db) == before and resguardo_schemas(demo_db) == []


@pytest.mark.usefixtures("embedded_tools_only")
def test_a_pg_dump_custom_file_rehearses_with_its_rows_counted(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    dump = pgdump_tenant(demo_db, "bienestar", tmp_path / "bienestar.dump", fmt="custom").path
    before = _state(demo_db)
    result = rehearse_restore(demo_db, dump)
    assert result.ok and result.kind == "pg_dump-custom" and result.rows > 0
    assert all(t.checksum_ok is None for t in result.tables)
    assert _state(demo_db) == before and resguardo_schemas(demo_db) == []


def test_command_line_mistakes_exit_2(archive: Path) -> None:
    done = run_cli("verify", "--file", str(archive), "--tenant", "bienestar")
    assert done.returncode == 2 and "--restore-test" in done.stderr


def test_the_web_application_never_waits_for_a_restore_test(demo_db: ConnectionTarget, archive: Path) -> None:
    """At every stage the live clinic's tables take a write at once (a lock wait would fail it within 0.5 s)."""
    written: list[str] = []
    with psycopg.connect(demo_db.conninfo, autocommit=True) as app:
        app.execute("SET lock_timeout = '500ms'")

        def write(p: Progress) -> None:
            if not written or written[-1] != p.stage:
                app.execute("UPDATE bienestar.users_customuser SET last_name = last_name || ''")
                with app.transaction():  # no lock at all is held on the live tables
                    app.execute("LOCK TABLE bienestar.core_clinicsettings IN ACCESS EXCLUSIVE MODE NOWAIT")
                written.append(p.stage)

        result = rehearse_restore(demo_db, archive, progress=write)
    assert result.ok and "Loading rows" in written and "Checking every table against the file" in written

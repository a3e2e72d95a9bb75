"""`backup --all`: every clinic into its own folder, a failing or busy clinic never stopping the others."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from app.engine.archive.container import ArchiveReader
from app.engine.backup.many import ClinicOutcome, ClinicStatus, FailureKind, backup_all
from app.engine.backup.native import backup_tenant
from app.engine.catalog.discovery import list_tenants
from app.engine.connection import ConnectionTarget
from app.engine.errors import PreflightError, UsageError
from app.engine.safety.locks import tenant_lock
from app.engine.safety.naming import safety_copy_name
from app.engine.safety.registry import SchemaKind, ensure_registry, record
from tests.support.cli import run_cli

pytestmark = pytest.mark.core

ROLE = "nightly"


def add_clinic(conn: psycopg.Connection, schema: str) -> None:
    """A small clinic: a schema with one table of two rows, and its tenant row."""
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    conn.execute(sql.SQL("CREATE TABLE {} (id int PRIMARY KEY, note text)").format(sql.Identifier(schema, "notes")))
    conn.execute(sql.SQL("INSERT INTO {} VALUES (1, 'a'), (2, 'b')").format(sql.Identifier(schema, "notes")))
    conn.execute(
        "INSERT INTO public.customers_client (schema_name, name, paid_until, on_trial, created_on)"
        " VALUES (%s, %s, now(), false, now())",
        [schema, schema.title()],
    )


def nightly_role(admin: ConnectionTarget, readable: list[str]) -> ConnectionTarget:
    """A backup role that can read `readable` and the tenants table, and nothing else."""
    with admin.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(ROLE)))
        for schema in ["public", *readable]:
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), sql.Identifier(ROLE)))
            for kind in ("TABLES", "SEQUENCES"):
                conn.execute(
                    sql.SQL("GRANT SELECT ON ALL {} IN SCHEMA {} TO {}").format(
                        sql.SQL(kind), sql.Identifier(schema), sql.Identifier(ROLE)
                    )
                )
    return ConnectionTarget(make_conninfo(admin.conninfo, user=ROLE))


@pytest.fixture
def clinics(demo_db: ConnectionTarget) -> Iterator[ConnectionTarget]:
    """The demo's two clinics, `zafiro` (healthy), `sellada` (the backup role may not read it), a safety copy of
    bienestar and Resguardo's record; connects as the backup role."""
    with demo_db.connect() as conn:
        add_clinic(conn, "zafiro")
        add_clinic(conn, "sellada")
        ensure_registry(conn)
        copy = safety_copy_name("bienestar")
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(copy)))
        oid = conn.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [copy]).fetchone()
        owner = conn.execute("SELECT oid FROM pg_roles WHERE rolname = current_user").fetchone()
        assert oid and owner
        record(conn, oid[0], copy, SchemaKind.SAFETY_COPY, "bienestar", owner[0])
        conn.commit()
    yield nightly_role(demo_db, ["mindcare", "bienestar", "zafiro"])
    with demo_db.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(ROLE)))
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(ROLE)))


def backups(folder: Path) -> dict[str, list[str]]:
    return {d.name: sorted(f.name for f in d.iterdir()) for d in sorted(folder.iterdir())}


def test_cli_backs_up_every_clinic_and_reports_the_failed_and_the_busy_one(
    demo_db: ConnectionTarget, clinics: ConnectionTarget, tmp_path: Path
) -> None:
    with demo_db.connect() as holder, tenant_lock(holder, "mindcare"):  # a restore of mindcare is running
        done = run_cli("backup", "--all", "--out", str(tmp_path), "--dsn", clinics.conninfo, "--jobs", "2")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    by_clinic = {line.split()[1].rstrip(":"): line for line in lines[:-1]}
    assert sorted(by_clinic) == ["bienestar", "mindcare", "sellada", "zafiro"], done.stdout  # no copy, no public
    assert by_clinic["bienestar"].startswith("ok ") and by_clinic["zafiro"].startswith("ok ")
    assert by_clinic["sellada"] == (
        "failed  sellada: The user 'nightly' has no privilege to use the schema 'sellada'. (at the retry)"
    )
    assert by_clinic["mindcare"].startswith("busy    mindcare: Tenant 'mindcare' is busy: another backup or restore")
    assert lines[-1].startswith("2 of 4 clinics backed up (")
    assert lines[-1].endswith("; failed: 'sellada'; busy: 'mindcare'.")
    written = backups(tmp_path)
    assert sorted(written) == ["bienestar", "zafiro"]  # the failed clinics leave no folder behind
    for schema, [name] in written.items():
        assert name.startswith(f"{schema}_") and name.endswith("Z.resguardo")
        with ArchiveReader(tmp_path / schema / name) as reader:
            assert reader.raw_manifest["source_schema"] == schema
            assert reader.raw_manifest["tenant"]["table"] == "public.customers_client"
    assert by_clinic["zafiro"].startswith(f"ok      zafiro: {tmp_path / 'zafiro' / written['zafiro'][0]}, ")


def test_each_clinic_not_backed_up_carries_the_kind_of_its_failure(
    demo_db: ConnectionTarget, clinics: ConnectionTarget, tmp_path: Path
) -> None:
    """So that the window can say it in the user's language (the sentence is the engine's, in English)."""
    with demo_db.connect() as holder, tenant_lock(holder, "mindcare"):
        result = backup_all(clinics, tmp_path, schemas=["nadie", "mindcare", "bienestar", "sellada"])
    kinds = {c.schema: (c.status, c.kind) for c in result.clinics}
    assert kinds == {
        "nadie": (ClinicStatus.FAILED, FailureKind.NOT_A_CLINIC),
        "mindcare": (ClinicStatus.BUSY, FailureKind.BUSY),
        "bienestar": (ClinicStatus.BACKED_UP, FailureKind.NONE),
        "sellada": (ClinicStatus.FAILED, FailureKind.REFUSED),  # no privilege to read it
    }
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "zafiro").write_text("a file where the clinic's folder goes")
    [zafiro] = backup_all(clinics, tmp_path / "full", schemas=["zafiro"]).clinics
    assert (zafiro.status, zafiro.kind) == (ClinicStatus.FAILED, FailureKind.CANNOT_WRITE), zafiro.error


def test_a_clinic_busy_at_first_is_backed_up_at_the_retry_after_the_others(
    demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    with demo_db.connect() as conn:
        add_clinic(conn, "zafiro")
        conn.commit()
    holder = demo_db.connect()
    locked = tenant_lock(holder, "mindcare")
    locked.__enter__()
    seen: list[ClinicOutcome] = []
    released = threading.Event()

    def finished(outcome: ClinicOutcome) -> None:
        seen.append(outcome)
        if len(seen) == 2:  # the others are done: the job that held mindcare ends
            locked.__exit__(None, None, None)
            released.set()

    try:
        result = backup_all(demo_db, tmp_path, jobs=1, on_clinic=finished)
    finally:
        if not released.is_set():
            locked.__exit__(None, None, None)
        holder.close()
    assert [(c.schema, c.status, c.attempts) for c in seen] == [
        ("bienestar", ClinicStatus.BACKED_UP, 1),
        ("zafiro", ClinicStatus.BACKED_UP, 1),
        ("mindcare", ClinicStatus.BACKED_UP, 2),
    ]
    assert result.ok and [c.schema for c in result.clinics] == ["bienestar", "mindcare", "zafiro"]
    assert all(c.path is not None and c.path.parent == tmp_path / c.schema for c in result.clinics)
    assert result.summary().startswith("3 of 3 clinics backed up")


def test_chosen_clinics_pg_dump_format_and_bad_arguments(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    result = backup_all(demo_db, tmp_path, schemas=["bienestar", "nadie", "public"], fmt="sql")
    assert [(c.schema, c.status) for c in result.clinics] == [
        ("nadie", ClinicStatus.FAILED),
        ("public", ClinicStatus.FAILED),
        ("bienestar", ClinicStatus.BACKED_UP),
    ]
    assert result.clinics[0].error == "'nadie' is not a clinic of this database."
    [written] = (tmp_path / "bienestar").iterdir()
    assert written.suffix == ".sql" and written.read_text().count("CREATE TABLE bienestar.") == 15
    with pytest.raises(UsageError, match="--jobs must be between 1 and 16"):
        backup_all(demo_db, tmp_path, jobs=0)
    with pytest.raises(UsageError, match=r"The folder .*missing does not exist; create it first"):
        backup_all(demo_db, tmp_path / "missing")
    done = run_cli("backup", "--dsn", demo_db.conninfo, "--out", str(tmp_path))
    assert done.returncode == 2 and "one of the arguments --tenant --all is required" in done.stderr
    done = run_cli("backup", "--dsn", demo_db.conninfo, "--all", "--tenant", "bienestar", "--out", str(tmp_path))
    assert done.returncode == 2 and "not allowed with argument" in done.stderr
    done = run_cli("backup", "--dsn", demo_db.conninfo, "--tenant", "bienestar", "--jobs", "3", "--out", str(tmp_path))
    assert (done.returncode, done.stderr) == (
        2,
        "resguardo: --jobs goes with --all (how many clinics at a time); a single --tenant is one job.\n",
    )
    done = run_cli("backup", "--dsn", demo_db.conninfo, "--all", "--replace", "--out", str(tmp_path))
    assert done.returncode == 2 and "--replace does not go with --all" in done.stderr


def test_the_tenants_table_found_once_is_checked_again_in_each_clinics_snapshot(
    demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    with demo_db.connect() as conn:
        listing = list_tenants(conn)
        conn.rollback()
    assert listing.tenants_table is not None
    result = backup_tenant(demo_db, "bienestar", tmp_path, tenants_table=listing.tenants_table)
    with ArchiveReader(result.path) as reader:
        assert reader.raw_manifest["tenant"]["row"]["schema_name"] == "bienestar"
    with demo_db.connect() as conn:  # between the listing and a clinic's backup, another table takes the name
        conn.execute("ALTER TABLE public.customers_client RENAME TO customers_client_old")
        conn.execute("CREATE TABLE public.customers_client (LIKE public.customers_client_old INCLUDING ALL)")
        conn.commit()
    with pytest.raises(PreflightError, match="customers_client"):
        backup_tenant(demo_db, "mindcare", tmp_path, tenants_table=listing.tenants_table)
    assert [p.name for p in tmp_path.iterdir()] == [result.path.name]

"""The swap race (issue 19, CVE-2024-7348's class) against every table each command reads.

The clinics' owner (the web application's role) holds ACCESS EXCLUSIVE on a table Resguardo is about to read
and, once Resguardo's session waits for it, puts a view of the same name in its place whose WHERE calls the
owner's function (tests/support/swap_race.py). Expected answer, for every command and every table it reads,
run by a superuser and by the owner itself: the function never runs with a superuser's rights; public and the
other clinics are unchanged; the command either refuses with a sentence naming the table, or completes
correctly (when what it reads is past the swap: the owner's own rights, or a table it no longer needs).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest

from app.engine.backup.backup import Backup
from app.engine.backup.native import backup_tenant
from app.engine.catalog.discovery import list_tenants
from app.engine.comparison.compare import compare_backup
from app.engine.connection import ConnectionTarget, has_relation_kind_setting
from app.engine.errors import ResguardoError
from app.engine.inspection.verify import verify_file
from app.engine.restore.discard import discard_safety_copy
from app.engine.restore.preview import preview_restore
from app.engine.restore.restore import restore_tenant
from app.engine.restore.undo import undo_restore
from app.engine.safety.relation_guard import Relation, lock_tables
from tests.support.attacks import ROLES, Markers, as_role, markers
from tests.support.cli import run_cli
from tests.support.pg import TestServer, one_value
from tests.support.restore import fingerprint, other_schemas
from tests.support.swap_race import Race, race

pytestmark = pytest.mark.core

TENANT = "bienestar"
TENANTS = ("public", "customers_client")
DOMAINS = ("public", "customers_domain")
MIGRATIONS = (TENANT, "django_migrations")
USERS = (TENANT, "users_customuser")
COUNTED = (TENANT, "chat_chatmessage")
CONTENT_TYPES = (TENANT, "django_content_type")
T = TypeVar("T")
REPLACED = "was replaced while Resguardo waited to read it"


@pytest.fixture(scope="module")
def files(pg_server: TestServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A native backup of the demo's bienestar and a Django JSON export of one of its tables, made once."""
    folder = tmp_path_factory.mktemp("swap-race")
    source = pg_server.new_database()
    try:
        archive = backup_tenant(source, TENANT, folder / "bienestar.resguardo").path
    finally:
        pg_server.drop_database(source)
    export = folder / "bienestar.json"
    export.write_text(
        json.dumps(
            [
                {
                    "model": "specializations.specialization",
                    "pk": 1,
                    "fields": {"name": "Swap", "description": "d", "created_at": "2025-01-01T00:00:00Z"},
                }
            ]
        )
    )
    return {"native": archive, "json": export}


@pytest.fixture
def spy(demo_db: ConnectionTarget) -> Iterator[Markers]:
    with markers(demo_db) as found:
        yield found


def _raced(demo_db: ConnectionTarget, spy: Markers, relation: tuple[str, str], action: Callable[[], Any]) -> Race[Any]:
    """The race, with what the spy and the command did checked alike for every case."""
    before = _outside(demo_db)
    outcome = race(demo_db, *relation, spy.path("spy"), action)
    assert outcome.swapped, f"the command never waited for {relation}: the race was not run"
    assert outcome.superuser_runs == "", f"the owner's function ran with a superuser's rights: {outcome.superuser_runs}"
    assert spy.appeared() == []
    if outcome.error is not None:
        assert isinstance(outcome.error, ResguardoError), repr(outcome.error)
        assert "unexpected" not in str(outcome.error).lower()
    assert _outside(demo_db) == before  # public (the tenants table) and the other clinics
    return outcome


def _outside(target: ConnectionTarget) -> dict[str, Any]:
    """public's and the other clinics' fingerprints, their catalog rows in a fixed order (the owner's swap and
    its undoing may change the order in which the catalog lists them, nothing else)."""
    schemas = other_schemas(target, TENANT)
    for found in schemas.values():
        found["catalog"] = sorted(map(repr, found.get("catalog", [])))
    return schemas


def _refused_naming(outcome: Race[Any], relation: tuple[str, str]) -> bool:
    """True when the command refused because of the swap; its sentence names the table."""
    if outcome.error is None:
        return False
    assert ".".join(relation) in str(outcome.error) or "restricted" in str(outcome.error), outcome.error
    return True


def _listing(target: ConnectionTarget) -> list[str]:
    with target.connect() as conn:
        conn.read_only = True
        return [t.schema for t in list_tenants(conn).tenants]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("relation", [TENANTS, DOMAINS], ids=["tenants-table", "domains-table"])
def test_tenants_listing(demo_db: ConnectionTarget, spy: Markers, role: str, relation: tuple[str, str]) -> None:
    outcome = _raced(demo_db, spy, relation, lambda: _listing(as_role(demo_db, role)))
    if not _refused_naming(outcome, relation):
        assert {"mindcare", TENANT} <= set(outcome.value())


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("relation", [TENANTS, MIGRATIONS, USERS], ids=["tenants-table", "migrations", "users"])
def test_native_backup(
    demo_db: ConnectionTarget, spy: Markers, tmp_path: Path, role: str, relation: tuple[str, str]
) -> None:
    tenant_before = fingerprint(demo_db, TENANT)
    outcome = _raced(
        demo_db, spy, relation, lambda: backup_tenant(as_role(demo_db, role), TENANT, tmp_path / "b.resguardo")
    )
    assert fingerprint(demo_db, TENANT) == tenant_before
    if _refused_naming(outcome, relation):
        assert list(tmp_path.iterdir()) == []  # no file, not even a partial one
    else:
        verify_file(outcome.value().path)


@pytest.mark.parametrize("role", ROLES)
def test_auto_backup(demo_db: ConnectionTarget, spy: Markers, tmp_path: Path, role: str) -> None:
    """pg_dump when one fits the server: it sets the restriction itself, and refuses to copy the view; the native
    format it falls back to then backs up the swapped schema as it now is (the view, not read; the spy's function,
    which the backup refuses as unrestorable). Any answer but the spy running as a superuser will do."""
    outcome = _raced(
        demo_db,
        spy,
        MIGRATIONS,
        lambda: Backup(as_role(demo_db, role), TENANT, tmp_path / "b.resguardo", fmt="auto").run(),
    )
    if outcome.error is None:
        assert outcome.value().path.stat().st_size > 0


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "relation", [TENANTS, COUNTED, MIGRATIONS, USERS], ids=["tenants-table", "counted", "migrations", "users"]
)
def test_restore_preview(
    demo_db: ConnectionTarget, spy: Markers, files: dict[str, Path], role: str, relation: tuple[str, str]
) -> None:
    outcome = _raced(demo_db, spy, relation, lambda: preview_restore(as_role(demo_db, role), TENANT, files["native"]))
    if not _refused_naming(outcome, relation):
        assert outcome.value().tenant == TENANT


@pytest.mark.parametrize("role", ROLES)
def test_diff(demo_db: ConnectionTarget, spy: Markers, files: dict[str, Path], role: str) -> None:
    """The comparison locks every table of its snapshot before it reads one, and checks each by oid."""
    outcome = _raced(demo_db, spy, COUNTED, lambda: compare_backup(as_role(demo_db, role), TENANT, files["native"]))
    if not _refused_naming(outcome, COUNTED):
        assert outcome.value().tenant == TENANT


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "relation", [TENANTS, USERS, COUNTED], ids=["tenants-table", "users", "locked-for-the-swap-only"]
)
def test_restore(
    demo_db: ConnectionTarget, spy: Markers, files: dict[str, Path], role: str, relation: tuple[str, str]
) -> None:
    tenant_before = fingerprint(demo_db, TENANT)
    outcome = _raced(demo_db, spy, relation, lambda: restore_tenant(as_role(demo_db, role), TENANT, files["native"]))
    if _refused_naming(outcome, relation):
        assert fingerprint(demo_db, TENANT) == tenant_before
    else:
        assert outcome.value().safety_copy is not None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("command", ["undo-restore", "discard-safety-copy"])
def test_undo_and_discard(
    demo_db: ConnectionTarget, spy: Markers, files: dict[str, Path], role: str, command: str
) -> None:
    target = as_role(demo_db, role)
    copy = restore_tenant(target, TENANT, files["native"]).safety_copy
    assert copy is not None
    tenant_before, copy_before = fingerprint(demo_db, TENANT), fingerprint(demo_db, copy)
    job = (
        (lambda: undo_restore(target, TENANT))
        if command == "undo-restore"
        else lambda: discard_safety_copy(target, copy)
    )
    outcome = _raced(demo_db, spy, TENANTS, job)
    if _refused_naming(outcome, TENANTS):
        assert (fingerprint(demo_db, TENANT), fingerprint(demo_db, copy)) == (tenant_before, copy_before)
    elif command == "discard-safety-copy":
        assert fingerprint(demo_db, copy) == {"missing": True}
    else:
        assert fingerprint(demo_db, TENANT) == copy_before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("relation", [CONTENT_TYPES, COUNTED], ids=["content-types", "kept-table"])
@pytest.mark.parametrize("job", ["preview", "restore"])
def test_django_json(
    demo_db: ConnectionTarget, spy: Markers, files: dict[str, Path], role: str, relation: tuple[str, str], job: str
) -> None:
    """The export's preview reads django_content_type; its restore also copies the tables it keeps (chat)."""
    target = as_role(demo_db, role)
    tenant_before = fingerprint(demo_db, TENANT)
    run = preview_restore if job == "preview" else restore_tenant
    outcome = _raced(demo_db, spy, relation, lambda: run(target, TENANT, files["json"]))
    if _refused_naming(outcome, relation):
        assert fingerprint(demo_db, TENANT) == tenant_before
    elif job == "restore":
        assert fingerprint(demo_db, TENANT)["data"][COUNTED[1]] == tenant_before["data"][COUNTED[1]]


@pytest.mark.parametrize("command", ["tenants", "backup"])
def test_cli(demo_db: ConnectionTarget, spy: Markers, tmp_path: Path, command: str) -> None:
    """The command line says the sentence and exits non-zero, or succeeds; never runs the spy as superuser."""
    args = (
        ["tenants"] if command == "tenants" else ["backup", "--tenant", TENANT, "--out", str(tmp_path / "b.resguardo")]
    )
    relation = TENANTS if command == "tenants" else MIGRATIONS
    outcome = _raced(demo_db, spy, relation, lambda: run_cli(*args, "--dsn", demo_db.conninfo))
    done = outcome.value()
    if done.returncode != 0:
        assert ".".join(relation) in done.stderr and "unexpected" not in done.stderr.lower(), done.stderr
    else:
        assert TENANT in done.stdout or (tmp_path / "b.resguardo").exists()


def test_the_guard_sees_a_swap_made_after_its_snapshot(demo_db: ConnectionTarget) -> None:
    """A backup's REPEATABLE READ snapshot may predate the swap, and still lists the table: the guard resolves the
    name as the catalog is now."""
    with demo_db.connect() as conn, as_role(demo_db, "owner").connect() as owner:
        owner.execute("CREATE TABLE public.rg_turned (x int)")
        owner.commit()
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        oid = one_value(conn, "SELECT 'public.rg_turned'::regclass::oid")
        lock_tables(conn, [Relation("public", "rg_turned", oid)])  # a table
        conn.rollback()
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        conn.execute("SELECT 1")  # the snapshot
        owner.execute("DROP TABLE public.rg_turned")
        owner.execute("CREATE VIEW public.rg_turned AS SELECT 1 AS x")
        owner.commit()
        with pytest.raises(ResguardoError, match=REPLACED):
            lock_tables(conn, [Relation("public", "rg_turned", oid)])


def test_superuser_sessions_refuse_views_where_the_server_can(demo_db: ConnectionTarget) -> None:
    """restrict_nonsystem_relation_kind: set in a superuser's session, where it refuses the owner's view; not in
    a session with the owner's rights, which may read the owner's views as the owner does."""
    with as_role(demo_db, "owner").connect() as owner:
        owner.execute("CREATE VIEW public.rg_owners_view AS SELECT 1 AS x")
        owner.commit()
    with demo_db.connect() as conn:
        if not has_relation_kind_setting(conn.info.server_version):
            pytest.skip("the server predates restrict_nonsystem_relation_kind")
        assert one_value(conn, "SHOW restrict_nonsystem_relation_kind") == "view, foreign-table"
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState, match="restricted"):
            conn.execute("SELECT x FROM public.rg_owners_view")
    with as_role(demo_db, "owner").connect(owner_rights=True) as conn:
        assert one_value(conn, "SELECT x FROM public.rg_owners_view") == 1


@pytest.mark.parametrize("relation", [TENANTS, MIGRATIONS], ids=["tenants-table", "migrations"])
def test_without_the_server_setting_the_lock_check_alone_holds(
    demo_db: ConnectionTarget, spy: Markers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, relation: tuple[str, str]
) -> None:
    """A server older than the minor releases of August 2024: the sessions cannot refuse views, the guard does."""
    monkeypatch.setattr("app.engine.connection.has_relation_kind_setting", lambda version: False)
    outcome = _raced(demo_db, spy, relation, lambda: backup_tenant(demo_db, TENANT, tmp_path / "b.resguardo"))
    assert _refused_naming(outcome, relation) and REPLACED in str(outcome.error)
    assert list(tmp_path.iterdir()) == []

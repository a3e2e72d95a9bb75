"""All or nothing: bad files, a failing table, cancel, a busy tenant and a server restart leave the tenant as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.archive.container import ArchiveReader
from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.errors import ArchiveError, Cancelled, RestoreFailed, TenantBusy
from app.engine.jobs import CancelToken, Progress
from app.engine.restore.restore import restore_tenant
from app.engine.safety.locks import tenant_lock
from tests.support import pg
from tests.support.restore import (
    fingerprint,
    other_schemas,
    resguardo_schemas,
    rewrite_archive,
)

pytestmark = pytest.mark.core


@pytest.fixture
def archive(demo_db: ConnectionTarget, tmp_path: Path) -> Path:
    path = tmp_path / "bienestar.resguardo"
    backup_tenant(demo_db, "bienestar", path)
    with demo_db.connect() as conn:  # the live tenant differs from the file, so "unchanged" means something
        conn.execute("DELETE FROM bienestar.django_session")
        conn.execute("UPDATE bienestar.users_customuser SET first_name = 'Cambiado'")
    return path


def _state(target: ConnectionTarget) -> dict[str, object]:
    return {**other_schemas(target, "bienestar"), "bienestar": fingerprint(target, "bienestar")}


def test_damaged_rows_are_refused_naming_the_table(demo_db: ConnectionTarget, archive: Path, tmp_path: Path) -> None:
    damaged = rewrite_archive(
        archive,
        tmp_path / "damaged.resguardo",
        fix_checksums=False,
        table_data=lambda name, raw: raw.replace(b"Madrid", b"Madrix") if name == "core_clinicsettings" else raw,
    )
    before = _state(demo_db)
    with pytest.raises(ArchiveError, match="core_clinicsettings do not match their checksum"):
        restore_tenant(demo_db, "bienestar", damaged)
    assert _state(demo_db) == before and resguardo_schemas(demo_db) == []


def test_truncated_and_foreign_files_are_refused(demo_db: ConnectionTarget, archive: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.resguardo"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    not_ours = tmp_path / "notes.txt"
    not_ours.write_text("hola")
    before = _state(demo_db)
    with pytest.raises(ArchiveError, match=r"truncated|damaged"):
        restore_tenant(demo_db, "bienestar", truncated)
    with pytest.raises(ArchiveError, match="not a Resguardo archive"):
        restore_tenant(demo_db, "bienestar", not_ours)
    assert _state(demo_db) == before


def test_a_table_whose_rows_fail_to_load(demo_db: ConnectionTarget, archive: Path, tmp_path: Path) -> None:
    bad = rewrite_archive(
        archive,
        tmp_path / "bad.resguardo",
        table_data=lambda name, raw: raw.replace(b"\tCalle", b"x\tCalle") if name == "core_clinicsettings" else raw,
    )
    before = _state(demo_db)
    with pytest.raises(RestoreFailed, match="rows of table core_clinicsettings could not be loaded"):
        restore_tenant(demo_db, "bienestar", bad)
    assert _state(demo_db) == before and resguardo_schemas(demo_db) == []


def test_cancel_during_the_load(demo_db: ConnectionTarget, archive: Path) -> None:
    token = CancelToken()

    def on_progress(p: Progress) -> None:
        if p.stage == "Loading rows":
            token.cancel()

    before = _state(demo_db)
    with pytest.raises(Cancelled):
        restore_tenant(demo_db, "bienestar", archive, progress=on_progress, cancel=token)
    assert _state(demo_db) == before and resguardo_schemas(demo_db) == []


def test_a_second_restore_of_the_same_tenant_is_refused(demo_db: ConnectionTarget, archive: Path) -> None:
    before = _state(demo_db)
    with demo_db.connect() as holder, tenant_lock(holder, "bienestar"):
        with pytest.raises(TenantBusy, match="busy"):
            restore_tenant(demo_db, "bienestar", archive)
        restore_tenant(demo_db, "mindcare", archive, allow_other_tenant=True)  # another tenant is free
    assert _state(demo_db)["bienestar"] == before["bienestar"]


def test_a_server_restart_during_the_load(pg_server: pg.TestServer, demo_db: ConnectionTarget, archive: Path) -> None:
    restarted: list[bool] = []

    def on_progress(p: Progress) -> None:
        if p.stage == "Loading rows" and not restarted:
            restarted.append(True)
            pg_server.restart()

    before = _state(demo_db)
    with pytest.raises(RestoreFailed):
        restore_tenant(demo_db, "bienestar", archive, progress=on_progress)
    assert restarted and _state(demo_db) == before and resguardo_schemas(demo_db) == []
    result = restore_tenant(demo_db, "bienestar", archive)  # and the next run works
    with ArchiveReader(archive) as reader:
        assert (result.rows, result.tables) == (
            sum(t.rows for t in reader.manifest.tables),
            len(reader.manifest.tables),
        )

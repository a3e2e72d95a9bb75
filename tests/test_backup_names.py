"""Backup file names: the UTC time to the second, never replacing a file, a trailing slash meaning a folder."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.engine.archive.container import ArchiveReader
from app.engine.archive.writer import ArchiveWriter
from app.engine.backup import destination
from app.engine.backup.destination import default_archive_name, utc_stamp
from app.engine.backup.native import backup_tenant
from app.engine.backup.pgdump import pgdump_tenant
from app.engine.connection import ConnectionTarget
from app.engine.errors import ArchiveError, UsageError
from app.engine.stores.files import IfExists
from tests.support.cli import run_cli

pytestmark = pytest.mark.core

SECOND = "2026-03-29_013005Z"


def test_names_carry_the_utc_time_to_the_second() -> None:
    when = datetime(2026, 3, 29, 1, 30, 5, tzinfo=UTC)
    assert utc_stamp(when) == SECOND
    assert default_archive_name("bienestar", when) == f"bienestar_{SECOND}.resguardo"
    assert default_archive_name("bienestar", when, ".dump") == f"bienestar_{SECOND}.dump"
    local = datetime(2026, 3, 29, 3, 30, 5)  # a naive time is the machine's local time
    assert utc_stamp(local) == local.astimezone(UTC).strftime("%Y-%m-%d_%H%M%SZ")


def test_two_backups_in_the_same_second_are_two_files(
    demo_db: ConnectionTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(destination, "utc_stamp", lambda when=None: SECOND)
    first = backup_tenant(demo_db, "bienestar", tmp_path).path
    second = backup_tenant(demo_db, "bienestar", tmp_path).path
    dumps = [pgdump_tenant(demo_db, "bienestar", tmp_path, fmt="sql").path for _ in range(2)]
    assert [first.name, second.name] == [f"bienestar_{SECOND}.resguardo", f"bienestar_{SECOND}_2.resguardo"]
    assert [p.name for p in dumps] == [f"bienestar_{SECOND}.sql", f"bienestar_{SECOND}_2.sql"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, second.name, *(p.name for p in dumps)])
    for path in (first, second):
        with ArchiveReader(path) as reader:
            assert reader.raw_manifest["source_schema"] == "bienestar"


def test_a_file_that_appears_while_the_backup_is_written_is_never_replaced(tmp_path: Path) -> None:
    final = tmp_path / "b.resguardo"
    appeared = r"b\.resguardo appeared while the backup was written"
    with pytest.raises(ArchiveError, match=appeared), ArchiveWriter(final) as writer:  # noqa: PT012
        final.write_text("someone else's file")
        writer.commit({"format": "test"})
    assert final.read_text() == "someone else's file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.resguardo"]  # no temporary file left
    with ArchiveWriter(final, IfExists.NUMBER) as writer:
        assert writer.commit({"format": "test"}) == tmp_path / "b_2.resguardo"
    with ArchiveWriter(final, IfExists.REPLACE) as writer:
        assert writer.commit({"format": "test"}) == final
    assert final.read_bytes() != b"someone else's file"


def test_a_trailing_slash_means_a_folder_that_must_exist(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    missing = tmp_path / "backups"
    for fmt in ("native", "sql", "auto"):
        done = run_cli(
            "backup", "--dsn", demo_db.conninfo, "--tenant", "bienestar", "--out", f"{missing}/", "--format", fmt
        )
        assert done.returncode == 1, (fmt, done.stderr)
        assert done.stderr.startswith(f"resguardo: The folder {missing}/ does not exist; create it first")
    assert list(tmp_path.iterdir()) == []  # neither a file named `backups` nor the folder
    missing.mkdir()
    done = run_cli("backup", "--dsn", demo_db.conninfo, "--tenant", "bienestar", "--out", f"{missing}/")
    assert done.returncode == 0, done.stderr
    [written] = missing.iterdir()
    assert written.name.startswith("bienestar_") and written.name.endswith("Z.resguardo")


def test_an_existing_file_is_replaced_only_with_replace(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    out = tmp_path / "nightly.resguardo"
    out.write_text("last night's backup")
    done = run_cli("backup", "--dsn", demo_db.conninfo, "--tenant", "bienestar", "--out", str(out))
    assert done.returncode == 1
    assert done.stderr.startswith(
        f"resguardo: {out} already exists, and a backup never replaces a file it was not told to"
    )
    assert out.read_text() == "last night's backup"
    with pytest.raises(UsageError, match="already exists"):
        pgdump_tenant(demo_db, "bienestar", out, fmt="custom")
    assert out.read_text() == "last night's backup"
    done = run_cli("backup", "--dsn", demo_db.conninfo, "--tenant", "bienestar", "--out", str(out), "--replace")
    assert done.returncode == 0, done.stderr
    with ArchiveReader(out) as reader:
        assert reader.raw_manifest["source_schema"] == "bienestar"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nightly.resguardo"]

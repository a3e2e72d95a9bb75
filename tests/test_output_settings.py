"""Rows compared as text, whatever the server's or the role's output settings (app/engine/output_settings.py).

A backup taken by a session with one TimeZone, DateStyle, IntervalStyle, extra_float_digits and bytea_output;
the live clinic read by sessions with others (the connection's options, the database's defaults): the
comparison finds the rows alike, a recovery finds no false conflict, and its undo removes what it inserted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from psycopg.conninfo import make_conninfo

from app.engine.archive.container import ArchiveReader
from app.engine.backup.native import backup_tenant
from app.engine.comparison.compare import compare_backup
from app.engine.connection import ConnectionTarget
from app.engine.output_settings import PINNED, from_manifest
from app.engine.recovery.apply import apply_recovery
from app.engine.recovery.planning import plan_recovery
from app.engine.recovery.undo import undo_recovery
from app.engine.rehearsal.rehearsal import rehearse_restore
from tests.support import pg
from tests.support.restore import rewrite_archive

pytestmark = pytest.mark.core
TENANT = "bienestar"
WHEN_BACKED_UP = "-c TimeZone=Asia/Tokyo -c DateStyle=SQL,DMY -c IntervalStyle=sql_standard -c extra_float_digits=0"
WHEN_READ = "-c TimeZone=America/New_York -c DateStyle=German -c IntervalStyle=iso_8601 -c extra_float_digits=-3"
DATABASE_DEFAULTS = {
    "TimeZone": "Pacific/Auckland",
    "DateStyle": "Postgres, MDY",
    "IntervalStyle": "postgres_verbose",
    "bytea_output": "escape",
}


def _with_options(target: ConnectionTarget, options: str) -> ConnectionTarget:
    return ConnectionTarget(make_conninfo(target.conninfo, options=options), target.password)


@dataclass(frozen=True)
class Setup:
    target: ConnectionTarget
    archive: Path


@pytest.fixture(scope="module")
def backed_up(pg_server: pg.TestServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    """Moments (timestamptz, interval, floats, date, bytea) and their notes, keyed by (moment, timestamptz),
    backed up by a session with Tokyo's time and SQL dates."""
    target = pg_server.new_database()
    try:
        with target.connect(autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE bienestar.rg_moment (id int PRIMARY KEY, at timestamptz, span interval,"
                " ratio double precision, share real, day date, raw bytea)"
            )
            conn.execute(
                "INSERT INTO bienestar.rg_moment VALUES"
                " (1, '2026-03-29 01:30:00.123456+00', '-1 day +02:03:04.5', 0.1, 1.1, '2026-12-07', '\\x00ff10'),"
                " (2, '1999-12-31 23:59:59+05:30', '1 year 2 mons 3 days', 1e-300, 3.4028235e38, '1970-01-01',"
                " '\\x'), (3, NULL, NULL, 'NaN', '-Infinity', NULL, NULL)"
            )
            conn.execute(
                "CREATE TABLE bienestar.rg_moment_note (moment_id int REFERENCES bienestar.rg_moment,"
                " at timestamptz, note text, PRIMARY KEY (moment_id, at))"
            )
            conn.execute(
                "INSERT INTO bienestar.rg_moment_note VALUES (2, '2026-07-01 12:00:00+02', 'first'),"
                " (2, '2026-07-01 12:00:00.5+02', 'second'), (1, '2026-01-01 00:00:00+00', 'other')"
            )
            owner = pg.one_value(conn, "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = %s", [TENANT])
            for table in ("rg_moment", "rg_moment_note"):
                conn.execute(f"ALTER TABLE bienestar.{table} OWNER TO {owner}")
        archive = backup_tenant(
            _with_options(target, WHEN_BACKED_UP), TENANT, tmp_path_factory.mktemp("settings") / "b.resguardo"
        ).path
        yield Setup(target, archive)
    finally:
        pg_server.drop_database(target)


def _moments(found: Any) -> dict[str, Any]:
    return {t.name: t for t in found.tables if t.name.startswith("rg_moment")}


def test_the_backup_records_the_settings_it_wrote_its_rows_under(backed_up: Setup) -> None:
    with ArchiveReader(backed_up.archive) as reader:
        assert reader.manifest.output_settings == PINNED
        assert reader.raw_manifest["output_settings"] == PINNED


def test_rows_compare_alike_under_other_settings(backed_up: Setup) -> None:
    found = compare_backup(_with_options(backed_up.target, WHEN_READ), TENANT, backed_up.archive)
    for table in _moments(found).values():
        assert (table.only_in_backup, table.only_now, table.changed) == (0, 0, 0), table
    assert found.same


def test_an_archive_that_records_no_settings_is_read_with_the_session_s_own(backed_up: Setup, tmp_path: Path) -> None:
    """An archive written before the settings were recorded: its rows are assumed written under the session's
    own settings, as that backup read them."""
    older = rewrite_archive(
        backed_up.archive, tmp_path / "older.resguardo", manifest=lambda m: m.pop("output_settings")
    )
    with ArchiveReader(older) as reader:
        assert reader.manifest.output_settings is None
    same_settings = " ".join(f"-c {name}={value.replace(' ', '')}" for name, value in PINNED.items())
    assert compare_backup(_with_options(backed_up.target, same_settings), TENANT, older).same
    other = _moments(compare_backup(_with_options(backed_up.target, WHEN_READ), TENANT, older))
    assert other["rg_moment"].changed == 2


def test_a_recovery_under_other_settings_finds_no_false_conflict_and_undoes(backed_up: Setup) -> None:
    target = backed_up.target
    with target.connect(autocommit=True) as conn:
        conn.execute("DELETE FROM bienestar.rg_moment_note WHERE note = 'second'")
    reading = _with_options(target, WHEN_READ)
    plan = plan_recovery(reading, TENANT, backed_up.archive, table="rg_moment", match=[("id", "2")])
    tables = {t.name: t for t in plan.tables}
    assert plan.conflicts == 0
    assert tables["rg_moment"].already_there == ("2",)
    assert [r.key for r in tables["rg_moment_note"].rows] == ["(2, 2026-07-01 10:00:00.5+00)"]
    assert tables["rg_moment_note"].already_there == ("(2, 2026-07-01 10:00:00+00)",)
    assert apply_recovery(reading, plan).inserted == {"rg_moment_note": 1}

    with target.connect(autocommit=True) as conn:
        database = conn.info.dbname
        for name, value in DATABASE_DEFAULTS.items():  # every later session of the database, the owner's too
            conn.execute(f'ALTER DATABASE "{database}" SET "{name}" = \'{value}\'')
    try:
        again = plan_recovery(target, TENANT, backed_up.archive, table="rg_moment", match=[("id", "2")])
        assert (again.conflicts, again.rows_to_insert, again.already_there) == (0, 0, 3)
        assert undo_recovery(target, TENANT).deleted == {"rg_moment_note": 1}
    finally:
        with target.connect(autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{database}" RESET ALL')
    with target.connect() as conn:
        assert [r[0] for r in conn.execute("SELECT note FROM bienestar.rg_moment_note ORDER BY note")] == [
            "first",
            "other",
        ]


def test_a_restore_test_reads_the_rows_back_as_the_backup_wrote_them(backed_up: Setup) -> None:
    """The restore test hashes each table's COPY text read back from the staging load: under the database's
    other defaults too, it is the file's."""
    target = backed_up.target
    with target.connect(autocommit=True) as conn:
        database = conn.info.dbname
        for name, value in DATABASE_DEFAULTS.items():
            conn.execute(f'ALTER DATABASE "{database}" SET "{name}" = \'{value}\'')
    try:
        result = rehearse_restore(target, backed_up.archive)
    finally:
        with target.connect(autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{database}" RESET ALL')
    assert result.ok and {"rg_moment", "rg_moment_note"} <= {t.name for t in result.tables if t.checksum_ok}


def test_a_manifest_s_settings_are_taken_only_when_whole_and_plain() -> None:
    assert from_manifest(dict(PINNED)) == PINNED
    assert from_manifest(None) is None
    assert from_manifest({**PINNED, "TimeZone": 5}) is None
    assert from_manifest({**PINNED, "TimeZone": "UTC\n; x"}) is None
    assert from_manifest({k: v for k, v in PINNED.items() if k != "bytea_output"}) is None
    assert from_manifest({**PINNED, "work_mem": "1GB"}) == PINNED

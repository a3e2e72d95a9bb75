"""Keep rules over real backup files: what stays and goes is decided by each file's manifest (its clinic and
time), in the computer's time zone, and never takes a clinic's newest verified backup or a file it cannot read."""

from __future__ import annotations

import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.cli import main
from app.engine.backup.native import backup_tenant
from app.engine.errors import UsageError
from app.engine.routine.keep import KeepRules
from app.engine.routine.prune import NEWEST_VERIFIED, NONE_VERIFIES, prune_folder
from tests.support import pg
from tests.support.cli import run_cli
from tests.support.restore import rewrite_archive

pytestmark = pytest.mark.core


@pytest.fixture(scope="module")
def made(pg_server: pg.TestServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One real backup of each of two clinics, made once; the tests copy them and set the time their manifest
    records through the archive writer (the manifest's checksum is made to match, as the backup makes it)."""
    target = pg_server.new_database()
    folder = tmp_path_factory.mktemp("made")
    try:
        return {s: backup_tenant(target, s, folder / f"{s}.resguardo").path for s in ("mindcare", "bienestar")}
    finally:
        pg_server.drop_database(target)


def stamped(made: dict[str, Path], schema: str, when: str, dst: Path) -> Path:
    """A copy of `schema`'s backup whose manifest says it was made at `when` (UTC, as the backup writes it)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    return rewrite_archive(made[schema], dst, manifest=lambda m: m.update(created_utc=when))


def damaged(path: Path) -> Path:
    """Flip a byte inside a table's stored rows: the manifest still reads, the file no longer verifies."""
    with tarfile.open(path) as tar:
        member = max((m for m in tar.getmembers() if m.name.startswith("data/")), key=lambda m: m.size)
    with open(path, "r+b") as handle:
        handle.seek(member.offset_data + member.size // 2)
        byte = handle.read(1)
        handle.seek(-1, 1)
        handle.write(bytes([byte[0] ^ 0xFF]))
    return path


# Files named to mislead (prune reads the manifest, never the name), at UTC times whose local day differs by zone.
TABLE = {
    "a.resguardo": "2026-03-01T22:30:00Z",  # Madrid: 1 March 23:30; New York: 1 March 17:30
    "b.resguardo": "2026-03-01T23:30:00Z",  # Madrid: 2 March 00:30; New York: 1 March 18:30
    "c.resguardo": "2026-03-02T12:00:00Z",
    "d.resguardo": "2026-03-03T12:00:00Z",
}
# --keep-daily 3: the newest backup of each of the three newest local days.
EXPECTED_KEPT = {
    "UTC": {"d.resguardo", "c.resguardo", "b.resguardo"},  # 1 March's newest is b
    "Europe/Madrid": {"d.resguardo", "c.resguardo", "a.resguardo"},  # b is on 2 March there, older than c
    "America/New_York": {"d.resguardo", "c.resguardo", "b.resguardo"},
}


@pytest.fixture
def local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Set this computer's time zone (TZ) for the test, as the OS scheduler's environment would."""

    def use(zone: str) -> None:
        monkeypatch.setenv("TZ", zone)
        time.tzset()

    yield use
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("zone", sorted(EXPECTED_KEPT))
def test_keep_daily_counts_days_in_the_local_time_zone(
    made: dict[str, Path], tmp_path: Path, zone: str, local_zone: Callable[[str], None]
) -> None:
    for name, when in TABLE.items():
        stamped(made, "mindcare", when, tmp_path / "mindcare" / name)
    local_zone(zone)
    dry = prune_folder(tmp_path, KeepRules(daily=3), dry_run=True)
    assert dry.zone.startswith(f"{zone} (")
    assert {d.backup.path.name for c in dry.clinics for d in c.decisions if d.keep} == EXPECTED_KEPT[zone]
    assert sorted(p.name for p in (tmp_path / "mindcare").iterdir()) == sorted(TABLE)  # dry run: nothing removed
    prune_folder(tmp_path, KeepRules(daily=3))
    assert {p.name for p in (tmp_path / "mindcare").iterdir()} == EXPECTED_KEPT[zone]


def test_the_command_says_the_zone_and_each_files_rule(made: dict[str, Path], tmp_path: Path) -> None:
    for name, when in TABLE.items():
        stamped(made, "mindcare", when, tmp_path / "mindcare" / name)
    done = run_cli("prune", "--dir", str(tmp_path), "--keep-daily", "3", env={"TZ": "Europe/Madrid"})
    assert done.returncode == 0, done.stderr
    assert "Keep rules: daily 3; periods counted in the time zone Europe/Madrid (" in done.stdout
    assert "Clinic 'mindcare' (database 'rg_test_" in done.stdout
    assert f"  keep    2026-03-03 13:00:00 CET  {tmp_path / 'mindcare' / 'd.resguardo'}  (daily #1)" in done.stdout
    assert (
        f"  remove  2026-03-02 00:30:00 CET  {tmp_path / 'mindcare' / 'b.resguardo'}  (no rule keeps it)" in done.stdout
    )
    assert "Removed 1 backups (" in done.stdout
    assert {p.name for p in (tmp_path / "mindcare").iterdir()} == EXPECTED_KEPT["Europe/Madrid"]


def test_borg_rules_last_weekly_monthly_and_oldest(made: dict[str, Path], tmp_path: Path) -> None:
    """borg's order and semantics: a backup kept by an earlier rule uses up its period in later ones, and a rule
    that finds fewer periods than it may keep also keeps the oldest backup."""
    times = {
        "n1": "2026-06-30T20:00:00Z",  # Tue 30 June
        "n2": "2026-06-29T20:00:00Z",  # Mon 29 June
        "n3": "2026-06-28T20:00:00Z",  # Sun 28 June: ISO week 26
        "n4": "2026-06-21T20:00:00Z",  # Sun 21 June: week 25
        "n5": "2026-06-15T20:00:00Z",  # Mon 15 June: week 25
        "n6": "2026-05-10T20:00:00Z",  # May
        "n7": "2026-04-10T20:00:00Z",  # April: the oldest
    }
    for name, when in times.items():
        stamped(made, "bienestar", when, tmp_path / f"{name}.resguardo")
    report = prune_folder(tmp_path, KeepRules(last=2, weekly=2, monthly=5), zone=ZoneInfo("UTC"))
    (clinic,) = report.clinics
    reasons = {d.backup.path.stem: d.reason for d in clinic.decisions}
    assert reasons == {
        "n1": "last #1",
        "n2": "last #2",  # week 27 (29-30 June) is used up by the last rule
        "n3": "weekly #1",  # week 26
        "n4": "weekly #2",  # week 25's newest; n5 is the same week
        "n5": "no rule keeps it",
        "n6": "monthly #1",  # June is used up by n1; May's newest
        "n7": "monthly #2",  # April's, and the oldest: monthly finds 2 of 5 months, the oldest is April's already
    }
    assert sorted(p.stem for p in tmp_path.iterdir()) == ["n1", "n2", "n3", "n4", "n6", "n7"]


def test_the_oldest_backup_is_kept_when_a_rule_finds_too_few_periods(made: dict[str, Path], tmp_path: Path) -> None:
    for name, when in {
        "x1": "2026-01-02T10:00:00Z",
        "x2": "2026-01-02T09:00:00Z",
        "x3": "2026-01-02T08:00:00Z",
    }.items():
        stamped(made, "bienestar", when, tmp_path / f"{name}.resguardo")
    report = prune_folder(tmp_path, KeepRules(daily=7), zone=ZoneInfo("UTC"), dry_run=True)
    assert [(d.backup.path.stem, d.reason) for d in report.clinics[0].decisions] == [
        ("x1", "daily #1"),
        ("x2", "no rule keeps it"),
        ("x3", "daily #2 [oldest]"),
    ]


def test_the_newest_verified_backup_stays_whatever_the_rules(made: dict[str, Path], tmp_path: Path) -> None:
    newest = damaged(stamped(made, "mindcare", "2026-05-03T02:00:00Z", tmp_path / "m3.resguardo"))
    stamped(made, "mindcare", "2026-05-02T02:00:00Z", tmp_path / "m2.resguardo")
    stamped(made, "mindcare", "2026-05-01T02:00:00Z", tmp_path / "m1.resguardo")
    report = prune_folder(tmp_path, KeepRules(last=1))
    reasons = {d.backup.path.stem: d.reason for d in report.clinics[0].decisions}
    assert reasons == {"m3": "last #1", "m2": NEWEST_VERIFIED, "m1": "no rule keeps it"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m2.resguardo", newest.name]


def test_nothing_of_a_clinic_goes_when_none_of_its_backups_verifies(made: dict[str, Path], tmp_path: Path) -> None:
    for day in (1, 2, 3):
        damaged(stamped(made, "bienestar", f"2026-05-0{day}T02:00:00Z", tmp_path / f"b{day}.resguardo"))
    stamped(made, "mindcare", "2026-05-01T02:00:00Z", tmp_path / "mindcare_old.resguardo")
    stamped(made, "mindcare", "2026-05-02T02:00:00Z", tmp_path / "mindcare_new.resguardo")
    report = prune_folder(tmp_path, KeepRules(last=1))
    by_clinic = {c.schema: {d.backup.path.stem: d.reason for d in c.decisions} for c in report.clinics}
    assert by_clinic["bienestar"] == {"b3": "last #1", "b2": NONE_VERIFIES, "b1": NONE_VERIFIES}
    assert by_clinic["mindcare"] == {"mindcare_new": "last #1", "mindcare_old": "no rule keeps it"}
    assert not (tmp_path / "mindcare_old.resguardo").exists() and (tmp_path / "b1.resguardo").exists()


def test_files_it_cannot_read_or_date_are_kept_and_others_ignored(made: dict[str, Path], tmp_path: Path) -> None:
    stamped(made, "mindcare", "2026-05-02T02:00:00Z", tmp_path / "new.resguardo")
    stamped(made, "mindcare", "2026-05-01T02:00:00Z", tmp_path / "old.resguardo")
    truncated = tmp_path / "mindcare_2020-01-01_0000.resguardo"
    truncated.write_bytes(made["mindcare"].read_bytes()[:4096])
    (tmp_path / "dump.dump").write_bytes(b"PGDMP\x01\x10\x00" + b"\0" * 100)
    (tmp_path / "notes.txt").write_text("not a backup")
    elsewhere = tmp_path.parent / f"{tmp_path.name}_outside"
    stamped(made, "mindcare", "2020-01-01T00:00:00Z", elsewhere / "linked.resguardo")
    (tmp_path / "link.resguardo").symlink_to(elsewhere / "linked.resguardo")

    done = run_cli("prune", "--dir", str(tmp_path), "--keep-last", "1")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["new.resguardo", truncated.name, "dump.dump", "notes.txt", "link.resguardo"]
    )
    assert (elsewhere / "linked.resguardo").exists()  # a link is not followed, its target never removed
    assert f"Kept, not read: {truncated}: " in done.stdout
    assert "dump.dump: a pg_dump file: Resguardo cannot read from inside it" in done.stdout
    assert "Ignored 1 files that are not Resguardo backups." in done.stdout


def test_without_a_rule_prune_refuses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UsageError, match="No keep rule given"):
        prune_folder(tmp_path, KeepRules())
    assert main(["prune", "--dir", str(tmp_path), "--keep-daily", "-3"]) == 2
    assert "--keep-daily must be a whole number" in capsys.readouterr().err
    with pytest.raises(UsageError, match="does not exist"):
        prune_folder(tmp_path / "nope", KeepRules(last=1))

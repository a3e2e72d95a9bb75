"""Every backup of a clinic in the folders a profile backs up into (issue 21.3): by hand and by a schedule, newest
first, verified and encrypted marks, another clinic's and a non-Resguardo file left out, and the daily rule."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyrage import x25519

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.encryption.stream import encrypt_file
from app.engine.jobs import CancelToken
from app.engine.routine import clinic_backups
from app.engine.routine.alerts import ALLOWED_AGE
from app.engine.routine.clinic_backups import find_clinic_backups, record_verified
from app.engine.routine.found import FoundBackup, Unreadable, read_backup
from app.engine.routine.records import ClinicRecord, RunRecord, write_record
from app.engine.routine.schedules import Schedule
from app.engine.routine.verified import VerifiedStore, record_restore_test

CLINICS = ("bienestar", "mindcare")


def _days_ago(path: Path, days: float) -> None:
    when = time.time() - days * 86400
    os.utime(path, (when, when))


def test_every_backup_of_a_clinic_newest_first_with_its_marks(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    by_hand, scheduled = tmp_path / "a mano", tmp_path / "noche"
    (scheduled / "bienestar").mkdir(parents=True)
    by_hand.mkdir()
    first = backup_tenant(demo_db, "bienestar", by_hand).path  # <clinic>_<UTC time>.resguardo
    backup_tenant(demo_db, "mindcare", by_hand)  # another clinic's
    (by_hand / "notas.txt").write_text("not a backup")
    time.sleep(1.1)  # manifests date to the second
    second = backup_tenant(demo_db, "bienestar", scheduled / "bienestar").path
    sealed = scheduled / "bienestar" / "bienestar_2026-12-01_020000Z.resguardo.age"
    encrypt_file(first, sealed, [x25519.Identity.generate().to_public()], cancel=CancelToken())
    _days_ago(sealed, 3)
    dump = by_hand / "bienestar_2026-11-30_020000Z.dump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(200))
    _days_ago(dump, 5)
    write_record(RunRecord("noche", "2026-12-07T02:00:00Z", clinics=[ClinicRecord("bienestar", file=str(second))]))
    found = read_backup(first)
    assert isinstance(found, FoundBackup)
    VerifiedStore().record(found)
    record_restore_test(second, None, {"ok": False, "error": "x"})
    schedule = Schedule(name="noche", times=("02:00",), folder=str(scheduled), profile="clinicas")

    now = datetime.now(UTC)
    catalogue = find_clinic_backups([by_hand], CLINICS, [schedule], now)
    listed = catalogue.backups["bienestar"]
    assert [b.path for b in listed] == [second, first, sealed, dump]
    assert [(b.kind, b.encrypted, b.dated_by_file) for b in listed] == [
        ("native", False, False),
        ("native", False, False),
        ("native", True, True),
        ("custom", False, True),
    ]
    assert [b.schedule for b in listed] == ["noche", "", "noche", ""]
    assert [(b.verified, b.restore_test) for b in listed] == [(False, "failed"), (True, ""), (False, ""), (False, "")]
    assert abs(listed[2].created - (now - timedelta(days=3))) < timedelta(minutes=1)  # the file's own time
    assert [b.path.name.split("_")[0] for b in catalogue.backups["mindcare"]] == ["mindcare"]
    assert catalogue.overdue == {}  # both clinics of the schedule (all of them) have one of today
    assert catalogue.folders == [scheduled, by_hand]

    record_verified(sealed)  # the window verified it (decrypted): it is marked so, by its size and time
    assert find_clinic_backups([by_hand], CLINICS, [schedule], now).newest("bienestar") == listed[0]
    assert _marks(by_hand, schedule, now, sealed) == (True, "")
    sealed.write_bytes(sealed.read_bytes() + b"x")  # another file in its place is not taken for verified
    assert _marks(by_hand, schedule, now, sealed) == (False, "")

    later = now + ALLOWED_AGE + timedelta(minutes=5)
    assert find_clinic_backups([by_hand], CLINICS, [schedule], later).overdue == {
        "bienestar": "noche",
        "mindcare": "noche",
    }
    only = Schedule(name="noche", times=("02:00",), folder=str(scheduled), profile="clinicas", clinics=("mindcare",))
    assert find_clinic_backups([by_hand], CLINICS, [only], later).overdue == {"mindcare": "noche"}


def _marks(folder: Path, schedule: Schedule, now: datetime, path: Path) -> tuple[bool, str]:
    listed = find_clinic_backups([folder], CLINICS, [schedule], now).backups["bienestar"]
    (backup,) = [b for b in listed if b.path == path]
    return backup.verified, backup.restore_test


def test_missing_and_unknown_folders_give_nothing(tmp_path: Path) -> None:
    catalogue = find_clinic_backups([tmp_path / "gone"], CLINICS, [], datetime.now(UTC))
    assert catalogue.backups == {} and catalogue.unread == {} and catalogue.overdue == {}


def test_a_second_scan_reads_only_the_files_that_changed(
    demo_db: ConnectionTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = backup_tenant(demo_db, "bienestar", tmp_path).path
    read: list[Path] = []

    def counted(path: Path) -> FoundBackup | Unreadable:
        read.append(path)
        return read_backup(path)

    monkeypatch.setattr(clinic_backups, "read_backup", counted)
    now = datetime.now(UTC)
    assert [b.path for b in find_clinic_backups([tmp_path], CLINICS, [], now).backups["bienestar"]] == [made]
    assert [b.path for b in find_clinic_backups([tmp_path], CLINICS, [], now).backups["bienestar"]] == [made]
    assert read == [made]  # the scan after each listing costs a stat per file, once read
    with open(made, "r+b") as handle:  # the same file, damaged: read again, and no longer listed
        handle.seek(100)
        handle.write(b"\xff" * 64)
    os.utime(made, (time.time() + 5, time.time() + 5))
    assert find_clinic_backups([tmp_path], CLINICS, [], now).backups == {} and read == [made, made]

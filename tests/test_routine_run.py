"""`schedule run` end to end through the CLI, as the OS's scheduler runs it: a saved profile whose password is
in the keyring, the clinics backed up and verified, the keep rules applied, a record left, a watcher told."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from app import paths
from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.routine.keep import KeepRules
from app.engine.routine.records import last_record
from app.engine.routine.run import run_schedule
from app.engine.routine.schedules import Schedule, ScheduleStore
from app.engine.stores.profiles import Profile, ProfileStore
from app.engine.stores.secrets import SecretStore
from tests.support.cli import run_cli
from tests.support.memory_keyring import MemoryKeyring
from tests.support.restore import rewrite_archive
from tests.support.seeded_keyring import seeded

pytestmark = pytest.mark.core


class Watcher(BaseHTTPRequestHandler):
    """A healthchecks.io-like endpoint: records each call."""

    calls: ClassVar[list[tuple[str, str, str]]] = []

    def do_GET(self) -> None:
        self._record()

    def do_POST(self) -> None:
        self._record()

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.calls.append((self.command, self.path, self.rfile.read(length).decode()))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def watcher() -> Iterator[tuple[str, list[tuple[str, str, str]]]]:
    Watcher.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Watcher)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ping/abc", Watcher.calls
    server.shutdown()
    server.server_close()


def password_profile(demo_db: ConnectionTarget, user: str) -> Profile:
    params = demo_db.params
    profile = Profile(
        name="clinics",
        host=params["host"],
        port=int(params["port"]),
        dbname=demo_db.dbname,
        user=user,
        sslmode="disable",
    )
    ProfileStore().save(profile)
    return profile


def _files_containing(text: str) -> list[Path]:
    return [p for p in Path(paths.config_dir()).parent.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_schedule_run_backs_up_verifies_prunes_records_and_pings(
    demo_db: ConnectionTarget,
    password_role: tuple[str, str],
    watcher: tuple[str, list[tuple[str, str, str]]],
    tmp_path: Path,
) -> None:
    user, secret = password_role
    password_profile(demo_db, user)
    folder = tmp_path / "backups"
    (folder / "mindcare").mkdir(parents=True)
    made = backup_tenant(demo_db, "mindcare", tmp_path / "made.resguardo").path
    old = rewrite_archive(
        made, folder / "mindcare" / "old.resguardo", manifest=lambda m: m.update(created_utc="2026-01-01T02:00:00Z")
    )
    url, calls = watcher
    ScheduleStore().save(
        Schedule(
            "nightly", ("02:30",), str(folder), "clinics", ("mindcare", "bienestar"), KeepRules(last=1), ping_url=url
        )
    )
    env = seeded(tmp_path / "keyring.json", {"clinics": secret})

    done = run_cli("schedule", "run", "nightly", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "The password comes from the system keyring" in done.stdout
    assert "Schedule 'nightly': 2 of 2 clinics backed up and verified." in done.stdout
    record = last_record("nightly")
    assert record is not None and record["failed"] is False and record["error"] == ""
    by_clinic = {c["schema"]: c for c in record["clinics"]}
    assert sorted(by_clinic) == ["bienestar", "mindcare"]
    for schema, clinic in by_clinic.items():
        assert clinic["verified"] is True and clinic["error"] == ""
        path = Path(clinic["file"])
        assert path.parent == folder / schema and path.stat().st_size == clinic["size_bytes"] > 0
    assert record["removed"] == [str(old)] and not old.exists()  # keep-last 1: the new backup stays
    assert record["started_utc"] <= record["ended_utc"]
    assert calls == [("GET", "/ping/abc", "")]
    assert f"Told {url}: HTTP 200." == record["ping"]
    assert _files_containing(secret) == []  # the record says where the password came from, never the password


def test_a_failed_clinic_does_not_stop_the_others_and_the_run_fails_loudly(
    demo_db: ConnectionTarget,
    password_role: tuple[str, str],
    watcher: tuple[str, list[tuple[str, str, str]]],
    tmp_path: Path,
) -> None:
    user, secret = password_role
    password_profile(demo_db, user)
    url, calls = watcher
    ScheduleStore().save(Schedule("nightly", ("02:30",), str(tmp_path), "clinics", ("nope", "bienestar"), ping_url=url))
    done = run_cli("schedule", "run", "nightly", env=seeded(tmp_path / "keyring.json", {"clinics": secret}))
    assert done.returncode == 1
    assert "Schedule 'nightly': 1 of 2 clinics backed up and verified; failed: 'nope'." in done.stderr
    record = last_record("nightly")
    assert record is not None and record["failed"] is True
    clinics = {c["schema"]: c for c in record["clinics"]}
    assert clinics["nope"]["error"] == "'nope' is not a clinic of this database."
    assert clinics["bienestar"]["verified"] is True
    ((method, path, body),) = calls
    assert (method, path) == ("POST", "/ping/abc/fail") and "failed: 'nope'" in body


def test_no_reachable_password_fails_with_what_the_keyring_said(
    demo_db: ConnectionTarget, password_role: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))
    user, _ = password_role
    password_profile(demo_db, user)
    schedule = Schedule("nightly", ("02:30",), str(tmp_path), "clinics")
    record, path = run_schedule(schedule, secrets=SecretStore(MemoryKeyring()))
    assert record.failed and record.clinics == []
    assert record.error.startswith(f"The server at {user}@")
    assert "asks for a password, and none is reachable without a person: The system keyring" in record.error
    assert "has no password for the profile 'clinics'." in record.error
    assert f"Put the password in {tmp_path / 'no-pgpass'}, one line `" in record.error
    assert json.loads(path.read_text())["error"] == record.error


def test_the_schedules_restore_test_day_tests_each_new_backup(
    demo_db: ConnectionTarget, password_role: tuple[str, str], tmp_path: Path
) -> None:
    """The weekly restore test (`schedule add --restore-test WEEKDAY`) on its day: the new backup loads into a test
    copy, is checked and the copy removed; the clinic's record and the file's record say it passed."""
    from datetime import datetime

    from app.engine.routine.schedules import WEEKDAYS
    from app.engine.routine.verified import read_restore_test
    from tests.support.restore import resguardo_schemas

    user, secret = password_role
    with demo_db.connect(autocommit=True) as conn:  # may create schemas and sign in as the clinic's owner
        conn.execute(f'ALTER ROLE "{user}" SUPERUSER')
    password_profile(demo_db, user)
    today = WEEKDAYS[datetime.now().weekday()]
    ScheduleStore().save(Schedule("weekly", ("02:30",), str(tmp_path), "clinics", ("mindcare",), restore_test=today))
    done = run_cli("schedule", "run", "weekly", env=seeded(tmp_path / "keyring.json", {"clinics": secret}))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mindcare: restore test passed" in done.stdout
    record = last_record("weekly")
    assert record is not None and record["clinics"][0]["restore_test"] == "passed"
    tested = read_restore_test(Path(record["clinics"][0]["file"]))
    assert tested is not None and tested["restore_test"]["ok"] is True
    assert resguardo_schemas(demo_db) == []

"""Passwords without a person: every keyring call is bounded, and the sentence says where the password came from
or, when none is reachable, whether the keyring was missing, locked or had no entry, and what to do."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import keyring.backends.fail
import keyring.errors
import pytest

from app.engine.routine.password import libpq_source, unattended_password, what_to_do
from app.engine.stores.profiles import Profile, ProfileStore
from app.engine.stores.secrets import SERVICE, KeyringState, SecretStore
from tests.support.cli import run_cli
from tests.support.memory_keyring import MemoryKeyring
from tests.support.seeded_keyring import seeded

PROFILE = Profile(name="clinics", host="db.clinic.example", port=5433, dbname="clinics", user="backup:er")


class BlockingKeyring(MemoryKeyring):
    """Waits, as a keyring showing an unlock prompt that no one answers."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait()
        return super().get_password(service, username)


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")


@pytest.fixture(autouse=True)
def no_libpq_password(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "pgpass"))
    return tmp_path / "pgpass"


def test_a_keyring_that_does_not_answer_is_given_up_within_the_bound() -> None:
    backend = BlockingKeyring()
    started = time.monotonic()
    lookup = SecretStore(backend).lookup("clinics", timeout=0.3)
    assert time.monotonic() - started < 2
    backend.release.set()
    assert lookup.state is KeyringState.NO_ANSWER and lookup.password is None
    assert "did not answer within 0.3 s" in lookup.sentence()


@pytest.mark.parametrize(
    ("backend", "state", "said"),
    [
        (LockedKeyring(), KeyringState.LOCKED, "is locked, and a run without a person cannot unlock it"),
        (keyring.backends.fail.Keyring(), KeyringState.MISSING, "There is no system keyring in this session"),  # type: ignore[no-untyped-call]
        (MemoryKeyring(), KeyringState.NO_ENTRY, "has no password for the profile 'clinics'"),
    ],
)
def test_no_password_says_why(backend: keyring.backend.KeyringBackend, state: KeyringState, said: str) -> None:
    password = unattended_password(PROFILE, SecretStore(backend))
    assert password.lookup.state is state and password.target.password is None
    assert said in password.said and "No password file or PGPASSWORD either." in password.said


def test_the_keyring_password_is_used_and_said(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password(SERVICE, "clinics", "pw-in-keyring")
    password = unattended_password(PROFILE, SecretStore())
    assert password.target.password == "pw-in-keyring"
    assert password.said == "The password comes from the system keyring (memory keyring MemoryKeyring)."


def test_a_password_file_line_is_found_and_a_readable_one_is_not(no_libpq_password: Path) -> None:
    pgpass = no_libpq_password
    pgpass.write_text("# comment\nother:5432:*:x:pw\ndb.clinic.example:5433:*:backup\\:er:pw-in-pgpass\n")
    pgpass.chmod(0o600)
    password = unattended_password(PROFILE, SecretStore(MemoryKeyring()))
    assert password.said.endswith(f"The password comes from {pgpass}.")
    pgpass.chmod(0o644)  # libpq ignores a password file others can read
    assert libpq_source(PROFILE) is None
    assert f"{pgpass} can be read by others, so libpq ignores it: run `chmod 600 {pgpass}`" in what_to_do(PROFILE)
    pgpass.unlink()
    assert "one line `db.clinic.example:5433:clinics:backup\\:er:PASSWORD`" in what_to_do(PROFILE)


def test_the_password_variable_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", "x")
    assert "from the PGPASSWORD variable" in unattended_password(PROFILE, SecretStore(LockedKeyring())).said


def test_an_interactive_cli_gives_up_on_a_keyring_that_waits(tmp_path: Path) -> None:
    ProfileStore().save(PROFILE)
    env = seeded(tmp_path / "keyring.json", {"clinics": "pw"}, state="blocking")
    started = time.monotonic()
    done = run_cli(
        "backup", "--profile", "clinics", "--tenant", "mindcare", "--out", str(tmp_path), env=env, timeout=60
    )
    assert time.monotonic() - started < 30
    assert done.returncode == 1
    assert "The system keyring did not answer within 5 s" in done.stderr
    assert "Put the password in " in done.stderr and "chmod 600" in done.stderr

"""Removing keys from a profile in the profiles file: a schedule that uses the profile never turns plain unseen."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyrage import x25519

from app.cli import main
from app.engine.errors import UsageError
from app.engine.routine.profile_keys import ScheduledEncryption, remove_keys, schedules_of
from app.engine.routine.schedules import Schedule, ScheduleStore
from app.engine.stores.profiles import Profile, ProfileStore


def public_key() -> str:
    return str(x25519.Identity.generate().to_public())


def test_the_last_key_of_a_scheduled_profile_stays_and_the_schedules_are_named(tmp_path: Path) -> None:
    store, schedules = ProfileStore(), ScheduleStore()
    store.save(Profile(name="clinicas"))
    store.save(Profile(name="other"))
    first, second = public_key(), public_key()
    store.set_encryption("clinicas", [first, second])
    for name, profile in (("noche", "clinicas"), ("tarde", "clinicas"), ("otra", "other")):
        schedules.save(Schedule(name=name, times=("02:00",), folder=str(tmp_path), profile=profile))
    assert schedules_of("clinicas") == ["noche", "tarde"]

    assert remove_keys("clinicas", [first]).encrypt_to == [second]  # the schedules go on encrypting to the other
    with pytest.raises(ScheduledEncryption) as refused:
        remove_keys("clinicas", [second])
    assert refused.value.schedules == ["noche", "tarde"]
    assert "noche, tarde would write plain backups" in refused.value.message
    assert store.get("clinicas").encrypt_to == [second]
    with pytest.raises(UsageError, match="is not encrypted to"):  # a key already removed elsewhere
        remove_keys("clinicas", [first])

    schedules.delete("noche")
    schedules.delete("tarde")
    assert remove_keys("clinicas", [second]).encrypt_to == []
    assert ProfileStore().get("clinicas").encrypt_to == []
    assert second not in store.path.read_text(encoding="utf-8")


def test_key_set_profile_none_is_refused_while_a_schedule_uses_the_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ProfileStore()
    store.save(Profile(name="clinicas"))
    key = public_key()
    store.set_encryption("clinicas", [key])
    ScheduleStore().save(Schedule(name="noche", times=("02:00",), folder=str(tmp_path), profile="clinicas"))
    assert main(["key", "set-profile", "clinicas", "--none"]) != 0
    assert "noche would write plain backups" in capsys.readouterr().err
    assert store.get("clinicas").encrypt_to == [key]
    ScheduleStore().delete("noche")
    assert main(["key", "set-profile", "clinicas", "--none"]) == 0
    assert "Backups already written stay encrypted" in capsys.readouterr().out
    assert store.get("clinicas").encrypt_to == []

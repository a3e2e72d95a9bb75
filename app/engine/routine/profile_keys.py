"""Removing a key from a profile (rotation, a lost key, a wrong key pasted), without a schedule turning plain.

A schedule keeps no keys of its own: each run encrypts to its profile's keys as they are then
(app/engine/routine/run.py). Removing a profile's last key would make every schedule of that profile write plain
backups from its next run on, with no one there to see it; so that removal is refused while a schedule uses the
profile, naming the schedules. Removing one key of several is allowed: the schedules go on encrypting to the rest.
Resguardo holds no private key (neither in a file of its own nor in the keyring), so nothing else is deleted.
"""

from __future__ import annotations

from app.engine.errors import UsageError
from app.engine.routine.schedules import ScheduleStore
from app.engine.stores.profiles import Profile, ProfileStore


class ScheduledEncryption(UsageError):
    """The profile's last key cannot go: these schedules would write plain backups from their next run."""

    def __init__(self, profile: str, schedules: list[str]) -> None:
        self.profile, self.schedules = profile, schedules
        names = ", ".join(schedules)
        super().__init__(
            f"The profile {profile!r} has only this key, and its schedule{'s' if len(schedules) > 1 else ''} "
            f"{names} would write plain backups from the next run on. Give the profile another key first, or "
            "remove the schedule."
        )


def schedules_of(profile: str, schedules: ScheduleStore | None = None) -> list[str]:
    """The names of the schedules that back up with `profile`."""
    return [s.name for s in (schedules or ScheduleStore()).all() if s.profile == profile]


def remove_keys(
    name: str, keys: list[str], profiles: ProfileStore | None = None, schedules: ScheduleStore | None = None
) -> Profile:
    """Profile `name` without `keys` (public keys as the profile holds them); the profile as saved. Refused with
    ScheduledEncryption when no key would be left and a schedule uses the profile; UsageError for a key the profile
    does not hold (the form showed an older state)."""
    profiles = profiles or ProfileStore()
    held = profiles.get(name).encrypt_to
    missing = [k for k in keys if k not in held]
    if missing:
        raise UsageError(f"The profile {name!r} is not encrypted to {missing[0]} (it was changed meanwhile).")
    left = [k for k in held if k not in keys]
    if not left and held:
        using = schedules_of(name, schedules)
        if using:
            raise ScheduledEncryption(name, using)
    return profiles.set_encryption(name, left)

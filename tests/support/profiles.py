"""A connection profile for the test server, as the profiles dialog would save it: what the window's and the
CLI's tests open by name (the password, when one is needed, is the test's to put in the keyring)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.engine.connection import ConnectionTarget
from app.engine.stores.profiles import Profile, ProfileStore


def profile_for(target: ConnectionTarget, name: str = "clinics", *, user: str | None = None, **fields: Any) -> Profile:
    """A profile that reaches `target` (as `user`, else the target's own), SSL off as the test server has it."""
    params = target.params
    return Profile(
        name=name,
        host=params.get("host", "localhost"),
        port=int(params.get("port", 5432)),
        dbname=target.dbname,
        user=user or params["user"],
        sslmode="disable",
        **fields,
    )


def save_profile(
    target: ConnectionTarget,
    name: str = "clinics",
    *,
    user: str | None = None,
    encrypt_to: Sequence[str] = (),
    last_used: bool = False,
    **fields: Any,
) -> ProfileStore:
    """Save `profile_for(...)` in the user's profiles file (its backups encrypted to `encrypt_to`; the one the window
    opens first when `last_used`); the store it is in."""
    store = ProfileStore()
    store.save(profile_for(target, name, user=user, **fields))
    if encrypt_to:
        store.set_encryption(name, list(encrypt_to))
    if last_used:
        store.last_used = name
    return store

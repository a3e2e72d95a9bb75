"""Saved connection profiles: a JSON file in the user config dir, never holding a password."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from psycopg.conninfo import make_conninfo

from app import paths
from app.engine.connection import ConnectionTarget
from app.engine.errors import UsageError
from app.engine.stores.files import write_atomically

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


@dataclass
class Profile:
    name: str
    host: str = "localhost"
    port: int = 5432
    dbname: str = "postgres"
    user: str = "postgres"
    sslmode: str = "prefer"
    sslrootcert: str = ""
    tenants_table: str = ""  # "schema.table" when detection is ambiguous
    user_table: str = ""  # the table whose superusers a restore keeps, when not detected
    remember_password: bool = False
    # Public keys (age1... or SSH) every backup of this profile is encrypted to: a scheduled job needs no private key.
    encrypt_to: list[str] = field(default_factory=list)

    def target(self, password: str | None) -> ConnectionTarget:
        params: dict[str, str | int] = {
            "host": self.host,
            "port": self.port,
            "dbname": self.dbname,
            "user": self.user,
            "sslmode": self.sslmode,
        }
        if self.sslrootcert:
            params["sslrootcert"] = self.sslrootcert
        return ConnectionTarget(make_conninfo("", **params), password)


class ProfileStore:
    """Profiles plus the name of the last one used."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.config_dir() / "profiles.json"

    def _read(self) -> dict[str, Any]:  # JSON as saved by _write
        if not self.path.exists():
            return {"profiles": [], "last_used": ""}
        data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        return data

    def _write(self, data: dict[str, Any]) -> None:
        write_atomically(self.path, json.dumps(data, indent=2, ensure_ascii=False).encode())

    def all(self) -> list[Profile]:
        known = {f.name for f in fields(Profile)}
        return [Profile(**{k: v for k, v in raw.items() if k in known}) for raw in self._read()["profiles"]]

    def get(self, name: str) -> Profile:
        for profile in self.all():
            if profile.name == name:
                return profile
        raise UsageError(f"There is no saved profile named {name!r}.")

    def save(self, profile: Profile, *, replacing: str | None = None) -> None:
        """Save `profile` (renaming `replacing`); the encryption keys of the profile it replaces are kept: they change
        only through `set_encryption`, so a form that does not show them can never turn encryption off."""
        data = self._read()
        old = replacing or profile.name
        keys = next((p.get("encrypt_to", []) for p in data["profiles"] if p["name"] == old), profile.encrypt_to)
        kept = [p for p in data["profiles"] if p["name"] not in (old, profile.name)]
        data["profiles"] = [*kept, {**asdict(profile), "encrypt_to": list(keys)}]
        self._write(data)

    def set_encryption(self, name: str, keys: list[str]) -> Profile:
        """Make every backup of profile `name` encrypted to `keys` (public keys; none: plain backups again)."""
        data = self._read()
        for raw in data["profiles"]:
            if raw["name"] == name:
                raw["encrypt_to"] = list(keys)
                self._write(data)
                return self.get(name)
        raise UsageError(f"There is no saved profile named {name!r}.")

    def delete(self, name: str) -> None:
        data = self._read()
        data["profiles"] = [p for p in data["profiles"] if p["name"] != name]
        if data.get("last_used") == name:
            data["last_used"] = ""
        self._write(data)

    @property
    def last_used(self) -> str:
        return str(self._read().get("last_used", ""))

    @last_used.setter
    def last_used(self, name: str) -> None:
        data = self._read()
        data["last_used"] = name
        self._write(data)

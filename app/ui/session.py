"""What the window is connected to: the target, the profile's overrides, what the server said."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from app.engine.connection import ConnectionTarget
from app.engine.login_check import ConnectionCheck
from app.engine.stores.history import database_key
from app.engine.stores.profiles import ProfileStore

translate = QCoreApplication.translate


@dataclass(frozen=True)
class Session:
    target: ConnectionTarget
    check: ConnectionCheck
    profile_name: str | None = None
    tenants_table: str | None = None  # "schema.table" override from the profile
    user_table: str | None = None

    @property
    def database_key(self) -> str:
        return database_key(self.target)

    def encrypt_to(self) -> list[str]:
        """The profile's encryption keys, read now (on a worker: it reads the profiles file); a session without a
        profile has none."""
        return ProfileStore().get(self.profile_name).encrypt_to if self.profile_name else []

    def status_text(self) -> str:
        """Server, database and user, for the status bar."""
        params = self.target.params
        version = self.check.server_version.split()[0] if self.check.server_version else "?"
        where = f"{params.get('host', 'localhost')}:{params.get('port', '5432')}"
        text = (
            translate("Session", "PostgreSQL {version} at {where} · database {database} · user {user} (superuser)")
            if self.check.is_superuser
            else translate("Session", "PostgreSQL {version} at {where} · database {database} · user {user}")
        )
        text = text.format(version=version, where=where, database=self.target.dbname, user=self.check.user)
        return f"{self.profile_name} — {text}" if self.profile_name else text

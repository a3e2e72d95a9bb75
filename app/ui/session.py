"""What the window is connected to: the target, the profile's overrides, what the server said."""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.connection import ConnectionTarget
from app.engine.connection_test import ConnectionCheck
from app.engine.history import database_key


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

    def status_text(self) -> str:
        """Server, database and user, for the status bar."""
        params = self.target.params
        version = self.check.server_version.split()[0] if self.check.server_version else "?"
        role = " (superuser)" if self.check.is_superuser else ""
        where = f"{params.get('host', 'localhost')}:{params.get('port', '5432')}"
        profile = f"{self.profile_name} — " if self.profile_name else ""
        return (f"{profile}PostgreSQL {version} at {where} · database {self.target.dbname} · "
                f"user {self.check.user}{role}")

"""The window's "Schedule backups…": the dialog's context from the window (its clinics, folder, profile)."""

from __future__ import annotations

from app.engine.catalog.discovery import TenantKind
from app.engine.routine.install import Runner, run_os_command
from app.engine.stores.profiles import ProfileStore
from app.engine.stores.secrets import SecretStore
from app.ui.flow_host import FlowHost
from app.ui.schedule_context import ScheduleContext


class ScheduleFlow:
    """The window's "Schedule backups…": builds the context from the window and opens the dialog."""

    def __init__(self, host: FlowHost, profiles: ProfileStore, secrets: SecretStore) -> None:
        self.host = host
        self.profiles, self.secrets = profiles, secrets
        self.runner: Runner = run_os_command  # tests: a recorder of the scheduler's commands
        self.scheduler = ""

    def context(self) -> ScheduleContext:
        host = self.host
        session = host.session
        kinds = (TenantKind.TENANT, TenantKind.SCHEMA)  # the clinics a schedule backs up (as backup_all)
        clinics = [(t.schema, host.clinic_name(t.schema)) for t in host.model.tenants if t.kind in kinds]
        return ScheduleContext(
            host.pool,
            clinics,
            host.last_folder,
            session.profile_name if session is not None else None,
            profiles=self.profiles,
            secrets=self.secrets,
            runner=self.runner,
            scheduler=self.scheduler,
        )

    def start(self) -> None:
        self.host.dialogs.edit_schedules(self.host.window(), self.context())

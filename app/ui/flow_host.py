"""What the action flows (back up, restore, verify) need from the window, without importing it."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtWidgets import QWidget

from app.engine.stores.history import BackupRecord, History
from app.ui.dialogs import DialogProvider
from app.ui.job_panel import JobsArea
from app.ui.job_runner import BackgroundPool
from app.ui.session import Session
from app.ui.tenant_table import TenantModel


class FlowHost(Protocol):
    dialogs: DialogProvider
    jobs: JobsArea
    pool: BackgroundPool
    history: History
    model: TenantModel
    last_folder: Path

    @property
    def session(self) -> Session | None: ...

    def window(self) -> QWidget: ...

    def refresh(self) -> None: ...

    def remember_backup(self, record: BackupRecord) -> None: ...

    def clinic_name(self, schema: str) -> str: ...

    def update_actions(self) -> None: ...

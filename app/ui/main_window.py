"""The main window: the clinic list of the connected server, its actions, jobs and log.

It holds no database logic: connecting (connection_flow.py), listing, backing
up and restoring are engine calls on the window's worker pool; each action's
flow lives in its own module. Here: what the window is made of and how its
parts are wired. Its parts live apart: the list area and the selection
(clinic_lists.py), where the parts go and the first size (window_layout.py),
what it says of its connection (window_status.py), the Help menu
(window_help.py), the actions and menus (window_actions.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QModelIndex, QPoint, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox, QTableView

from app import paths
from app.engine.catalog.discovery import TenantInfo, TenantKind, TenantListing, list_tenants
from app.engine.connection import ConnectionTarget
from app.engine.errors import ConnectionFailed, ResguardoError
from app.engine.stores.history import BackupRecord, History
from app.engine.stores.profiles import Profile, ProfileStore
from app.engine.stores.secrets import SecretStore
from app.text_safety import shown
from app.ui import window_status
from app.ui.backup_all_flow import BackupAllFlow
from app.ui.backup_flow import BackupFlow
from app.ui.backups_flow import BackupsFlow
from app.ui.banner import Banner
from app.ui.clinic_lists import ClinicLists, listing_text, listing_tip, owning_tenant
from app.ui.connection_flow import ConnectionFlow
from app.ui.dialogs import DialogProvider
from app.ui.icons import app_icon
from app.ui.job_notice import JobNotices
from app.ui.job_panel import JobPanel, JobsArea, PanelState
from app.ui.job_runner import BackgroundPool
from app.ui.log_panel import LogPanel
from app.ui.open_file_flow import OpenFileFlow
from app.ui.recover_flow import RecoverFlow
from app.ui.restore_flow import RestoreFlow
from app.ui.schedule_alerts import ScheduleAlerts
from app.ui.schedule_flow import ScheduleFlow
from app.ui.session import Session
from app.ui.settings import SYSTEM_LANGUAGE, UiSettings
from app.ui.verify_flow import VerifyFlow
from app.ui.widgets import ElidedLabel, plain_tooltip
from app.ui.window_actions import build_actions
from app.ui.window_help import about, open_log_file, open_log_folder
from app.ui.window_layout import arrange, fit_screen

log = logging.getLogger(__name__)
translate = QCoreApplication.translate


class MainWindow(QMainWindow):
    language_changed = Signal(str)  # the language chosen in the menu; the launcher rebuilds the window in it

    def __init__(
        self,
        target: ConnectionTarget | None = None,
        *,
        profile_name: str | None = None,
        profile: Profile | None = None,
        dialogs: DialogProvider | None = None,
        secrets: SecretStore | None = None,
        profiles: ProfileStore | None = None,
        history: History | None = None,
        settings: UiSettings | None = None,
        language_choice: str = SYSTEM_LANGUAGE,
    ) -> None:
        super().__init__()
        self.dialogs = dialogs or DialogProvider()
        self.secrets = secrets or SecretStore()
        self.profiles = profiles or ProfileStore()
        self.history = history or History()
        self.settings = settings or UiSettings()
        self.pool = BackgroundPool(self)
        self.connection = ConnectionFlow(self, self.pool, self.dialogs, self.secrets, self.profiles)
        self.last_folder: Path = paths.documents_dir()
        self.listing: TenantListing | None = None
        self._refresh_generation = 0
        self._closing = False

        self.setWindowTitle("Resguardo")
        self.setWindowIcon(app_icon())
        self._build(language_choice)
        self.verify_flow = VerifyFlow(self)
        self.backup_flow = BackupFlow(self, self.verify_flow)
        self.restore_flow = RestoreFlow(self)
        self.open_flow = OpenFileFlow(self, self.restore_flow)  # a backup file the desktop gave: open_flow.open
        self.recover_flow = RecoverFlow(self)
        self.backup_all_flow, self.schedule_flow = BackupAllFlow(self), ScheduleFlow(self, self.profiles, self.secrets)
        self.backups_flow = BackupsFlow(
            self, self.settings, lambda s, p: self.connection.check_now(lambda: self.restore_flow.start(s, p))
        )
        self.alerts = ScheduleAlerts(self.pool, self.banner, self.clinic_name, lambda: self.schedule_flow.start())
        self.connection.connected.connect(lambda session: window_status.connected(self, session))
        self.connection.failed.connect(lambda error: window_status.connect_failed(self, error))
        self.connection.lost.connect(lambda error: window_status.lost(self, error))
        self.connection.status.connect(lambda text: window_status.connecting(self, text))
        fit_screen(self)
        self.update_actions()

        if target is not None:
            QTimer.singleShot(0, lambda: self.connection.connect_target(target, profile))
        else:
            QTimer.singleShot(0, lambda: self.connection.connect_profile(profile_name, self._no_profile))

    @property
    def session(self) -> Session | None:
        return self.connection.session

    # -- building --------------------------------------------------------------------

    def _build(self, language_choice: str) -> None:
        self.commands = build_actions(
            self,
            {
                "refresh": self.refresh,
                "backup": self.backup_selected,
                "backup_all": lambda: self.backup_all_flow.start(),
                "schedules": lambda: self.schedule_flow.start(),
                "backups": lambda: self.backups_flow.open(self.selected_schema),
                "restore": self.restore_selected,
                "undo": self.undo_selected,
                "discard": self.discard_selected,
                "recover": lambda: self._clinic_action(self.commands.recover, self.recover_flow.start),
                "undo_recovery": lambda: self._clinic_action(self.commands.undo_recovery, self.recover_flow.undo),
                "verify": lambda: self.verify_flow.start(),
                "profiles": self.edit_profiles,
                "reconnect": self.reconnect,
                "find": lambda: self.search.setFocus(),
                "quit": self.close,
                "log_file": self.open_log_file,
                "log_folder": self.open_log_folder,
                "about": self.about,
            },
            language_choice,
            self.choose_language,
        )
        self.refresh_action, self.backup_action = self.commands.refresh, self.commands.backup
        self.restore_action, self.undo_action = self.commands.restore, self.commands.undo
        self.discard_action, self.verify_action = self.commands.discard, self.commands.verify

        self.list_area = ClinicLists(self.update_actions, self._context_menu)
        lists = self.list_area  # the names the flows and the tests know the lists by
        self.search, self.model, self.clinics, self.others = lists.search, lists.model, lists.clinics, lists.others
        self.clinic_view, self.other_view, self.other_box = lists.clinic_view, lists.other_view, lists.other_box
        self.banner = Banner(lambda error: self.dialogs.show_error(self, error))

        self.log_panel = LogPanel()
        self.jobs = JobsArea(self.pool, self.log_panel, self.dialogs)
        self.jobs.job_started.connect(self._job_changed)
        self.jobs.job_ended.connect(self._job_changed)
        self.notices = JobNotices(self, self.jobs)  # a job ended unseen: the desktop says so
        self.setCentralWidget(arrange(self.banner, self.list_area, self.jobs, self.log_panel))

        self.listing_label = ElidedLabel(translate("Window", "Not connected."))
        self.server_label = ElidedLabel("")
        self.statusBar().addWidget(self.listing_label, 2)
        self.statusBar().addWidget(self.server_label, 3)

        self.setTabOrder(self.search, self.clinic_view)
        self.setTabOrder(self.clinic_view, self.other_view)
        self.setTabOrder(self.other_view, self.jobs)
        self.setTabOrder(self.jobs, self.log_panel)

    # -- connecting ------------------------------------------------------------------

    def _no_profile(self) -> None:
        self.listing_label.set_full_text(translate("Window", "Not connected."))
        self.edit_profiles()

    def reconnect(self) -> None:
        self.connection.reconnect()

    def edit_profiles(self) -> None:
        name = self.dialogs.edit_profiles(self)
        if name:
            self.connection.connect_profile(name, self._no_profile)

    # -- the list --------------------------------------------------------------------

    def refresh(self) -> None:
        session = self.session
        if session is None or self.connection.is_lost:
            return
        self._refresh_generation += 1
        generation = self._refresh_generation
        history = self.history

        def fetch() -> tuple[TenantListing, dict[str, BackupRecord], Path]:
            with session.target.connect() as conn:
                listing = list_tenants(conn, session.tenants_table)
            return listing, history.last_backups(session.database_key), history.last_folder()

        self.listing_label.set_full_text(translate("Window", "Reading the list of clinics…"))
        self.pool.call(
            fetch,
            lambda result: self._show_listing(generation, *result),
            lambda error: self._listing_failed(generation, error),
            name="list tenants",
        )

    def _show_listing(
        self, generation: int, listing: TenantListing, last: dict[str, BackupRecord], folder: Path
    ) -> None:
        if generation != self._refresh_generation:
            return
        self.listing = listing
        self.last_folder = folder
        self.list_area.show_listing(listing, last, self.jobs.busy_tenants())
        self.listing_label.set_full_text(listing_text(listing))
        self.listing_label.setToolTip(plain_tooltip(listing_tip(listing)))
        self.update_actions()
        self.alerts.check()  # the schedules' runs, now that the clinics have their names
        self.backups_flow.scan()  # the backups in the profile's folders: the Last backup column
        self.open_flow.listed()  # a file given before a server was listed

    def _listing_failed(self, generation: int, error: ResguardoError) -> None:
        if generation != self._refresh_generation:
            return
        self.listing_label.set_full_text(translate("Window", "The list of clinics could not be read."))
        self.banner.show_error(error, (translate("Window", "Retry"), "refresh", self.refresh))
        if isinstance(error, ConnectionFailed):
            self.connection.check_now()

    @property
    def selected_schema(self) -> str | None:
        return self.list_area.selected_schema

    def select(self, schema: str) -> bool:
        """Select a schema in whichever list shows it; True if found."""
        return self.list_area.select(schema)

    def selected_info(self) -> Any | None:
        return self.list_area.selected_info()

    def clinic_name(self, schema: str) -> str:
        """How the window names a clinic in its sentences: its name in the clinics table, else its internal name,
        shown as plain, visible text (the database's words, see `text_safety.shown`)."""
        return shown(self.model.names.get(schema) or schema)

    @staticmethod
    def owning_tenant(info: TenantInfo) -> str:
        return owning_tenant(info)

    def safety_copy_for(self, info: TenantInfo) -> str | None:
        return self.list_area.safety_copy_for(info)

    def update_actions(self) -> None:
        info = self.selected_info()
        usable = self.connection.usable
        busy = self.jobs.busy_tenants()
        tenant = None if info is None else self.owning_tenant(info)
        free = info is not None and usable and tenant not in busy
        can_backup = (
            free
            and info is not None
            and info.exists
            and info.kind in (TenantKind.TENANT, TenantKind.SCHEMA, TenantKind.ORPHAN)
        )
        can_restore = free and info is not None and bool(info.restorable)
        copy = self.safety_copy_for(info) if free and info is not None else None
        latest = (self.model.safety_copies.get(tenant or "") or [""])[0]
        self.backup_action.setEnabled(bool(can_backup))
        self.restore_action.setEnabled(bool(can_restore))
        self.undo_action.setEnabled(copy is not None and copy == latest)  # only the newest can be put back
        self.discard_action.setEnabled(copy is not None)
        self.refresh_action.setEnabled(usable)
        self.commands.backup_all.setEnabled(usable and self.backup_all_flow.can_start())
        self.commands.backups.setEnabled(info is not None and info.kind in (TenantKind.TENANT, TenantKind.SCHEMA))
        self.commands.reconnect.setEnabled(self.connection.is_lost)
        is_clinic = free and info is not None and info.exists and info.kind == TenantKind.TENANT
        self.commands.recover.setEnabled(bool(is_clinic))
        self.commands.undo_recovery.setEnabled(bool(is_clinic))
        self.restore_flow.update_undo_buttons(usable)

    def _context_menu(self, view: QTableView, pos: QPoint) -> None:
        index: QModelIndex = view.indexAt(pos)
        if not index.isValid():
            return
        view.selectRow(index.row())
        menu = QMenu(self)
        menu.addActions([self.backup_action, self.commands.backups, self.undo_action])
        menu.addActions([self.commands.recover, self.commands.undo_recovery])
        menu.addSeparator()
        menu.addActions([self.restore_action, self.discard_action])
        menu.exec(view.viewport().mapToGlobal(pos))

    def _job_changed(self, panel: JobPanel) -> None:
        if panel.tenant:
            self.model.set_busy(panel.tenant, panel.running)
        self.update_actions()
        if not panel.running and panel.error is not None and panel.state != PanelState.CANCELLED:
            self.connection.check_now()  # a job that failed may have lost the server: find out now
        if self._closing and not self.jobs.running():
            QTimer.singleShot(0, self.close)

    def remember_backup(self, record: BackupRecord) -> None:
        """A backup finished: show it in the list without asking the server again."""
        self.last_folder = Path(record.path).parent
        self.model.last_backup[record.schema] = record
        self.model.set_busy(record.schema, False)
        self.backups_flow.scan_soon()  # the Last backup column shows it once found in its folder

    # -- actions ---------------------------------------------------------------------

    def _when_connected(self, enabled: bool, then: Any) -> None:
        """Check the server answers before asking the user anything (a dead server greys the window instead)."""
        if enabled:
            self.connection.check_now(then)

    def backup_selected(self) -> None:
        info = self.selected_info()
        if info is not None:
            self._when_connected(self.backup_action.isEnabled(), lambda: self.backup_flow.start(info.schema))

    def restore_selected(self) -> None:
        info = self.selected_info()
        if info is not None:
            self._when_connected(self.restore_action.isEnabled(), lambda: self.restore_flow.start(info.schema))

    def undo_selected(self) -> None:
        info = self.selected_info()
        copy = self.safety_copy_for(info) if info is not None else None
        if info is not None and copy:
            tenant = self.owning_tenant(info)
            self._when_connected(self.undo_action.isEnabled(), lambda: self.restore_flow.undo(tenant, copy))

    def _clinic_action(self, action: QAction, start: Callable[[str], None]) -> None:
        """A clinic's action (Recover records…, Undo recovery…) once the server answers."""
        info = self.selected_info()
        if info is not None:
            schema = str(info.schema)
            self._when_connected(action.isEnabled(), lambda: start(schema))

    def discard_selected(self) -> None:
        info = self.selected_info()
        copy = self.safety_copy_for(info) if info is not None else None
        if info is not None and copy:
            tenant = self.owning_tenant(info)
            self._when_connected(self.discard_action.isEnabled(), lambda: self.restore_flow.discard(tenant, copy))

    def choose_language(self, code: str) -> None:
        """Remember the language (on a worker); the window is rebuilt in it now, or at the next start."""
        settings = self.settings

        def write() -> None:
            settings.language = code

        def written(_: object) -> None:
            if self.jobs.running():
                QMessageBox.information(
                    self,
                    translate("Window", "Language"),
                    translate(
                        "Window", "The new language is used the next time Resguardo starts (a job is running now)."
                    ),
                )
            else:
                self.language_changed.emit(code)

        self.pool.call(write, written, lambda error: self.dialogs.show_error(self, error), name="save language")

    def open_log_file(self) -> None:
        open_log_file(self.pool, self.banner.show_error)

    def open_log_folder(self) -> None:
        open_log_folder()

    def about(self) -> None:
        about(self)

    # -- closing ---------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        running = self.jobs.running()
        if not running:
            event.accept()
            return
        if not self._closing:
            names = ", ".join(
                sorted({self.clinic_name(p.tenant) if p.tenant else translate("Window", "a file") for p in running})
            )
            if not self.dialogs.confirm(
                self,
                translate("Window", "Jobs are running"),
                translate(
                    "Window",
                    "A job is still running ({names}). Cancel it and close Resguardo? A cancelled "
                    "restore changes nothing; a cancelled backup leaves no file.",
                ).format(names=names),
                translate("Window", "Cancel jobs and close"),
            ):
                event.ignore()
                return
            self._closing = True
            self.listing_label.set_full_text(translate("Window", "Cancelling the running jobs before closing…"))
            self.jobs.cancel_all()
        event.ignore()  # closes by itself when the last job has stopped (see _job_changed)

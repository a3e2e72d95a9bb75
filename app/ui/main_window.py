"""The main window: the clinic list of the connected server, its actions, jobs and log.

It holds no database logic: connecting (connection_flow.py), listing, backing
up and restoring are engine calls on the window's worker pool; each action's
flow lives in its own module. The first window fits the screen it opens on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QItemSelection, QModelIndex, QPoint, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import __version__, paths
from app.engine.catalog.discovery import TenantInfo, TenantKind, TenantListing, list_tenants
from app.engine.connection import ConnectionTarget
from app.engine.errors import ConnectionFailed, ResguardoError
from app.engine.stores.history import BackupRecord, History
from app.engine.stores.profiles import Profile, ProfileStore
from app.engine.stores.secrets import SecretStore
from app.text_safety import shown
from app.ui import engine_words
from app.ui.backup_all_flow import BackupAllFlow
from app.ui.backup_flow import BackupFlow
from app.ui.backups_flow import BackupsFlow
from app.ui.banner import Banner
from app.ui.connection_flow import ConnectionFlow
from app.ui.dialogs import DialogProvider
from app.ui.engine_words import WindowError
from app.ui.icons import app_icon
from app.ui.job_panel import JobPanel, JobsArea, PanelState
from app.ui.job_runner import BackgroundPool
from app.ui.log_panel import LogPanel
from app.ui.logging_setup import log_file
from app.ui.recover_flow import RecoverFlow
from app.ui.restore_flow import RestoreFlow
from app.ui.schedule_alerts import ScheduleAlerts
from app.ui.schedule_flow import ScheduleFlow
from app.ui.session import Session
from app.ui.settings import SYSTEM_LANGUAGE, UiSettings
from app.ui.style import muted
from app.ui.tenant_table import CLINIC_COLUMNS, CLINIC_KINDS, OTHER_COLUMNS, OTHER_KINDS, TenantFilter, TenantModel
from app.ui.verify_flow import VerifyFlow
from app.ui.widgets import ElidedLabel, plain_tooltip
from app.ui.window_actions import build_actions

log = logging.getLogger(__name__)
translate = QCoreApplication.translate
DEFAULT_SIZE = QSize(1280, 800)
DECORATIONS = QSize(16, 48)  # room left for the window manager's frame and title bar


def first_window_size(available: QSize) -> QSize | None:
    """The first window's size on a screen with `available` room; None: smaller screens open it maximized."""
    if (
        available.width() >= DEFAULT_SIZE.width() + DECORATIONS.width()
        and available.height() >= DEFAULT_SIZE.height() + DECORATIONS.height()
    ):
        return DEFAULT_SIZE
    return None


def listing_text(listing: TenantListing) -> str:
    """Where the list comes from, for the status bar."""
    clinics = sum(1 for t in listing.tenants if t.kind == TenantKind.TENANT)
    if listing.tenants_table is None:
        return translate(
            "Window", "No clinics table found: the list shows all the data of the database, by internal name."
        )
    return translate("Window", "%Ln clinics, from the clinics table", None, clinics)


def listing_tip(listing: TenantListing) -> str:
    """The clinics table's own name: in the tooltip, never in the status bar's words."""
    if listing.tenants_table is None:
        return listing_text(listing)
    return translate("Window", "The clinics table: {table}").format(table=shown(listing.tenants_table.qualified_name))


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
        self.selected_schema: str | None = None

        self.setWindowTitle("Resguardo")
        self.setWindowIcon(app_icon())
        self._build(language_choice)
        self.verify_flow = VerifyFlow(self)
        self.backup_flow = BackupFlow(self, self.verify_flow)
        self.restore_flow = RestoreFlow(self)
        self.recover_flow = RecoverFlow(self)
        self.backup_all_flow, self.schedule_flow = BackupAllFlow(self), ScheduleFlow(self, self.profiles, self.secrets)
        self.backups_flow = BackupsFlow(
            self, self.settings, lambda s, p: self.connection.check_now(lambda: self.restore_flow.start(s, p))
        )
        self.alerts = ScheduleAlerts(self.pool, self.banner, self.clinic_name, lambda: self.schedule_flow.start())
        self.connection.connected.connect(self._connected)
        self.connection.failed.connect(self._connect_failed)
        self.connection.lost.connect(self._lost)
        self.connection.status.connect(self._set_connecting)
        self._fit_screen()
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

        self.search = QLineEdit()
        self.search.setPlaceholderText(translate("Window", "Filter by name or web address (Ctrl+F)"))
        self.search.setAccessibleName(translate("Window", "Filter the clinics"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        search_label = QLabel(translate("Window", "Filte&r clinics:"))
        search_label.setBuddy(self.search)
        filter_row = QHBoxLayout()
        filter_row.addWidget(search_label)
        filter_row.addWidget(self.search, 1)

        self.model = TenantModel()
        self.clinics = TenantFilter(CLINIC_KINDS, CLINIC_COLUMNS)
        self.clinics.setSourceModel(self.model)
        self.others = TenantFilter(OTHER_KINDS, OTHER_COLUMNS)
        self.others.setSourceModel(self.model)
        self.clinic_view = self._table(self.clinics, translate("Window", "Clinics"), rows=3)
        self.clinic_view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.other_view = self._table(self.others, translate("Window", "Previous versions and other data"), rows=1)
        self.other_box = QGroupBox(translate("Window", "Previous versions kept for undo, and other data"))
        QVBoxLayout(self.other_box).addWidget(self.other_view)
        self.other_box.hide()

        self.banner = Banner(lambda error: self.dialogs.show_error(self, error))
        self.empty_label = muted(QLabel(""))
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.hide()
        self.list_area = QWidget()
        list_layout = QVBoxLayout(self.list_area)
        list_layout.setContentsMargins(6, 0, 6, 0)
        list_layout.addLayout(filter_row)
        list_layout.addWidget(self.clinic_view, 3)
        list_layout.addWidget(self.empty_label)
        list_layout.addWidget(self.other_box, 2)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(6, 6, 6, 0)
        top_layout.addWidget(self.banner)
        top_layout.addWidget(self.list_area, 1)

        self.log_panel = LogPanel()
        self.jobs = JobsArea(self.pool, self.log_panel, self.dialogs)
        self.jobs.job_started.connect(self._job_changed)
        self.jobs.job_ended.connect(self._job_changed)
        jobs_box = QGroupBox(translate("Window", "Jobs"))
        QVBoxLayout(jobs_box).addWidget(self.jobs)
        log_box = QGroupBox(translate("Window", "Log of the current job"))
        QVBoxLayout(log_box).addWidget(self.log_panel)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.setContentsMargins(6, 0, 6, 0)
        bottom.addWidget(jobs_box)
        bottom.addWidget(log_box)
        bottom.setStretchFactor(0, 3)
        bottom.setStretchFactor(1, 2)
        bottom.setChildrenCollapsible(False)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)

        self.listing_label = ElidedLabel(translate("Window", "Not connected."))
        self.server_label = ElidedLabel("")
        self.statusBar().addWidget(self.listing_label, 2)
        self.statusBar().addWidget(self.server_label, 3)

        self.setTabOrder(self.search, self.clinic_view)
        self.setTabOrder(self.clinic_view, self.other_view)
        self.setTabOrder(self.other_view, self.jobs)
        self.setTabOrder(self.jobs, self.log_panel)

    def _table(self, proxy: TenantFilter, name: str, rows: int) -> QTableView:
        """A sortable, single-selection list whose columns fit their contents; at least `rows` rows stay visible."""
        view = QTableView()
        view.setModel(proxy)
        view.setAccessibleName(name)
        view.setSortingEnabled(True)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setAlternatingRowColors(True)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.verticalHeader().hide()
        view.setWordWrap(False)
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the name takes the room left
        view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 10)
        view.setMinimumHeight(header.sizeHint().height() + rows * view.verticalHeader().defaultSectionSize() + 4)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(lambda pos, v=view: self._context_menu(v, pos))
        view.selectionModel().selectionChanged.connect(
            lambda selected, _deselected, v=view: self._selection_changed(v, selected)
        )
        return view

    def _fit_screen(self) -> None:
        """Default size where it fits with its frame; maximized on smaller screens (1366×768, 1024×600)."""
        available = self.screen().availableGeometry()
        size = first_window_size(available.size())
        if size is None:
            self.resize(available.size() - DECORATIONS)
            self.setWindowState(Qt.WindowState.WindowMaximized)
        else:
            self.resize(size)
            self.move(available.center() - self.rect().center())

    # -- connecting ------------------------------------------------------------------

    def _no_profile(self) -> None:
        self.listing_label.set_full_text(translate("Window", "Not connected."))
        self.edit_profiles()

    def _set_connecting(self, text: str) -> None:
        self.banner.hide()
        self.listing_label.set_full_text(text)

    def _connected(self, session: Session) -> None:
        self.banner.hide()
        self.server_label.set_full_text(session.status_text())
        self.setWindowTitle(  # ends with the program's name, so Qt's X11 and Windows title bars add it no second time
            translate("Window", "{database} on {host} — Resguardo").format(
                database=session.target.dbname, host=session.target.params.get("host", "localhost")
            )
        )
        self.list_area.setEnabled(True)
        self.refresh()

    def _connect_failed(self, error: ResguardoError) -> None:
        if self.connection.is_lost:  # a Reconnect that failed: still disconnected, and Reconnect stays at hand
            self.listing_label.set_full_text(translate("Window", "Disconnected."))
            self.banner.show_error(
                error, (translate("Window", "Reconnect"), "reconnect", self.reconnect), closable=False
            )
        else:  # connected to nothing (connection_flow.py): the list greyed, no server named, no action
            self.list_area.setEnabled(False)
            self.server_label.set_full_text("")
            self.setWindowTitle("Resguardo")
            self.listing_label.set_full_text(translate("Window", "Not connected."))
            self.banner.show_error(error, (translate("Window", "Connection profiles…"), "profiles", self.edit_profiles))
        self.update_actions()

    def _lost(self, error: ResguardoError) -> None:
        """The server stopped answering: say so, grey the list, switch the actions off, offer Reconnect."""
        self.list_area.setEnabled(False)
        when = translate(
            "Window",
            "The connection to the server was lost. The list shows the "
            "clinics as they were; nothing can be done until Resguardo is "
            "connected again.",
        )
        self.listing_label.set_full_text(translate("Window", "Disconnected."))
        details = "\n\n".join(filter(None, [error.message, engine_words.technical(error)]))
        self.banner.show_error(
            WindowError(when, details), (translate("Window", "Reconnect"), "reconnect", self.reconnect), closable=False
        )
        self.update_actions()

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
        selected = self.selected_schema
        self.model.set_listing(listing.tenants, last)
        for schema in self.jobs.busy_tenants():
            self.model.set_busy(schema, True)
        self.other_box.setVisible(self.others.rowCount() > 0)
        self.empty_label.setVisible(self.clinics.rowCount() == 0)
        self.empty_label.setText(translate("Window", "This database has no clinics.") if not listing.tenants else "")
        self.listing_label.set_full_text(listing_text(listing))
        self.listing_label.setToolTip(plain_tooltip(listing_tip(listing)))
        if selected:
            self.select(selected)
        self.update_actions()
        self.alerts.check()  # the schedules' runs, now that the clinics have their names
        self.backups_flow.scan()  # the backups in the profile's folders: the Last backup column

    def _listing_failed(self, generation: int, error: ResguardoError) -> None:
        if generation != self._refresh_generation:
            return
        self.listing_label.set_full_text(translate("Window", "The list of clinics could not be read."))
        self.banner.show_error(error, (translate("Window", "Retry"), "refresh", self.refresh))
        if isinstance(error, ConnectionFailed):
            self.connection.check_now()

    def _filter(self, text: str) -> None:
        self.clinics.set_text(text)
        self.others.set_text(text)

    def select(self, schema: str) -> bool:
        """Select a schema in whichever view shows it; True if found."""
        for view, proxy in ((self.clinic_view, self.clinics), (self.other_view, self.others)):
            for row in range(proxy.rowCount()):
                if proxy.schema_at(row) == schema:
                    view.selectRow(row)
                    view.scrollTo(proxy.index(row, 0))
                    return True
        return False

    def _selection_changed(self, view: QTableView, selected: QItemSelection) -> None:
        if selected.indexes():
            other = self.other_view if view is self.clinic_view else self.clinic_view
            other.selectionModel().blockSignals(True)
            other.clearSelection()
            other.selectionModel().blockSignals(False)
            proxy = view.model()
            assert isinstance(proxy, TenantFilter)
            self.selected_schema = proxy.schema_at(selected.indexes()[0].row())
        elif not (self.clinic_view.selectionModel().hasSelection() or self.other_view.selectionModel().hasSelection()):
            self.selected_schema = None
        self.update_actions()

    def selected_info(self) -> Any | None:
        return self.model.find(self.selected_schema) if self.selected_schema else None

    def clinic_name(self, schema: str) -> str:
        """How the window names a clinic in its sentences: its name in the clinics table, else its internal name,
        shown as plain, visible text (the database's words, see `text_safety.shown`)."""
        return shown(self.model.names.get(schema) or schema)

    @staticmethod
    def owning_tenant(info: TenantInfo) -> str:
        """The clinic a row stands for: a previous version stands for the clinic it was taken from."""
        return str(info.safety_copy_of if info.kind == TenantKind.SAFETY_COPY else info.schema)

    def safety_copy_for(self, info: TenantInfo) -> str | None:
        """The previous version Undo / Discard act on: the selected one itself, or the clinic's newest."""
        if info.kind == TenantKind.SAFETY_COPY:
            return str(info.schema)
        copies = self.model.safety_copies.get(info.schema)
        return copies[0] if copies else None

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
        def ensure() -> Path:  # the log folder and file are created on disk: off the UI thread
            path = log_file()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(exist_ok=True)
            return path

        def open_file(path: Path) -> None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

        self.pool.call(ensure, open_file, self.banner.show_error, name="log")

    def open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.log_dir())))

    def about(self) -> None:
        QMessageBox.about(
            self,
            translate("Window", "About Resguardo"),
            translate(
                "Window",
                "<b>Resguardo {version}</b><p>Backs up and restores one clinic at a time in a "
                "PostgreSQL database that keeps each clinic apart. A restore never touches another "
                "clinic and can be undone.</p><p>Log file: {log}</p><p>Icons drawn for Resguardo; "
                "MIT licence.</p>",
            ).format(version=__version__, log=log_file()),
        )

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

"""The main window: the tenant list of the connected server, its actions, jobs and log.

It holds no database logic: connecting, listing, backing up and restoring are
engine calls on the window's worker pool (see job_runner.py); the flows for
each action live in their own modules.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, QModelIndex, QPoint, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app import __version__, paths
from app.engine.connection import ConnectionTarget
from app.engine.connection_test import PASSWORD_PROBLEMS, ConnectionCheck, check_connection
from app.engine.discovery import TenantListing, list_tenants
from app.engine.errors import ConnectionFailed, ResguardoError
from app.engine.history import BackupRecord, History
from app.engine.profiles import Profile, ProfileStore
from app.engine.secrets import SecretStore
from app.ui.backup_flow import BackupFlow
from app.ui.banner import Banner
from app.ui.dialogs import DialogProvider, PasswordAnswer
from app.ui.icons import app_icon
from app.ui.job_panel import JobPanel, JobsArea
from app.ui.job_runner import BackgroundPool
from app.ui.log_panel import LogPanel
from app.ui.logging_setup import REDACTOR, log_file
from app.ui.restore_flow import RestoreFlow
from app.ui.session import Session
from app.ui.tenant_table import CLINIC_COLUMNS, CLINIC_KINDS, OTHER_HEADERS, OTHER_KINDS, TenantFilter, TenantModel
from app.ui.verify_flow import VerifyFlow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Attempt:
    """One connection attempt, made on a worker thread with everything the UI thread then needs."""

    target: ConnectionTarget
    check: ConnectionCheck
    profile: Profile | None
    keyring_note: str  # where a password asked for again would be kept; read only when one is asked


def _attempt(target: ConnectionTarget, profile: Profile | None, secrets: SecretStore) -> _Attempt:
    """Runs on a worker: the check, and (for a password problem) the keyring's description, which may ask D-Bus."""
    REDACTOR.add(target.password)
    check = check_connection(target)
    note = secrets.where if not check.ok and check.problem in PASSWORD_PROBLEMS else ""
    return _Attempt(target, check, profile, note)


class MainWindow(QMainWindow):
    def __init__(self, target: ConnectionTarget | None = None, *, profile_name: str | None = None,
                 dialogs: DialogProvider | None = None, secrets: SecretStore | None = None,
                 profiles: ProfileStore | None = None, history: History | None = None) -> None:
        super().__init__()
        self.dialogs = dialogs or DialogProvider()
        self.secrets = secrets or SecretStore()
        self.profiles = profiles or ProfileStore()
        self.history = history or History()
        self.pool = BackgroundPool(self)
        self.session: Session | None = None
        self.last_folder: Path = paths.documents_dir()
        self.listing: TenantListing | None = None
        self._refresh_generation = 0
        self._closing = False
        self.selected_schema: str | None = None

        self.setWindowTitle("Resguardo")
        self.setWindowIcon(app_icon())
        self.resize(1280, 800)
        self._build()
        self.backup_flow = BackupFlow(self)
        self.restore_flow = RestoreFlow(self)
        self.verify_flow = VerifyFlow(self)
        self.update_actions()

        if target is not None:
            QTimer.singleShot(0, lambda: self.connect_target(target))
        else:
            QTimer.singleShot(0, lambda: self.connect_profile(profile_name))

    # -- building --------------------------------------------------------------------

    def _action(self, text: str, slot: Any, shortcut: QKeySequence | str | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.setToolTip(f"{tip} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
                          if shortcut is not None else tip)
        action.triggered.connect(slot)
        return action

    def _build(self) -> None:
        self.refresh_action = self._action("&Refresh", self.refresh, QKeySequence.StandardKey.Refresh,
                                           "Read the list of clinics again")
        self.backup_action = self._action("&Back up…", self.backup_selected, "Ctrl+B",
                                          "Back up the selected clinic to a file")
        self.restore_action = self._action("&Restore…", self.restore_selected, "Ctrl+R",
                                           "Restore the selected clinic from a backup file")
        self.undo_action = self._action("&Undo last restore", self.undo_selected, "Ctrl+Z",
                                        "Put the clinic back as it was before its last restore")
        self.discard_action = self._action("&Discard safety copy", self.discard_selected, "Ctrl+Shift+D",
                                           "Delete the safety copy a restore left (the restore can then not be undone)")
        self.verify_action = self._action("&Verify a file…", self.verify_file, "Ctrl+Shift+V",
                                          "Check that a backup file is complete and readable")
        self.profiles_action = self._action("&Connection profiles…", self.edit_profiles, "Ctrl+K",
                                            "Add, edit, test or choose a server to connect to")
        self.find_action = self._action("&Find", lambda: self.search.setFocus(), QKeySequence.StandardKey.Find,
                                        "Filter the list of clinics")
        quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit, "Close Resguardo")

        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addActions([self.profiles_action, self.verify_action])
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        tenant_menu = menu.addMenu("&Clinic")
        tenant_menu.addActions([self.backup_action, self.restore_action, self.undo_action, self.discard_action])
        tenant_menu.addSeparator()
        tenant_menu.addActions([self.refresh_action, self.find_action])
        help_menu = menu.addMenu("&Help")
        help_menu.addAction(self._action("Open the &log file", self.open_log_file, None,
                                         "Open Resguardo's log file"))
        help_menu.addAction(self._action("Open the log &folder", self.open_log_folder, None,
                                         "Show the folder with the log files"))
        help_menu.addSeparator()
        help_menu.addAction(self._action("&About Resguardo", self.about, None, "Version and licence"))

        toolbar = QToolBar("Actions")
        toolbar.setObjectName("actions")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addActions([self.refresh_action])
        toolbar.addSeparator()
        toolbar.addActions([self.backup_action, self.restore_action, self.undo_action, self.discard_action])
        toolbar.addSeparator()
        toolbar.addAction(self.verify_action)
        spacer = QWidget()
        spacer.setSizePolicy(spacer.sizePolicy().horizontalPolicy().Expanding,
                             spacer.sizePolicy().verticalPolicy().Preferred)
        toolbar.addWidget(spacer)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by name, schema or domain (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(280)
        self.search.textChanged.connect(self._filter)
        toolbar.addWidget(self.search)
        self.addToolBar(toolbar)

        self.model = TenantModel()
        self.clinics = TenantFilter(CLINIC_KINDS, len(CLINIC_COLUMNS))
        self.clinics.setSourceModel(self.model)
        self.others = TenantFilter(OTHER_KINDS, len(OTHER_HEADERS))
        self.others.setSourceModel(self.model)
        self.clinic_view = self._table(self.clinics, stretch=0)
        self.clinic_view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.other_view = self._table(self.others, stretch=1)
        self.other_box = QGroupBox("Other schemas: orphans, safety copies and interrupted restores")
        QVBoxLayout(self.other_box).addWidget(self.other_view)
        self.other_box.hide()

        self.banner = Banner(lambda error: self.dialogs.show_error(self, error))
        self.empty_label = QLabel("")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.hide()
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.banner)
        top_layout.addWidget(self.clinic_view, 3)
        top_layout.addWidget(self.empty_label)
        top_layout.addWidget(self.other_box, 1)

        self.log_panel = LogPanel()
        self.jobs = JobsArea(self.pool, self.log_panel, self.dialogs)
        self.jobs.job_started.connect(self._job_changed)
        self.jobs.job_ended.connect(self._job_changed)
        jobs_box = QGroupBox("Jobs")
        QVBoxLayout(jobs_box).addWidget(self.jobs)
        log_box = QGroupBox("Log of the current job")
        QVBoxLayout(log_box).addWidget(self.log_panel)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(jobs_box)
        bottom.addWidget(log_box)
        bottom.setSizes([640, 640])
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([470, 260])
        self.setCentralWidget(splitter)

        self.listing_label = QLabel("Not connected.")
        self.server_label = QLabel("")
        self.statusBar().addWidget(self.listing_label, 1)
        self.statusBar().addPermanentWidget(self.server_label)

        self.setTabOrder(self.search, self.clinic_view)
        self.setTabOrder(self.clinic_view, self.other_view)
        self.setTabOrder(self.other_view, self.jobs)
        self.setTabOrder(self.jobs, self.log_panel)

    def _table(self, proxy: TenantFilter, stretch: int) -> QTableView:
        view = QTableView()
        view.setModel(proxy)
        view.setSortingEnabled(True)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setAlternatingRowColors(True)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.verticalHeader().hide()
        view.setWordWrap(False)
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(lambda pos, v=view: self._context_menu(v, pos))
        view.selectionModel().selectionChanged.connect(
            lambda selected, _deselected, v=view: self._selection_changed(v, selected))
        return view

    # -- connecting ------------------------------------------------------------------

    def connect_profile(self, name: str | None = None) -> None:
        """Connect with a saved profile (the last one used when no name); the profiles dialog when there is none."""
        profiles, secrets = self.profiles, self.secrets

        def attempt() -> _Attempt | None:  # the profiles file and the keyring may be slow: off the UI thread
            chosen = name or profiles.last_used
            if not chosen:
                return None
            profile = profiles.get(chosen)
            return _attempt(profile.target(secrets.get(profile.name)), profile, secrets)

        self._set_connecting(f"Connecting to {name}…" if name else "Opening the last connection profile used…")
        self.pool.call(attempt, lambda found: self._checked(found) if found else self._no_profile(),
                       self._connect_failed, name="connect")

    def _no_profile(self) -> None:
        self.listing_label.setText("Not connected.")
        self.edit_profiles()

    def connect_target(self, target: ConnectionTarget, profile: Profile | None = None) -> None:
        secrets = self.secrets
        self._set_connecting(f"Connecting to {target.describe()}…")
        self.pool.call(lambda: _attempt(target, profile, secrets), self._checked, self._connect_failed,
                       name="connect")

    def _set_connecting(self, text: str) -> None:
        self.banner.hide()
        self.listing_label.setText(text)

    def _checked(self, found: _Attempt) -> None:
        target, check, profile = found.target, found.check, found.profile
        if check.ok:
            self.session = Session(target, check, profile.name if profile else None,
                                   (profile.tenants_table or None) if profile else None,
                                   (profile.user_table or None) if profile else None)
            self.server_label.setText(self.session.status_text())
            self.setWindowTitle(f"Resguardo — {target.dbname} on {target.params.get('host', 'localhost')}")
            if profile is not None:
                self._remember_last_used(profile.name)
            log.info("Connected: %s", self.session.status_text())
            self.refresh()
            return
        log.info("Connection failed: %s", check.message)
        if check.problem in PASSWORD_PROBLEMS:
            answer = self.dialogs.ask_password(self, check.message, found.keyring_note)
            if answer is not None:
                self._retry_with(answer, found)
                return
        self._connect_failed(ConnectionFailed(check.message, check.details))

    def _remember_last_used(self, name: str) -> None:
        profiles = self.profiles

        def write() -> None:
            profiles.last_used = name

        self.pool.call(write, lambda _: None,
                       lambda error: log.warning("Could not note %r as the last profile used: %s", name, error.message),
                       name="note last profile")

    def _retry_with(self, answer: PasswordAnswer, failed: _Attempt) -> None:
        """Connect again with the password just typed, keeping it first as the user chose."""
        profiles, secrets, profile = self.profiles, self.secrets, failed.profile
        target = ConnectionTarget(failed.target.conninfo, answer.password, failed.target.connect_timeout)

        def keep_and_attempt() -> _Attempt:
            if profile is None:
                return _attempt(target, None, secrets)
            if not answer.remember:
                secrets.remember_for_session(profile.name, answer.password)
                return _attempt(target, profile, secrets)
            secrets.remember(profile.name, answer.password)
            kept = replace(profile, remember_password=True)
            if not profile.remember_password:
                profiles.save(kept)
            return _attempt(target, kept, secrets)

        self._set_connecting(f"Connecting to {target.describe()}…")
        self.pool.call(keep_and_attempt, self._checked, self._connect_failed, name="connect")

    def _connect_failed(self, error: ResguardoError) -> None:
        self.listing_label.setText("Not connected.")
        self.banner.show_error(error, ("Connection profiles…", self.edit_profiles))

    def edit_profiles(self) -> None:
        name = self.dialogs.edit_profiles(self)
        if name:
            self.connect_profile(name)

    # -- the list --------------------------------------------------------------------

    def refresh(self) -> None:
        if self.session is None:
            return
        self._refresh_generation += 1
        generation = self._refresh_generation
        session, history = self.session, self.history

        def fetch() -> tuple[TenantListing, dict[str, BackupRecord], Path]:
            with session.target.connect() as conn:
                listing = list_tenants(conn, session.tenants_table)
            return listing, history.last_backups(session.database_key), history.last_folder()

        self.listing_label.setText("Reading the list of clinics…")
        self.pool.call(fetch, lambda result: self._show_listing(generation, *result),
                       lambda error: self._listing_failed(generation, error), name="list tenants")

    def _show_listing(self, generation: int, listing: TenantListing, last: dict[str, BackupRecord],
                      folder: Path) -> None:
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
        self.empty_label.setText("This database has no clinics (tenant schemas)." if not listing.tenants else "")
        self.listing_label.setText(listing.message)
        for view in (self.clinic_view, self.other_view):
            view.resizeColumnsToContents()
        if selected:
            self.select(selected)
        self.update_actions()

    def _listing_failed(self, generation: int, error: ResguardoError) -> None:
        if generation != self._refresh_generation:
            return
        self.listing_label.setText("The list of clinics could not be read.")
        self.banner.show_error(error, ("Retry", self.refresh))

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

    @staticmethod
    def owning_tenant(info: Any) -> str:
        """The tenant a row stands for: a safety copy stands for the tenant it was taken from."""
        return str(info.safety_copy_of if info.kind == "safety-copy" else info.schema)

    def safety_copy_for(self, info: Any) -> str | None:
        """The safety copy Undo / Discard act on: the selected copy itself, or the tenant's newest."""
        if info.kind == "safety-copy":
            return str(info.schema)
        copies = self.model.safety_copies.get(info.schema)
        return copies[0] if copies else None

    def update_actions(self) -> None:
        info = self.selected_info()
        connected = self.session is not None
        busy = self.jobs.busy_tenants()
        tenant = None if info is None else self.owning_tenant(info)
        free = info is not None and connected and tenant not in busy
        can_backup = free and info.exists and info.kind in ("tenant", "schema", "orphan")
        can_restore = free and bool(info.restorable)
        has_copy = free and self.safety_copy_for(info) is not None
        self.backup_action.setEnabled(bool(can_backup))
        self.restore_action.setEnabled(bool(can_restore))
        self.undo_action.setEnabled(bool(has_copy))
        self.discard_action.setEnabled(bool(has_copy))
        self.refresh_action.setEnabled(connected)

    def _context_menu(self, view: QTableView, pos: QPoint) -> None:
        index: QModelIndex = view.indexAt(pos)
        if not index.isValid():
            return
        view.selectRow(index.row())
        menu = QMenu(self)
        menu.addActions([self.backup_action, self.restore_action, self.undo_action, self.discard_action])
        menu.exec(view.viewport().mapToGlobal(pos))

    def _job_changed(self, panel: JobPanel) -> None:
        if panel.tenant:
            self.model.set_busy(panel.tenant, panel.running)
        self.update_actions()
        if self._closing and not self.jobs.running():
            QTimer.singleShot(0, self.close)

    def remember_backup(self, record: BackupRecord) -> None:
        """A backup finished: show it in the list without asking the server again."""
        self.last_folder = Path(record.path).parent
        self.model.last_backup[record.schema] = record
        self.model.set_busy(record.schema, False)

    # -- actions ---------------------------------------------------------------------

    def backup_selected(self) -> None:
        info = self.selected_info()
        if info is not None and self.backup_action.isEnabled():
            self.backup_flow.start(info.schema)

    def restore_selected(self) -> None:
        info = self.selected_info()
        if info is not None and self.restore_action.isEnabled():
            self.restore_flow.start(info.schema)

    def undo_selected(self) -> None:
        info = self.selected_info()
        if info is not None and self.undo_action.isEnabled():
            self.restore_flow.undo(self.owning_tenant(info), self.safety_copy_for(info) or "")

    def discard_selected(self) -> None:
        info = self.selected_info()
        copy = self.safety_copy_for(info) if info is not None else None
        if info is not None and copy and self.discard_action.isEnabled():
            self.restore_flow.discard(self.owning_tenant(info), copy)

    def verify_file(self) -> None:
        self.verify_flow.start()

    def open_log_file(self) -> None:
        def ensure() -> Path:  # the log folder and file are created on disk: off the UI thread
            path = log_file()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(exist_ok=True)
            return path

        self.pool.call(ensure, lambda path: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))),
                       self.banner.show_error, name="log")

    def open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.log_dir())))

    def about(self) -> None:
        QMessageBox.about(
            self, "About Resguardo",
            f"<b>Resguardo {__version__}</b><p>Backs up and restores one clinic at a time in a "
            "schema-per-tenant PostgreSQL database. A restore never touches another clinic and can be undone.</p>"
            f"<p>Log file: {log_file()}</p>",
        )

    # -- closing ---------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        running = self.jobs.running()
        if not running:
            event.accept()
            return
        if not self._closing:
            names = ", ".join(sorted({p.tenant or "a file" for p in running}))
            if not self.dialogs.confirm(
                self, "Jobs are running",
                f"A job is still running ({names}). Cancel it and close Resguardo? "
                "A cancelled restore changes nothing; a cancelled backup leaves no file.",
                "Cancel jobs and close",
            ):
                event.ignore()
                return
            self._closing = True
            self.listing_label.setText("Cancelling the running jobs before closing…")
            self.jobs.cancel_all()
        event.ignore()  # closes by itself when the last job has stopped (see _job_changed)

"""The clinic's backups (issue 21.3): one scan of the folders this profile backs up into, on a worker after each
listing, read by the list's "Last backup" column and the Backups view; and the view's actions as the window's jobs.

The folders are the schedules' of this profile (app/engine/routine/schedules.py), the ones the window backed up
into (the history, app/engine/stores/history.py) and the ones the user added (UiSettings.backup_folders). The scan
itself is app/engine/routine/clinic_backups.py. Restore… is the window's restore flow with the file given (no file
dialog); Verify and Test restore are job panels of the clinic, with progress and Cancel, an encrypted file's key
asked for as for any reading (encrypted_reading.py); each records its result, and the scan runs again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices

from app.engine.catalog.discovery import TenantKind
from app.engine.errors import ArchiveError, ResguardoError, RestoreFailed, UsageError
from app.engine.inspection.verify import FileCheck, verify_file
from app.engine.jobs import CancelToken, ProgressCallback
from app.engine.rehearsal.rehearsal import RehearsalFailed, RehearsalResult, rehearse_restore
from app.engine.routine.clinic_backups import Catalogue, ClinicBackup, find_clinic_backups, record_verified
from app.engine.routine.clinic_backups import rehearsal_outcome as outcome_of
from app.engine.routine.found import FoundBackup
from app.engine.routine.found import read_backup as read_manifest
from app.engine.routine.schedules import Schedule, ScheduleStore
from app.engine.routine.verified import record_restore_test
from app.engine.safety.naming import utc_now_iso
from app.engine.stores.history import History
from app.text_safety import shown
from app.ui import locale_format as fmt
from app.ui.backups_dialog import BackupsDialog
from app.ui.encrypted_reading import read_backup
from app.ui.flow_host import FlowHost
from app.ui.settings import UiSettings
from app.ui.verify_flow import describe_check

translate = QCoreApplication.translate
CLINIC_KINDS = (TenantKind.TENANT, TenantKind.SCHEMA)  # the ones with backups of their own
SCAN_DELAY_MS = 300  # backups finishing close together (Back up all clinics…) ask for one scan


def looked_in(history: History, settings: UiSettings, database: str) -> list[Path]:
    """On a worker: the folders the window backed up into for this database, then the ones the user added."""
    folders = [history.last_folder(), *(Path(r.path).parent for r in history.records() if r.database == database)]
    return [*folders, *map(Path, settings.backup_folders)]


def profile_schedules(profile: str | None) -> list[Schedule]:
    """On a worker: the schedules of this profile (every schedule when the window has no profile: the demo)."""
    try:
        schedules = ScheduleStore().all()
    except UsageError:  # a damaged schedules file: Schedule backups… says so when opened
        return []
    return [s for s in schedules if profile is None or s.profile == profile]


class BackupsFlow(QObject):
    scanned = Signal()  # a new catalogue is in `catalogue`

    def __init__(self, host: FlowHost, settings: UiSettings, restore: Callable[[str, Path], None]) -> None:
        super().__init__(host.window())
        self.host, self.settings, self.restore = host, settings, restore
        self.catalogue: Catalogue | None = None
        self.scanning = False
        self._generation = 0
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(SCAN_DELAY_MS)
        self._soon.timeout.connect(self.scan)
        self.dialog: BackupsDialog | None = None

    # -- the scan ------------------------------------------------------------------------------------------------

    def clinics(self) -> tuple[str, ...]:
        return tuple(t.schema for t in self.host.model.tenants if t.kind in CLINIC_KINDS)

    def scan_soon(self) -> None:
        self._soon.start()

    def scan(self) -> None:
        """Look in every folder again, on a worker; the column and the view follow when it is done."""
        host = self.host
        session = host.session
        if session is None:
            return
        self._generation += 1
        generation = self._generation
        clinics, history, settings = self.clinics(), host.history, self.settings
        database, profile = session.database_key, session.profile_name

        def work() -> Catalogue:
            schedules = profile_schedules(profile)
            return find_clinic_backups(looked_in(history, settings, database), clinics, schedules, datetime.now(UTC))

        self.scanning = True
        self.scanned.emit()
        started = utc_now_iso()
        host.pool.call(
            work, lambda c: self._found(generation, c, started), lambda e: self._failed(generation, e), name="backups"
        )

    def _found(self, generation: int, catalogue: Catalogue, started: str) -> None:
        if generation != self._generation:
            return
        self.catalogue, self.scanning = catalogue, False
        self.host.model.set_catalogue(catalogue, started)
        self.scanned.emit()

    def _failed(self, generation: int, error: ResguardoError) -> None:
        if generation == self._generation:
            self.scanning = False
            self.scanned.emit()

    def add_folder(self, folder: Path) -> None:
        settings = self.settings
        self.host.pool.call(
            lambda: settings.add_backup_folder(str(folder)),
            lambda _: self.scan(),
            lambda error: self.host.dialogs.show_error(self.host.window(), error),
            name="add folder",
        )

    # -- the view ------------------------------------------------------------------------------------------------

    def open(self, schema: str | None) -> None:
        """The Backups view of `schema` (one at a time: opening another clinic's replaces it)."""
        if schema is None:
            return
        if self.dialog is not None:
            self.dialog.close()
        dialog = BackupsDialog(self.host.window(), self, schema)
        self.dialog = dialog
        dialog.show()
        self.scan()

    def show_in_folder(self, backup: ClinicBackup) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(backup.path.parent)))

    def can_act(self, schema: str) -> bool:
        host = self.host
        return host.session is not None and schema not in host.jobs.busy_tenants()

    def verify(self, backup: ClinicBackup) -> None:
        """Read the file in full (every checksum); a whole file is recorded as verified."""
        host = self.host
        chosen = backup.path
        names = {t.schema: t.name for t in host.model.tenants if t.name}

        def job(readable: Path, progress: ProgressCallback, cancel: CancelToken) -> FileCheck:
            check = verify_file(readable, progress=progress, cancel=cancel)
            record_verified(chosen)
            return replace(check, path=chosen) if readable != chosen else check

        panel = host.jobs.new_panel(translate("Backups", "Verify {file}").format(file=shown(chosen.name)), None)

        def done(check: FileCheck, _opened: object) -> None:
            panel.succeed(describe_check(check, names), check)
            self.scan()

        read_backup(
            host,
            panel,
            chosen,
            job,
            translate("Backups", "Reading the file"),
            done,
            lambda error: panel.fail(error, translate("Backups", "The file was not changed.")),
        )

    def test_restore(self, backup: ClinicBackup) -> None:
        """Load the backup into a test copy beside the clinic, check every table, remove the copy (the rehearsal's
        engine, as `verify --restore-test`); its result is recorded beside the file."""
        host = self.host
        session = host.session
        schema, chosen = backup.schema, backup.path
        if session is None or not self.can_act(schema):
            return
        clinic = host.clinic_name(schema)
        server = session.target.describe()

        def job(readable: Path, progress: ProgressCallback, cancel: CancelToken) -> RehearsalResult:
            found = read_manifest(readable)
            checksum = found.checksum if isinstance(found, FoundBackup) else None
            try:
                result = rehearse_restore(
                    session.target,
                    readable,
                    tenant=schema,
                    tenants_table=session.tenants_table,
                    progress=progress,
                    cancel=cancel,
                )
            except (RehearsalFailed, ArchiveError, RestoreFailed) as exc:  # said of the file: recorded
                loaded = exc.result if isinstance(exc, RehearsalFailed) else None
                outcome = outcome_of(loaded, server) if loaded else {"ok": False, "server": server}
                outcome["error"] = exc.message
                record_restore_test(chosen, checksum, outcome)
                raise
            record_restore_test(chosen, checksum, outcome_of(result, server))
            return result

        panel = host.jobs.new_panel(
            translate("Backups", "Test restore of {clinic} from {file}").format(clinic=clinic, file=shown(chosen.name)),
            schema,
        )

        def done(result: RehearsalResult, _opened: object) -> None:
            panel.succeed(
                translate(
                    "Backups",
                    "The backup restores: {rows} rows in {tables} tables were loaded into a test copy and each table "
                    "checked against the backup, in {time}. The test copy was removed; {clinic} was not touched.",
                ).format(
                    rows=fmt.number(result.rows),
                    tables=fmt.number(len(result.tables)),
                    time=fmt.duration(result.seconds),
                    clinic=clinic,
                ),
                result,
            )
            self.scan()

        def failed(error: ResguardoError) -> None:
            panel.fail(error, translate("Backups", "{clinic} was not touched.").format(clinic=clinic))
            self.scan()

        read_backup(host, panel, chosen, job, translate("Backups", "Starting the test restore"), done, failed)
        host.update_actions()

"""Back up…: the backup dialog (format, file), then the job on a worker; the result offers Show in folder and Verify.

The first time, the dialog proposes a Resguardo folder in the user's documents,
created (on a worker) before the dialog opens so the dialog really starts there.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtGui import QDesktopServices

from app.engine.backup.backup import Backup
from app.engine.backup.destination import default_archive_name
from app.engine.backup.result import BackupResult
from app.engine.errors import ResguardoError
from app.engine.jobs import CancelToken, ProgressCallback
from app.engine.stores.history import BackupRecord, record_backup
from app.text_safety import shown, visible
from app.ui import locale_format as fmt
from app.ui.flow_host import FlowHost
from app.ui.formats import BACKUP_FORMATS, BackupFormat
from app.ui.job_panel import JobPanel
from app.ui.verify_flow import VerifyFlow

translate = QCoreApplication.translate


def suggested_name(schema: str, when: datetime, backup_format: BackupFormat) -> str:
    """The engine's `<clinic>_<YYYY-MM-DD_HHMMSSZ>` name (UTC) with the chosen format's extension."""
    return default_archive_name(schema, when, backup_format.extension)


def ready_folder(folder: Path) -> Path:
    """Off the UI thread: the folder the dialog opens in, created if needed (first time: Documents/Resguardo)."""
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def describe_backup(result: BackupResult, chosen: str) -> str:
    """What was written, in words; for Automatic, which format it chose and why."""
    rows = (
        translate("BackupFlow", "{rows} rows in {tables} tables").format(
            rows=fmt.number(result.rows), tables=fmt.number(result.tables)
        )
        if result.rows
        else translate("BackupFlow", "{tables} tables").format(tables=fmt.number(result.tables))
    )
    text = translate("BackupFlow", "Saved {file}: {size}, {rows}, {time}.").format(
        file=shown(str(result.path)), size=fmt.size(result.size_bytes), rows=rows, time=fmt.duration(result.seconds)
    )
    if chosen == "auto":
        if result.format == "native":
            text += " " + translate(
                "BackupFlow",
                "Automatic chose the Resguardo format because no pg_dump that "
                "fits this server could be used (the log file says why).",
            )
        else:
            text += " " + translate(
                "BackupFlow", "Automatic chose pg_dump's custom format: {tool} fits this server."
            ).format(tool=result.tool or "pg_dump")
    return text


class BackupFlow:
    def __init__(self, host: FlowHost, verify: VerifyFlow) -> None:
        self.host = host
        self.verify = verify

    def start(self, schema: str) -> None:
        host = self.host
        if host.session is None:
            return
        folder = host.last_folder
        host.pool.call(
            lambda: ready_folder(folder),
            lambda ready: self._ask(schema, ready),
            lambda error: host.dialogs.show_error(host.window(), error),
            name="backup folder",
        )

    def _ask(self, schema: str, folder: Path) -> None:
        host = self.host
        session = host.session
        suggested = folder / suggested_name(schema, datetime.now(), BACKUP_FORMATS[0])
        answer = host.dialogs.save_backup_path(host.window(), suggested, BACKUP_FORMATS, host.clinic_name(schema))
        if answer is None or session is None or host.session is not session:
            return
        path, chosen = answer
        if schema in host.jobs.busy_tenants():  # a job may have started while the dialog was open
            return
        history, tenants_table = host.history, session.tenants_table

        def job(progress: ProgressCallback, cancel: CancelToken) -> tuple[BackupResult, BackupRecord]:
            path.parent.mkdir(parents=True, exist_ok=True)
            keys = session.encrypt_to()
            # An encrypted profile never writes a plain backup; `.age` is added, never replacing a file. A plain
            # backup replaces: the save dialog asked before replacing a file.
            result = Backup(
                session.target,
                schema,
                path,
                fmt=chosen.key,
                encrypt_to=keys,
                progress=progress,
                cancel=cancel,
                tenants_table=tenants_table,
                replace=not keys,
            ).run()
            record = record_backup(
                session.database_key, schema, Path(result.path), result.size_bytes, result.rows, result.seconds, history
            )
            return result, record

        clinic = host.clinic_name(schema)
        panel = host.jobs.new_panel(translate("BackupFlow", "Back up {clinic}").format(clinic=clinic), schema)
        panel.log(
            translate("BackupFlow", "Backing up {clinic} of {server} to {file}").format(
                clinic=clinic, server=session.target.describe(), file=shown(str(path))
            )
        )
        panel.note(f"the clinic's internal name: {shown(schema)}")

        def done(outcome: tuple[BackupResult, BackupRecord]) -> None:
            result, record = outcome
            if result.note:
                panel.note(visible(result.note))  # the engine's reason, in the log file
            panel.succeed(describe_backup(result, chosen.key), result)
            self._offer(panel, Path(result.path))
            host.remember_backup(record)

        def failed(error: ResguardoError) -> None:
            panel.fail(error, translate("BackupFlow", "No backup file was written."))

        panel.run(job, translate("BackupFlow", "Starting the backup"), done, failed)

    def _offer(self, panel: JobPanel, path: Path) -> None:
        def show_folder() -> None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))

        panel.add_button(
            translate("BackupFlow", "Verify"),
            lambda: self.verify.start(path),
            "verify",
            translate("BackupFlow", "Read the file back and check every checksum"),
        )
        panel.add_button(
            translate("BackupFlow", "Show in folder"),
            show_folder,
            "folder",
            translate("BackupFlow", "Open the folder that holds the file"),
        )

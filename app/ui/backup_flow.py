"""Back up…: the save dialog (last folder, suggested name, format), then the job on a worker."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app.engine.backup import BackupResult, default_archive_name
from app.engine.errors import ResguardoError
from app.engine.history import BackupRecord, record_backup
from app.engine.jobs import CancelToken, ProgressCallback
from app.engine.pgdump_backup import write_backup
from app.formatting import human_duration, human_size
from app.ui.dialogs import BACKUP_FORMATS, BackupFormat

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

def suggested_name(schema: str, when: datetime, fmt: BackupFormat) -> str:
    """The engine's `<schema>_<YYYY-MM-DD_HHMM>` name with the chosen format's extension."""
    return str(Path(default_archive_name(schema, when)).with_suffix(fmt.extension))


class BackupFlow:
    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def start(self, schema: str) -> None:
        window = self.window
        session = window.session
        if session is None:
            return
        suggested = window.last_folder / suggested_name(schema, datetime.now(), BACKUP_FORMATS[0])
        answer = window.dialogs.save_backup_path(window, suggested, BACKUP_FORMATS)
        if answer is None:
            return
        path, fmt = answer
        if schema in window.jobs.busy_tenants():  # a job may have started while the dialog was open
            return
        history = window.history
        tenants_table = session.tenants_table

        def job(progress: ProgressCallback, cancel: CancelToken) -> tuple[BackupResult, BackupRecord]:
            path.parent.mkdir(parents=True, exist_ok=True)
            result = write_backup(fmt.key, session.target, schema, path, progress=progress, cancel=cancel,
                                  tenants_table=tenants_table)
            record = record_backup(session.database_key, schema, Path(result.path), result.size_bytes,
                                   result.rows, result.seconds, history)
            return result, record

        panel = window.jobs.new_panel(f"Back up {schema}", schema)
        panel.log(f"Backing up {schema} of {session.target.describe()} to {path}")

        def done(outcome: tuple[BackupResult, BackupRecord]) -> None:
            result, record = outcome
            rows = f"{result.rows:,} rows in " if result.rows else ""
            note = result.note  # why "auto" wrote what it wrote
            panel.succeed(
                f"Saved {result.path} — {human_size(result.size_bytes)}, {rows}{result.tables} tables, "
                f"{human_duration(result.seconds)}." + (f" {note}" if note else ""), result)
            window.remember_backup(record)

        def failed(error: ResguardoError) -> None:
            panel.fail(error, "No backup file was written.")

        panel.run(job, "Starting the backup", done, failed)

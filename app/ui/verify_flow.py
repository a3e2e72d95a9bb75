"""Verify a file…: check a backup's manifest and checksums without a database."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.engine.errors import ResguardoError
from app.engine.jobs import CancelToken, ProgressCallback
from app.engine.verify import FileCheck, verify_file
from app.formatting import human_size, local_time
from app.ui.dialogs import restore_name_filter

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow


class VerifyFlow:
    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def start(self) -> None:
        window = self.window
        path = window.dialogs.open_backup_path(window, "Verify a backup file", window.last_folder,
                                               restore_name_filter())
        if path is None:
            return

        def job(progress: ProgressCallback, cancel: CancelToken) -> FileCheck:
            return verify_file(Path(path), progress=progress, cancel=cancel)

        panel = window.jobs.new_panel(f"Verify {path.name}", None)

        def done(result: FileCheck) -> None:
            if result.kind == "native":
                holds = (f"{result.source_schema}, backed up {local_time(result.created_utc or '')}, "
                         f"{result.rows:,} rows in {result.tables} tables ({human_size(result.bytes)} of data). "
                         "Every checksum matches.")
            else:
                kind = "a plain SQL" if result.kind == "sql" else "a custom-format"
                data = "with data" if result.has_data else "without data"
                holds = (f"{kind} pg_dump of {result.source_schema} by {result.tool_version}, "
                         f"{result.tables} tables, {data}.")
            panel.succeed(f"{path} is complete and readable: {holds}", result)

        def failed(error: ResguardoError) -> None:
            panel.fail(error, "The file was not changed.")

        panel.run(job, "Reading the file", done, failed)

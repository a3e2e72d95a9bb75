"""Restore…, Undo last restore and Discard safety copy: each a job for one tenant.

Restore is two engine calls in one job panel: the preview (nothing changes),
the typed confirmation, then the restore itself. Cancel or failure at any
point leaves the tenant as it was, and the panel says so.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.engine.connection import ConnectionTarget
from app.engine.errors import Cancelled
from app.engine.jobs import CancelToken, ProgressCallback
from app.engine.restore import RestoreResult, restore_tenant
from app.engine.restore_preview import RestorePreview, preview_restore
from app.engine.discard import discard_safety_copy
from app.engine.undo import UndoResult, undo_restore
from app.formatting import human_duration
from app.ui.dialogs import restore_name_filter
from app.ui.job_panel import JobPanel

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

NOTHING_CHANGED = "Nothing was changed."


class RestoreFlow:
    def __init__(self, window: MainWindow) -> None:
        self.window = window

    # -- restore -----------------------------------------------------------------------

    def start(self, schema: str) -> None:
        window = self.window
        if window.session is None:
            return
        path = window.dialogs.open_backup_path(window, f"Restore {schema}: choose a backup file",
                                               window.last_folder, restore_name_filter())
        if path is None or schema in window.jobs.busy_tenants():
            return
        session = window.session
        panel = window.jobs.new_panel(f"Restore {schema} from {path.name}", schema)
        panel.log(f"Restoring {schema} of {session.target.describe()} from {path}")

        def preview(progress: ProgressCallback, cancel: CancelToken) -> RestorePreview:
            cancel.raise_if_cancelled()
            return preview_restore(session.target, schema, Path(path), allow_other_tenant=True,
                                   keep_superusers=True, user_table=session.user_table,
                                   tenants_table=session.tenants_table)

        panel.run(preview, "Reading the file and comparing it with the database",
                  lambda p: self._confirm(panel, schema, Path(path), p),
                  lambda error: panel.fail(error, NOTHING_CHANGED))

    def _confirm(self, panel: JobPanel, schema: str, path: Path, preview: RestorePreview) -> None:
        window = self.window
        session = window.session
        panel.wait_for_user("Waiting for your confirmation")
        if session is None or not window.dialogs.confirm_restore(window, preview, schema):
            panel.fail(Cancelled("You did not confirm the restore."), NOTHING_CHANGED)
            return

        def restore(progress: ProgressCallback, cancel: CancelToken) -> RestoreResult:
            return restore_tenant(session.target, schema, path, keep_superusers=True, allow_other_tenant=True,
                                  user_table=session.user_table, tenants_table=session.tenants_table,
                                  progress=progress, cancel=cancel)

        def done(result: RestoreResult) -> None:
            panel.succeed(describe_restore(result), result)
            for warning in result.warnings:
                panel.log(f"Warning: {warning}")
            copy = result.safety_copy
            if copy:
                button = panel.add_button("Undo this restore", lambda: self.undo(schema, copy))
                button.setToolTip(f"Put {schema} back as it was before this restore (from {copy})")
            window.refresh()

        panel.run(restore, "Starting the restore", done, lambda error: panel.fail(error, NOTHING_CHANGED))

    # -- undo and discard ----------------------------------------------------------------

    def undo(self, schema: str, safety_copy: str) -> None:
        def done(result: UndoResult) -> str:
            kept = f" The data it replaced is now the safety copy {result.safety_copy}." if result.safety_copy else ""
            return f"{schema} is back as it was before its last restore (from {result.restored_from}).{kept}"

        self._confirmed_job(
            schema, ("Undo last restore",
                     f"Put {schema} back as it was before its last restore (from the safety copy {safety_copy})? "
                     "The restored data is kept as a safety copy in turn.", "Undo restore"),
            f"Undo the last restore of {schema}", "Starting the undo",
            lambda target, progress, cancel: undo_restore(target, schema, progress=progress, cancel=cancel), done)

    def discard(self, schema: str, safety_copy: str) -> None:
        self._confirmed_job(
            schema, ("Discard safety copy",
                     f"Delete the safety copy {safety_copy} of {schema}? The restore that left it can then no "
                     "longer be undone. The live clinic is not touched.", "Discard safety copy"),
            f"Discard the safety copy {safety_copy}", "Dropping the safety copy",
            lambda target, _progress, _cancel: discard_safety_copy(target, safety_copy),
            lambda _: f"Discarded {safety_copy}. {schema} itself was not touched.")

    def _confirmed_job(self, schema: str, question: tuple[str, str, str], title: str, first_stage: str,
                       work: Callable[[ConnectionTarget, ProgressCallback, CancelToken], Any],
                       describe: Callable[[Any], str]) -> None:
        """Ask first (No is the default), then run `work` as one job of the tenant; the list follows."""
        window = self.window
        session = window.session
        if session is None or schema in window.jobs.busy_tenants():
            return
        if not window.dialogs.confirm(window, *question):
            return
        panel = window.jobs.new_panel(title, schema)

        def done(result: Any) -> None:
            panel.succeed(describe(result), result)
            window.refresh()

        panel.run(lambda progress, cancel: work(session.target, progress, cancel), first_stage, done,
                  lambda error: panel.fail(error, NOTHING_CHANGED))


def describe_restore(result: RestoreResult) -> str:
    """What was restored, from where, and how to undo it."""
    source = f" (made from {result.source_schema})" if result.source_schema and result.source_schema != result.tenant \
        else ""
    text = (f"Restored {result.tenant} from {result.path.name}{source}: {result.rows:,} rows in {result.tables} "
            f"tables, {human_duration(result.seconds)}.")
    if result.kept_superusers:
        text += " Administrators kept with their current passwords: " + ", ".join(result.kept_superusers) + "."
    if result.safety_copy:
        text += f" The data it replaced is kept as the safety copy {result.safety_copy}; Undo puts it back."
    if result.dropped_safety_copies:
        text += " The older safety copy " + ", ".join(result.dropped_safety_copies) + " was dropped."
    if result.warnings:
        text += f" {len(result.warnings)} warning(s): see the log."
    return text

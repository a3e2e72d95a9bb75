"""Recover records… and Undo recovery…: bringing chosen records back from a backup into a live clinic.

One job panel per recovery, for one clinic: the backup is opened on a worker (an encrypted one decrypted once,
kept until the recovery ends), its tables listed; the user browses and picks a record (recover_dialog.py);
the plan, what comes along with it and what is skipped, is worked out on a worker with progress and Cancel;
the preview asks (recover_preview.py, Cancel the default); only then does the engine insert the rows, in one
transaction (app/engine/recovery/apply.py). Cancel or a failure at any point changes nothing. Undo recovery…
reads the clinic's last recovery on a worker, asks, then removes exactly those rows (undo_recovery), refused
by the engine, with nothing changed, when any of them changed since.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication

from app.engine.errors import Cancelled, ResguardoError
from app.engine.jobs import CancelToken, ProgressCallback
from app.engine.recovery.apply import apply_recovery
from app.engine.recovery.browse import BackupContents, BackupTable, RowsPage, Search, deleted_since, list_tables
from app.engine.recovery.browse import read_rows as read_backup_rows
from app.engine.recovery.model import RecoveryPlan, RecoveryRecord, RecoveryResult, UndoRecoveryResult
from app.engine.recovery.several import plan_several
from app.engine.recovery.undo import last_recovery, undo_recovery
from app.engine.restore.swap import LockPolicy
from app.text_safety import shown, visible
from app.ui import locale_format as fmt
from app.ui.busy_clinic import closed_unless_busy, nothing_changed, run_asking_when_busy
from app.ui.encrypted_reading import OpenedBackup, close_later, read_backup
from app.ui.engine_words import WindowError
from app.ui.flow_host import FlowHost
from app.ui.job_panel import JobPanel
from app.ui.recover_dialog import BrowseContext
from app.ui.recover_preview import RecoverContext, counts

translate = QCoreApplication.translate


def recover_name_filter() -> str:
    """The open dialog's filter: Resguardo's own backups, plain or encrypted."""
    return translate("RecoverFlow", "Resguardo backups (*.resguardo *.age);;All files (*)")


class RecoverFlow:
    def __init__(self, host: FlowHost) -> None:
        self.host = host

    # -- recover -------------------------------------------------------------------------------------------

    def start(self, schema: str) -> None:
        host = self.host
        if host.session is None or schema in host.jobs.busy_tenants():
            return
        clinic = host.clinic_name(schema)
        path = host.dialogs.open_backup_path(
            host.window(),
            translate("RecoverFlow", "Recover records into {clinic}: choose a backup").format(clinic=clinic),
            host.last_folder,
            recover_name_filter(),
        )
        session = host.session
        if path is None or session is None or schema in host.jobs.busy_tenants():
            return
        chosen = Path(path)
        panel = host.jobs.new_panel(
            translate("RecoverFlow", "Recover records into {clinic} from {file}").format(
                clinic=clinic, file=shown(chosen.name)
            ),
            schema,
        )
        panel.log(
            translate("RecoverFlow", "Recovering records into {clinic} of {server} from {file}").format(
                clinic=clinic, server=session.target.describe(), file=shown(str(chosen))
            )
        )
        panel.note(f"the clinic's internal name: {shown(schema)}")
        target, tenants_table = session.target, session.tenants_table

        def contents(readable: Path, _progress: ProgressCallback, cancel: CancelToken) -> BackupContents:
            return list_tables(target, schema, readable, tenants_table=tenants_table, cancel=cancel)

        read_backup(
            host,
            panel,
            chosen,
            contents,
            translate("RecoverFlow", "Reading the backup"),
            lambda found, opened: self._browse(panel, schema, chosen, opened, found),
            lambda error: panel.fail(error, nothing_changed()),
            keep_open=True,
        )

    def _browse(
        self, panel: JobPanel, schema: str, chosen: Path, opened: OpenedBackup, contents: BackupContents
    ) -> None:
        host = self.host
        session = host.session
        readable = opened.readable or opened.path
        clinic = host.clinic_name(schema)
        if session is None:
            self._stop(panel, opened, translate("RecoverFlow", "The connection was closed."))
            return
        target, tenants_table = session.target, session.tenants_table

        def read(
            table: BackupTable, search: Search | None, deleted: bool, progress: ProgressCallback, cancel: CancelToken
        ) -> RowsPage:
            if deleted:
                return deleted_since(
                    target,
                    schema,
                    readable,
                    table,
                    search=search,
                    tenants_table=tenants_table,
                    progress=progress,
                    cancel=cancel,
                )
            return read_backup_rows(readable, table, search=search, progress=progress, cancel=cancel)

        panel.log(translate("RecoverFlow", "The backup holds %Ln tables.", None, len(contents.tables)))
        panel.wait_for_user(translate("RecoverFlow", "Waiting for you to choose a record"))
        picked = host.dialogs.pick_records(host.window(), BrowseContext(clinic, chosen.name, contents, host.pool, read))
        if picked is None or panel not in host.jobs.panels:
            self._stop(panel, opened, translate("RecoverFlow", "No record was chosen."))
            return
        record = picked.label
        panel.log(translate("RecoverFlow", "Chosen: {record}").format(record=record))
        encrypted = readable != chosen
        other = contents.source_schema != schema  # a backup of another clinic: its records go in only if asked
        if other and not host.dialogs.confirm(
            host.window(),
            translate("RecoverFlow", "A backup of another clinic"),
            translate(
                "RecoverFlow",
                "{file} is a backup of {other}, not of {clinic}. Bring the chosen record from it into {clinic} anyway?",
            ).format(file=shown(chosen.name), other=host.clinic_name(contents.source_schema), clinic=clinic),
            translate("RecoverFlow", "Bring it into {clinic}").format(clinic=clinic),
        ):
            self._stop(panel, opened, translate("RecoverFlow", "You chose not to use a backup of another clinic."))
            return

        def plan(progress: ProgressCallback, cancel: CancelToken) -> RecoveryPlan:
            return plan_several(
                target,
                schema,
                readable,
                table=picked.table.name,
                matches=picked.matches,
                with_dependents=picked.with_dependents,
                tenants_table=tenants_table,
                allow_other_tenant=other,
                progress=progress,
                cancel=cancel,
            )

        panel.run(
            plan,
            translate("RecoverFlow", "Working out what comes back with it"),
            lambda found: self._confirm(
                panel,
                opened,
                RecoverContext(found, clinic, chosen.name, record, encrypted, host.clinic_name(contents.source_schema)),
            ),
            lambda error: self._failed(panel, opened, error),
        )

    def _confirm(self, panel: JobPanel, opened: OpenedBackup, context: RecoverContext) -> None:
        host = self.host
        session = host.session
        plan = context.plan
        panel.log(
            translate("RecoverFlow", "%Ln records would come back", None, plan.rows_to_insert)
            + (f": {counts(plan)}" if plan.rows_to_insert else "")
        )
        panel.wait_for_user(translate("RecoverFlow", "Waiting for your confirmation"))
        if session is None or not host.dialogs.confirm_recovery(host.window(), context):
            self._stop(panel, opened, translate("RecoverFlow", "You did not confirm the recovery."))
            return
        target, tenants_table = session.target, session.tenants_table

        def apply(locks: LockPolicy, progress: ProgressCallback, cancel: CancelToken) -> RecoveryResult:
            return closed_unless_busy(
                opened,
                lambda: apply_recovery(
                    target, plan, tenants_table=tenants_table, locks=locks, progress=progress, cancel=cancel
                ),
            )

        def done(result: RecoveryResult) -> None:
            panel.succeed(describe_result(result, context), result)
            for warning in result.warnings:  # the engine's, naming internal names: the log file's details
                panel.note(f"Warning: {visible(warning)}")
            panel.add_button(
                translate("RecoverFlow", "Undo this recovery"),
                lambda: self.undo(plan.tenant),
                "undo",
                translate("RecoverFlow", "Remove the records this recovery added"),
            )
            host.refresh()

        run_asking_when_busy(
            host,
            panel,
            apply,
            translate("RecoverFlow", "Bringing the records back"),
            done,
            lambda: close_later(host, opened),
        )

    # -- undo ----------------------------------------------------------------------------------------------

    def undo(self, schema: str) -> None:
        """Undo recovery…: the clinic's last recovery read on a worker, asked about, then removed."""
        host = self.host
        session = host.session
        if session is None or schema in host.jobs.busy_tenants():
            return
        target = session.target
        host.pool.call(
            lambda: last_recovery(target, schema),
            lambda record: self._ask_undo(schema, record),
            lambda error: host.dialogs.show_error(host.window(), error),
            name="read the last recovery",
        )

    def _ask_undo(self, schema: str, record: RecoveryRecord | None) -> None:
        host = self.host
        session = host.session
        clinic = host.clinic_name(schema)
        if record is None:
            host.dialogs.show_error(
                host.window(),
                WindowError(  # the window's own sentence, in its language
                    translate("RecoverFlow", "There is no recovery of {clinic} to undo on this computer.").format(
                        clinic=clinic
                    ),
                    changed=False,
                ),
            )
            return
        if session is None or schema in host.jobs.busy_tenants():
            return
        when = fmt.when(record.recovered_utc) or "?"
        question = translate(
            "RecoverFlow",
            "Remove the %Ln records recovered into {clinic} on {when} from {file}? Nothing else of {clinic} is "
            "touched. If any of them was changed since, nothing is removed and you are told which.",
            None,
            record.rows,
        ).format(clinic=clinic, when=when, file=shown(record.file))
        if not host.dialogs.confirm(
            host.window(),
            translate("RecoverFlow", "Undo recovery"),
            question,
            translate("RecoverFlow", "Remove them"),
            danger=True,
        ):
            return
        panel = host.jobs.new_panel(
            translate("RecoverFlow", "Undo the recovery into {clinic} of {when}").format(clinic=clinic, when=when),
            schema,
        )
        target, tenants_table = session.target, session.tenants_table

        def work(locks: LockPolicy, progress: ProgressCallback, cancel: CancelToken) -> UndoRecoveryResult:
            return undo_recovery(
                target, schema, tenants_table=tenants_table, locks=locks, progress=progress, cancel=cancel
            )

        def done(result: UndoRecoveryResult) -> None:
            panel.succeed(
                translate(
                    "RecoverFlow",
                    "Removed the %Ln records recovered into {clinic} on {when}, in {time}.",
                    None,
                    result.rows,
                ).format(clinic=clinic, when=when, time=fmt.duration(result.seconds)),
                result,
            )
            host.refresh()

        run_asking_when_busy(host, panel, work, translate("RecoverFlow", "Removing the recovered records"), done)

    # -- shared --------------------------------------------------------------------------------------------

    def _failed(self, panel: JobPanel, opened: OpenedBackup, error: ResguardoError) -> None:
        close_later(self.host, opened)
        panel.fail(error, nothing_changed())

    def _stop(self, panel: JobPanel, opened: OpenedBackup, why: str) -> None:
        close_later(self.host, opened)
        panel.fail(Cancelled(why, changed=False), nothing_changed())


def describe_result(result: RecoveryResult, context: RecoverContext) -> str:
    text = translate("RecoverFlow", "%Ln records brought back into {clinic} from {file}, in {time}", None, result.rows)
    text = text.format(clinic=context.clinic, file=shown(context.file_name), time=fmt.duration(result.seconds))
    found = counts(context.plan)
    text += f" ({found})." if found else "."
    if context.plan.conflicts:
        text += " " + translate(
            "RecoverFlow",
            "%Ln records were skipped: the clinic holds other data under the same number.",
            None,
            context.plan.conflicts,
        )
    text += " " + translate("RecoverFlow", "Undo recovery… removes them again.")
    if result.warnings:
        text += " " + translate("RecoverFlow", "%Ln warnings: see the log.", None, len(result.warnings))
    return text

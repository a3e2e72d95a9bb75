"""Restore…, Undo and Discard: each a job for one clinic.

Restore is two engine calls in one job panel: first the file is verified (every
checksum, with progress and Cancel) and compared with the database (exact row
counts), and only then is the confirmation offered; after the typed
confirmation, the restore itself. Cancel or failure at any point leaves the
clinic as it was, and the panel says so.

A restore's Undo button is bound to the previous version that restore kept: it
is enabled only while the list shows that version as the clinic's latest, and
the engine refuses an undo whose version is no longer the one it would put back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QPushButton

from app.engine.catalog.discovery import TenantKind
from app.engine.connection import ConnectionTarget
from app.engine.errors import Cancelled
from app.engine.inspection.verify import FileCheck, verify_file
from app.engine.jobs import CancelToken, ProgressCallback
from app.engine.restore.discard import discard_safety_copy
from app.engine.restore.preview import preview_restore
from app.engine.restore.restore import RestoreResult, restore_tenant
from app.engine.restore.swap import LockPolicy
from app.engine.restore.table_locks import Session
from app.engine.restore.undo import UndoResult, undo_restore
from app.text_safety import shown, visible
from app.ui import locale_format as fmt
from app.ui.busy_clinic import closed_unless_busy, nothing_changed, run_asking_when_busy
from app.ui.encrypted_reading import OpenedBackup, close_later, read_backup
from app.ui.flow_host import FlowHost
from app.ui.formats import restore_name_filter
from app.ui.job_panel import JobPanel
from app.ui.job_runner import scaled
from app.ui.preview_text import PreviewContext
from app.ui.session import Session as UiSession
from app.ui.tenant_table import TenantModel

translate = QCoreApplication.translate
VERIFY_SHARE = 0.75  # of the first job's bar: reading the whole file; the rest is the comparison with the database


@dataclass
class BoundUndo:
    """An Undo button and the one previous version it may put back."""

    panel: JobPanel
    button: QPushButton
    tenant: str
    copy: str


class RestoreFlow:
    def __init__(self, host: FlowHost) -> None:
        self.host = host
        self.bound: list[BoundUndo] = []

    # -- restore -----------------------------------------------------------------------

    def start(self, schema: str, path: Path | None = None) -> None:
        """Restore `schema` from `path` (the Backups view's file), or from the file the user picks."""
        host = self.host
        if host.session is None:
            return
        clinic = host.clinic_name(schema)
        path = path or host.dialogs.open_backup_path(
            host.window(),
            translate("RestoreFlow", "Restore {clinic}: choose a backup file").format(clinic=clinic),
            host.last_folder,
            restore_name_filter(),
        )
        session = host.session
        if path is None or session is None or schema in host.jobs.busy_tenants():
            return
        chosen = Path(path)
        names, copy_dates = clinic_words(host.model)
        panel = host.jobs.new_panel(
            translate("RestoreFlow", "Restore {clinic} from {file}").format(clinic=clinic, file=shown(chosen.name)),
            schema,
        )
        panel.log(
            translate("RestoreFlow", "Restoring {clinic} of {server} from {file}").format(
                clinic=clinic, server=session.target.describe(), file=shown(str(chosen))
            )
        )
        panel.note(f"the clinic's internal name: {shown(schema)}")

        def check(readable: Path, progress: ProgressCallback, cancel: CancelToken) -> PreviewContext:
            verified = verify_file(readable, progress=scaled(progress, 0, VERIFY_SHARE), cancel=cancel)
            into = Into(session, schema, clinic, names, copy_dates)
            return previewed(into, chosen, readable, verified, scaled(progress, VERIFY_SHARE, 1.0), cancel)

        read_backup(  # an encrypted file: its key asked for, decrypted once on the worker, kept until the restore ends
            host,
            panel,
            chosen,
            check,
            translate("RestoreFlow", "Verifying the file"),
            lambda context, opened: self.confirm(panel, opened, context),
            lambda error: panel.fail(error, nothing_changed()),
            keep_open=True,
        )

    def confirm(self, panel: JobPanel, opened: OpenedBackup, context: PreviewContext) -> None:
        """The verified file's restore offered (the typed confirmation); after a yes, the restore in `panel`."""
        host = self.host
        session = host.session
        schema = context.preview.tenant
        path = opened.readable or opened.path
        panel.log(translate("RestoreFlow", "The file is complete and every checksum matches."))
        panel.wait_for_user(translate("RestoreFlow", "Waiting for your confirmation"))
        if session is None or not host.dialogs.confirm_restore(host.window(), context):
            close_later(host, opened)
            panel.fail(
                Cancelled(translate("RestoreFlow", "You did not confirm the restore."), changed=False),
                nothing_changed(),
            )
            return

        def restore(locks: LockPolicy, progress: ProgressCallback, cancel: CancelToken) -> RestoreResult:
            return closed_unless_busy(
                opened,
                lambda: replace(
                    restore_tenant(
                        session.target,
                        schema,
                        path,
                        keep_superusers=True,
                        allow_other_tenant=True,
                        user_table=session.user_table,
                        tenants_table=session.tenants_table,
                        locks=locks,
                        progress=progress,
                        cancel=cancel,
                    ),
                    path=opened.path,
                ),
            )

        def done(result: RestoreResult) -> None:
            panel.succeed(describe_restore(result, context), result)
            for warning in result.warnings:  # the engine's, naming internal names: the log file's details
                panel.note(f"Warning: {visible(warning)}")
            if result.safety_copy:
                self._bind_undo(panel, schema, result.safety_copy)
            host.refresh()

        run_asking_when_busy(
            host,
            panel,
            restore,
            translate("RestoreFlow", "Starting the restore"),
            done,
            not_again=lambda: close_later(host, opened),
        )

    # -- undo buttons bound to one previous version --------------------------------------

    def _bind_undo(self, panel: JobPanel, tenant: str, copy: str) -> None:
        button = panel.add_button(
            translate("RestoreFlow", "Undo this restore"),
            lambda: self.undo(tenant, copy),
            "undo",
            translate("RestoreFlow", "Put the clinic back as it was before this restore"),
        )
        self.bound.append(BoundUndo(panel, button, tenant, copy))
        self.update_undo_buttons(connected=True)

    def update_undo_buttons(self, connected: bool) -> None:
        """Enable each Undo only while its previous version is its clinic's latest, and the clinic is free."""
        host = self.host
        self.bound = [b for b in self.bound if b.panel in host.jobs.panels]
        busy = host.jobs.busy_tenants()
        for bound in self.bound:
            current = (host.model.safety_copies.get(bound.tenant) or [""])[0] == bound.copy
            bound.button.setEnabled(connected and current and bound.tenant not in busy)
            bound.button.setText(
                translate("RestoreFlow", "Undo this restore")
                if current
                else translate("RestoreFlow", "Can no longer be undone")
            )
            bound.button.setToolTip(
                translate("RestoreFlow", "Put the clinic back as it was before this restore")
                if current
                else translate(
                    "RestoreFlow",
                    "No longer possible from here: the previous version this restore kept has "
                    "since been replaced or deleted (by another restore, an undo or a "
                    "discard).",
                )
            )

    # -- undo and discard ----------------------------------------------------------------

    def undo(self, tenant: str, copy: str) -> None:
        """Put back `copy` (the clinic's latest previous version, as the list shows); the engine checks it still is."""
        clinic = self.host.clinic_name(tenant)
        kept = self._kept_on(copy)
        tenants_table = self.host.session.tenants_table if self.host.session else None

        def describe(result: UndoResult) -> str:
            text = translate("RestoreFlow", "{clinic} is back to the version kept on {date}.").format(
                clinic=clinic, date=kept
            )
            if result.safety_copy:
                text += " " + translate(
                    "RestoreFlow",
                    "The data it replaced is now the previous version kept for undo, so this can be undone too.",
                )
            return text + interrupted(result.interrupted)

        self._confirmed_job(
            tenant,
            (
                translate("RestoreFlow", "Undo"),
                translate(
                    "RestoreFlow",
                    "Put back the version of {clinic} kept on {date}? The data {clinic} "
                    "has now becomes the previous version kept for undo, so this can be "
                    "undone too.",
                ).format(clinic=clinic, date=kept),
                translate("RestoreFlow", "Put it back"),
            ),
            translate("RestoreFlow", "Undo: {clinic} back to {date}").format(clinic=clinic, date=kept),
            translate("RestoreFlow", "Starting the undo"),
            lambda target, locks, progress, cancel: undo_restore(
                target,
                tenant,
                expected_copy=copy,
                tenants_table=tenants_table,
                locks=locks,
                progress=progress,
                cancel=cancel,
            ),
            describe,
            danger=False,
        )

    def discard(self, tenant: str, copy: str) -> None:
        clinic = self.host.clinic_name(tenant)
        kept = self._kept_on(copy)
        tenants_table = self.host.session.tenants_table if self.host.session else None
        self._confirmed_job(
            tenant,
            (
                translate("RestoreFlow", "Discard previous version"),
                translate(
                    "RestoreFlow",
                    "Delete the previous version of {clinic} kept on {date}? The restore "
                    "that kept it can then no longer be undone. The clinic's current data "
                    "is not touched.",
                ).format(clinic=clinic, date=kept),
                translate("RestoreFlow", "Delete it"),
            ),
            translate("RestoreFlow", "Discard the previous version of {clinic}").format(clinic=clinic),
            translate("RestoreFlow", "Deleting the previous version"),
            lambda target, locks, _progress, cancel: discard_safety_copy(
                target, copy, tenants_table=tenants_table, locks=locks, cancel=cancel
            ),
            lambda sessions: (
                translate(
                    "RestoreFlow",
                    "Deleted the previous version of {clinic} kept on {date}. The clinic's current data was not "
                    "touched.",
                ).format(clinic=clinic, date=kept)
                + interrupted(sessions)
            ),
            danger=True,
        )

    def _kept_on(self, copy: str) -> str:
        info = self.host.model.find(copy)
        return fmt.when(info.created_utc if info is not None else None) or "?"

    def _confirmed_job(
        self,
        tenant: str,
        question: tuple[str, str, str],
        title: str,
        first_stage: str,
        work: Callable[[ConnectionTarget, LockPolicy, ProgressCallback, CancelToken], Any],
        describe: Callable[[Any], str],
        danger: bool,
    ) -> None:
        """Ask first (No is the default), then run `work` as one job of the clinic; the list follows."""
        host = self.host
        session = host.session
        if session is None or tenant in host.jobs.busy_tenants():
            return
        if not host.dialogs.confirm(host.window(), *question, danger=danger):
            return
        panel = host.jobs.new_panel(title, tenant)

        def done(result: Any) -> None:
            panel.succeed(describe(result), result)
            host.refresh()

        run_asking_when_busy(
            host,
            panel,
            lambda locks, progress, cancel: work(session.target, locks, progress, cancel),
            first_stage,
            done,
        )


@dataclass(frozen=True)
class Into:
    """The clinic a file would be restored into, and the list's words for the confirmation, read on the UI
    thread for the job's worker."""

    session: UiSession
    schema: str
    clinic: str
    names: dict[str, str]
    copy_dates: dict[str, str]


def clinic_words(model: TenantModel) -> tuple[dict[str, str], dict[str, str]]:
    """The clinics' names and the previous versions' dates, as the confirmation names them."""
    names = {t.schema: t.name for t in model.tenants if t.name}
    return names, {t.schema: t.created_utc or "" for t in model.tenants if t.kind == TenantKind.SAFETY_COPY}


def previewed(
    into: Into, chosen: Path, readable: Path, verified: FileCheck, progress: ProgressCallback, cancel: CancelToken
) -> PreviewContext:
    """On the worker, once the file is verified: its comparison with the clinic's data, for the confirmation."""
    session = into.session
    preview = preview_restore(
        session.target,
        into.schema,
        readable,
        allow_other_tenant=True,
        keep_superusers=True,
        user_table=session.user_table,
        tenants_table=session.tenants_table,
        progress=progress,
        cancel=cancel,
    )
    encrypted = chosen.name if readable != chosen else None
    size = chosen.stat().st_size
    return PreviewContext(preview, verified, size, into.clinic, into.names, into.copy_dates, encrypted)


def describe_restore(result: RestoreResult, context: PreviewContext) -> str:
    """What was restored, from where, and how to undo it."""
    clinic = context.clinic
    text = translate("RestoreFlow", "{clinic} restored from {file}: {rows} rows in {tables} tables, {time}.").format(
        clinic=clinic,
        file=shown(result.path.name),
        rows=fmt.number(result.rows),
        tables=fmt.number(result.tables),
        time=fmt.duration(result.seconds),
    )
    if result.source_schema and result.source_schema != result.tenant:
        text += " " + translate("RestoreFlow", "The backup was made from {other}.").format(
            other=shown(context.names.get(result.source_schema) or result.source_schema)
        )
    if result.kept_superusers:
        text += " " + translate("RestoreFlow", "Administrators kept with their current passwords: {accounts}.").format(
            accounts=", ".join(shown(a) for a in result.kept_superusers)
        )
    if result.safety_copy:
        text += " " + translate(
            "RestoreFlow", "The data it replaced is kept as the previous version: Undo puts it back."
        )
    if result.dropped_safety_copies:
        text += " " + translate("RestoreFlow", "The older previous version was deleted.")
    if result.signs_out:
        text += " " + translate(
            "RestoreFlow", "People who signed in to the web application after the backup will have to sign in again."
        )
    if result.app_writes:
        text += " " + translate(
            "RestoreFlow",
            "The web application wrote %Ln rows while the restore ran; they are in the previous version kept for undo.",
            None,
            result.app_writes,
        )
    text += interrupted(result.interrupted)
    if result.warnings:
        text += " " + translate("RestoreFlow", "%Ln warnings: see the log.", None, len(result.warnings))
    return text


def interrupted(sessions: list[Session]) -> str:
    """ " The web application's work … was interrupted: …" when the user chose to interrupt it; else nothing."""
    if not sessions:
        return ""
    named = [
        translate("RestoreFlow", "connection {pid} ({application}, from {client})").format(
            pid=s.pid, application=shown(s.application or "?"), client=shown(s.client or "?")
        )
        for s in sessions
    ]
    return " " + translate("RestoreFlow", "The web application's work on this clinic was interrupted: {which}.").format(
        which=", ".join(named)
    )

"""A backup file the desktop gave the window (`resguardo-gui FILE`, `resguardo open FILE`, a Finder double-click's
QFileOpenEvent): what a careful user expects after double-clicking it.

One job panel, "Open <file>": the file is verified (every checksum, as Verify a file… does, an encrypted file's
key asked for); when it names a clinic of the connected server, that clinic is selected and, in the same job,
the file is compared with it and its restore offered with the usual typed confirmation (restore_flow.py), so
nothing is restored without it. A file that is no backup, or unreadable, fails in the panel with the reason and
changes nothing; a backup of a clinic this server lacks (or of none, or one busy with another job) is described
with what to do instead. Before the window has listed a server's clinics the panel says the file opens once
connected, and it does then.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QCoreApplication

from app.engine.catalog.discovery import TenantKind, TenantListing
from app.engine.errors import ResguardoError
from app.engine.inspection.verify import FileCheck, verify_file
from app.engine.jobs import CancelToken, ProgressCallback
from app.text_safety import shown
from app.ui.connection_flow import ConnectionFlow
from app.ui.encrypted_reading import OpenedBackup, close_later, read_backup
from app.ui.flow_host import FlowHost
from app.ui.job_panel import JobPanel
from app.ui.job_runner import scaled
from app.ui.preview_text import PreviewContext
from app.ui.restore_flow import VERIFY_SHARE, Into, RestoreFlow, clinic_words, previewed
from app.ui.verify_flow import describe_check

translate = QCoreApplication.translate
RESTORABLE = (TenantKind.TENANT, TenantKind.SCHEMA)


class OpenHost(FlowHost, Protocol):
    listing: TenantListing | None
    connection: ConnectionFlow

    def select(self, schema: str) -> bool: ...


class OpenFileFlow:
    def __init__(self, host: OpenHost, restore: RestoreFlow) -> None:
        self.host, self.restore = host, restore
        self.waiting: list[tuple[Path, JobPanel]] = []  # files given before a server's clinics were listed

    def open(self, path: Path) -> None:
        host = self.host
        panel = host.jobs.new_panel(translate("OpenFile", "Open {file}").format(file=shown(path.name)), None)
        panel.log(translate("OpenFile", "Opening {file}").format(file=shown(str(path))))
        if host.session is None or host.listing is None or not host.connection.usable:
            panel.hold(
                translate(
                    "OpenFile",
                    "{file} opens once Resguardo is connected to a server and has listed its clinics.",
                ).format(file=shown(path.name))
            )
            self.waiting.append((path, panel))
            return
        self._check(path, panel)

    def listed(self) -> None:
        """The window lists a server's clinics: the files that waited for it are opened now."""
        waiting, self.waiting = self.waiting, []
        for path, panel in waiting:
            if panel in self.host.jobs.panels:
                self._check(path, panel)
            else:  # its panel was dismissed while it waited: the file is still the one the user opened
                self.open(path)

    def _check(self, path: Path, panel: JobPanel) -> None:
        host = self.host
        session = host.session
        if session is None:
            return
        names, copy_dates = clinic_words(host.model)
        clinics = {t.schema for t in host.model.tenants if t.kind in RESTORABLE and t.exists and t.restorable}
        busy = host.jobs.busy_tenants()

        def check(readable: Path, progress: ProgressCallback, cancel: CancelToken) -> PreviewContext | FileCheck:
            verified = verify_file(readable, progress=scaled(progress, 0, VERIFY_SHARE), cancel=cancel)
            schema = verified.source_schema
            if schema is None or schema not in clinics or schema in busy:
                return replace(verified, path=path)  # an encrypted file is named, not its decrypted copy
            into = Into(session, schema, shown(names.get(schema) or schema), names, copy_dates)
            return previewed(into, path, readable, verified, scaled(progress, VERIFY_SHARE, 1.0), cancel)

        def failed(error: ResguardoError) -> None:
            panel.fail(error, translate("OpenFile", "Nothing was changed."))

        read_backup(
            host,
            panel,
            path,
            check,
            translate("OpenFile", "Checking the file"),
            lambda result, opened: self._checked(panel, result, opened, names, clinics),
            failed,
            keep_open=True,
        )

    def _checked(
        self,
        panel: JobPanel,
        result: PreviewContext | FileCheck,
        opened: OpenedBackup,
        names: dict[str, str],
        clinics: set[str],
    ) -> None:
        host = self.host
        if isinstance(result, PreviewContext) and result.preview.tenant not in host.jobs.busy_tenants():
            schema = result.preview.tenant
            host.select(schema)
            panel.tenant = schema  # the clinic is this job's from now on: no other job starts on it
            self.restore.confirm(panel, opened, result)
            return
        close_later(host, opened)
        check = result.check if isinstance(result, PreviewContext) else result
        panel.succeed(describe_check(check, names) + " " + _why_not(check, names, clinics), check)


def _why_not(check: FileCheck, names: dict[str, str], clinics: set[str]) -> str:
    """Why the file's restore is not offered, and how to restore it anyway."""
    schema = check.source_schema
    choose = translate("OpenFile", "To restore it, select a clinic in the list, then Clinic > Restore….")
    if schema is None:
        return translate("OpenFile", "It does not say which clinic it was made from.") + " " + choose
    clinic = shown(names.get(schema) or schema)
    if schema not in clinics:
        return (
            translate("OpenFile", "This server has no clinic {clinic}.").format(clinic=clinic)
            + " "
            + translate("OpenFile", "To restore it into another clinic, select that clinic, then Clinic > Restore….")
        )
    return translate(
        "OpenFile", "{clinic} is busy with another job: restore it with Clinic > Restore… once that job has ended."
    ).format(clinic=clinic)

"""Back up all clinics…: one question (folder, format), then `backup_all` on a worker as ONE job panel.

The panel lists every clinic with its state (app/ui/backup_all_panel.py) under the overall progress bar, and
ends with a summary. While the run goes, its clinics not yet done count as busy in the window (the job
panel's `also_busy`), so Back up… and Restore… of one of them wait, as for any job of that clinic; a clinic
another job of the window (or another program) is backing up or restoring is skipped by the engine, with
the reason, never waited for. Cancel stops the run: each file written is complete, and no half-written file
is left (the engine writes under a temporary name and removes it).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtGui import QDesktopServices

from app.engine.backup.many import ClinicOutcome, ClinicStatus, ManyResult, backup_all
from app.engine.catalog.discovery import TenantKind
from app.engine.errors import PreflightError, ResguardoError
from app.engine.jobs import CancelToken, ProgressCallback
from app.engine.stores.history import BackupRecord, record_backup
from app.text_safety import shown, visible_lines
from app.ui import locale_format as fmt
from app.ui.backup_all_panel import ClinicList, ClinicState, attach, reason
from app.ui.backup_flow import ready_folder
from app.ui.engine_words import WindowError
from app.ui.flow_host import FlowHost
from app.ui.formats import BACKUP_FORMATS
from app.ui.job_panel import JobPanel

translate = QCoreApplication.translate
CLINIC_KINDS = (TenantKind.TENANT, TenantKind.SCHEMA)  # what backup_all backs up


def summary(result: ManyResult, names: dict[str, str]) -> str:
    """The end of the run in one paragraph: how many, how large, how long, and which clinics were not backed up
    and why (the clinics by the names the window shows)."""
    done = [c for c in result.clinics if c.ok]
    text = translate("BackupAll", "{done} of {total} clinics backed up ({size}) in {time}.").format(
        done=fmt.number(len(done)),
        total=fmt.number(len(result.clinics)),
        size=fmt.size(sum(c.size_bytes for c in done)),
        time=fmt.duration(result.seconds),
    )
    for outcome in result.clinics:
        name = names.get(outcome.schema) or shown(outcome.schema)
        if outcome.status is ClinicStatus.FAILED:
            said = (
                translate("BackupAll", "{clinic} was not backed up (tried twice): {reason}.")
                if outcome.attempts > 1
                else translate("BackupAll", "{clinic} was not backed up: {reason}.")
            )
            text += " " + said.format(clinic=name, reason=reason(outcome))
        elif outcome.status is ClinicStatus.BUSY:
            text += " " + translate(
                "BackupAll", "{clinic} was skipped: another backup or restore of it was running."
            ).format(clinic=name)
    return text


def engine_sentences(result: ManyResult, names: dict[str, str]) -> str:
    """Details of a run with clinics not backed up: the engine's own sentence for each (it names the exact
    cause, and the clinic's internal name)."""
    return "\n".join(
        f"{names.get(c.schema) or shown(c.schema)} ({shown(c.schema)}): {visible_lines(c.error)}"
        for c in result.not_backed_up
    )


class BackupAllFlow:
    def __init__(self, host: FlowHost) -> None:
        self.host = host
        self.folder: Path | None = None  # where the last run went; the next one proposes it
        self.panel: JobPanel | None = None  # the run under way, or the last one

    @property
    def running(self) -> bool:
        """One run at a time: a second would only find every clinic busy."""
        return self.panel is not None and self.panel.running

    def can_start(self) -> bool:
        """Not while a run goes, nor with no clinic to back up."""
        return not self.running and bool(self.clinics())

    def clinics(self) -> list[tuple[str, str]]:
        """The clinics of the list as the window shows them (internal name, shown name), in the list's order."""
        host = self.host
        return [(t.schema, host.clinic_name(t.schema)) for t in host.model.tenants if t.kind in CLINIC_KINDS]

    def start(self) -> None:
        host = self.host
        if host.session is None or self.running:
            return
        folder = self.folder or host.last_folder
        host.pool.call(
            lambda: ready_folder(folder),
            self._ask,
            lambda error: host.dialogs.show_error(host.window(), error),
            name="backup folder",
        )

    def _ask(self, folder: Path) -> None:
        host = self.host
        session = host.session
        clinics = self.clinics()
        answer = host.dialogs.choose_backup_all(host.window(), folder, BACKUP_FORMATS, len(clinics))
        if answer is None or session is None or host.session is not session or self.running:
            return
        out, chosen = answer
        self.folder = out
        history, database = host.history, session.database_key
        listing = ClinicList(clinics)
        names = dict(clinics)
        held = {schema for schema, _ in clinics} - host.jobs.busy_tenants()  # the others' jobs keep theirs
        panel = host.jobs.new_panel(translate("BackupAll", "Back up all clinics"), None)
        self.panel = panel
        panel.also_busy = set(held)
        attach(panel, listing)
        for schema in held:
            host.model.set_busy(schema, True)
        panel.log(
            translate("BackupAll", "Backing up {count} clinics of {server} into {folder}").format(
                count=fmt.number(len(clinics)), server=session.target.describe(), folder=shown(str(out))
            )
        )

        def finished(outcome: ClinicOutcome) -> None:  # on a worker thread, one clinic at a time
            if outcome.ok and outcome.path is not None:
                record = record_backup(
                    database, outcome.schema, outcome.path, outcome.size_bytes, 0, outcome.seconds, history
                )
                listing.report_record(record)
            listing.report_outcome(outcome)

        def job(progress: ProgressCallback, cancel: CancelToken) -> ManyResult:
            try:
                out.mkdir(
                    mode=0o700, exist_ok=True
                )  # the folder chosen; never its missing parents (a share not mounted)
            except FileNotFoundError:
                raise PreflightError(f"The folder {out.parent} does not exist; choose a folder that does.") from None
            keys = session.encrypt_to()
            return backup_all(
                session.target,
                out,
                fmt=chosen.key,
                tenants_table=session.tenants_table,
                progress=progress,
                cancel=cancel,
                on_clinic=finished,
                on_start=listing.report_start,
                encrypt_to=keys,
            )

        def release(schema: str) -> None:
            """This run no longer holds `schema`: it is free again, unless another job holds it."""
            panel.also_busy.discard(schema)
            if schema in held and schema not in host.jobs.busy_tenants():
                host.model.set_busy(schema, False)

        def changed(schema: str, state: str) -> None:
            if state in (ClinicState.WAITING.value, ClinicState.RUNNING.value):
                return
            release(schema)
            text = listing.rows[schema].text(1) if schema in listing.rows else state
            panel.log(f"{names.get(schema) or shown(schema)}: {text}")
            if schema in listing.errors:
                panel.note(f"{shown(schema)}: {visible_lines(listing.errors[schema])}")
            host.update_actions()

        def release_all() -> None:
            for schema in list(panel.also_busy):
                release(schema)
            host.update_actions()

        def remembered(record: BackupRecord) -> None:
            before = host.last_folder  # the single backup's dialog keeps proposing its own folder
            host.remember_backup(record)
            host.last_folder = before

        listing.changed.connect(changed)
        listing.recorded.connect(remembered)

        def done(result: ManyResult) -> None:
            text = summary(result, names)
            release_all()
            if result.ok:
                panel.succeed(text, result)
            else:
                panel.fail(WindowError(text, engine_sentences(result, names)))
            self._offer(panel, out)

        def failed(error: ResguardoError) -> None:
            listing.cancel_rest()
            release_all()
            kept = listing.how_many(ClinicState.DONE)
            panel.fail(
                error,
                translate(
                    "BackupAll",
                    "Clinics backed up before the stop: {count}, each file complete and kept. "
                    "No half-written file is left.",
                ).format(count=fmt.number(kept)),
            )
            if kept:
                self._offer(panel, out)

        panel.run(job, translate("BackupAll", "Starting the backups"), done, failed)
        host.update_actions()

    @staticmethod
    def _offer(panel: JobPanel, folder: Path) -> None:
        def show_folder() -> None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

        panel.add_button(
            translate("BackupAll", "Show folder"),
            show_folder,
            "folder",
            translate("BackupAll", "Open the folder that holds the clinics' folders"),
        )

"""A job that writes a clinic's tables (restore, undo, discard, recovery) while the web application may hold them.

When it gave up because the clinic stayed busy, the user is asked (try again, longer, or interrupting the
application's work) and the job runs again so; a decrypted backup is kept for that second try, and removed
once there is none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication

from app.engine.errors import ResguardoError
from app.engine.jobs import CancelToken, ProgressCallback
from app.engine.restore.swap import LockPolicy
from app.ui.encrypted_reading import OpenedBackup
from app.ui.error_dialog import BusyAnswer, gave_up_busy
from app.ui.flow_host import FlowHost
from app.ui.job_panel import JobPanel

translate = QCoreApplication.translate
T = TypeVar("T")
LOCKS = LockPolicy()  # how a job first tries for the clinic's tables
BUSY_POLICIES = {  # what each answer of the busy clinic's question runs the job again with
    BusyAnswer.TRY_AGAIN: LockPolicy(),
    BusyAnswer.KEEP_TRYING: LockPolicy(total_seconds=300),
    BusyAnswer.INTERRUPT: LockPolicy(interrupt_after=5),
}


def nothing_changed() -> str:
    """Said after any failure of these jobs, or of what leads to them (reading the file, the preview, the
    plan): they are all or nothing, and what leads to them changes nothing."""
    return translate("RestoreFlow", "Nothing was changed.")


def run_asking_when_busy(
    host: FlowHost,
    panel: JobPanel,
    work: Callable[[LockPolicy, ProgressCallback, CancelToken], Any],
    stage: str,
    done: Callable[[Any], None],
    not_again: Callable[[], None] | None = None,
    locks: LockPolicy | None = None,
) -> None:
    """Run `work` in `panel`; `not_again` is called once it will not run again."""
    policy = locks or LOCKS

    def failed(error: ResguardoError) -> None:
        panel.fail(error, nothing_changed())
        if gave_up_busy(error):
            answer = host.dialogs.ask_when_busy(host.window(), error)
            if answer is not None and panel in host.jobs.panels and not panel.running:
                run_asking_when_busy(host, panel, work, stage, done, not_again, BUSY_POLICIES[answer])
                return
        if not_again is not None:
            not_again()

    panel.run(lambda progress, cancel: work(policy, progress, cancel), stage, done, failed)


def closed_unless_busy(opened: OpenedBackup, work: Callable[[], T]) -> T:
    """On the worker: `work`, then the decrypted copy removed, unless the clinic was busy (it may run again)."""
    again = False
    try:
        return work()
    except ResguardoError as exc:
        again = gave_up_busy(exc)
        raise
    finally:
        if not again:
            opened.close()

"""The window's warning about the schedules (issue 21.5): a run that failed, a clinic whose newest backup is too old.

Checked on a worker after each listing of the clinics (at start, and at each refresh), from the runs' records and
the schedules' folders (app/engine/routine/alerts.py); said in the banner in the clinics' names, with "Schedule
backups…" as the thing to do. A warning the user dismissed is not shown again until it changes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QCoreApplication, QLocale

from app.engine.errors import ResguardoError
from app.engine.routine.alerts import Alert, schedule_alerts
from app.engine.routine.schedules import ScheduleStore
from app.text_safety import shown
from app.ui.banner import Banner
from app.ui.engine_words import WindowError
from app.ui.job_runner import BackgroundPool

translate = QCoreApplication.translate


def alert_sentence(alerts: list[Alert], clinic_name: Callable[[str], str]) -> str:
    """What went wrong, in the clinics' names: one sentence per schedule and kind."""
    said: list[str] = []
    for alert in alerts:
        schedule = shown(alert.schedule)
        if alert.run_error:
            said.append(translate("Alerts", "The scheduled backup “{schedule}” failed.").format(schedule=schedule))
        elif alert.failed:
            said.append(
                translate("Alerts", "The scheduled backup “{schedule}” did not back up {clinics}.").format(
                    schedule=schedule, clinics=QLocale().createSeparatedList([clinic_name(s) for s in alert.failed])
                )
            )
        if alert.stale:
            said.append(
                translate(
                    "Alerts", "The newest backup of {clinics} is more than a day old: a scheduled backup did not run."
                ).format(clinics=QLocale().createSeparatedList([clinic_name(s) for s, _ in alert.stale]))
            )
    return " ".join(said)


class ScheduleAlerts:
    """Checks the schedules off the UI thread and puts what it finds in the banner, unless the banner says
    something else already (a lost connection matters more)."""

    def __init__(
        self,
        pool: BackgroundPool,
        banner: Banner,
        clinic_name: Callable[[str], str],
        open_schedules: Callable[[], None],
    ) -> None:
        self.pool, self.banner, self.clinic_name, self.open_schedules = pool, banner, clinic_name, open_schedules
        self.dismissed = ""
        self.shown = ""
        banner.close_button.clicked.connect(self._dismissed)

    def check(self) -> None:
        self.pool.call(
            lambda: schedule_alerts(ScheduleStore().all(), datetime.now(UTC)), self._found, self._unread, name="alerts"
        )

    def _found(self, alerts: list[Alert]) -> None:
        text = alert_sentence(alerts, self.clinic_name)
        ours = self.banner.error is not None and self.banner.error.message == self.shown
        if self.banner.isVisible() and not ours:
            return  # the banner says something else
        if not text or text == self.dismissed:
            if ours:
                self.banner.hide()  # mended since (a run went well), or back to what the user dismissed
            return
        details = "\n".join(f"{a.schedule}: {a.detail}" for a in alerts if a.detail)
        self.shown = text
        self.banner.show_error(
            WindowError(text, details), (translate("Alerts", "Schedule backups…"), "refresh", self.open_schedules)
        )

    def _unread(self, error: ResguardoError) -> None:
        """The schedules file cannot be read: Schedule backups… says so when it is opened."""

    def _dismissed(self) -> None:
        if self.banner.error is not None and self.banner.error.message == self.shown:
            self.dismissed = self.shown

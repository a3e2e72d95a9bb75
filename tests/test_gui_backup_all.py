"""Back up all clinics… and Schedule backups… driven through the window against the real server.

The folder question is scripted; the backups, the worker threads, the schedules file, the unit files and
`resguardo schedule list` are real. The scheduler's own commands (systemctl) go to a recorder: no real
timer is ever installed, and the unit files go under the test's RESGUARDO_HOME.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app import paths
from app.engine.backup.backup import Backup
from app.engine.backup.many import ClinicOutcome, ClinicStatus, FailureKind, ManyResult
from app.engine.connection import ConnectionTarget
from app.engine.inspection.verify import verify_file
from app.engine.jobs import CancelToken, Progress, ProgressCallback
from app.engine.routine.systemd_units import unit_name
from app.engine.stores.history import History, database_key
from app.engine.stores.profiles import Profile, ProfileStore
from app.ui.backup_all_dialog import BackupAllDialog
from app.ui.backup_all_flow import summary
from app.ui.backup_all_panel import ClinicList, ClinicState
from app.ui.formats import BACKUP_FORMATS, BackupFormat
from app.ui.schedule_context import ScheduleContext
from app.ui.schedule_dialog import ScheduleDialog
from tests.support.cli import run_cli
from tests.support.gui import WAIT_MS, ScriptedDialogs, installed, open_window, wait_idle, wait_listed

pytestmark = pytest.mark.gui


@dataclass
class Dialogs(ScriptedDialogs):
    backup_all_to: Path | None = None
    counts: list[int] = field(default_factory=list)  # how many clinics each Back up all dialog said
    schedule_contexts: list[ScheduleContext] = field(default_factory=list)

    def choose_backup_all(
        self, parent: QWidget, folder: Path, formats: list[BackupFormat], clinics: int
    ) -> tuple[Path, BackupFormat] | None:
        self.counts.append(clinics)
        return (self.backup_all_to, formats[0]) if self.backup_all_to else None

    def edit_schedules(self, parent: QWidget, context: ScheduleContext) -> None:
        self.schedule_contexts.append(context)


class Recorder:
    """The scheduler's commands, recorded and answered with success."""

    def __init__(self) -> None:
        self.commands: list[list[str]] = []

    def __call__(self, argv: Sequence[str], stdin: str | None) -> subprocess.CompletedProcess[str]:
        self.commands.append(list(argv))
        return subprocess.CompletedProcess(list(argv), 0, "", "")


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_back_up_all_clinics_writes_one_verified_file_per_clinic(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    out = tmp_path / "all"
    dialogs = Dialogs(backup_all_to=out)
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    assert window.commands.backup_all.isEnabled()
    window.commands.backup_all.trigger()
    wait_idle(qtbot, window)

    assert dialogs.counts == [2]
    panel = window.jobs.panels[-1]
    assert panel.state == "succeeded", panel.message.text()
    assert panel.message.text().startswith("2 of 2 clinics backed up")
    found = files_under(out)
    assert [p.parent.name for p in found] == ["bienestar", "mindcare"]
    for path in found:
        check = verify_file(path)
        assert check.kind == "native" and check.source_schema == path.parent.name
    listing = panel.findChild(ClinicList)
    assert listing is not None and set(listing.states.values()) == {ClinicState.DONE}
    assert "2 of 2 clinics finished: 2 backed up, 0 not." in listing.tally.text()
    assert window.jobs.busy_tenants() == set() and window.model.busy == set()
    assert window.commands.backup_all.isEnabled()
    last = History().last_backups(database_key(demo_db))  # the list's "Last backup" column, for each clinic
    assert {schema: Path(r.path) for schema, r in last.items()} == {p.parent.name: p for p in found}


def test_the_summary_names_each_clinic_not_backed_up_and_why_in_both_languages(qtbot: QtBot) -> None:
    result = ManyResult(
        (
            ClinicOutcome("mindcare", ClinicStatus.BACKED_UP, Path("/b/m.resguardo"), 2048, 1.0, 1),
            ClinicOutcome(
                "bienestar",
                ClinicStatus.FAILED,
                None,
                0,
                0.5,
                2,
                error="Cannot write in /b: disk full.",
                kind=FailureKind.CANNOT_WRITE,
            ),
            ClinicOutcome("zafiro", ClinicStatus.BUSY, None, 0, 0.1, 2, error="busy"),
        ),
        3.0,
    )
    names = {"mindcare": "Mindcare", "bienestar": "Bienestar", "zafiro": "Zafiro"}
    text = summary(result, names)
    assert text.startswith("1 of 3 clinics backed up (")
    assert "Bienestar was not backed up (tried twice): the file could not be written: the disk is full" in text
    assert "Zafiro was skipped: another backup or restore of it was running." in text
    assert "bienestar" not in text.replace("Bienestar", "")  # clinic names, never the internal ones
    with installed("es"):
        spanish = summary(result, names)
        dialog = BackupAllDialog(None, Path("/b"), BACKUP_FORMATS, 3)
        qtbot.addWidget(dialog)
        assert dialog.windowTitle() == "Copia de todas las clínicas"
    assert spanish.startswith("1 de 3 clínicas copiadas (")
    assert "Bienestar no se copió (se intentó dos veces): no se pudo escribir el archivo" in spanish
    assert "Zafiro se omitió" in spanish
    choice = dialog.choice()
    assert choice is not None and choice[0] == Path("/b") and choice[1].key == "native"


def test_cancel_mid_way_keeps_the_finished_clinic_and_leaves_no_partial_file(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = threading.Event()

    class SlowBienestar(Backup):
        """Bienestar's backup waits, halfway through its rows, until Cancel is pressed."""

        def __init__(
            self, target: ConnectionTarget, schema: str, folder: Path, *, progress: ProgressCallback, **kw: Any
        ) -> None:
            cancel: CancelToken = kw["cancel"]

            def report(p: Progress) -> None:
                progress(p)
                if schema == "bienestar" and p.stage == "Copying rows" and not held.is_set():
                    held.set()
                    cancel.wait(WAIT_MS / 1000)

            super().__init__(target, schema, folder, progress=report, **kw)

    monkeypatch.setattr("app.engine.backup.many.Backup", SlowBienestar)
    out = tmp_path / "all"
    dialogs = Dialogs(backup_all_to=out)
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    window.commands.backup_all.trigger()
    qtbot.waitUntil(lambda: window.backup_all_flow.panel is not None, timeout=WAIT_MS)
    panel = window.backup_all_flow.panel
    assert panel is not None
    listing = panel.findChild(ClinicList)
    assert listing is not None
    qtbot.waitUntil(lambda: held.is_set() and listing.states["mindcare"] is ClinicState.DONE, timeout=WAIT_MS)

    # While bienestar is being backed up, it is busy: no other job of it, no second run.
    assert window.jobs.busy_tenants() == {"bienestar"} and window.model.busy == {"bienestar"}
    assert window.select("bienestar") and not window.backup_action.isEnabled()
    assert window.select("mindcare") and window.backup_action.isEnabled()
    assert not window.commands.backup_all.isEnabled()

    panel.cancel_button.click()
    wait_idle(qtbot, window)
    assert panel.state == "cancelled", panel.message.text()
    assert "Clinics backed up before the stop: 1, each file complete and kept." in panel.message.text()
    assert listing.states["bienestar"] is ClinicState.CANCELLED
    (kept,) = files_under(out)  # mindcare's file, complete; nothing of bienestar, no temporary file
    assert kept.parent.name == "mindcare" and verify_file(kept).source_schema == "mindcare"
    assert window.jobs.busy_tenants() == set() and window.model.busy == set()
    assert window.commands.backup_all.isEnabled()


def test_a_schedule_added_in_the_window_is_the_clis_and_removing_it_removes_it(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    params = demo_db.params
    ProfileStore().save(
        Profile("clinics", params["host"], int(params["port"]), demo_db.dbname, params["user"], sslmode="disable")
    )
    dialogs = Dialogs()
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    recorder = Recorder()
    window.schedule_flow.runner, window.schedule_flow.scheduler = recorder, "systemd"
    window.commands.schedules.trigger()
    (context,) = dialogs.schedule_contexts
    dialog = ScheduleDialog(window, context)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.add_button.isEnabled() and dialog.profile.count() == 1, timeout=WAIT_MS)

    # A wrong time is said as a sentence, and nothing is saved.
    folder = tmp_path / "nightly"
    dialog.folder.edit.setText(str(folder))
    dialog.times.setText("25:00")
    dialog.add_button.click()
    qtbot.waitUntil(lambda: not dialog.busy and bool(dialog.status.text()), timeout=WAIT_MS)
    assert "'25:00' is not a time of day" in dialog.status.text()
    assert dialog.table.topLevelItemCount() == 0 and recorder.commands == [] and not folder.exists()

    dialog.name.setText("nightly")
    dialog.times.setText("02:30, 14:05")
    dialog.chosen_clinics.setChecked(True)
    mindcare = next(
        dialog.clinic_list.item(i)
        for i in range(dialog.clinic_list.count())
        if dialog.clinic_list.item(i).data(Qt.ItemDataRole.UserRole) == "mindcare"
    )
    mindcare.setCheckState(Qt.CheckState.Checked)
    dialog.add_button.click()
    qtbot.waitUntil(lambda: not dialog.busy and dialog.table.topLevelItemCount() == 1, timeout=WAIT_MS)
    assert dialog.status.text().startswith("Schedule nightly saved: every day at 02:30, 14:05."), dialog.status.text()
    row = dialog.table.topLevelItem(0)
    assert row is not None and row.text(2) == "Mindcare"

    listed = run_cli("schedule", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith(
        f"nightly: at 02:30, 14:05, mindcare of profile 'clinics' into {folder}; keep daily 7, weekly 4, monthly 12; "
        "a systemd user timer; never run"
    ), listed.stdout
    timer = paths.systemd_user_dir() / f"{unit_name('nightly')}.timer"
    assert timer.is_file() and "OnCalendar=*-*-* 02:30:00" in timer.read_text()
    assert ["systemctl", "--user", "enable", "--now", timer.name] in recorder.commands

    row.setSelected(True)
    dialog.remove_button.click()
    qtbot.waitUntil(lambda: not dialog.busy and dialog.table.topLevelItemCount() == 0, timeout=WAIT_MS)
    assert "removed" in dialog.status.text()
    assert not timer.exists() and not timer.with_suffix(".service").exists()
    assert run_cli("schedule", "list").stdout.strip() == "No schedules."


def test_changing_a_schedule_in_the_window_keeps_what_the_form_shows_and_all_periods(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    """A schedule made with the CLI's options (test restore, notify URL) is changed in the window without losing
    them; a keep rule can be "all" (-1), as `prune --keep-yearly -1`."""
    params = demo_db.params
    ProfileStore().save(
        Profile("clinics", params["host"], int(params["port"]), demo_db.dbname, params["user"], sslmode="disable")
    )
    dialogs = Dialogs()
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    recorder = Recorder()
    window.schedule_flow.runner, window.schedule_flow.scheduler = recorder, "systemd"
    folder = tmp_path / "nightly"
    folder.mkdir()
    made = run_cli(
        "schedule", "add", "nightly", "--at", "02:30", "--dir", str(folder), "--profile", "clinics",
        "--keep-daily", "7", "--restore-test", "sun", "--ping-url", "https://hc.example/abc",
        "--scheduler", "systemd", "--files-only",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    window.commands.schedules.trigger()
    (context,) = dialogs.schedule_contexts
    dialog = ScheduleDialog(window, context)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.table.topLevelItemCount() == 1 and dialog.add_button.isEnabled(), timeout=WAIT_MS)

    row = dialog.table.topLevelItem(0)
    assert row is not None
    row.setSelected(True)
    dialog.edit_button.click()
    assert dialog.name.text() == "nightly" and dialog.times.text() == "02:30"
    assert dialog.restore_test.currentData() == "sun" and dialog.ping_url.text() == "https://hc.example/abc"
    assert dialog.keep["daily"].value() == 7 and dialog.keep["weekly"].value() == 0
    assert dialog.keep["weekly"].text() == "off"
    dialog.times.setText("03:15")
    dialog.keep["yearly"].setValue(-1)
    assert dialog.keep["yearly"].text() == "all"
    dialog.add_button.click()
    qtbot.waitUntil(lambda: not dialog.busy and "replaced" in dialog.status.text(), timeout=WAIT_MS)

    listed = run_cli("schedule", "list").stdout
    assert "nightly: at 03:15," in listed and "yearly all" in listed, listed
    assert "; restore test on sun; notifies https://hc.example/abc" in listed, listed

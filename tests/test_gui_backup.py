"""Back up… and Verify a file… driven through the window against the real server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app import paths
from app.engine.connection import ConnectionTarget
from app.engine.stores.history import History, database_key
from app.ui.job_panel import JobPanel
from tests.support.gui import ScriptedDialogs, back_up, open_window, run_job, wait_idle, wait_listed

pytestmark = pytest.mark.gui


def test_backup_from_the_window_shows_progress_result_and_history(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    out = tmp_path / "chosen" / "bienestar-copy.resguardo"
    dialogs = ScriptedDialogs(save_to=out)
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    assert window.select("bienestar")
    assert window.backup_action.isEnabled()

    values: list[int] = []
    window.jobs.job_started.connect(lambda panel: panel.bar.valueChanged.connect(values.append))
    window.backup_action.trigger()
    wait_idle(qtbot, window)

    # The save dialog offered the documents folder and the engine's name: the UTC time to the second.
    suggested = dialogs.suggested[0]
    assert suggested.parent == paths.documents_dir()
    assert re.fullmatch(r"bienestar_\d{4}-\d\d-\d\d_\d{6}Z\.resguardo", suggested.name)
    panel = window.jobs.panels[-1]
    assert panel.state == "succeeded", panel.message.text()
    assert out.is_file()
    assert str(out) in panel.message.text() and "rows in" in panel.message.text()
    assert values[-1] == 1000 and any(0 < v < 1000 for v in values)  # the bar moved, and ended full
    assert any("Copying rows" in line for line in panel.lines)  # the log panel shows the job's stages
    assert "Copying rows" in window.log_panel.toPlainText()

    # The list shows the backup, and the next save dialog opens where this one went.
    row = next(r for r in range(window.clinics.rowCount()) if window.clinics.schema_at(r) == "bienestar")
    assert window.clinics.index(row, 5).data() != "never"
    assert History().last_backups(database_key(demo_db))["bienestar"].path == str(out)
    window.backup_action.trigger()
    qtbot.waitUntil(lambda: len(dialogs.suggested) == 2)
    assert dialogs.suggested[1].parent == out.parent
    wait_idle(qtbot, window)

    # Verify a file… reads it back without a database.
    dialogs.open_file = out
    verify = run_job(qtbot, window, "verify_action")
    assert verify.state == "succeeded", verify.message.text()
    assert "complete and readable" in verify.message.text()


def test_verify_of_a_damaged_file_says_so(qtbot: QtBot, tmp_path: Path) -> None:
    damaged = tmp_path / "mindcare.resguardo"
    damaged.write_bytes(b"this is not a backup" * 100)
    dialogs = ScriptedDialogs(open_file=damaged)
    window = open_window(qtbot, ConnectionTarget("host=127.0.0.1 port=1 dbname=x"), dialogs)
    panel = run_job(qtbot, window, "verify_action")  # needs no connection
    assert panel.state == "failed"
    assert "mindcare.resguardo" in panel.message.text()
    assert damaged.read_bytes() == b"this is not a backup" * 100


def test_plain_sql_format_chosen_beside_the_save_dialog(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    out = tmp_path / "mindcare.sql"
    dialogs = ScriptedDialogs(save_to=out, format_key="sql")
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    panel = back_up(qtbot, window, "mindcare")
    assert panel.state == "succeeded", panel.message.text()
    assert out.is_file() and "CREATE TABLE" in out.read_text(encoding="utf-8")

    # Verify a file… reads pg_dump files too, not only native archives.
    dialogs.open_file = out
    verify = run_job(qtbot, window, "verify_action")
    assert verify.state == "succeeded", verify.message.text()
    assert "complete and readable: a backup of Mindcare in plain SQL, made with pg_dump" in verify.message.text()


def test_the_first_backup_goes_to_documents_resguardo_created_then_and_offers_show_and_verify(
    qtbot: QtBot, demo_db: ConnectionTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices
    from PySide6.QtWidgets import QPushButton, QWidget

    from app.ui.formats import BackupFormat

    folder = paths.documents_dir()
    assert not folder.exists()
    opened: list[str] = []

    def open_url(url: QUrl) -> bool:
        opened.append(url.toLocalFile())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", open_url)

    class Accepts(ScriptedDialogs):
        def save_backup_path(
            self, parent: QWidget, suggested: Path, formats: list[BackupFormat], clinic: str
        ) -> tuple[Path, BackupFormat] | None:
            assert suggested.parent.is_dir()  # created before the dialog opened, so the dialog starts there
            self.save_to = suggested
            return super().save_backup_path(parent, suggested, formats, clinic)

    dialogs = Accepts()
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    panel = back_up(qtbot, window, "bienestar")
    assert panel.state == "succeeded", panel.message.text()
    assert dialogs.asked == [("save", "Bienestar")]  # the dialog names the clinic
    written = dialogs.suggested[0]
    assert written.parent == folder and written.is_file()

    buttons = {b.text(): b for b in panel.findChildren(QPushButton) if b.isVisibleTo(panel)}
    buttons["Show in folder"].click()
    assert opened == [str(folder)]
    buttons["Verify"].click()
    wait_idle(qtbot, window)
    check = window.jobs.panels[-1]
    assert check.state == "succeeded" and check is not panel
    assert check.message.text().startswith(f"{written} is complete and readable: a backup of Bienestar")


def _automatic_backup(qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path) -> JobPanel:
    """Back up Mindcare from the window with the format left to Automatic; its finished panel."""
    dialogs = ScriptedDialogs(save_to=tmp_path / "mindcare.dump", format_key="auto")
    window = open_window(qtbot, demo_db, dialogs)
    wait_listed(qtbot, window)
    panel = back_up(qtbot, window, "mindcare")
    assert panel.state == "succeeded", panel.message.text()
    return panel


@pytest.mark.usefixtures("embedded_tools_only")
def test_automatic_says_it_chose_pg_dump_and_why(qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path) -> None:
    panel = _automatic_backup(qtbot, demo_db, tmp_path)
    assert panel.result.format == "custom"
    assert f"Automatic chose pg_dump's custom format: {panel.result.tool} fits this server." in panel.message.text()


def test_automatic_says_it_chose_the_resguardo_format_and_why(
    qtbot: QtBot,
    demo_db: ConnectionTarget,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No pg_dump anywhere it looks (an empty folder, and only that one): the native format, and the reason."""
    monkeypatch.setenv("RESGUARDO_PG_BIN_ONLY", "1")
    monkeypatch.setenv("RESGUARDO_PG_BIN", str(tmp_path / "no-tools"))
    (tmp_path / "no-tools").mkdir()
    panel = _automatic_backup(qtbot, demo_db, tmp_path)
    assert panel.result.format == "native"
    assert "Automatic chose the Resguardo format because no pg_dump" in panel.message.text()
    assert any(panel.result.note in r.getMessage() for r in caplog.records)  # the engine's reason, in the log file

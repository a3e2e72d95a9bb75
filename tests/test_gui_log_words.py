"""A Spanish window's log says what happened in the clinic's words: no English sentence of the engine, no internal
name (schema, tenants table, `rg_safety_…`). Those are for the log file's details.

Driven through the window against the real server: a backup, a verify of a file that is no backup, a cancelled
backup, a backup whose server stops taking connections, and Back up all clinics… with a clinic that cannot be
written. Before, the log panel showed "… stopped: Cancelled.", "is not a Resguardo archive (not a tar file)",
"Backing up Bienestar (bienestar) …", the status bar "de la tabla public.customers_client", and a failed clinic of
Back up all clinics… the engine's English sentence.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.engine.connection import ConnectionTarget
from app.ui.backup_all_panel import ClinicList, ClinicState
from app.ui.formats import BackupFormat
from tests.support.gui import ScriptedDialogs, back_up, installed, open_window, run_job, wait_idle, wait_listed

pytestmark = pytest.mark.gui

# Words of an English sentence that no Spanish one has (paths, with their test names, are left out first).
ENGLISH = re.compile(
    r"\b(the|is|not|was|of|to|from|and|stopped|connected|connection|lost|cancelled|backing|tenant|schema|archive|"
    r"failed|could|file|backup)\b",
    re.IGNORECASE,
)
INTERNAL = re.compile(r"\bbienestar\b|\bmindcare\b|rg_safety_|customers_client|\bpublic\.")  # clinics: Bienestar


def english_or_internal(text: str) -> list[str]:
    """Each line of `text` that has an English word or an internal name."""
    found = []
    for line in text.splitlines():
        words = " ".join(token for token in line.split() if "/" not in token)
        if ENGLISH.search(words) or INTERNAL.search(words):
            found.append(line)
    return found


@dataclass
class Dialogs(ScriptedDialogs):
    """Answers the questions; `lock_out` stops the server taking connections once the backup is asked for."""

    lock_out: ConnectionTarget | None = None
    backup_all_to: Path | None = None

    def save_backup_path(
        self, parent: QWidget, suggested: Path, formats: list[BackupFormat], clinic: str
    ) -> tuple[Path, BackupFormat] | None:
        if self.lock_out is not None:
            allow_connections(self.lock_out, False)
        return super().save_backup_path(parent, suggested, formats, clinic)

    def choose_backup_all(
        self, parent: QWidget, folder: Path, formats: list[BackupFormat], clinics: int
    ) -> tuple[Path, BackupFormat] | None:
        return (self.backup_all_to, formats[0]) if self.backup_all_to else None


def allow_connections(target: ConnectionTarget, allowed: bool) -> None:
    """The server takes (or refuses) new connections to the clinics' database: from another database."""
    with ConnectionTarget(make_conninfo(target.conninfo, dbname="postgres")).connect(autocommit=True) as conn:
        conn.execute(
            sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS {}").format(
                sql.Identifier(target.dbname), sql.SQL("true" if allowed else "false")
            )
        )


def test_a_spanish_windows_log_is_in_the_clinics_words(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    not_a_backup = tmp_path / "copia.resguardo"
    not_a_backup.write_bytes(b"not a backup" * 100)
    with installed("es"):
        dialogs = Dialogs(save_to=tmp_path / "copia-1.resguardo", open_file=not_a_backup)
        window = open_window(qtbot, demo_db, dialogs)
        wait_listed(qtbot, window)
        status = window.listing_label.full_text()
        assert status == "2 clínicas, de la tabla de clínicas", status
        assert "public.customers_client" in window.listing_label.toolTip()  # its own name, in the tooltip

        done = back_up(qtbot, window, "bienestar")
        assert done.state == "succeeded", done.message.text()
        logs = {"backup": window.log_panel.toPlainText()}

        verify = run_job(qtbot, window, "verify_action")
        assert verify.state == "failed" and verify.details_button.isVisibleTo(verify)
        logs["verify"] = window.log_panel.toPlainText()

        dialogs.save_to = tmp_path / "copia-2.resguardo"
        window.jobs.job_started.connect(lambda panel: QTimer.singleShot(0, panel.cancel))  # once it runs
        cancelled = back_up(qtbot, window, "mindcare")
        window.jobs.job_started.disconnect()
        assert cancelled.state == "cancelled", cancelled.message.text()
        logs["cancel"] = window.log_panel.toPlainText()

        dialogs.save_to, dialogs.lock_out = tmp_path / "copia-3.resguardo", demo_db
        try:
            lost = back_up(qtbot, window, "bienestar")
        finally:
            allow_connections(demo_db, True)
        assert lost.state == "failed", lost.message.text()
        assert lost.message.text().startswith("No se pudo llegar al servidor"), lost.message.text()
        logs["connection"] = window.log_panel.toPlainText()

    for job, text in logs.items():
        assert text.strip(), job
        assert english_or_internal(text) == [], f"{job}:\n{text}"
    # The engine's sentences and the internal names are in the log file, as details.
    details = [r.getMessage() for r in caplog.records if "(details)" in r.getMessage()]
    assert any("not a Resguardo archive" in line for line in details), details
    assert any("internal name: bienestar" in line for line in details), details


def test_back_up_all_says_why_a_clinic_failed_in_spanish_and_the_engines_sentence_in_details(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    out = tmp_path / "todas"
    out.mkdir()
    (out / "bienestar").write_text("a file where Bienestar's folder goes: its backup cannot be written")
    with installed("es"):
        dialogs = Dialogs(backup_all_to=out)
        window = open_window(qtbot, demo_db, dialogs)
        wait_listed(qtbot, window)
        window.commands.backup_all.trigger()
        wait_idle(qtbot, window)
        panel = window.jobs.panels[-1]
        listing = panel.findChild(ClinicList)
        assert listing is not None
        row = listing.rows["bienestar"].text(1)
        pane = window.log_panel.toPlainText()
    assert panel.state == "failed"
    assert listing.states == {"bienestar": ClinicState.FAILED, "mindcare": ClinicState.DONE}
    assert row.startswith("Falló: no se pudo escribir el archivo"), row
    assert "no se pudo escribir el archivo" in panel.message.text(), panel.message.text()
    for text in (row, panel.message.text(), pane):
        assert english_or_internal(text) == [], text
    assert panel.details_button.isVisibleTo(panel) and panel.error is not None
    assert "Bienestar (bienestar): Cannot write in" in panel.error.details  # the engine's, in Details


def test_a_spanish_restore_and_its_undo_log_no_internal_name(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    """The restore's previous version (`rg_safety_…`), its staging schema and the engine's warnings stay in the
    log file; the log panel says what happened to Bienestar."""
    backup = tmp_path / "copia.resguardo"
    with installed("es"):
        dialogs = Dialogs(save_to=backup, open_file=backup)
        window = open_window(qtbot, demo_db, dialogs)
        wait_listed(qtbot, window)
        assert back_up(qtbot, window, "bienestar").state == "succeeded"
        restored = run_job(qtbot, window, "restore_action", "bienestar")
        assert restored.state == "succeeded", restored.message.text()
        logs = {"restore": window.log_panel.toPlainText()}
        undone = run_job(qtbot, window, "undo_action", "bienestar")
        assert undone.state == "succeeded", undone.message.text()
        logs["undo"] = window.log_panel.toPlainText()
    for job, text in logs.items():
        assert text.strip(), job
        assert english_or_internal(text) == [], f"{job}:\n{text}"

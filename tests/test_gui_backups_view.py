"""The clinic's backups in the window (issue 21.3): the Backups view lists every backup of the clinic in the folders
this profile backs up into (by hand and by a schedule), newest first, with its marks; Restore…, Verify, Test restore
and Show in folder act on the file listed; the list's Last backup column reads the same scan and warns when a
scheduled clinic's newest backup is too old. The database, the workers and the engine are real."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pyrage import x25519
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.encryption.stream import encrypt_file
from app.engine.jobs import CancelToken
from app.engine.routine.clinic_backups import ClinicBackup
from app.engine.routine.records import ClinicRecord, RunRecord, write_record
from app.engine.routine.schedules import Schedule, ScheduleStore
from app.engine.routine.verified import read_restore_test
from app.engine.stores.history import History, database_key, record_backup
from app.ui import locale_format as fmt
from app.ui.backups_dialog import BackupsDialog, checked_words, made_by_words, when_words
from app.ui.main_window import MainWindow
from app.ui.tenant_table import LAST_BACKUP
from tests.support.gui import WAIT_MS, ScriptedDialogs, installed, open_window, rows_fingerprint, wait_idle, wait_listed

pytestmark = pytest.mark.gui


@dataclass
class FolderDialogs(ScriptedDialogs):
    folder: Path | None = None
    folders_asked: list[Path] = field(default_factory=list)

    def choose_folder(self, parent: QWidget, title: str, start_dir: Path) -> Path | None:
        self.folders_asked.append(start_dir)
        return self.folder


class Opened(QObject):
    """Where Show in folder asked the desktop to open (QDesktopServices' handler of file: URLs)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def _days_ago(path: Path, days: float) -> None:
    when = time.time() - days * 86400
    os.utime(path, (when, when))


def _sealed(plain: Path, dest: Path, days: float) -> Path:
    encrypt_file(plain, dest, [x25519.Identity.generate().to_public()], cancel=CancelToken())
    _days_ago(dest, days)
    return dest


def _view(qtbot: QtBot, window: MainWindow, schema: str) -> BackupsDialog:
    window.select(schema)
    assert window.commands.backups.isEnabled()
    window.commands.backups.trigger()
    dialog = window.backups_flow.dialog
    assert isinstance(dialog, BackupsDialog)
    qtbot.waitUntil(lambda: not window.backups_flow.scanning and bool(dialog.backups), timeout=WAIT_MS)
    return dialog


def _row(dialog: BackupsDialog, path: Path) -> list[str]:
    for index in range(dialog.table.topLevelItemCount()):
        item = dialog.table.topLevelItem(index)
        assert item is not None
        if dialog.backups[index].path == path:
            dialog.table.setCurrentItem(item)
            return [item.text(c) for c in range(dialog.table.columnCount())]
    raise AssertionError(f"{path} is not listed")


def _again(qtbot: QtBot, window: MainWindow, dialog: BackupsDialog, done: object) -> None:
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: not window.backups_flow.scanning and bool(callable(done) and done()), timeout=WAIT_MS)


def test_the_backups_view_lists_restores_verifies_tests_and_shows(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    by_hand, nightly, added = tmp_path / "a mano", tmp_path / "noche", tmp_path / "usb"
    for folder in (by_hand, nightly / "bienestar", added):
        folder.mkdir(parents=True)
    history = History()
    made = backup_tenant(demo_db, "bienestar", by_hand)  # made from the window, as its history remembers
    record_backup(database_key(demo_db), "bienestar", made.path, made.size_bytes, made.rows, made.seconds, history)
    before = rows_fingerprint(demo_db, "bienestar")
    backup_tenant(demo_db, "mindcare", by_hand)  # another clinic's
    (by_hand / "notas.txt").write_text("not a backup")
    sealed = _sealed(made.path, nightly / "bienestar" / "bienestar_2026-12-05_023000Z.resguardo.age", days=2)
    ScheduleStore().save(Schedule(name="noche", times=("02:30",), folder=str(nightly), profile="clinicas"))
    write_record(RunRecord("noche", "2026-12-05T02:30:00Z", clinics=[ClinicRecord("bienestar", file=str(sealed))]))
    old = _sealed(made.path, added / "bienestar_2026-12-01_101500Z.resguardo.age", days=6)

    dialogs = FolderDialogs(folder=added)
    window = open_window(qtbot, demo_db, dialogs, history=history)
    wait_listed(qtbot, window)
    dialog = _view(qtbot, window, "bienestar")
    assert [b.path for b in dialog.backups] == [made.path, sealed]  # newest first; not mindcare's, not the notes
    native = _row(dialog, made.path)
    assert native[2:6] == ["Resguardo format", "Not verified", "No", "By hand"]
    assert native[0] == fmt.when(dialog.backups[0].created_iso) and native[6] == made.path.name
    encrypted = _row(dialog, sealed)
    assert encrypted[4:6] == ["Encrypted", "Schedule “noche”"] and encrypted[0].endswith("(file's time)")

    dialog.add_folder_button.click()  # Add folder…: a USB disk with an older encrypted backup
    qtbot.waitUntil(lambda: len(dialog.backups) == 3 and not window.backups_flow.scanning, timeout=WAIT_MS)
    assert dialog.backups[2].path == old and dialog.folders.full_text().endswith(str(added))

    _row(dialog, made.path)
    dialog.verify_button.click()
    _again(qtbot, window, dialog, lambda: _row(dialog, made.path)[3] == "Verified")
    assert window.jobs.panels[-1].message.text().startswith(str(made.path))

    _row(dialog, made.path)
    dialog.test_button.click()
    assert window.jobs.panels[-1].tenant == "bienestar"  # a job of the clinic, with progress and Cancel
    _again(qtbot, window, dialog, lambda: _row(dialog, made.path)[3] == "Test restore passed")
    record = read_restore_test(made.path)
    assert record is not None and record["restore_test"]["ok"] is True
    assert rows_fingerprint(demo_db, "bienestar") == before  # the clinic was not touched

    opened = Opened()
    QDesktopServices.setUrlHandler("file", opened, "open")  # type: ignore[arg-type]  # a str at run time
    try:
        _row(dialog, sealed)
        dialog.folder_button.click()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [Path(u.toLocalFile()) for u in opened.urls] == [nightly / "bienestar"]

    with demo_db.connect() as conn:  # the bad day: messages lost; restore the backup from the view
        conn.execute(
            "DELETE FROM bienestar.chat_chatmessage WHERE id IN (SELECT id FROM bienestar.chat_chatmessage LIMIT 5)"
        )
    assert rows_fingerprint(demo_db, "bienestar") != before
    _row(dialog, made.path)
    dialog.restore_button.click()
    qtbot.waitUntil(lambda: bool(dialogs.previews), timeout=WAIT_MS)
    wait_idle(qtbot, window)
    assert not [a for a in dialogs.asked if a[0] == "open"]  # no file dialog
    assert dialogs.contexts[-1].preview.tenant == "bienestar"
    assert rows_fingerprint(demo_db, "bienestar") == before


def test_the_last_backup_column_reads_the_scan_and_warns_when_too_old(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    nightly = tmp_path / "noche"
    (nightly / "mindcare").mkdir(parents=True)
    plain = tmp_path / "plain.resguardo"
    plain.write_bytes(os.urandom(2000))
    stale = _sealed(plain, nightly / "mindcare" / "mindcare_2026-12-03_023000Z.resguardo.age", days=3)
    fresh = backup_tenant(demo_db, "bienestar", tmp_path / "a mano")
    ScheduleStore().save(
        Schedule(name="noche", times=("02:30",), folder=str(nightly), profile="x", clinics=("mindcare", "bienestar"))
    )
    write_record(RunRecord("noche", "2026-12-04T02:30:00Z", clinics=[ClinicRecord("mindcare", file=str(stale))]))
    history = History()
    record = record_backup(database_key(demo_db), "bienestar", fresh.path, 1, 1, 1.0, history)
    window = open_window(qtbot, demo_db, ScriptedDialogs(), history=history)
    wait_listed(qtbot, window)
    qtbot.waitUntil(lambda: window.model.catalogue is not None, timeout=WAIT_MS)

    def cell(schema: str, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> object:
        row = next(i for i, t in enumerate(window.model.tenants) if t.schema == schema)
        return window.model.data(window.model.index(row, LAST_BACKUP), role)

    newest = window.model.catalogue.newest("bienestar") if window.model.catalogue else None
    assert newest is not None and newest.path == fresh.path and cell("bienestar") == fmt.when(newest.created_iso)
    assert record.path == str(fresh.path)
    assert cell("bienestar", Qt.ItemDataRole.DecorationRole) is None
    oldest = window.model.catalogue.newest("mindcare") if window.model.catalogue else None
    assert oldest is not None and oldest.dated_by_file and oldest.path == stale
    too_old = fmt.when(oldest.created_iso)
    assert cell("mindcare") == f"{too_old}: too old"
    assert cell("mindcare", Qt.ItemDataRole.DecorationRole) is not None
    tip = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", str(cell("mindcare", Qt.ItemDataRole.ToolTipRole))))
    assert "noche" in tip and "more than a day and 3 hours ago" in tip and "schema" not in tip.lower()


def test_the_backups_words_in_spanish(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    backup = ClinicBackup(
        tmp_path / "b.resguardo.age", "bienestar", "native", True, datetime(2026, 12, 7, 2, 30, tzinfo=UTC), True,
        100, True, "", "noche",
    )  # fmt: skip
    with installed("es"):
        said = [checked_words(backup), made_by_words(backup), when_words(backup)]
        by_hand = made_by_words(ClinicBackup(**{**backup.__dict__, "schedule": ""}))
    assert said[:2] == ["Verificada", "Programación «noche»"]
    assert said[2].endswith("(hora del archivo)") and by_hand == "A mano"

"""Errors reach the user as sentences with copyable details; an unexpected exception opens a dialog."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from app.engine.errors import ArchiveError, ResguardoError
from app.ui.error_dialog import ErrorDialog, install_excepthook

pytestmark = pytest.mark.gui


def test_error_dialog_folds_details_away_and_copies_them(qtbot: QtBot) -> None:
    error = ArchiveError(
        "bienestar.resguardo is damaged: a table does not match its checksum.",
        "member data/0003.copy.zst: sha256 abc != def",
    )
    dialog = ErrorDialog(None, error)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.message.text() == error.message
    assert not dialog.details.isVisible()
    dialog.toggle.click()
    assert dialog.details.isVisible() and "sha256" in dialog.details.toPlainText()
    dialog.copy_to_clipboard()
    assert QGuiApplication.clipboard().text() == f"{error.message}\n\n{error.details}"


def test_unexpected_exceptions_become_a_dialog_not_a_crash(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[ResguardoError] = []
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    install_excepthook(shown.append)

    try:
        raise KeyError("tenant")
    except KeyError:
        sys.excepthook(*sys.exc_info())  # as Python does for an exception nobody caught
    qtbot.waitUntil(lambda: len(shown) == 1)
    thread = threading.Thread(target=lambda: 1 / 0)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: len(shown) == 2)

    assert shown[0].message.startswith("Something unexpected went wrong (KeyError")
    assert "Traceback" in shown[0].details and "raise KeyError" in shown[0].details
    assert "ZeroDivisionError" in shown[1].message


def test_help_opens_the_log_file_creating_it_off_the_ui_thread(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtGui import QDesktopServices

    from app.engine.connection import ConnectionTarget
    from app.ui import window_help
    from app.ui.logging_setup import log_file
    from tests.support.gui import ScriptedDialogs, open_window

    opened: list[str] = []
    on_ui_thread: list[bool] = []

    def recorded_log_file() -> Path:
        on_ui_thread.append(threading.current_thread() is threading.main_thread())
        return log_file()

    def open_url(url: QUrl) -> bool:
        opened.append(url.toLocalFile())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", open_url)
    monkeypatch.setattr(window_help, "log_file", recorded_log_file)
    window = open_window(qtbot, ConnectionTarget("host=127.0.0.1 port=1 dbname=x"), ScriptedDialogs())
    log_file().unlink(missing_ok=True)
    window.open_log_file()
    qtbot.waitUntil(lambda: opened == [str(log_file())])
    assert log_file().is_file()
    assert on_ui_thread == [False]

"""The window and its dialogs fit small screens: 1366×768 and 1024×600, status bar included, no button cut.

The first window is measured in a child process whose (offscreen) screen has
the laptop's size; the panels and dialogs are measured here, with real jobs
run against the real server, in English and in Spanish.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring.backends.fail
import pytest
from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QAbstractScrollArea, QLabel, QToolButton, QWidget
from pytestqt.qtbot import QtBot

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.errors import ArchiveError
from app.engine.inspection.verify import verify_file
from app.engine.restore.preview import preview_restore
from app.engine.stores.secrets import SecretStore
from app.ui.backup_dialog import BackupDialog
from app.ui.error_dialog import ErrorDialog
from app.ui.formats import BACKUP_FORMATS
from app.ui.password_dialog import PasswordDialog
from app.ui.preview_text import PreviewContext
from app.ui.profile_dialog import ProfileDialog
from app.ui.restore_dialog import RestoreConfirmDialog
from app.ui.window_layout import DEFAULT_SIZE, first_window_size
from tests.support import REPO
from tests.support.gui import ScriptedDialogs, back_up, installed, open_window, wait_idle, wait_listed

pytestmark = pytest.mark.gui
SMALL = QSize(1024, 600)

_FIRST_WINDOW = """
import json, sys
from PySide6.QtWidgets import QApplication
from app.engine.connection import ConnectionTarget
from app.ui.main_window import MainWindow
app = QApplication(sys.argv[:1])
window = MainWindow(ConnectionTarget("host=127.0.0.1 port=1 dbname=x user=x"))
window.show()
for _ in range(20):
    app.processEvents()
bar = window.statusBar()
status = bar.mapToGlobal(bar.rect().bottomRight())
available = window.screen().availableGeometry()
hint = window.minimumSizeHint()
frame = window.frameGeometry()
print(json.dumps({"available": [available.x(), available.y(), available.width(), available.height()],
                  "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
                  "status_bottom_right": [status.x(), status.y()], "status_visible": bar.isVisible(),
                  "minimum": [hint.width(), hint.height()]}))
"""


@pytest.mark.parametrize("width,height", [(1024, 600), (1366, 768)])
def test_the_first_window_fits_the_screen_with_its_status_bar(width: int, height: int, tmp_path: Path) -> None:
    screen = tmp_path / "screen.json"
    screen.write_text(
        json.dumps(
            {
                "screens": [
                    {
                        "name": "laptop",
                        "x": 0,
                        "y": 0,
                        "width": width,
                        "height": height,
                        "logicalDpi": 96,
                        "logicalBaseDpi": 96,
                        "dpr": 1,
                    }
                ]
            }
        )
    )
    run = subprocess.run(
        [sys.executable, "-c", _FIRST_WINDOW],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={screen}"},
        check=False,  # the exit status is asserted with the child's stderr
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    available = QRect(*seen["available"])
    assert available.size() == QSize(width, height)
    assert available.contains(QRect(*seen["frame"]))
    assert seen["status_visible"] and available.contains(QPoint(*seen["status_bottom_right"]))
    assert seen["minimum"][0] <= width and seen["minimum"][1] <= height


def test_the_default_size_is_kept_for_screens_that_fit_it() -> None:
    assert first_window_size(QSize(1920, 1040)) == DEFAULT_SIZE
    assert first_window_size(QSize(1366, 728)) is None  # maximized
    assert first_window_size(SMALL) is None


def clipped_buttons(top: QWidget) -> list[str]:
    """Visible buttons that some ancestor cuts. Inside a scrolling area a button may be scrolled out of view
    vertically (the user scrolls to it), never cut sideways."""
    found = []
    for button in top.findChildren(QAbstractButton):
        if not button.isVisibleTo(top) or button.size().isEmpty():
            continue
        if button.width() < button.sizeHint().width() and not isinstance(button, QToolButton):
            found.append(f"{button.text()!r} narrower than its text ({button.width()} < {button.sizeHint().width()})")
            continue
        area = QRect(QPoint(0, 0), button.size())
        widget: QWidget = button
        while widget is not top and (parent := widget.parentWidget()) is not None:
            area = area.translated(widget.pos())
            widget = parent
            bounds = widget.rect()
            if isinstance(widget.parentWidget(), QAbstractScrollArea):  # a viewport: content scrolls up and down
                if area.left() < bounds.left() or area.right() > bounds.right():
                    found.append(f"{button.text() or button.toolTip()!r} cut sideways by a scrolling area")
                    break
                area = area.intersected(QRect(area.left(), bounds.top(), area.width(), bounds.height()))
                if area.isEmpty():
                    break  # scrolled out of view: reachable
            elif not bounds.contains(area):
                found.append(f"{button.text() or button.toolTip()!r} cut by {type(widget).__name__}")
                break
    return found


def cut_texts(top: QWidget) -> list[str]:
    """Visible wrapping labels shorter than their text needs."""
    return [
        label.text()[:60]
        for label in top.findChildren(QLabel)
        if label.isVisibleTo(top)
        and label.wordWrap()
        and label.text()
        and label.height() < label.heightForWidth(label.width())
    ]


def fit(widget: QWidget, qtbot: QtBot) -> None:
    """Shown at the size it chooses, made no larger than the small screen (as a window manager would)."""
    widget.show()
    qtbot.wait(20)
    widget.resize(widget.size().boundedTo(SMALL))
    qtbot.wait(50)


@pytest.fixture(params=["en", "es"])
def language(request: pytest.FixtureRequest) -> Iterator[str]:
    with installed(request.param):
        yield request.param


def test_no_button_of_a_panel_or_dialog_is_cut_at_1024x600(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path, language: str
) -> None:
    backup = tmp_path / "bienestar.resguardo"
    backup_tenant(demo_db, "bienestar", backup)
    long_name = tmp_path / ("a backup file with a very long name that no column can show in full " * 2 + ".resguardo")
    long_name.write_bytes(b"not a backup")
    dialogs = ScriptedDialogs(save_to=tmp_path / "mindcare.resguardo", open_file=long_name)
    window = open_window(qtbot, demo_db, dialogs)
    window.setWindowState(window.windowState() & ~window.windowState().WindowMaximized)
    window.resize(SMALL)
    wait_listed(qtbot, window)
    assert window.minimumSizeHint().width() <= SMALL.width()
    assert window.minimumSizeHint().height() <= SMALL.height()

    back_up(qtbot, window, "mindcare")  # a finished panel: Show in folder, Verify, Log, Dismiss
    window.verify_action.trigger()  # a failed panel with a long title: Details, Log, Dismiss
    wait_idle(qtbot, window)
    assert [p.state for p in window.jobs.panels] == ["succeeded", "failed"]
    qtbot.wait(50)
    assert clipped_buttons(window) == []
    assert cut_texts(window) == []
    toolbar = window.findChild(QWidget, "actions")
    assert toolbar is not None
    hidden = [b.text() for b in toolbar.findChildren(QToolButton) if b.defaultAction() and not b.isVisible()]
    assert hidden == []  # every action fits on the toolbar, none in an overflow menu

    context = PreviewContext(
        preview_restore(demo_db, "bienestar", backup), verify_file(backup), backup.stat().st_size, "Bienestar", {}, {}
    )
    no_keyring = SecretStore(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]  # unannotated in keyring
    dialogs_to_check: list[Callable[[], QWidget]] = [  # each built just before it is shown, as the window does
        lambda: RestoreConfirmDialog(window, context),
        lambda: BackupDialog(window, "Bienestar", tmp_path / "bienestar_2026-11-30_0935.resguardo", BACKUP_FORMATS),
        lambda: ProfileDialog(window, no_keyring, window.profiles, window.pool),
        lambda: ErrorDialog(window, ArchiveError("x.resguardo is damaged.", "data/0001: sha256 mismatch\n" * 40)),
        lambda: PasswordDialog(window, "The server at postgres@db.clinic.lan:5432/clinics asks for a password.", False),
    ]
    for make in dialogs_to_check:
        dialog = make()
        qtbot.addWidget(dialog)
        fit(dialog, qtbot)
        assert dialog.width() <= SMALL.width() and dialog.height() <= SMALL.height(), type(dialog).__name__
        if isinstance(dialog, ProfileDialog):
            qtbot.waitUntil(dialog.save_button.isEnabled)  # the keyring's sentence has arrived (after showing)
            qtbot.wait(50)
        if isinstance(dialog, RestoreConfirmDialog):
            QTest.keyClicks(dialog.typed, "bienestar")  # Restore turns on (and red) once the name is typed
            qtbot.wait(50)
        assert clipped_buttons(dialog) == [], type(dialog).__name__
        assert cut_texts(dialog) == [], type(dialog).__name__
        dialog.close()


def test_the_profiles_dialog_grows_to_its_keyring_sentence(qtbot: QtBot, language: str) -> None:
    """At the size it chooses on a large screen, the sentence that arrives once the keyring is known (here:
    none) is shown whole, not cut over the rows below (the gallery at 1366x768 showed it cut)."""
    no_keyring = SecretStore(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]  # unannotated in keyring
    dialog = ProfileDialog(None, no_keyring, None, None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.save_button.isEnabled)
    qtbot.wait(50)
    assert "keyring" in dialog.keyring_note.text() or "llavero" in dialog.keyring_note.text()
    assert cut_texts(dialog) == []

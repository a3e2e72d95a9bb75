"""Look and access: readable contrast, a name for every control, a keyboard path to every action, icons that exist,
and the two dangerous actions apart and red."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QSpinBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.inspection.verify import verify_file
from app.engine.restore.preview import preview_restore
from app.ui import style
from app.ui.backup_dialog import BackupDialog
from app.ui.formats import BACKUP_FORMATS
from app.ui.key_dialog import KeyDialog
from app.ui.passphrase_dialog import KeyPromptDialog
from app.ui.password_dialog import PasswordDialog
from app.ui.preview_text import PreviewContext
from app.ui.profile_dialog import ProfileDialog
from app.ui.restore_dialog import HIGHLIGHT, RestoreConfirmDialog
from tests.support.gui import ScriptedDialogs, back_up, open_window, wait_listed

pytestmark = pytest.mark.gui


def low_contrast(top: QWidget) -> tuple[list[str], int]:
    """Enabled, visible labels whose text is below 4.5:1 on the background they are drawn on; and how many labels
    were looked at (a check that looked at none proves nothing)."""
    found = []
    looked = 0
    for label in top.findChildren(QLabel):
        if not label.isVisibleTo(top) or not label.text() or not label.isEnabled() or not label.pixmap().isNull():
            continue
        looked += 1
        palette = label.palette()
        text = palette.color(QPalette.ColorGroup.Active, label.foregroundRole())
        background = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Window)
        if style.contrast(text, background) < style.MIN_CONTRAST:
            found.append(f"{label.text()[:40]!r}: {style.contrast(text, background):.1f}:1")
    return found, looked


def unnamed_controls(top: QWidget) -> tuple[list[str], int]:
    """Inputs, lists and bars a screen reader could not name (buttons are named by their text); and how many
    controls were looked at."""
    kinds = (QLineEdit, QComboBox, QSpinBox, QAbstractItemView, QProgressBar, QPlainTextEdit)
    found = []
    looked = 0
    for widget in top.findChildren(QWidget):
        if not isinstance(widget, kinds) or not widget.isVisibleTo(top) or widget.objectName().startswith("qt_"):
            continue
        if isinstance(widget.parentWidget(), QComboBox | QSpinBox) or isinstance(widget, QHeaderView):
            continue  # parts of a combo box, spin box or table: named through it
        looked += 1
        if not widget.accessibleName():
            found.append(type(widget).__name__)
    for button in top.findChildren(QAbstractButton):
        if not button.isVisibleTo(top):
            continue
        looked += 1
        if not (button.text() or button.accessibleName() or button.toolTip()):
            found.append(f"button {button.objectName() or type(button).__name__}")
    return found, looked


def test_the_checks_see_what_they_claim_to(qtbot: QtBot) -> None:
    """Each check finds a faint label and an unnamed input when there is one, and counts what it looked at."""
    top = QWidget()
    qtbot.addWidget(top)
    layout = QVBoxLayout(top)
    faint, field = QLabel("faint"), QLineEdit()
    palette = faint.palette()
    palette.setColor(QPalette.ColorRole.WindowText, QColor("#bebebe"))
    palette.setColor(QPalette.ColorRole.Window, QColor("#efefef"))
    faint.setPalette(palette)
    layout.addWidget(faint)
    layout.addWidget(field)
    top.show()
    assert low_contrast(top) == (["'faint': 1.6:1"], 1)
    assert unnamed_controls(top) == (["QLineEdit"], 1)
    field.setAccessibleName("Name")
    assert unnamed_controls(top) == ([], 1)


def test_the_colours_of_the_window_are_readable() -> None:
    backgrounds = ("#ffffff", "#efefef")  # a white view, Fusion's window grey
    for colour in (style.DANGER, style.MUTED, style.SUCCESS):
        for background in backgrounds:
            assert style.contrast(colour, background) >= style.MIN_CONTRAST, (colour, background)
    assert style.contrast(style.ON_DANGER, style.DANGER) >= style.MIN_CONTRAST
    assert style.contrast(style.BANNER_TEXT, style.BANNER_BACKGROUND) >= style.MIN_CONTRAST
    assert style.contrast("#000000", HIGHLIGHT) >= style.MIN_CONTRAST
    assert style.contrast("#bebebe", "#efefef") < style.MIN_CONTRAST  # what a disabled label was: the check bites


def test_every_label_is_readable_and_every_control_named(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    backup = tmp_path / "bienestar.resguardo"
    backup_tenant(demo_db, "bienestar", backup)
    window = open_window(qtbot, demo_db, ScriptedDialogs(save_to=tmp_path / "m.resguardo"))
    wait_listed(qtbot, window)
    back_up(qtbot, window, "mindcare")
    context = PreviewContext(
        preview_restore(demo_db, "bienestar", backup), verify_file(backup), backup.stat().st_size, "Bienestar", {}, {}
    )
    windows: list[QWidget] = [
        window,
        RestoreConfirmDialog(window, context),
        BackupDialog(window, "Bienestar", backup, BACKUP_FORMATS),
        ProfileDialog(window, window.secrets, window.profiles, window.pool),
        PasswordDialog(window, "The server asks for a password.", False),
        KeyDialog(window, window.pool, "clinics", window.profiles, ["age1example"]),
        KeyPromptDialog(window, "bienestar.resguardo.age", "The passphrase does not open the key file k.age.", None),
    ]
    for top in windows:
        if top is not window:
            qtbot.addWidget(top)
        top.show()
        qtbot.wait(30)
        faint, labels = low_contrast(top)
        unnamed, controls = unnamed_controls(top)
        assert (faint, unnamed) == ([], []), type(top).__name__
        assert labels >= 1 and controls >= 2, (type(top).__name__, labels, controls)  # it looked at the dialog


def test_every_action_has_a_keyboard_path_and_an_icon(qtbot: QtBot) -> None:
    window = open_window(qtbot, ConnectionTarget("host=127.0.0.1 port=1 dbname=x"), ScriptedDialogs())
    for menu_action in window.menuBar().actions():
        assert "&" in menu_action.text(), menu_action.text()
        menu = menu_action.menu()
        assert isinstance(menu, QMenu)
        for action in menu.actions():
            if action.isSeparator():
                continue
            assert "&" in action.text() or not action.shortcut().isEmpty() or action.isCheckable(), action.text()
    for action in [*window.commands.clinic_actions, window.commands.verify, window.commands.refresh]:
        assert not action.shortcut().isEmpty() and not action.icon().isNull(), action.text()


def test_restore_and_discard_are_red_and_apart_on_the_toolbar(qtbot: QtBot) -> None:
    window = open_window(qtbot, ConnectionTarget("host=127.0.0.1 port=1 dbname=x"), ScriptedDialogs())
    toolbar = window.findChild(QToolBar, "actions")
    assert toolbar is not None
    order = toolbar.actions()
    dangerous = [window.restore_action, window.discard_action]
    first_danger = min(order.index(a) for a in dangerous)
    assert order[first_danger - 1].isSeparator()  # after a separator, at the end
    assert all(order.index(a) > order.index(window.backup_action) for a in dangerous)
    for action in dangerous:
        button = toolbar.widgetForAction(action)
        assert button is not None
        assert button.palette().color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText) == QColor(style.DANGER)
    safe = toolbar.widgetForAction(window.backup_action)
    assert safe is not None
    assert safe.palette().color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText) != QColor(style.DANGER)


def test_enter_restores_once_the_name_is_typed_and_not_before(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    backup = tmp_path / "bienestar.resguardo"
    backup_tenant(demo_db, "bienestar", backup)
    context = PreviewContext(
        preview_restore(demo_db, "bienestar", backup), verify_file(backup), backup.stat().st_size, "Bienestar", {}, {}
    )
    dialog = RestoreConfirmDialog(None, context)
    qtbot.addWidget(dialog)
    dialog.show()
    QTest.keyClicks(dialog.typed, "bienesta")
    QTest.keyClick(dialog.typed, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.result() == 0  # neither Cancel (the default) nor Restore
    QTest.keyClicks(dialog.typed, "r")
    QTest.keyClick(dialog.typed, Qt.Key.Key_Return)
    assert not dialog.isVisible() and dialog.result() == RestoreConfirmDialog.DialogCode.Accepted

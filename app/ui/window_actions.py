"""The window's actions, menus and toolbar: icons from the bundled set, shortcuts, and the dangerous two apart.

Restore and Discard (they replace or delete a clinic's data) are red in the
toolbar and in the menu, after a separator and a gap, away from Back up and
Refresh. Every action has a shortcut or a mnemonic, and a status tip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QSizePolicy, QToolBar, QToolButton, QWidget

from app.ui.icons import icon
from app.ui.language import LANGUAGES
from app.ui.settings import SYSTEM_LANGUAGE
from app.ui.style import DANGER, set_text_colour

translate = QCoreApplication.translate
Slot = Callable[[], object]


@dataclass
class WindowActions:
    refresh: QAction
    backup: QAction
    backup_all: QAction
    schedules: QAction
    restore: QAction
    undo: QAction
    discard: QAction
    recover: QAction
    undo_recovery: QAction
    verify: QAction
    profiles: QAction
    reconnect: QAction
    find: QAction
    backups: QAction
    languages: dict[str, QAction]  # "system", "en", "es"

    @property
    def clinic_actions(self) -> list[QAction]:
        return [self.backup, self.restore, self.undo, self.discard]


def _action(
    window: QMainWindow,
    slots: dict[str, Slot],
    key: str,
    text: str,
    tip: str,
    shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
    toolbar_text: str | None = None,
    icon_name: str | None = None,
) -> QAction:
    """The action `key`: its slot, its icon (named like the key unless said), its shortcut and tips."""
    action = QAction(icon(icon_name or key), text, window)
    if toolbar_text:
        action.setIconText(toolbar_text)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setStatusTip(tip)
    keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    action.setToolTip(f"{tip} ({keys})" if keys else tip)
    action.triggered.connect(slots[key])
    return action


def build_actions(
    window: QMainWindow, slots: dict[str, Slot], language_choice: str, choose_language: Callable[[str], None]
) -> WindowActions:
    """Create the actions, the menu bar and the toolbar of `window`."""
    keys = QKeySequence.StandardKey
    actions = WindowActions(
        refresh=_action(
            window,
            slots,
            "refresh",
            translate("Window", "&Refresh"),
            translate("Window", "Read the list of clinics again"),
            keys.Refresh,
        ),
        backup=_action(
            window,
            slots,
            "backup",
            translate("Window", "&Back up…"),
            translate("Window", "Back up the selected clinic to a file"),
            "Ctrl+B",
            translate("Window", "Back up…"),
        ),
        backup_all=_action(
            window,
            slots,
            "backup_all",
            translate("Window", "Back up &all clinics…"),
            translate("Window", "Back up every clinic, each to its own file, into one folder"),
            "Ctrl+Shift+B",
            translate("Window", "Back up all…"),
            icon_name="backup",
        ),
        schedules=_action(
            window,
            slots,
            "schedules",
            translate("Window", "&Schedule backups…"),
            translate("Window", "Back up clinics every day at set times, through this computer's own scheduler"),
            icon_name="refresh",
        ),
        restore=_action(
            window,
            slots,
            "restore",
            translate("Window", "&Restore…"),
            translate(
                "Window", "Replace the selected clinic's data with a backup (after a preview and your confirmation)"
            ),
            "Ctrl+R",
            translate("Window", "Restore…"),
        ),
        undo=_action(
            window,
            slots,
            "undo",
            translate("Window", "&Undo restore…"),
            translate("Window", "Put back the previous version a restore kept"),
            "Ctrl+Z",
            translate("Window", "Undo…"),
        ),
        discard=_action(
            window,
            slots,
            "discard",
            translate("Window", "&Discard previous version…"),
            translate(
                "Window", "Delete the previous version a restore kept (the restore can then no longer be undone)"
            ),
            "Ctrl+Shift+D",
            translate("Window", "Discard…"),
        ),
        recover=_action(
            window,
            slots,
            "recover",
            translate("Window", "Re&cover records…"),
            translate(
                "Window",
                "Bring chosen records (a patient, with their appointments and messages) back from a backup into the "
                "selected clinic, keeping everything made since",
            ),
            "Ctrl+Shift+E",
            icon_name="restore",
        ),
        undo_recovery=_action(
            window,
            slots,
            "undo_recovery",
            translate("Window", "Undo recover&y…"),
            translate("Window", "Remove the records the selected clinic's last recovery brought back"),
            icon_name="undo",
        ),
        verify=_action(
            window,
            slots,
            "verify",
            translate("Window", "&Verify a file…"),
            translate("Window", "Check that a backup file is complete and readable"),
            "Ctrl+Shift+V",
            translate("Window", "Verify…"),
        ),
        profiles=_action(
            window,
            slots,
            "profiles",
            translate("Window", "&Connection profiles…"),
            translate("Window", "Add, edit, test or choose a server to connect to"),
            "Ctrl+K",
        ),
        reconnect=_action(
            window,
            slots,
            "reconnect",
            translate("Window", "Reco&nnect"),
            translate("Window", "Connect to the server again"),
            "Ctrl+Shift+R",
        ),
        find=_action(
            window,
            slots,
            "find",
            translate("Window", "&Find"),
            translate("Window", "Filter the list of clinics"),
            keys.Find,
        ),
        backups=_action(
            window,
            slots,
            "backups",
            translate("Window", "Bac&kups of the clinic…"),
            translate(
                "Window", "Every backup of the selected clinic in the folders this profile backs up into, newest first"
            ),
            "Ctrl+L",
            translate("Window", "Backups…"),
            icon_name="folder",
        ),
        languages={},
    )
    quit_action = _action(
        window, slots, "quit", translate("Window", "&Quit"), translate("Window", "Close Resguardo"), keys.Quit
    )

    menu = window.menuBar()
    file_menu = menu.addMenu(translate("Window", "&File"))
    file_menu.addActions([actions.profiles, actions.reconnect, actions.verify])
    file_menu.addSeparator()
    file_menu.addAction(quit_action)
    clinic_menu = menu.addMenu(translate("Window", "&Clinic"))
    clinic_menu.addActions(
        [actions.backup, actions.backup_all, actions.backups, actions.schedules, actions.undo, actions.refresh]
    )
    clinic_menu.addActions([actions.recover, actions.undo_recovery])
    clinic_menu.addAction(actions.find)
    clinic_menu.addSeparator()
    clinic_menu.addActions([actions.restore, actions.discard])
    language_menu = menu.addMenu(translate("Window", "&Language"))
    _language_actions(window, language_menu, actions, language_choice, choose_language)
    help_menu = menu.addMenu(translate("Window", "&Help"))
    help_menu.addAction(
        _action(
            window,
            slots,
            "log_file",
            translate("Window", "Open the &log file"),
            translate("Window", "Open Resguardo's log file"),
            icon_name="log",
        )
    )
    help_menu.addAction(
        _action(
            window,
            slots,
            "log_folder",
            translate("Window", "Open the log &folder"),
            translate("Window", "Show the folder with the log files"),
            icon_name="folder",
        )
    )
    help_menu.addSeparator()
    help_menu.addAction(
        _action(
            window, slots, "about", translate("Window", "&About Resguardo"), translate("Window", "Version and licence")
        )
    )

    toolbar = QToolBar(translate("Window", "Actions"))
    toolbar.setObjectName("actions")
    toolbar.setMovable(False)
    toolbar.setIconSize(QSize(20, 20))
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    toolbar.addAction(actions.refresh)
    toolbar.addSeparator()
    toolbar.addActions([actions.backup, actions.backup_all, actions.verify, actions.undo])
    gap = QWidget()
    gap.setFixedWidth(24)
    gap.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
    toolbar.addWidget(gap)
    toolbar.addSeparator()
    toolbar.addActions([actions.restore, actions.discard])
    window.addToolBar(toolbar)
    for dangerous in (actions.restore, actions.discard):
        button = toolbar.widgetForAction(dangerous)
        if isinstance(button, QToolButton):
            set_text_colour(button, DANGER)
            button.setAccessibleDescription(translate("Window", "Replaces or deletes a clinic's data"))
    return actions


def _language_actions(
    window: QMainWindow, menu: QMenu, actions: WindowActions, choice: str, choose: Callable[[str], None]
) -> None:
    group = QActionGroup(window)
    group.setExclusive(True)
    labels = {SYSTEM_LANGUAGE: translate("Window", "Same as the system"), **LANGUAGES}
    for code, label in labels.items():
        action = QAction(label, window)
        action.setCheckable(True)
        action.setChecked(code == choice)
        action.setStatusTip(translate("Window", "Show Resguardo in this language"))
        action.triggered.connect(lambda _checked=False, c=code: choose(c))
        group.addAction(action)
        menu.addAction(action)
        actions.languages[code] = action

"""The question of "Back up all clinics…": into which folder, in which format.

The format is the backup dialog's choice (the same radio buttons and words, app/ui/formats.py); the folder
is a folder, since each clinic gets its own sub-folder and its files are named by clinic and time, never
replacing one. Shared with "Schedule backups…", which asks for a folder too (`FolderRow`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.formats import BackupFormat
from app.ui.icons import icon
from app.ui.style import muted

translate = QCoreApplication.translate


class FolderRow(QWidget):
    """A folder's path, typed or chosen with "Choose…"."""

    changed = Signal(str)

    def __init__(self, folder: Path, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.edit = QLineEdit(str(folder))
        self.edit.setAccessibleName(title)
        self.edit.setMinimumWidth(300)
        self.edit.textChanged.connect(self.changed.emit)
        choose = QPushButton(icon("folder"), translate("BackupAll", "C&hoose…"))
        choose.setToolTip(translate("BackupAll", "Pick the folder"))
        choose.clicked.connect(self._choose)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(choose)

    def folder(self) -> Path | None:
        text = self.edit.text().strip()
        return Path(text).expanduser() if text else None

    def _choose(self) -> None:
        start = self.folder() or Path.home()
        chosen = QFileDialog.getExistingDirectory(self, self.title, str(start))
        if chosen:
            self.edit.setText(chosen)


def format_choice(formats: list[BackupFormat], parent: QWidget) -> tuple[QGroupBox, QButtonGroup]:
    """The backup dialog's format choice: one radio button per format, with what it needs beneath."""
    box = QGroupBox(translate("BackupDialog", "Format"), parent)
    choices = QVBoxLayout(box)
    group = QButtonGroup(parent)
    for index, fmt in enumerate(formats):
        radio = QRadioButton(translate("Formats", fmt.label))
        radio.setAccessibleDescription(translate("Formats", fmt.help))
        help_text = muted(QLabel(translate("Formats", fmt.help)))
        help_text.setWordWrap(True)
        help_text.setContentsMargins(24, 0, 0, 4)
        group.addButton(radio, index)
        choices.addWidget(radio)
        choices.addWidget(help_text)
    group.button(0).setChecked(True)
    return box, group


class BackupAllDialog(QDialog):
    def __init__(self, parent: QWidget | None, folder: Path, formats: list[BackupFormat], clinics: int) -> None:
        super().__init__(parent)
        self.formats = formats
        self.setWindowTitle(translate("BackupAll", "Back up all clinics"))
        intro = QLabel(
            translate(
                "BackupAll",
                "Each of the {count} clinics is backed up to its own file, in its own folder inside the folder "
                "chosen, named by clinic and time: no file is ever replaced. Two clinics are backed up at a time; "
                "one that fails is tried again, and never stops the others.",
            ).format(count=clinics)
        )
        intro.setWordWrap(True)
        box, self.group = format_choice(formats, self)
        folder_label = QLabel(translate("BackupAll", "&Into the folder:"))
        self.folder = FolderRow(folder, translate("BackupAll", "Folder for the backups of all clinics"), self)
        folder_label.setBuddy(self.folder.edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = QPushButton(icon("backup"), translate("BackupAll", "&Back up all"))
        self.ok_button.setDefault(True)
        buttons.addButton(self.ok_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.folder.changed.connect(lambda text: self.ok_button.setEnabled(bool(text.strip())))

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(box)
        layout.addWidget(folder_label)
        layout.addWidget(self.folder)
        layout.addWidget(buttons)
        screen = self.screen() or QGuiApplication.primaryScreen()
        self.setMinimumWidth(min(620, screen.availableGeometry().width() - 40))

    def choice(self) -> tuple[Path, BackupFormat] | None:
        folder = self.folder.folder()
        if folder is None:
            return None
        return folder, self.formats[max(self.group.checkedId(), 0)]

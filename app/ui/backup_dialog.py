"""The save step of Back up…: the format as a clear choice, and where the file goes.

The format is chosen with radio buttons that say what each one needs, not
with the file dialog's type filter; the file name follows the format. "Choose…"
opens a file dialog large enough to read names and sizes (detail view, sized
to the screen).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QIdentityProxyModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFileSystemModel,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QRadioButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.ui import locale_format
from app.ui.formats import BackupFormat
from app.ui.icons import icon
from app.ui.style import muted

translate = QCoreApplication.translate
FILE_DIALOG_SIZE = (960, 600)  # wide enough for long names with size and date columns; shrunk to the screen


class _FileDialog(QFileDialog):
    """Qt's own file dialog (where the platform has no native one) with columns as wide as their contents."""

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        files = self.findChild(QTreeView, "treeView")  # the widget names of Qt's qfiledialog.ui
        if files is not None:
            header = files.header()
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            for column in range(1, header.count()):
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        places = self.findChild(QListView, "sidebar")
        if places is not None:
            places.setMinimumWidth(places.sizeHintForColumn(0) + 24)


class SizesInTheWindowsWords(QIdentityProxyModel):
    """The dialog's Size column as the window writes sizes: Qt's model formats them in the system's locale, which
    is not the window's when the user chose another language."""

    SIZE_COLUMN = 1

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        source = self.sourceModel()
        sized = role == Qt.ItemDataRole.DisplayRole and index.column() == self.SIZE_COLUMN
        if sized and isinstance(source, QFileSystemModel) and not source.isDir(inner := self.mapToSource(index)):
            return locale_format.size(source.size(inner))
        return super().data(index, role)


def file_dialog(parent: QWidget | None, title: str, start: Path, name_filter: str, *, saving: bool) -> QFileDialog:
    """A file dialog in detail view (names, sizes, dates), as large as the screen allows."""
    dialog = _FileDialog(parent, title, str(start), name_filter)
    dialog.setProxyModel(SizesInTheWindowsWords(dialog))
    dialog.setViewMode(QFileDialog.ViewMode.Detail)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile if saving else QFileDialog.FileMode.ExistingFile)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave if saving else QFileDialog.AcceptMode.AcceptOpen)
    screen = (parent.screen() if parent is not None else None) or QGuiApplication.primaryScreen()
    available = screen.availableGeometry()
    dialog.resize(min(FILE_DIALOG_SIZE[0], available.width() - 40), min(FILE_DIALOG_SIZE[1], available.height() - 60))
    return dialog


def ask_save_path(parent: QWidget | None, title: str, suggested: Path, name_filter: str) -> Path | None:
    """Where a file goes (a key file, a recovery sheet), through the window's file dialog; None: not chosen."""
    dialog = file_dialog(parent, title, suggested, name_filter, saving=True)
    if dialog.exec() != QFileDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return None
    return Path(dialog.selectedFiles()[0])


def with_extension(path: Path, extension: str, extensions: set[str]) -> Path:
    """`path` ending in `extension`: a known backup extension is replaced, any other name gets it added."""
    if path.suffix in extensions:
        return path.with_suffix(extension)
    return path if path.name.endswith(extension) else path.with_name(path.name + extension)


class BackupDialog(QDialog):
    def __init__(self, parent: QWidget | None, clinic: str, suggested: Path, formats: list[BackupFormat]) -> None:
        super().__init__(parent)
        self.formats = formats
        self._extensions = {f.extension for f in formats}
        self.setWindowTitle(translate("BackupDialog", "Back up {clinic}").format(clinic=clinic))

        box = QGroupBox(translate("BackupDialog", "Format"))
        choices = QVBoxLayout(box)
        self.group = QButtonGroup(self)
        for index, fmt in enumerate(formats):
            radio = QRadioButton(translate("Formats", fmt.label))
            radio.setAccessibleDescription(translate("Formats", fmt.help))
            help_text = muted(QLabel(translate("Formats", fmt.help)))
            help_text.setWordWrap(True)
            help_text.setContentsMargins(24, 0, 0, 4)
            self.group.addButton(radio, index)
            choices.addWidget(radio)
            choices.addWidget(help_text)
        self.group.button(0).setChecked(True)
        self.group.idToggled.connect(self._format_changed)

        self.path = QLineEdit(str(suggested))
        self.path.setAccessibleName(translate("BackupDialog", "File to write"))
        self.path.setMinimumWidth(360)
        path_label = QLabel(translate("BackupDialog", "&Save as:"))
        path_label.setBuddy(self.path)
        choose = QPushButton(icon("folder"), translate("BackupDialog", "&Choose…"))
        choose.setToolTip(translate("BackupDialog", "Pick the folder and file name"))
        choose.clicked.connect(self._choose)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(choose)
        note = muted(
            QLabel(
                translate(
                    "BackupDialog", "The file is written under a temporary name and appears only when it is complete."
                )
            )
        )
        note.setWordWrap(True)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = QPushButton(icon("backup"), translate("BackupDialog", "&Back up"))
        self.ok_button.setDefault(True)
        buttons.addButton(self.ok_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.path.textChanged.connect(lambda text: self.ok_button.setEnabled(bool(text.strip())))

        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addWidget(path_label)
        layout.addLayout(row)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.setMinimumWidth(min(620, self._available_width()))

    def _available_width(self) -> int:
        screen = self.screen() or QGuiApplication.primaryScreen()
        return screen.availableGeometry().width() - 40

    def chosen_format(self) -> BackupFormat:
        return self.formats[max(self.group.checkedId(), 0)]

    def _format_changed(self, _index: int, checked: bool) -> None:
        if checked:
            self.path.setText(
                str(with_extension(Path(self.path.text().strip()), self.chosen_format().extension, self._extensions))
            )

    def _choose(self) -> None:
        fmt = self.chosen_format()
        current = Path(self.path.text().strip())
        dialog = file_dialog(
            self,
            self.windowTitle(),
            current.parent,
            f"{translate('Formats', fmt.label)} (*{fmt.extension});;" + translate("BackupDialog", "All files (*)"),
            saving=True,
        )
        dialog.selectFile(current.name)
        if dialog.exec() == QFileDialog.DialogCode.Accepted and dialog.selectedFiles():
            self.path.setText(str(with_extension(Path(dialog.selectedFiles()[0]), fmt.extension, self._extensions)))

    def choice(self) -> tuple[Path, BackupFormat]:
        """The file and format chosen (the name always ends in the format's extension)."""
        fmt = self.chosen_format()
        return with_extension(Path(self.path.text().strip()).expanduser(), fmt.extension, self._extensions), fmt

"""The Backups view of one clinic (issue 21.3): every backup of it found in the folders this profile backs up into,
newest first, with what a clinic's IT person asks of each (when, how large, which format, checked, encrypted, made
by hand or by a schedule), and Restore…, Verify, Test restore and Show in folder from there.

A window of its own beside the main window, not modal: its jobs run in the main window's job list, and the rows
follow each new scan (backups_flow.py). Nothing here touches the disk; the scan and the actions run on workers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QCoreApplication, Qt, SignalInstance
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.routine.clinic_backups import Catalogue, ClinicBackup
from app.text_safety import shown
from app.ui import locale_format as fmt
from app.ui.flow_host import FlowHost
from app.ui.icons import icon
from app.ui.style import danger_button, muted
from app.ui.widgets import ElidedLabel, plain_tooltip

translate = QCoreApplication.translate
PATH_ROLE = Qt.ItemDataRole.UserRole


def format_words(backup: ClinicBackup) -> str:
    kinds = {
        "native": translate("Backups", "Resguardo format"),
        "custom": translate("Backups", "pg_dump custom format"),
        "sql": translate("Backups", "Plain SQL"),
    }
    return kinds.get(backup.kind, translate("Backups", "Unknown"))


def checked_words(backup: ClinicBackup) -> str:
    if backup.restore_test == "failed":
        return translate("Backups", "Test restore failed")
    if backup.restore_test == "passed":
        return translate("Backups", "Test restore passed")
    return translate("Backups", "Verified") if backup.verified else translate("Backups", "Not verified")


def made_by_words(backup: ClinicBackup) -> str:
    if backup.schedule:
        return translate("Backups", "Schedule “{schedule}”").format(schedule=shown(backup.schedule))
    return translate("Backups", "By hand")


def when_words(backup: ClinicBackup) -> str:
    date = fmt.when(backup.created_iso)
    return translate("Backups", "{date} (file's time)").format(date=date) if backup.dated_by_file else date


class BackupActions(Protocol):
    """What the view asks of its flow (backups_flow.BackupsFlow), named here so the view need not import it."""

    host: FlowHost
    scanned: SignalInstance
    catalogue: Catalogue | None
    scanning: bool
    restore: Callable[[str, Path], None]

    def can_act(self, schema: str) -> bool: ...
    def verify(self, backup: ClinicBackup) -> None: ...
    def test_restore(self, backup: ClinicBackup) -> None: ...
    def show_in_folder(self, backup: ClinicBackup) -> None: ...
    def add_folder(self, folder: Path) -> None: ...


class BackupsDialog(QDialog):
    def __init__(self, parent: QWidget | None, flow: BackupActions, schema: str) -> None:
        super().__init__(parent)
        self.flow, self.schema = flow, schema
        self.clinic = flow.host.clinic_name(schema)
        self.backups: list[ClinicBackup] = []
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(translate("Backups", "Backups of {clinic}").format(clinic=self.clinic))
        intro = QLabel(
            translate(
                "Backups",
                "Every backup of {clinic} found in the folders this profile backs up into, newest first.",
            ).format(clinic=self.clinic)
        )
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setWordWrap(True)

        self.table = QTreeWidget()
        self.table.setObjectName("backups")
        self.table.setAccessibleName(translate("Backups", "Backups of the clinic"))
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.setUniformRowHeights(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a file name keeps its time
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setHeaderLabels(
            [
                translate("Backups", "Made"),
                translate("Backups", "Size"),
                translate("Backups", "Format"),
                translate("Backups", "Checked"),
                translate("Backups", "Encrypted"),
                translate("Backups", "Made by"),
                translate("Backups", "File"),
            ]
        )
        header = self.table.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self.update_buttons)
        self.table.itemDoubleClicked.connect(lambda *_: self._restore())

        self.note = muted(QLabel(""))
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.folders = muted(ElidedLabel(""))
        self.add_folder_button = QPushButton(icon("folder"), translate("Backups", "&Add folder…"))
        self.add_folder_button.setToolTip(translate("Backups", "Look for backups in another folder too"))
        self.add_folder_button.clicked.connect(self._add_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folders, 1)
        folder_row.addWidget(self.add_folder_button)

        self.restore_button = danger_button(QPushButton(icon("restore"), translate("Backups", "&Restore…")))
        self.restore_button.setToolTip(
            translate("Backups", "Replace the clinic's data with this backup (after a preview and your confirmation)")
        )
        self.verify_button = QPushButton(icon("verify"), translate("Backups", "&Verify"))
        self.verify_button.setToolTip(translate("Backups", "Read the whole file and check every checksum"))
        self.test_button = QPushButton(icon("refresh"), translate("Backups", "&Test restore"))
        self.test_button.setToolTip(
            translate(
                "Backups",
                "Load the backup into a test copy beside the clinic, check every table, then remove the copy; "
                "the clinic itself is not touched",
            )
        )
        self.folder_button = QPushButton(icon("folder"), translate("Backups", "Show in &folder"))
        self.folder_button.setToolTip(translate("Backups", "Open the folder that holds this backup"))
        self.restore_button.clicked.connect(self._restore)
        self.verify_button.clicked.connect(lambda: self._selected_do(flow.verify))
        self.test_button.clicked.connect(lambda: self._selected_do(flow.test_restore))
        self.folder_button.clicked.connect(lambda: self._selected_do(flow.show_in_folder))
        actions = QHBoxLayout()
        for button in (self.verify_button, self.test_button, self.folder_button):
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addSpacing(24)
        actions.addWidget(self.restore_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addLayout(folder_row)
        layout.addLayout(actions)
        layout.addWidget(close)
        available = self.screen().availableGeometry()
        self.resize(min(1200, available.width() - 40), min(460, available.height() - 60))

        flow.scanned.connect(self.refill)
        flow.host.jobs.job_started.connect(self.update_buttons)
        flow.host.jobs.job_ended.connect(self.update_buttons)
        self.refill()

    def refill(self) -> None:
        """The rows from the flow's newest scan, the selected backup kept selected."""
        kept = self.selected()
        catalogue = self.flow.catalogue
        self.backups = list(catalogue.backups.get(self.schema, [])) if catalogue is not None else []
        self.table.clear()
        warning = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for backup in self.backups:
            item = QTreeWidgetItem(
                [
                    when_words(backup),
                    fmt.size(backup.size_bytes),
                    format_words(backup),
                    checked_words(backup),
                    translate("Backups", "Encrypted") if backup.encrypted else translate("Backups", "No"),
                    made_by_words(backup),
                    shown(backup.path.name),
                ]
            )
            item.setData(0, PATH_ROLE, str(backup.path))
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setToolTip(6, plain_tooltip(shown(str(backup.path))))
            if backup.dated_by_file:
                item.setToolTip(0, plain_tooltip(dated_by_file_words(backup)))
            if backup.restore_test == "failed":
                item.setIcon(3, warning)
            elif backup.verified:
                item.setIcon(3, icon("verify"))
            self.table.addTopLevelItem(item)
            if kept is not None and backup.path == kept.path:
                self.table.setCurrentItem(item)
        first = self.table.topLevelItem(0)
        if first is not None and not self.table.selectedItems():
            self.table.setCurrentItem(first)
        self._say()
        self.update_buttons()

    def _say(self) -> None:
        catalogue = self.flow.catalogue
        said: list[str] = []
        if self.flow.scanning:
            said.append(translate("Backups", "Looking for backups…"))
        elif catalogue is not None and not self.backups:
            said.append(
                translate("Backups", "No backup of {clinic} was found in these folders.").format(clinic=self.clinic)
            )
        if any(b.dated_by_file for b in self.backups):
            said.append(
                translate(
                    "Backups",
                    "An encrypted backup (and a pg_dump file) says when it was made only inside: it shows when its "
                    "file was last written.",
                )
            )
        if catalogue is not None and catalogue.unread:
            said.append(
                translate("Backups", "Could not look in: {folders}.").format(
                    folders=", ".join(shown(str(f)) for f in catalogue.unread)
                )
            )
        self.note.setText(" ".join(said))
        self.note.setVisible(bool(said))
        folders = [shown(str(f)) for f in catalogue.folders] if catalogue is not None else []
        self.folders.set_full_text(
            translate("Backups", "Looked in: {folders}").format(folders=", ".join(folders)) if folders else ""
        )
        self.folders.setToolTip(plain_tooltip("\n".join(folders)))

    def selected(self) -> ClinicBackup | None:
        items = self.table.selectedItems()
        if not items:
            return None
        path = items[0].data(0, PATH_ROLE)
        return next((b for b in self.backups if str(b.path) == path), None)

    def update_buttons(self, *_: object) -> None:
        chosen = self.selected()
        free = chosen is not None and self.flow.can_act(self.schema)
        self.restore_button.setEnabled(free)
        self.test_button.setEnabled(free)
        self.verify_button.setEnabled(chosen is not None)
        self.folder_button.setEnabled(chosen is not None)

    def _selected_do(self, action: Callable[[ClinicBackup], None]) -> None:
        chosen = self.selected()
        if chosen is not None:
            action(chosen)

    def _restore(self) -> None:
        chosen = self.selected()
        if chosen is None or not self.restore_button.isEnabled():
            return
        self.close()  # the restore's preview and confirmation come next, over the main window
        self.flow.restore(self.schema, chosen.path)

    def _add_folder(self) -> None:
        catalogue = self.flow.catalogue
        start = catalogue.folders[0] if catalogue is not None and catalogue.folders else self.flow.host.last_folder
        folder = self.flow.host.dialogs.choose_folder(self, translate("Backups", "Look for backups in"), start)
        if folder is not None:
            self.flow.add_folder(folder)


def dated_by_file_words(backup: ClinicBackup) -> str:
    if backup.encrypted:
        return translate(
            "Backups",
            "When the file was last written: an encrypted backup says when it was made only inside, readable with "
            "its key.",
        )
    return translate("Backups", "When the file was last written: a pg_dump file does not say when it was made.")

"""Schedule backups…: the saved schedules, a form to add or change one, and Remove.

Reading, adding and removing are calls on the window's worker pool (app/ui/schedule_context.py), with the
same engine functions as `resguardo schedule`; while one is in flight, Add and Remove are off. What went
wrong is said as a sentence under the form. Names from the database are plain text.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QLocale, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.engine.errors import ResguardoError
from app.engine.routine.keep import UNLIMITED
from app.engine.routine.manage import Added
from app.engine.routine.schedules import WEEKDAYS, Schedule
from app.text_safety import shown, visible_lines
from app.ui import engine_words
from app.ui import locale_format as fmt
from app.ui.backup_all_dialog import FolderRow
from app.ui.formats import BACKUP_FORMATS
from app.ui.icons import icon
from app.ui.schedule_context import Listed, Request, ScheduleContext
from app.ui.style import DANGER, set_text_colour
from app.ui.widgets import plain_tooltip

translate = QCoreApplication.translate
RULES = ("last", "daily", "weekly", "monthly", "yearly")


def rule_label(rule: str) -> str:
    labels = {
        "last": translate("Schedules", "Latest:"),
        "daily": translate("Schedules", "Days:"),
        "weekly": translate("Schedules", "Weeks:"),
        "monthly": translate("Schedules", "Months:"),
        "yearly": translate("Schedules", "Years:"),
    }
    return labels[rule]


class KeepSpin(QSpinBox):
    """A keep rule's count: "off" at 0, "all" at -1 (every period, as `prune --keep-… -1`)."""

    def __init__(self) -> None:
        super().__init__()
        self.setRange(UNLIMITED, 9999)

    def textFromValue(self, value: int) -> str:
        if value == UNLIMITED:
            return translate("Schedules", "all")
        if value == 0:
            return translate("Schedules", "off")
        return super().textFromValue(value)

    def valueFromText(self, text: str) -> int:
        if text == translate("Schedules", "all"):
            return UNLIMITED
        if text == translate("Schedules", "off"):
            return 0
        return super().valueFromText(text)


class ScheduleDialog(QDialog):
    def __init__(self, parent: QWidget | None, context: ScheduleContext) -> None:
        super().__init__(parent)
        self.context = context
        self.names = dict(context.clinics)
        self.listed: Listed | None = None
        self.setWindowTitle(translate("Schedules", "Schedule backups"))
        intro = QLabel(
            translate(
                "Schedules",
                "Each schedule backs up clinics every day at the times given, through this computer's own "
                "scheduler, even when Resguardo is closed; each clinic's backups go in its own folder inside "
                "the folder chosen, and the keep rules then remove older backups (never the newest verified one).",
            )
        )
        intro.setWordWrap(True)

        self.table = QTreeWidget()
        self.table.setObjectName("schedules")
        self.table.setColumnCount(5)
        self.table.setHeaderLabels(
            [
                translate("Schedules", "Name"),
                translate("Schedules", "Every day at"),
                translate("Schedules", "Clinics"),
                translate("Schedules", "Folder"),
                translate("Schedules", "Last run"),
            ]
        )
        self.table.setAccessibleName(translate("Schedules", "Saved schedules"))
        self.table.setRootIsDecorated(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda *_: self.edit_selected())
        self.edit_button = QPushButton(icon("profiles"), translate("Schedules", "&Change schedule"))
        self.edit_button.setToolTip(translate("Schedules", "Put the schedule in the form below to change it"))
        self.edit_button.clicked.connect(self.edit_selected)
        self.remove_button = QPushButton(icon("discard"), translate("Schedules", "&Remove schedule"))
        self.remove_button.setToolTip(
            translate("Schedules", "Take the schedule out of the scheduler; its backups are kept")
        )
        self.remove_button.clicked.connect(self.remove_selected)

        self.form_box = form_box = QGroupBox(translate("Schedules", "New schedule"))
        form = QFormLayout(form_box)
        self.name = QLineEdit(translate("Schedules", "nightly"))  # a name: letters, digits, - and _
        self.name.setAccessibleName(translate("Schedules", "Name of the schedule"))
        self.name.setToolTip(translate("Schedules", "Letters, digits, - and _"))
        form.addRow(translate("Schedules", "&Name:"), self.name)
        self.times = QLineEdit("02:30")
        self.times.setAccessibleName(translate("Schedules", "Times of day"))
        self.times.setToolTip(translate("Schedules", "HH:MM in this computer's time; several separated by commas"))
        form.addRow(translate("Schedules", "&Times of day:"), self.times)
        self.all_clinics = QRadioButton(translate("Schedules", "&All clinics (also those added later)"))
        self.chosen_clinics = QRadioButton(translate("Schedules", "&Only these:"))
        self.all_clinics.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.all_clinics)
        group.addButton(self.chosen_clinics)
        self.clinic_list = QListWidget()
        self.clinic_list.setAccessibleName(translate("Schedules", "Clinics to back up"))
        self.clinic_list.setMaximumHeight(110)
        self.clinic_list.setMinimumHeight(self.fontMetrics().height() * 3 + 8)  # three clinics readable
        for schema, name in context.clinics:
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, schema)
            item.setToolTip(plain_tooltip(shown(schema)))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.clinic_list.addItem(item)
        self.clinic_list.setEnabled(False)
        self.chosen_clinics.toggled.connect(self.clinic_list.setEnabled)
        choice = QHBoxLayout()  # one line for the two choices: the dialog fits a 1024×600 screen
        choice.addWidget(self.all_clinics)
        choice.addWidget(self.chosen_clinics)
        choice.addStretch(1)
        clinics = QVBoxLayout()
        clinics.addLayout(choice)
        clinics.addWidget(self.clinic_list)
        form.addRow(translate("Schedules", "Clinics:"), clinics)
        self.folder = FolderRow(context.folder, translate("Schedules", "Folder for the scheduled backups"), self)
        form.addRow(translate("Schedules", "&Into the folder:"), self.folder)
        self.keep: dict[str, QSpinBox] = {}
        keep_row = QHBoxLayout()
        for rule in RULES:
            spin = KeepSpin()
            spin.setValue({"daily": 7, "weekly": 4, "monthly": 12}.get(rule, 0))
            spin.setAccessibleName(rule_label(rule))
            keep_row.addWidget(QLabel(rule_label(rule)))
            keep_row.addWidget(spin)
            self.keep[rule] = spin
        keep_label = QLabel(translate("Schedules", "Keep:"))
        keep_label.setToolTip(
            translate(
                "Schedules", "For days, weeks, months and years: the newest backup of each; 0 is off, -1 keeps all"
            )
        )
        form.addRow(keep_label, keep_row)
        self.profile = QComboBox()
        self.profile.setAccessibleName(translate("Schedules", "Connection profile"))
        form.addRow(translate("Schedules", "&Profile:"), self.profile)
        self.format = QComboBox()
        self.format.setAccessibleName(translate("Schedules", "Format"))
        for backup_format in BACKUP_FORMATS:
            self.format.addItem(translate("Formats", backup_format.label), backup_format.key)
        self.restore_test = QComboBox()
        self.restore_test.setAccessibleName(translate("Schedules", "Test restore"))
        self.restore_test.addItem(translate("Schedules", "never"), "")
        for number, day in enumerate(WEEKDAYS, start=1):  # QLocale counts Monday as 1
            self.restore_test.addItem(QLocale().dayName(number), day)
        self.restore_test.setToolTip(
            translate(
                "Schedules",
                "On that day each new backup is also loaded into a test copy beside its clinic and checked, "
                "then the copy is removed; the clinic is never touched",
            )
        )
        format_row = QHBoxLayout()
        format_row.addWidget(self.format, 1)
        restore_test_label = QLabel(translate("Schedules", "&Test restore on:"))
        restore_test_label.setBuddy(self.restore_test)
        format_row.addWidget(restore_test_label)
        format_row.addWidget(self.restore_test)
        format_label = QLabel(translate("Schedules", "&Format:"))
        format_label.setBuddy(self.format)
        form.addRow(format_label, format_row)
        self.ping_url = QLineEdit()
        self.ping_url.setAccessibleName(translate("Schedules", "Address to notify"))
        self.ping_url.setPlaceholderText(translate("Schedules", "optional: https://… (healthchecks.io, ntfy)"))
        self.ping_url.setToolTip(
            translate("Schedules", "Called after each run, with /fail added when a clinic was not backed up")
        )
        form.addRow(translate("Schedules", "&Notify:"), self.ping_url)
        self.add_button = QPushButton(icon("backup"), translate("Schedules", "&Save schedule"))
        self.add_button.clicked.connect(self.add)
        form.addRow("", self.add_button)

        self.status = QLabel("")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        table_buttons = QHBoxLayout()
        table_buttons.addStretch(1)
        table_buttons.addWidget(self.edit_button)
        table_buttons.addWidget(self.remove_button)
        layout.addLayout(table_buttons)
        layout.addWidget(form_box)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.setMinimumWidth(760)
        self.busy = False
        self.reload()

    # -- the worker calls ---------------------------------------------------------------------------------

    def _call(self, fn: Callable[[], Any], done: Callable[[Any], None], what: str) -> None:
        self.busy = True
        self._update_buttons()
        self.context.pool.call(fn, done, self._failed, name=what)

    def reload(self, said: str = "") -> None:
        def shown_list(listed: Listed) -> None:
            self.busy = False
            self._show(listed)
            if said:
                self._say(said)

        self._call(self.context.read, shown_list, "read schedules")

    def add(self) -> None:
        times = tuple(t.strip() for t in self.times.text().replace(";", ",").split(",") if t.strip())
        if not times:
            self._say(translate("Schedules", "Give at least one time of day, as HH:MM."), error=True)
            return
        folder = self.folder.folder()
        if folder is None or not folder.is_absolute():
            self._say(translate("Schedules", "Choose the folder the backups go into (a full path)."), error=True)
            return
        clinics: tuple[str, ...] = ()
        if self.chosen_clinics.isChecked():
            clinics = tuple(
                str(self.clinic_list.item(i).data(Qt.ItemDataRole.UserRole))
                for i in range(self.clinic_list.count())
                if self.clinic_list.item(i).checkState() == Qt.CheckState.Checked
            )
            if not clinics:
                self._say(translate("Schedules", "Tick the clinics to back up, or choose All clinics."), error=True)
                return
        profile = self.profile.currentText()
        if not profile:
            self._say(
                translate("Schedules", "Save a connection profile first (File, Connection profiles…)."), error=True
            )
            return
        request = Request(
            self.name.text().strip(),
            times,
            Path(folder),
            profile,
            clinics,
            {rule: spin.value() for rule, spin in self.keep.items()},
            str(self.format.currentData()),
            str(self.restore_test.currentData()),
            self.ping_url.text().strip(),
        )

        def added(result: tuple[Added, str]) -> None:
            done, password = result
            text = translate("Schedules", "Schedule {name} saved: every day at {times}.").format(
                name=shown(done.schedule.name), times=", ".join(sorted(done.schedule.times))
            )
            if done.replaced is not None:
                text = translate("Schedules", "Schedule {name} replaced: every day at {times}.").format(
                    name=shown(done.schedule.name), times=", ".join(sorted(done.schedule.times))
                )
            self.reload(f"{text} {visible_lines(password)}")

        self._call(lambda: self.context.add(request), added, "add schedule")

    def edit_selected(self) -> None:
        """The selected schedule in the form; saving it under the same name replaces it."""
        items = self.table.selectedItems()
        if not items or self.listed is None:
            return
        name = str(items[0].data(0, Qt.ItemDataRole.UserRole))
        schedule = next((s for s, _ in self.listed.schedules if s.name == name), None)
        if schedule is None:
            return
        self.form_box.setTitle(translate("Schedules", "Change schedule {name}").format(name=shown(schedule.name)))
        self.name.setText(schedule.name)
        self.times.setText(", ".join(sorted(schedule.times)))
        self.chosen_clinics.setChecked(bool(schedule.clinics))
        self.all_clinics.setChecked(not schedule.clinics)
        for i in range(self.clinic_list.count()):
            item = self.clinic_list.item(i)
            ticked = item.data(Qt.ItemDataRole.UserRole) in schedule.clinics
            item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
        self.folder.edit.setText(schedule.folder)
        for rule, spin in self.keep.items():
            spin.setValue(getattr(schedule.keep, rule))
        if schedule.profile in self.listed.profiles:
            self.profile.setCurrentText(schedule.profile)
        self.format.setCurrentIndex(max(0, self.format.findData(schedule.format)))
        self.restore_test.setCurrentIndex(max(0, self.restore_test.findData(schedule.restore_test)))
        self.ping_url.setText(schedule.ping_url)
        self.name.setFocus()

    def remove_selected(self) -> None:
        items = self.table.selectedItems()
        if not items:
            return
        name = str(items[0].data(0, Qt.ItemDataRole.UserRole))

        def removed(schedule: Schedule) -> None:
            self.reload(
                translate("Schedules", "Schedule {name} removed; its backups are kept.").format(
                    name=shown(schedule.name)
                )
            )

        self._call(lambda: self.context.remove(name), removed, "remove schedule")

    def _failed(self, error: ResguardoError) -> None:
        self.busy = False
        self._update_buttons()
        text = engine_words.headline(error)
        message = visible_lines(error.message)
        if message not in text:
            text = f"{text} {message}"
        self._say(text, error=True)

    # -- showing ------------------------------------------------------------------------------------------

    def _show(self, listed: Listed) -> None:
        self.listed = listed
        self.table.clear()
        for schedule, last in listed.schedules:
            clinics = ", ".join(self.names.get(c) or shown(c) for c in schedule.clinics) or translate(
                "Schedules", "All clinics"
            )
            if last is None:
                when = translate("Schedules", "Never run")
            elif last.get("failed"):
                when = translate("Schedules", "{when}: failed").format(when=fmt.when(last.get("started_utc")))
            else:
                when = translate("Schedules", "{when}: all backed up").format(when=fmt.when(last.get("started_utc")))
            item = QTreeWidgetItem(
                [shown(schedule.name), ", ".join(sorted(schedule.times)), clinics, shown(schedule.folder), when]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, schedule.name)
            for column in range(5):
                item.setToolTip(column, plain_tooltip(item.text(column)))
            self.table.addTopLevelItem(item)
        current = self.profile.currentText()
        self.profile.clear()
        self.profile.addItems(listed.profiles)
        wanted = current or self.context.profile or ""
        if wanted in listed.profiles:
            self.profile.setCurrentText(wanted)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.add_button.setEnabled(not self.busy)
        self.remove_button.setEnabled(not self.busy and bool(self.table.selectedItems()))
        self.edit_button.setEnabled(not self.busy and bool(self.table.selectedItems()))

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        if error:
            set_text_colour(self.status, DANGER)
        else:
            self.status.setPalette(self.palette())

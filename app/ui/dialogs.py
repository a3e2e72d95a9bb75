"""Every question the window asks the user, behind one object that tests can replace.

The default `DialogProvider` shows the real Qt dialogs. Tests substitute a
subclass that answers (a path, "yes", a password) while everything else, the
worker threads, the engine and the database, stays real.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QWidget

from app.engine.errors import ResguardoError
from app.ui.error_dialog import BusyAnswer
from app.ui.formats import BackupFormat
from app.ui.passphrase_dialog import KeyAnswer
from app.ui.preview_text import PreviewContext
from app.ui.question import ask_yes_no

if TYPE_CHECKING:
    from app.ui.recover_dialog import BrowseContext, PickedRecord
    from app.ui.recover_preview import RecoverContext
    from app.ui.schedule_context import ScheduleContext


@dataclass(frozen=True)
class PasswordAnswer:
    password: str
    remember: bool


class DialogProvider:
    """The real dialogs."""

    def save_backup_path(
        self, parent: QWidget, suggested: Path, formats: list[BackupFormat], clinic: str
    ) -> tuple[Path, BackupFormat] | None:
        from app.ui.backup_dialog import BackupDialog

        dialog = BackupDialog(parent, clinic, suggested, formats)
        if dialog.exec() != BackupDialog.DialogCode.Accepted:
            return None
        return dialog.choice()

    def choose_backup_all(
        self, parent: QWidget, folder: Path, formats: list[BackupFormat], clinics: int
    ) -> tuple[Path, BackupFormat] | None:
        """Back up all clinics…: the folder and the format, or None."""
        from app.ui.backup_all_dialog import BackupAllDialog

        dialog = BackupAllDialog(parent, folder, formats, clinics)
        if dialog.exec() != BackupAllDialog.DialogCode.Accepted:
            return None
        return dialog.choice()

    def edit_schedules(self, parent: QWidget, context: ScheduleContext) -> None:
        """Schedule backups…: the schedules' dialog, which adds and removes them itself (on workers)."""
        from app.ui.schedule_dialog import ScheduleDialog

        ScheduleDialog(parent, context).exec()

    def open_backup_path(self, parent: QWidget, title: str, start_dir: Path, name_filter: str) -> Path | None:
        from app.ui.backup_dialog import file_dialog

        dialog = file_dialog(parent, title, start_dir, name_filter, saving=False)
        if dialog.exec() != QFileDialog.DialogCode.Accepted or not dialog.selectedFiles():
            return None
        return Path(dialog.selectedFiles()[0])

    def save_file_path(self, parent: QWidget, title: str, suggested: Path, name_filter: str) -> Path | None:
        """Where a file goes (a key file, a recovery sheet): the window's file dialog, or None."""
        from app.ui.backup_dialog import ask_save_path

        return ask_save_path(parent, title, suggested, name_filter)

    def choose_folder(self, parent: QWidget, title: str, start_dir: Path) -> Path | None:
        """A folder to look for backups in (the Backups view's Add folder…), or None."""
        chosen = QFileDialog.getExistingDirectory(parent, title, str(start_dir))
        return Path(chosen) if chosen else None

    def confirm_restore(self, parent: QWidget, context: PreviewContext) -> bool:
        from app.ui.restore_dialog import RestoreConfirmDialog

        return RestoreConfirmDialog(parent, context).exec() == RestoreConfirmDialog.DialogCode.Accepted

    def pick_records(self, parent: QWidget, context: BrowseContext) -> PickedRecord | None:
        """Recover records…: the backup browsed and one record picked (None: the user chose none)."""
        from app.ui.recover_dialog import RecoverDialog

        dialog = RecoverDialog(parent, context)
        if dialog.exec() != RecoverDialog.DialogCode.Accepted:
            return None
        return dialog.picked()

    def confirm_recovery(self, parent: QWidget, context: RecoverContext) -> bool:
        """The recovery's preview; True only when the user chose to bring the records back."""
        from app.ui.recover_preview import RecoverConfirmDialog

        return RecoverConfirmDialog(parent, context).exec() == RecoverConfirmDialog.DialogCode.Accepted

    def confirm(self, parent: QWidget, title: str, text: str, yes_label: str, danger: bool = False) -> bool:
        """A question whose default answer is No; `danger` marks a yes that deletes or replaces data."""
        return ask_yes_no(parent, title, text, yes_label, danger)

    def ask_password(self, parent: QWidget, reason: str, keyring_available: bool) -> PasswordAnswer | None:
        from app.ui.password_dialog import PasswordDialog

        dialog = PasswordDialog(parent, reason, keyring_available)
        if dialog.exec() != PasswordDialog.DialogCode.Accepted:
            return None
        return PasswordAnswer(dialog.password.text(), dialog.remember.isChecked())

    def ask_key(self, parent: QWidget, file_name: str, problem: str | None, key_file: Path | None) -> KeyAnswer | None:
        """The key file (and its passphrase) that opens the encrypted backup `file_name`; `problem`: why the last
        one given did not. None: the user gave none."""
        from app.ui.passphrase_dialog import KeyPromptDialog

        dialog = KeyPromptDialog(parent, file_name, problem, key_file)
        if dialog.exec() != KeyPromptDialog.DialogCode.Accepted:
            return None
        return dialog.answer()

    def show_error(self, parent: QWidget | None, error: ResguardoError) -> None:
        from app.ui.error_dialog import ErrorDialog

        ErrorDialog(parent, error).exec()

    def ask_when_busy(self, parent: QWidget | None, error: ResguardoError) -> BusyAnswer | None:
        """A job gave up because the web application kept the clinic busy: what now (None: nothing)."""
        from app.ui.error_dialog import BusyClinicDialog

        dialog = BusyClinicDialog(parent, error)
        dialog.exec()
        return dialog.answer

    def edit_profiles(self, parent: QWidget) -> str | None:
        """Open the profiles dialog; the name of the profile to connect to, or None."""
        from app.ui.profile_dialog import ProfileDialog

        # The window's secrets and worker pool: a test connection still running never blocks closing the dialog.
        dialog = ProfileDialog(
            parent,
            getattr(parent, "secrets", None),
            getattr(parent, "profiles", None),
            getattr(parent, "pool", None),
            dialogs=self,
        )
        dialog.exec()
        return dialog.connect_to

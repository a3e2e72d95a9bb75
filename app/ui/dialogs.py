"""Every question the window asks the user, behind one object that tests can replace.

The default `DialogProvider` shows the real Qt dialogs. Tests substitute a
subclass that answers (a path, "yes", a password) while everything else, the
worker threads, the engine and the database, stays real.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.engine.errors import ResguardoError
from app.engine.restore_preview import RestorePreview


@dataclass(frozen=True)
class BackupFormat:
    """A file format offered beside the save dialog."""

    key: str  # what the engine is asked for
    label: str
    extension: str  # with the dot

    @property
    def name_filter(self) -> str:
        return f"{self.label} (*{self.extension})"


# The formats offered beside the save dialog (as its file-type chooser), the engine's default first.
BACKUP_FORMATS: list[BackupFormat] = [  # keys as in app.engine.pgdump_backup.BACKUP_FORMATS
    BackupFormat("native", "Resguardo backup, checked and complete (needs no other tools)", ".resguardo"),
    BackupFormat("auto", "Automatic: pg_dump custom format if a fitting pg_dump is installed, "
                         "else Resguardo backup", ".dump"),
    BackupFormat("custom", "pg_dump custom format", ".dump"),
    BackupFormat("sql", "Plain SQL (pg_dump)", ".sql"),
]


def restore_name_filter() -> str:
    """The open dialog's filter: every kind of file Resguardo writes."""
    patterns = " ".join(sorted({f"*{f.extension}" for f in BACKUP_FORMATS}))
    return f"Backups ({patterns});;All files (*)"


@dataclass(frozen=True)
class PasswordAnswer:
    password: str
    remember: bool


class DialogProvider:
    """The real dialogs."""

    def save_backup_path(self, parent: QWidget, suggested: Path,
                         formats: list[BackupFormat]) -> tuple[Path, BackupFormat] | None:
        filters = [f.name_filter for f in formats]
        chosen, chosen_filter = QFileDialog.getSaveFileName(
            parent, "Back up to file", str(suggested), ";;".join(filters), filters[0]
        )
        if not chosen:
            return None
        fmt = next((f for f in formats if f.name_filter == chosen_filter), formats[0])
        path = Path(chosen)
        if not path.name.endswith(fmt.extension):
            path = path.with_name(path.name + fmt.extension)
        return path, fmt

    def open_backup_path(self, parent: QWidget, title: str, start_dir: Path, name_filter: str) -> Path | None:
        chosen, _ = QFileDialog.getOpenFileName(parent, title, str(start_dir), name_filter)
        return Path(chosen) if chosen else None

    def confirm_restore(self, parent: QWidget, preview: RestorePreview, schema: str) -> bool:
        from app.ui.restore_dialog import RestoreConfirmDialog

        return RestoreConfirmDialog(parent, preview, schema).exec() == RestoreConfirmDialog.DialogCode.Accepted

    def confirm(self, parent: QWidget, title: str, text: str, yes_label: str) -> bool:
        """A question whose default answer is No."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
        yes = box.addButton(yes_label, QMessageBox.ButtonRole.AcceptRole)
        no = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(no)
        box.setEscapeButton(no)
        box.exec()
        return box.clickedButton() is yes

    def ask_password(self, parent: QWidget, reason: str, keyring_note: str) -> PasswordAnswer | None:
        from app.ui.password_dialog import PasswordDialog

        dialog = PasswordDialog(parent, reason, keyring_note)
        if dialog.exec() != PasswordDialog.DialogCode.Accepted:
            return None
        return PasswordAnswer(dialog.password.text(), dialog.remember.isChecked())

    def show_error(self, parent: QWidget | None, error: ResguardoError) -> None:
        from app.ui.error_dialog import ErrorDialog

        ErrorDialog(parent, error).exec()

    def edit_profiles(self, parent: QWidget) -> str | None:
        """Open the profiles dialog; the name of the profile to connect to, or None."""
        from app.ui.profile_dialog import ProfileDialog

        # The window's secrets and worker pool: a test connection still running never blocks closing the dialog.
        dialog = ProfileDialog(parent, getattr(parent, "secrets", None), getattr(parent, "profiles", None),
                               getattr(parent, "pool", None))
        dialog.exec()
        return dialog.connect_to

"""Asks for a missing or wrong password, and whether to remember it (only offered when a keyring exists)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from app.ui.style import muted

translate = QCoreApplication.translate


def keyring_sentence(available: bool) -> str:
    """Where a remembered password goes, or why none can be remembered."""
    if available:
        return translate("Keyring", "A remembered password is kept in the system keyring, never in a file.")
    return translate(
        "Keyring",
        "Passwords cannot be remembered on this computer: there is no system keyring (on "
        "Linux, a Secret Service such as GNOME Keyring or KWallet). The password is kept "
        "in memory until Resguardo closes, and asked again next time.",
    )


def offer_remember(checkbox: QCheckBox, note: QLabel, available: bool) -> None:
    """ "Remember password" only where it can keep its promise; the note says why not."""
    checkbox.setEnabled(available)
    if not available:
        checkbox.setChecked(False)
    note.setText(keyring_sentence(available))


class PasswordDialog(QDialog):
    def __init__(self, parent: QWidget | None, reason: str, keyring_available: bool) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("PasswordDialog", "Password needed"))
        message = QLabel(reason)
        message.setWordWrap(True)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(translate("PasswordDialog", "Password"))
        self.password.setAccessibleName(translate("PasswordDialog", "Password"))
        self.remember = QCheckBox(translate("PasswordDialog", "&Remember password"))
        self.note = muted(QLabel(""))
        self.note.setWordWrap(True)
        offer_remember(self.remember, self.note, keyring_available)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(translate("PasswordDialog", "Connect"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (message, self.password, self.remember, self.note, buttons):
            layout.addWidget(widget)
        self.setMinimumWidth(420)
        self.password.setFocus()

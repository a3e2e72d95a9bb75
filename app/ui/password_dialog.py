"""Asks for a missing or wrong password, and whether to remember it."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget


class PasswordDialog(QDialog):
    def __init__(self, parent: QWidget | None, reason: str, keyring_note: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("Password needed")
        message = QLabel(reason)
        message.setWordWrap(True)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Password")
        self.remember = QCheckBox("Remember password")
        note = QLabel(keyring_note)
        note.setWordWrap(True)
        note.setEnabled(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Connect")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (message, self.password, self.remember, note, buttons):
            layout.addWidget(widget)
        self.setMinimumWidth(420)
        self.password.setFocus()

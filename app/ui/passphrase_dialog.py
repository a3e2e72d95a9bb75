"""Asks for the key that opens an encrypted backup: the key file and, for Resguardo's, its passphrase.

The passphrase is never echoed (QLineEdit.Password), never logged (it is added to the log's redactor) and never
kept: it lives in the answer until the job that opens the key file has used it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.text_safety import shown
from app.ui.logging_setup import REDACTOR
from app.ui.style import DANGER, muted, set_text_colour

translate = QCoreApplication.translate
REDACTED_LENGTH = 4  # a passphrase is never logged; one at least this long is also scrubbed from any log line


@dataclass(frozen=True)
class KeyAnswer:
    """The key file to open an encrypted backup with, and its passphrase (empty: the file has none)."""

    identity: Path
    passphrase: str = field(default="", repr=False)

    def prompt(self, _what: str) -> str:
        """The engine's passphrase prompt (app/engine/encryption/identities.py), answered with what was typed."""
        return self.passphrase


class KeyPromptDialog(QDialog):
    def __init__(self, parent: QWidget | None, file_name: str, problem: str | None, key_file: Path | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("KeyPrompt", "Encrypted backup"))
        message = QLabel(
            translate(
                "KeyPrompt",
                "{file} is encrypted. Choose the key file that opens it and type the key's passphrase.",
            ).format(file=shown(file_name))
        )
        message.setTextFormat(Qt.TextFormat.PlainText)
        message.setWordWrap(True)
        self.problem = QLabel(problem or "")
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setWordWrap(True)
        set_text_colour(self.problem, DANGER)
        self.problem.setVisible(bool(problem))
        self.key_file = QLineEdit(str(key_file) if key_file else "")
        self.key_file.setAccessibleName(translate("KeyPrompt", "Key file"))
        browse = QPushButton(translate("KeyPrompt", "B&rowse…"))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.key_file, 1)
        row.addWidget(browse)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName(translate("KeyPrompt", "Passphrase"))
        form = QFormLayout()
        key_label = QLabel(translate("KeyPrompt", "&Key file:"))
        key_label.setBuddy(self.key_file)
        form.addRow(key_label, row)
        form.addRow(translate("KeyPrompt", "&Passphrase:"), self.passphrase)
        note = muted(
            QLabel(
                translate(
                    "KeyPrompt",
                    "The passphrase only opens the key file for this job: it is never saved nor written to the log. "
                    "Leave it empty for a key file that has none.",
                )
            )
        )
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.open_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.open_button.setText(translate("KeyPrompt", "Open"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.key_file.textChanged.connect(self._update)
        layout = QVBoxLayout(self)
        for widget in (message, self.problem):
            layout.addWidget(widget)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(480)
        self._update()
        (self.passphrase if key_file else self.key_file).setFocus()

    def _update(self) -> None:
        self.open_button.setEnabled(bool(self.key_file.text().strip()))

    def _browse(self) -> None:
        start = self.key_file.text().strip() or str(Path.home())
        chosen, _ = QFileDialog.getOpenFileName(
            self,
            translate("KeyPrompt", "The key file"),
            start,
            translate("KeyPrompt", "Key files (*.age *.txt *.key);;All files (*)"),
        )
        if chosen:
            self.key_file.setText(chosen)
            self.passphrase.setFocus()

    def answer(self) -> KeyAnswer:
        typed = self.passphrase.text()
        if len(typed) >= REDACTED_LENGTH:  # shorter slips would scrub common words from every log line
            REDACTOR.add(typed)
        return KeyAnswer(Path(self.key_file.text().strip()), typed)

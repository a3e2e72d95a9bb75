"""A question whose default answer is No, in one place for the window's DialogProvider and the dialogs that ask
without one (the profiles dialog opened on its own), so neither imports the other."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from app.ui.style import danger_button


def ask_yes_no(parent: QWidget, title: str, text: str, yes_label: str, danger: bool = False) -> bool:
    """True only when the user chose `yes_label`; `danger` marks a yes that deletes or replaces data.

    The text is plain: the clinic names in it are the database's, never markup."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    yes = box.addButton(yes_label, QMessageBox.ButtonRole.AcceptRole)
    if danger:
        danger_button(yes)
    no = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(no)
    box.setEscapeButton(no)
    box.exec()
    return box.clickedButton() is yes

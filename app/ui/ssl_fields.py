"""The profile dialog's SSL fields: libpq's sslmode in words, and the root certificate with its Browse… button."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLineEdit, QPushButton, QWidget

from app.engine.stores.profiles import SSL_MODES

translate = QCoreApplication.translate


def ssl_mode_box() -> QComboBox:
    """Each mode in words, PostgreSQL's name beside it for whoever configured the server."""
    box = QComboBox()
    for mode in SSL_MODES:
        box.addItem(f"{ssl_words(mode)} ({mode})", mode)
    return box


def certificate_row(parent: QWidget) -> tuple[QLineEdit, QHBoxLayout]:
    """The root certificate's field, and the row holding it beside Browse…."""
    field = QLineEdit()
    field.setPlaceholderText(translate("Profiles", "only for verify-ca / verify-full"))
    browse = QPushButton(translate("Profiles", "B&rowse…"))

    def choose() -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            parent,
            translate("Profiles", "Root certificate"),
            str(Path.home()),
            translate("Profiles", "Certificates (*.crt *.pem *.cer);;All files (*)"),
        )
        if chosen:
            field.setText(chosen)

    browse.clicked.connect(choose)
    row = QHBoxLayout()
    row.addWidget(field, 1)
    row.addWidget(browse)
    return field, row


def ssl_words(mode: str) -> str:
    """What each of libpq's sslmode values does, as a clinic's IT person would ask for it."""
    words = {
        "disable": translate("Profiles", "Never encrypt"),
        "allow": translate("Profiles", "Encrypt only if the server insists"),
        "prefer": translate("Profiles", "Encrypt when the server can"),
        "require": translate("Profiles", "Always encrypt, without checking the server"),
        "verify-ca": translate("Profiles", "Encrypt and check the server's certificate"),
        "verify-full": translate("Profiles", "Encrypt and check the certificate and the server's name"),
    }
    return words.get(mode, mode)

"""Errors as a sentence to act on, with the technical details folded away but copyable.

`install_excepthook` turns an unexpected exception anywhere in the program into
this dialog (and a log entry) instead of a crash.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QHBoxLayout,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.engine.errors import ResguardoError

log = logging.getLogger(__name__)


def unexpected_error(exc: BaseException) -> ResguardoError:
    """Wrap a programming error so the user reads a sentence and the details keep the traceback."""
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return ResguardoError(
        f"Something unexpected went wrong ({type(exc).__name__}: {exc}). "
        "The details below and the log file (Help menu) say more.",
        details,
    )


class ErrorDialog(QDialog):
    def __init__(self, parent: QWidget | None, error: ResguardoError, title: str = "Resguardo") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.error = error
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(48, 48))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.message = QLabel(error.message)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit(error.details or "No further details.")
        self.details.setReadOnly(True)
        self.details.setVisible(False)
        self.details.setMinimumHeight(160)
        self.toggle = QPushButton("Show details")
        self.toggle.setCheckable(True)
        self.toggle.toggled.connect(self._toggle)
        copy = QPushButton("Copy")
        copy.setToolTip("Copy the message and details to the clipboard")
        copy.clicked.connect(self.copy_to_clipboard)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.toggle, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)

    def _toggle(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.toggle.setText("Hide details" if shown else "Show details")
        self.adjustSize()

    def copy_to_clipboard(self) -> None:
        text = self.error.message + ("\n\n" + self.error.details if self.error.details else "")
        QGuiApplication.clipboard().setText(text)


class _Relay(QObject):
    """Carries an exception from any thread to the UI thread."""

    raised = Signal(object)


_relay: _Relay | None = None


def install_excepthook(show: Callable[[ResguardoError], None]) -> None:
    """Route uncaught exceptions (UI or other threads) to `show` on the UI thread, after logging them."""
    global _relay
    _relay = _Relay()
    _relay.raised.connect(show)

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        log.error("Unexpected error", exc_info=(kind, exc, tb))
        if _relay is not None:
            _relay.raised.emit(unexpected_error(exc.with_traceback(tb)))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            hook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook

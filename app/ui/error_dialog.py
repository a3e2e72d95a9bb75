"""Errors as a sentence to act on, with the technical details folded away but copyable.

`install_excepthook` turns an unexpected exception anywhere in the program into
this dialog (and a log entry) instead of a crash.
"""

from __future__ import annotations

import enum
import functools
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.engine.errors import Choice, ResguardoError
from app.ui import engine_words
from app.ui.icons import icon
from app.ui.style import danger_button

log = logging.getLogger(__name__)
translate = QCoreApplication.translate


def unexpected_error(exc: BaseException) -> ResguardoError:
    """Wrap a programming error so the user reads a sentence and the details keep the traceback."""
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return engine_words.WindowError(
        translate(
            "ErrorDialog",
            "Something unexpected went wrong ({kind}: {text}). The details below and the log "
            "file (Help menu) say more.",
        ).format(kind=type(exc).__name__, text=exc),
        details,
    )


class ErrorDialog(QDialog):
    def __init__(self, parent: QWidget | None, error: ResguardoError, title: str = "Resguardo") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.error = error
        sign = QLabel()
        sign.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(48, 48))
        sign.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.message = QLabel(engine_words.headline(error))
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        technical = engine_words.technical(error)
        self.details = QPlainTextEdit(technical)
        self.details.setReadOnly(True)
        self.details.setVisible(False)
        self.details.setMinimumHeight(160)
        self.details.setAccessibleName(translate("ErrorDialog", "Technical details"))
        self.toggle = QPushButton(icon("details"), translate("ErrorDialog", "Show details"))
        self.toggle.setCheckable(True)
        self.toggle.toggled.connect(self._toggle)
        copy = QPushButton(translate("ErrorDialog", "Copy"))
        copy.setToolTip(translate("ErrorDialog", "Copy the message and details to the clipboard"))
        copy.clicked.connect(self.copy_to_clipboard)
        self.buttons = buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.toggle, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        self.toggle.setVisible(bool(technical))  # no details: no button that would open an empty box
        top = QHBoxLayout()
        top.addWidget(sign)
        self.words = QVBoxLayout()
        self.words.addWidget(self.message)
        top.addLayout(self.words, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)

    def _toggle(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.toggle.setText(
            translate("ErrorDialog", "Hide details") if shown else translate("ErrorDialog", "Show details")
        )
        self.adjustSize()

    def copy_to_clipboard(self) -> None:
        technical = self.details.toPlainText()
        QGuiApplication.clipboard().setText(self.message.text() + ("\n\n" + technical if technical else ""))


class BusyAnswer(enum.Enum):
    """What to do when a restore, undo or discard gave up because the web application kept the clinic busy."""

    TRY_AGAIN = enum.auto()
    KEEP_TRYING = enum.auto()
    INTERRUPT = enum.auto()


def gave_up_busy(error: ResguardoError) -> bool:
    """The job gave up for want of a moment when the clinic's tables were free (the engine offers interrupting)."""
    return Choice.INTERRUPT_APP in error.choices


class BusyClinicDialog(ErrorDialog):
    """The error, then the ways out as buttons: trying again (the default: it interrupts no one), trying
    longer, or interrupting the web application's work on this clinic; Close does nothing more."""

    def __init__(self, parent: QWidget | None, error: ResguardoError) -> None:
        super().__init__(parent, error)
        self.answer: BusyAnswer | None = None
        question = QLabel(
            translate(
                "ErrorDialog",
                "The web application kept this clinic busy the whole time, so nothing was changed. You can "
                "try again now or later, keep trying for longer, or interrupt what the web application is "
                "doing on this clinic (the people using it at that moment may see an error).",
            )
        )
        question.setTextFormat(Qt.TextFormat.PlainText)
        question.setWordWrap(True)
        self.words.addWidget(question)
        labels = {
            BusyAnswer.TRY_AGAIN: translate("ErrorDialog", "Try again"),
            BusyAnswer.KEEP_TRYING: translate("ErrorDialog", "Keep trying longer"),
            BusyAnswer.INTERRUPT: translate("ErrorDialog", "Interrupt the web application's work on this clinic"),
        }
        for answer, label in labels.items():
            button = self.buttons.addButton(label, QDialogButtonBox.ButtonRole.AcceptRole)
            button.setAutoDefault(False)
            button.clicked.connect(functools.partial(self._choose, answer))
            if answer is BusyAnswer.INTERRUPT:
                danger_button(button)
            if answer is BusyAnswer.TRY_AGAIN:
                button.setDefault(True)

    def _choose(self, answer: BusyAnswer) -> None:
        self.answer = answer
        self.accept()


class _Relay(QObject):
    """Carries an exception from any thread to the UI thread."""

    raised = Signal(object)


_relay: _Relay | None = None


def install_excepthook(show: Callable[[ResguardoError], None]) -> None:
    """Route uncaught exceptions (UI or other threads) to `show` on the UI thread, after logging them."""
    global _relay  # noqa: PLW0603 - one relay for the process, as there is one excepthook
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

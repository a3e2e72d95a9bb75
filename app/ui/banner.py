"""A message bar above the clinic list for problems that are not a job's (connection, listing)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QWidget

from app.engine.errors import ResguardoError
from app.ui import engine_words
from app.ui.icons import icon
from app.ui.style import BANNER_BACKGROUND, BANNER_BORDER, BANNER_TEXT, set_text_colour
from app.ui.widgets import ButtonRow

translate = QCoreApplication.translate


class Banner(QFrame):
    def __init__(self, show_details: Callable[[ResguardoError], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.error: ResguardoError | None = None
        self._show_details = show_details
        self.setObjectName("banner")
        self.setStyleSheet(
            f"#banner {{ background: {BANNER_BACKGROUND}; border: 1px solid {BANNER_BORDER}; border-radius: 4px; }}"
        )
        self.setAccessibleName(translate("Banner", "Problem"))
        sign = QLabel()
        sign.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(24, 24))
        self.text = QLabel("")
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_text_colour(self.text, BANNER_TEXT)
        self.details = QPushButton(icon("details"), translate("Banner", "Details…"))
        self.details.clicked.connect(lambda: self.error and self._show_details(self.error))
        self.action = QPushButton("")
        self.action.clicked.connect(self._run_action)
        self.action.hide()
        self._action: Callable[[], None] | None = None
        self.close_button = QPushButton(icon("dismiss"), translate("Banner", "Dismiss"))
        self.close_button.clicked.connect(self.hide)
        buttons = ButtonRow()
        for button in (self.action, self.details, self.close_button):
            buttons.add(button)
        layout = QHBoxLayout(self)
        layout.addWidget(sign, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text, 3)
        layout.addWidget(buttons, 2)
        self.hide()

    def show_error(
        self, error: ResguardoError, action: tuple[str, str, Callable[[], None]] | None = None, closable: bool = True
    ) -> None:
        """Say what went wrong; `action` is (label, icon, callback) for the one thing to do about it."""
        self.error = error
        self.text.setText(engine_words.headline(error))
        self.details.setVisible(bool(engine_words.technical(error)))
        self._action = action[2] if action else None
        if action is not None:
            self.action.setText(action[0])
            self.action.setIcon(icon(action[1]))
            self.action.show()
        else:
            self.action.hide()
        self.close_button.setVisible(closable)
        self.show()

    def _run_action(self) -> None:
        self.hide()
        if self._action is not None:
            self._action()

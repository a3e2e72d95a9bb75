"""A message bar above the tenant list for problems that are not a job's (connection, listing)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QWidget

from app.engine.errors import ResguardoError


class Banner(QFrame):
    def __init__(self, show_details: Callable[[ResguardoError], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.error: ResguardoError | None = None
        self._show_details = show_details
        self.setObjectName("banner")
        self.setStyleSheet("#banner { background: #fdecea; border: 1px solid #f5c2bd; border-radius: 4px; }"
                           "#banner QLabel { color: #5f2120; }")
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(24, 24))
        self.text = QLabel("")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPushButton("Details…")
        self.details.clicked.connect(lambda: self.error and self._show_details(self.error))
        self.action = QPushButton("")
        self.action.clicked.connect(self._run_action)
        self.action.hide()
        self._action: Callable[[], None] | None = None
        close = QPushButton("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.addWidget(icon)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.action)
        layout.addWidget(self.details)
        layout.addWidget(close)
        self.hide()

    def show_error(self, error: ResguardoError, action: tuple[str, Callable[[], None]] | None = None) -> None:
        self.error = error
        self.text.setText(error.message)
        self.details.setVisible(bool(error.details))
        self._action = action[1] if action else None
        if action is not None:
            self.action.setText(action[0])
            self.action.show()
        else:
            self.action.hide()
        self.show()

    def _run_action(self) -> None:
        self.hide()
        if self._action is not None:
            self._action()

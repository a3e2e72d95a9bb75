"""Colours with enough contrast (WCAG AA, 4.5:1 on the window's background), and the look of dangerous actions.

Colours are set through palettes, not style sheets, wherever a widget allows
it, so that a test can read what the user sees. Restore and Discard (the two
actions that replace or delete a clinic's data) are red and stand apart.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QWidget

W = TypeVar("W", bound=QWidget)

DANGER = "#a4161a"  # text and icons of actions that replace or delete data
ON_DANGER = "#ffffff"
SUCCESS = "#176b34"
MUTED = "#4a5260"  # secondary text: 7:1 on white, 6:1 on Fusion's #efefef
BANNER_BACKGROUND, BANNER_TEXT, BANNER_BORDER = "#fdecea", "#5f2120", "#f0b7b1"
NOTICE_BACKGROUND, NOTICE_TEXT, NOTICE_BORDER = "#fff4d6", "#4d3800", "#e8cf85"
MIN_CONTRAST = 4.5


def _channel(value: float) -> float:
    value /= 255
    return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4


def luminance(colour: QColor) -> float:
    return 0.2126 * _channel(colour.red()) + 0.7152 * _channel(colour.green()) + 0.0722 * _channel(colour.blue())


def contrast(a: QColor | str, b: QColor | str) -> float:
    """WCAG contrast ratio of two colours, 1 to 21."""
    la, lb = sorted((luminance(QColor(a)), luminance(QColor(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def say_status(label: QLabel, text: str, ok: bool | None = None) -> None:
    """A dialog's status line: `text` in the dialog's colours, or green (ok) or red (not ok)."""
    label.setText(text)
    label.setPalette(label.window().palette())  # the dialog's colours, not the last ones set
    if ok is not None:
        set_text_colour(label, SUCCESS if ok else DANGER)


def set_text_colour(widget: QWidget, colour: str) -> None:
    """The widget's text in `colour` (when enabled; disabled text keeps the style's grey)."""
    palette = widget.palette()
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Active, role, QColor(colour))
        palette.setColor(QPalette.ColorGroup.Inactive, role, QColor(colour))
    widget.setPalette(palette)


def muted(widget: W) -> W:
    """Secondary text that stays readable (a disabled label would be 1.6:1)."""
    set_text_colour(widget, MUTED)
    return widget


def danger_button(button: W) -> W:
    """A confirming button that replaces or deletes data: white on red while it can be pressed.

    Padding and border are the same in every state, so the button's size does not change when it is enabled.
    """
    button.setStyleSheet(
        "QPushButton { padding: 4px 12px; border-radius: 3px; border: 2px solid #9a9a9a; background: #e4e4e4;"
        " color: #505050; }"
        f" QPushButton:enabled {{ background: {DANGER}; color: {ON_DANGER}; border-color: #7d1013; }}"
        " QPushButton:enabled:focus { border-color: #111111; }"
    )
    return button

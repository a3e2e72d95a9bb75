"""Small widgets the window needs and Qt lacks: a label that elides, a row of buttons that wraps, plain tooltips."""

from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtCore import QChildEvent, QEvent, QObject, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


def plain_tooltip(text: str) -> str:
    """A tooltip that shows `text` as it is: Qt renders any tooltip that looks like markup as rich text (a name such
    as `<img src=/dev/zero>` would load that file), so the text is escaped into rich text that says just it."""
    return QtGui.Qt.convertFromPlainText(text) if text else ""


class ElidedLabel(QLabel):
    """One line that ends in "…" when it does not fit; the whole text is in the tooltip.

    Its minimum width is small, so a long title never pushes its neighbours
    (Cancel) out of a narrow column.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(plain_tooltip(text))
        self.setAccessibleName(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(self.contentsRect().width(), 10)
        super().setText(QFontMetrics(self.font()).elidedText(self._full, Qt.TextElideMode.ElideMiddle, width))

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(QFontMetrics(self.font()).horizontalAdvance(self._full) + 4, hint.height())


class ButtonRow(QWidget):
    """Buttons in right-aligned rows that wrap when the width runs out, so none is ever pushed out of sight.

    The buttons are placed by hand, not by a QLayout subclass: a Python layout's items are freed
    twice when Qt removes a deleted button from them, which crashes when a window is destroyed.
    """

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._buttons: list[QWidget] = []
        self._spacing = spacing
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def add(self, button: QWidget, first: bool = False) -> None:
        hidden = button.isHidden() and button.testAttribute(Qt.WidgetAttribute.WA_WState_ExplicitShowHide)
        button.setParent(self)
        button.installEventFilter(self)
        self._buttons.insert(0 if first else len(self._buttons), button)
        button.setVisible(not hidden)
        self._changed()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Show, QEvent.Type.Hide, QEvent.Type.LayoutRequest):
            self._changed()
        return False

    def childEvent(self, event: QChildEvent) -> None:
        if event.removed():
            self._buttons = [b for b in self._buttons if b is not event.child()]
            self._changed()
        super().childEvent(event)

    def _changed(self) -> None:
        self.updateGeometry()
        self._arrange(self.width(), place=True)

    def _visible(self) -> list[QWidget]:
        return [b for b in self._buttons if not b.isHidden()]

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(width, place=False)

    def sizeHint(self) -> QSize:
        buttons = self._visible()
        width = sum(b.sizeHint().width() for b in buttons) + self._spacing * max(len(buttons) - 1, 0)
        return QSize(width, max((b.sizeHint().height() for b in buttons), default=0))

    def minimumSizeHint(self) -> QSize:
        buttons = self._visible()
        return QSize(
            max((b.sizeHint().width() for b in buttons), default=0),
            max((b.sizeHint().height() for b in buttons), default=0),
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(event.size().width(), place=True)

    def _arrange(self, width: int, place: bool) -> int:
        """Right-aligned rows within `width`; the height they take."""
        rows: list[list[QWidget]] = [[]]
        used = 0
        for button in self._visible():
            hint = button.sizeHint().width()
            if rows[-1] and used + self._spacing + hint > width:
                rows.append([])
                used = 0
            used += (self._spacing if rows[-1] else 0) + hint
            rows[-1].append(button)
        y = 0
        for row in (r for r in rows if r):
            height = max(b.sizeHint().height() for b in row)
            x = max(0, width - sum(b.sizeHint().width() for b in row) - self._spacing * (len(row) - 1))
            for button in row:
                if place:
                    button.setGeometry(QRect(QPoint(x, y), QSize(min(button.sizeHint().width(), width), height)))
                x += button.sizeHint().width() + self._spacing
            y += height + self._spacing
        return max(0, y - self._spacing)

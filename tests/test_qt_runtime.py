"""The Qt binding the window runs on: a refcount bug in it ends the program long after its cause.

PySide6 6.12.0 dropped a reference to `True` at every signal emit. Each job's progress is a signal, so after
some thousands the interpreter aborts ("bool_dealloc"), in a user's window as at the end of the test run.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, Qt, Signal
from pytestqt.qtbot import QtBot

pytestmark = pytest.mark.gui


class _Emitter(QObject):
    carried = Signal(object)


class _Receiver(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.received = 0

    def take(self, _value: object) -> None:
        self.received += 1


@pytest.mark.parametrize("connection", [Qt.ConnectionType.DirectConnection, Qt.ConnectionType.QueuedConnection])
def test_emitting_a_signal_leaves_the_reference_counts_of_true_and_false_alone(
    qtbot: QtBot, connection: Qt.ConnectionType
) -> None:
    emitter, receiver = _Emitter(), _Receiver()
    emitter.carried.connect(receiver.take, connection)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for value in (True, False, None, (True, 1)) * 25:
        emitter.carried.emit(value)
    qtbot.waitUntil(lambda: receiver.received == 100)
    after = sys.getrefcount(True), sys.getrefcount(False)
    # The loop's own objects may come and go by a few; a lost reference a signal is a hundred.
    assert after[0] > before[0] - 10 and after[1] > before[1] - 10, (before, after)

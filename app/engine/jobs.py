"""What every long engine call takes: a progress callback and a cancel token."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from app.engine.errors import Cancelled


@dataclass(frozen=True)
class Progress:
    """A snapshot of a job: `fraction` only grows, from 0 to exactly 1 at the end."""

    fraction: float
    stage: str
    detail: str = ""


ProgressCallback = Callable[[Progress], None]


def ignore_progress(_: Progress) -> None:
    """The callback for callers that do not show progress."""


class CancelToken:
    """Set from any thread; checked by the job between small units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds, waking early on cancel; True if cancelled."""
        return self._event.wait(timeout)


class ProgressReporter:
    """Turns work done into a monotonic fraction, so bars never go backwards."""

    def __init__(self, callback: ProgressCallback, total: float) -> None:
        self._callback = callback
        self._total = max(total, 1e-9)
        self._done = 0.0
        self._last = 0.0

    def stage(self, stage: str, detail: str = "") -> None:
        self._emit(stage, detail)

    def advance(self, amount: float, stage: str, detail: str = "") -> None:
        self._done += amount
        self._emit(stage, detail)

    def finish(self, stage: str = "Done") -> None:
        self._last = 1.0
        self._callback(Progress(1.0, stage))

    def _emit(self, stage: str, detail: str) -> None:
        fraction = min(self._done / self._total, 0.999)
        self._last = max(self._last, fraction)
        self._callback(Progress(self._last, stage, detail))

"""Engine calls on worker threads, reported back to the UI thread through signals.

The UI thread never waits on the database or the disk: every engine call, short
(discovery, preview, test connection) or long (backup, restore), is a `Worker`
on the program's worker threads, started by a window's `BackgroundPool`.
Progress is throttled so a chatty engine cannot flood the event loop. The
engine's log records go to the log file only: they are English and name
internal names, and the job's log panel shows the window's own words.

Lifetimes are kept on the UI thread: a worker's signals are freed there (by
the reaper) once it is done, and a finished call lets go of its callbacks
before Qt deletes its receiver, so closing a window never frees anything a
worker thread still uses.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal, Slot

from app.engine.errors import ResguardoError
from app.engine.jobs import CancelToken, Progress, ProgressCallback
from app.ui.error_dialog import unexpected_error

log = logging.getLogger(__name__)

JobFunction = Callable[[ProgressCallback, CancelToken], Any]
PROGRESS_INTERVAL = 0.05  # seconds between progress signals, unless the stage or table changes


def scaled(progress: ProgressCallback, start: float, end: float) -> ProgressCallback:
    """One engine call's progress as the part [start, end] of a job made of several calls."""

    def report(p: Progress) -> None:
        progress(Progress(start + (end - start) * p.fraction, p.stage, p.detail))

    return report


class WorkerSignals(QObject):
    progress = Signal(object)  # Progress
    succeeded = Signal(object)  # whatever the job returned
    failed = Signal(object)  # ResguardoError (Cancelled included)


_app_logger = logging.getLogger("app")
if _app_logger.level == logging.NOTSET or _app_logger.level > logging.INFO:
    _app_logger.setLevel(logging.INFO)


_alive: set[Worker] = set()  # workers started and not yet done, whatever became of their window
_alive_lock = threading.Lock()


class _Reaper(QObject):
    """Lives on the UI thread for the whole program; frees each worker's signals there once the worker is done.

    A QObject must be freed on its own thread: were the worker's signals freed with the worker's last
    Python reference, that could happen on the worker thread while the UI thread still uses them.
    """

    done = Signal(object)  # Worker

    def __init__(self, parent: QObject | None) -> None:
        super().__init__(parent)
        self.done.connect(self._release)  # queued: emitted on worker threads

    @Slot(object)
    def _release(self, worker: Worker) -> None:
        worker.signals.deleteLater()
        with _alive_lock:
            _alive.discard(worker)


def _reaper() -> _Reaper:
    app = QCoreApplication.instance()
    found = app.findChild(_Reaper) if app is not None else None
    return found if isinstance(found, _Reaper) else _Reaper(app)


class Worker(QRunnable):
    """One engine call: `fn(progress, cancel)`; ends with exactly one of succeeded / failed."""

    def __init__(self, fn: JobFunction, name: str = "job") -> None:
        super().__init__()
        self.setAutoDelete(False)  # the Python side owns it; see BackgroundPool
        self.fn = fn
        self.name = name
        self.cancel_token = CancelToken()
        self._reaper = _reaper()  # looked up here, on the UI thread
        self.signals = WorkerSignals(self._reaper)  # freed by the reaper, on the UI thread
        self._last_emit = 0.0
        self._last_key: tuple[str, str] = ("", "")

    def cancel(self) -> None:
        self.cancel_token.cancel()

    def _progress(self, progress: Progress) -> None:
        now = time.monotonic()
        key = (progress.stage, progress.detail)
        if key != self._last_key or progress.fraction >= 1 or now - self._last_emit >= PROGRESS_INTERVAL:
            self._last_emit, self._last_key = now, key
            self.signals.progress.emit(progress)

    def run(self) -> None:
        try:
            result = self.fn(self._progress, self.cancel_token)
        except ResguardoError as exc:
            log.debug("%s (details): %s", self.name, exc.message)  # a job's panel writes it to the log file
            if exc.details:
                log.debug("%s (details): %s", self.name, exc.details)
            self.signals.failed.emit(exc)
        except Exception as exc:
            log.exception("%s failed unexpectedly", self.name)
            self.signals.failed.emit(unexpected_error(exc))
        else:
            self.signals.succeeded.emit(result)
        finally:
            self._reaper.done.emit(self)  # the last thing this thread does with the worker


class _Receiver(QObject):
    """Lives on the UI thread, so a worker's signals reach the callbacks there (queued)."""

    def __init__(
        self, pool: BackgroundPool, worker: Worker, callbacks: dict[str, Callable[[Any], None] | None]
    ) -> None:
        super().__init__(pool)
        self._pool, self._worker, self._callbacks = pool, worker, callbacks
        worker.signals.progress.connect(self.on_progress)
        worker.signals.succeeded.connect(self.on_succeeded)
        worker.signals.failed.connect(self.on_failed)

    def _call(self, key: str, value: Any) -> None:
        callback = self._callbacks.get(key)
        if callback is not None:
            callback(value)

    @Slot(object)
    def on_progress(self, progress: Progress) -> None:
        self._call("progress", progress)

    @Slot(object)
    def on_succeeded(self, result: Any) -> None:
        self._end("success", result)

    @Slot(object)
    def on_failed(self, error: ResguardoError) -> None:
        self._end("failure", error)

    def _end(self, key: str, value: Any) -> None:
        """The last call: the callbacks are let go first, so a deleted receiver holds nothing of its window."""
        callback, self._callbacks = self._callbacks.get(key), {}
        self._pool._finished(self)
        if callback is not None:
            callback(value)


THREADS = 8


def _threads() -> QThreadPool:
    """One set of worker threads for the whole program, living as long as the application.

    Not a window's child: closing a window never waits for (or frees) a worker still running,
    such as a connection check waiting for its timeout; the worker ends by itself, unheard.
    """
    app = QCoreApplication.instance()
    found = app.findChild(QThreadPool, "resguardo-workers") if app is not None else None
    if found is None:
        found = QThreadPool(app)
        found.setObjectName("resguardo-workers")
        found.setMaxThreadCount(THREADS)
    return found


class BackgroundPool(QObject):
    """A window's engine calls: the callbacks reach it on the UI thread, and are dropped once it is gone."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: dict[_Receiver, Worker] = {}

    def start(
        self,
        worker: Worker,
        *,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[ResguardoError], None] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> Worker:
        """Run `worker`; the callbacks are called on the UI thread."""
        receiver = _Receiver(self, worker, {"success": on_success, "failure": on_failure, "progress": on_progress})
        self._running[receiver] = worker
        with _alive_lock:
            _alive.add(worker)
        _threads().start(worker)
        return worker

    def call(
        self,
        fn: Callable[[], Any],
        on_success: Callable[[Any], None],
        on_failure: Callable[[ResguardoError], None],
        name: str = "query",
    ) -> Worker:
        """A short engine call without progress (discovery, preview, test connection)."""
        return self.start(Worker(lambda _progress, _cancel: fn(), name), on_success=on_success, on_failure=on_failure)

    def _finished(self, receiver: _Receiver) -> None:
        self._running.pop(receiver, None)
        receiver.deleteLater()

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def cancel_all(self) -> None:
        for worker in list(self._running.values()):
            worker.cancel()

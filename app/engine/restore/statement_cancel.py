"""Cancel within a second even while a long statement runs on the server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import psycopg

from app.engine.jobs import CancelToken

_POLL_SECONDS = 0.2


@contextmanager
def cancel_statements_on(conn: psycopg.Connection, cancel: CancelToken) -> Iterator[None]:
    """While inside, a cancel request also interrupts the statement running on `conn`.

    The job still checks the token between steps; this only makes a long COPY
    or index build stop at once (it fails with QueryCanceled, then rolls back).
    """
    if cancel is None:
        yield
        return
    done = threading.Event()
    guard = threading.Lock()  # once `done` is set under it, the watcher cancels nothing more

    def watch() -> None:
        while not done.is_set():
            if cancel.wait(_POLL_SECONDS):
                with guard:
                    if not done.is_set():
                        with suppress(psycopg.Error, OSError):
                            conn.cancel_safe(timeout=5)
                return

    threading.Thread(target=watch, name="resguardo-cancel", daemon=True).start()
    try:
        yield
    finally:
        with guard:  # not joined: the watcher may sleep up to _POLL_SECONDS more, harmlessly
            done.set()

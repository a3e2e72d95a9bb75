"""Read a `COPY ... TO STDOUT` straight from libpq, in big chunks.

psycopg's `for row in copy` costs about a microsecond of Python per row (a
generator and a wait call for every row), which made the client, not the
server, the bottleneck of a backup. This loop calls libpq's PQgetCopyData
through psycopg's public low-level `pq` API without blocking, waits on the
socket only when libpq's buffer is empty (the wait releases the GIL, so the
writer thread keeps compressing), and hands whole chunks to the caller.

The COPY is still opened and closed by psycopg's `Copy` object, so an
exception from the caller (a cancel, a full disk) leaves through psycopg's own
path: it cancels the COPY on the server and drains what is in flight.
"""

from __future__ import annotations

import selectors
from collections.abc import Callable

import psycopg
from psycopg import pq, sql

from app.engine.jobs import CancelToken

ChunkSink = Callable[[bytearray], None]

_WAIT_SECONDS = 0.25  # how long a wait for the server may delay noticing a cancel


def copy_out(
    conn: psycopg.Connection,
    query: sql.SQL | sql.Composed,
    sink: ChunkSink,
    *,
    chunk_bytes: int,
    cancel: CancelToken,
) -> None:
    """Run `query` (a COPY TO STDOUT) and pass its text to `sink` in chunks of about `chunk_bytes`.

    Each chunk is a fresh bytearray that the sink may keep (no copy is made).
    Raises psycopg errors as psycopg would, and Cancelled within a fraction of
    a second of `cancel`.
    """
    with conn.cursor().copy(query), selectors.DefaultSelector() as selector:
        pgconn = conn.pgconn
        selector.register(pgconn.socket, selectors.EVENT_READ)
        get_copy_data = pgconn.get_copy_data
        buffer = bytearray()
        while True:
            nbytes, data = get_copy_data(1)  # one row; 0: nothing buffered; -1: COPY done; -2 raises
            if nbytes > 0:
                buffer += data
                if len(buffer) >= chunk_bytes:
                    cancel.raise_if_cancelled()
                    sink(buffer)
                    buffer = bytearray()
            elif nbytes == 0:
                _wait_readable(selector, cancel)
                pgconn.consume_input()
            else:
                break
        _finish(conn, selector)
    if buffer:
        sink(buffer)


def _wait_readable(selector: selectors.BaseSelector, cancel: CancelToken) -> None:
    while not selector.select(_WAIT_SECONDS):
        cancel.raise_if_cancelled()


def _finish(conn: psycopg.Connection, selector: selectors.BaseSelector) -> None:
    """Collect the COPY's final result, as psycopg would, and raise the server's error if it failed.

    No cancel here: the rows are all in, the result follows at once, and
    psycopg could no longer cancel a COPY that has ended.
    """
    pgconn = conn.pgconn
    error: psycopg.Error | None = None
    while True:
        while pgconn.is_busy():  # get_result() would block, holding the GIL
            selector.select()
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:
            break
        if result.status != pq.ExecStatus.COMMAND_OK and error is None:
            error = psycopg.errors.error_from_result(result, encoding=conn.info.encoding)
    if error is not None:
        raise error

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
from collections.abc import Callable, Sequence

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
        buffer = _read_copy(pgconn, selector, sink, chunk_bytes, cancel)
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


BatchSink = Callable[[int], ChunkSink]  # the sink for the i-th COPY's text, asked for as its rows begin
BatchDone = Callable[[int], None]  # the i-th COPY's rows are all in


def copy_out_batch(
    conn: psycopg.Connection,
    queries: Sequence[sql.Composable],
    begin: BatchSink,
    end: BatchDone,
    *,
    chunk_bytes: int,
    cancel: CancelToken,
) -> None:
    """Run several `COPY ... TO STDOUT` in one round trip: one simple-query message holding them all, which the
    server answers with each table's rows after the other's (a round trip a table made a backup of hundreds of
    small tables wait on the network, and on the server's turn for a core, hundreds of times).

    `queries` are Resguardo's own COPY statements, made of identifiers (app/engine/backup/tables.py
    `copy_query`), in the caller's transaction. The session is closed on any failure (the server's error, cancel,
    a sink's error): a batch half read cannot be resumed, and the backup it belongs to fails anyway."""
    if not queries:
        return
    text = b"; ".join(query.as_bytes(conn) for query in queries)
    pgconn = conn.pgconn
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(pgconn.socket, selectors.EVENT_READ)
            pgconn.send_query(text)
            while pgconn.flush():  # a long batch may not go out in one write
                _wait_writable(pgconn, cancel)
            for index in range(len(queries)):
                _expect(conn, _next_result(pgconn, selector, cancel), pq.ExecStatus.COPY_OUT)
                table_sink = begin(index)
                rest = _read_copy(pgconn, selector, table_sink, chunk_bytes, cancel)
                if rest:
                    table_sink(rest)
                _expect(conn, _next_result(pgconn, selector, cancel), pq.ExecStatus.COMMAND_OK)
                end(index)
            if _next_result(pgconn, selector, cancel) is not None:
                raise psycopg.ProgrammingError("the server answered more than the batch's COPY statements")
    except BaseException:
        conn.close()
        raise


def _read_copy(
    pgconn: pq.abc.PGconn,
    selector: selectors.BaseSelector,
    sink: ChunkSink,
    chunk_bytes: int,
    cancel: CancelToken,
) -> bytearray:
    """One COPY's rows to `sink` in chunks of about `chunk_bytes`; the last, shorter chunk is returned, for the
    caller to pass on once the COPY's end is known (copy_out: after the server said it succeeded)."""
    get_copy_data = pgconn.get_copy_data
    buffer = bytearray()
    while True:
        nbytes, data = get_copy_data(1)  # one row; 0: nothing buffered; -1: this COPY is done; -2 raises
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
    return buffer


def _next_result(
    pgconn: pq.abc.PGconn, selector: selectors.BaseSelector, cancel: CancelToken
) -> pq.abc.PGresult | None:
    while pgconn.is_busy():  # get_result() would block, holding the GIL
        _wait_readable(selector, cancel)
        pgconn.consume_input()
    return pgconn.get_result()


def _expect(conn: psycopg.Connection, result: pq.abc.PGresult | None, status: pq.ExecStatus) -> None:
    if result is None:
        raise psycopg.ProgrammingError("the server answered fewer results than the batch's COPY statements")
    if result.status != status:
        if result.status == pq.ExecStatus.FATAL_ERROR:
            raise psycopg.errors.error_from_result(result, encoding=conn.info.encoding)
        raise psycopg.ProgrammingError(f"unexpected result {pq.ExecStatus(result.status).name} in a COPY batch")


def _wait_writable(pgconn: pq.abc.PGconn, cancel: CancelToken) -> None:
    with selectors.DefaultSelector() as selector:
        selector.register(pgconn.socket, selectors.EVENT_READ | selectors.EVENT_WRITE)
        while not selector.select(_WAIT_SECONDS):
            cancel.raise_if_cancelled()
    pgconn.consume_input()

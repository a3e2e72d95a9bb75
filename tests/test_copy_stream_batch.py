"""COPYs of many small tables in one round trip: each table's text exactly as its own COPY gives it, and a failure
anywhere in the batch raised as the server's error, the session closed."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import psycopg
import pytest
from psycopg import sql

from app.engine.copy_stream import copy_out, copy_out_batch
from app.engine.errors import Cancelled
from app.engine.jobs import CancelToken

if TYPE_CHECKING:
    from tests.support.pg import TestServer

QUERIES = [
    sql.SQL("COPY (SELECT g, repeat('ñ', g % 7), E'a\\tb' FROM generate_series(1, {}) g) TO STDOUT").format(
        sql.Literal(n)
    )
    for n in (0, 1, 3000, 5, 40000)
]


def test_each_copy_of_a_batch_gives_its_own_text_in_order(pg_server: TestServer) -> None:
    with pg_server.admin.connect() as conn:
        expected = []
        for query in QUERIES:
            chunks: list[bytearray] = []
            copy_out(conn, query, chunks.append, chunk_bytes=1 << 20, cancel=CancelToken())
            expected.append(b"".join(chunks))
        got: list[bytearray] = [bytearray() for _ in QUERIES]
        ended: list[int] = []
        copy_out_batch(conn, QUERIES, lambda i: got[i].extend, ended.append, chunk_bytes=4096, cancel=CancelToken())
        assert [bytes(g) for g in got] == expected
        assert ended == list(range(len(QUERIES)))
        assert conn.execute("SELECT 1").fetchone() == (1,)  # the transaction goes on, psycopg's state intact


def test_a_failing_copy_in_a_batch_is_the_servers_error_and_closes_the_session(pg_server: TestServer) -> None:
    failing = sql.SQL("COPY (SELECT 1 / (g - 500) FROM generate_series(1, 1000) g) TO STDOUT")
    with pg_server.admin.connect() as conn:
        ended: list[int] = []
        with pytest.raises(psycopg.errors.DivisionByZero):
            copy_out_batch(
                conn,
                [QUERIES[2], failing, QUERIES[3]],
                lambda i: lambda c: None,
                ended.append,
                chunk_bytes=4096,
                cancel=CancelToken(),
            )
        assert ended == [0]  # the first table was whole; nothing after the failure
        assert conn.closed


def test_cancel_during_a_batch_is_noticed_and_closes_the_session(pg_server: TestServer) -> None:
    token = CancelToken()
    slow = sql.SQL("COPY (SELECT pg_sleep(5)) TO STDOUT")  # the server sends nothing for 5 s
    with pg_server.admin.connect() as conn:
        timer = threading.Timer(0.3, token.cancel)
        timer.start()
        started = time.monotonic()
        with pytest.raises(Cancelled):
            copy_out_batch(
                conn, [QUERIES[1], slow], lambda i: lambda c: None, lambda i: None, chunk_bytes=4096, cancel=token
            )
        timer.join()
        assert time.monotonic() - started < 2
        assert conn.closed

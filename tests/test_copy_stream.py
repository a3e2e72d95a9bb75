"""The backup's COPY reader: libpq's rows in big chunks, with the server's errors and the user's cancel intact."""

from __future__ import annotations

from typing import TYPE_CHECKING

import psycopg
import pytest
from psycopg import sql

from app.engine.copy_stream import copy_out
from app.engine.errors import Cancelled
from app.engine.jobs import CancelToken

if TYPE_CHECKING:
    from tests.support.pg import TestServer

ROWS = sql.SQL(
    "COPY (SELECT g, repeat('ñ', g % 40), E'tab\\there\\nnewline', NULL::text"
    " FROM generate_series(1, 20000) g) TO STDOUT"
)


def read_all(
    conn: psycopg.Connection, query: sql.SQL | sql.Composed, chunk_bytes: int, cancel: CancelToken | None = None
) -> list[bytearray]:
    chunks: list[bytearray] = []
    copy_out(conn, query, chunks.append, chunk_bytes=chunk_bytes, cancel=cancel or CancelToken())
    return chunks


def test_chunks_join_to_exactly_the_servers_copy_text(pg_server: TestServer) -> None:
    with pg_server.admin.connect() as conn:
        expected = bytearray()
        with conn.cursor().copy(ROWS) as copy:
            for row in copy:
                expected += row
        chunks = read_all(conn, ROWS, chunk_bytes=4096)
        assert b"".join(chunks) == expected
        assert len(chunks) > 10
        assert all(4096 <= len(c) < 4096 + 200 for c in chunks[:-1])  # whole rows, about chunk_bytes each
        assert conn.execute("SELECT 1").fetchone() == (1,)  # psycopg's state is intact


def test_a_server_error_mid_copy_is_raised_and_the_transaction_can_roll_back(pg_server: TestServer) -> None:
    failing = sql.SQL("COPY (SELECT 1 / (g - 15000) FROM generate_series(1, 20000) g) TO STDOUT")
    with pg_server.admin.connect() as conn:
        with pytest.raises(psycopg.errors.DivisionByZero):
            read_all(conn, failing, chunk_bytes=1024)
        conn.rollback()
        assert conn.execute("SELECT 2").fetchone() == (2,)


def test_the_server_ending_the_session_mid_copy_is_a_connection_error(pg_server: TestServer) -> None:
    many = sql.SQL("COPY (SELECT g FROM generate_series(1, 5000000) g) TO STDOUT")
    with pg_server.admin.connect() as conn, pg_server.admin.connect(autocommit=True) as other:
        pid = conn.info.backend_pid

        def terminate_once(chunk: bytearray) -> None:
            if other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                other.execute("SELECT pg_terminate_backend(%s, 30000)", [pid])

        with pytest.raises(psycopg.OperationalError):
            copy_out(conn, many, terminate_once, chunk_bytes=4096, cancel=CancelToken())


def test_cancel_is_noticed_while_waiting_for_a_silent_server(pg_server: TestServer) -> None:
    # The server sends some rows, then nothing for a minute; the chunks are too big to
    # fill, so only the check made while waiting on the socket can raise Cancelled.
    silent = sql.SQL(
        "COPY (SELECT g, CASE WHEN g = 5000 THEN pg_sleep(60) END FROM generate_series(1, 5000) g) TO STDOUT"
    )
    token = CancelToken()
    token.cancel()
    with pg_server.admin.connect() as conn:
        with pytest.raises(Cancelled):
            read_all(conn, silent, chunk_bytes=1 << 20, cancel=token)
        conn.rollback()  # psycopg cancelled the COPY on the server: the session is free at once
        assert conn.execute("SELECT 3").fetchone() == (3,)

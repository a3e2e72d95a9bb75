"""Sending a checked statement: one command per text, read by the server as the gate read it."""

from __future__ import annotations

from typing import Any

import psycopg

from app.engine.safety.sql_gate.verdict import CheckedStatement


def prepare_session(conn: psycopg.Connection[Any]) -> None:
    """Make the server read strings as pglast did when it checked them (a database or role may default
    standard_conforming_strings to off); for the transaction only."""
    conn.execute("SET LOCAL standard_conforming_strings = on")


def execute_checked(conn: psycopg.Connection[Any], statement: CheckedStatement) -> psycopg.Cursor[Any]:
    """Run one checked statement through the extended query protocol: the server refuses a second command
    in the text, whatever the gate thought (psycopg uses the simple protocol, which runs several, when a
    query has no parameters; binary results force the extended one). Returns the (closed) cursor: in a
    pipeline, its `pgresult` arrives once the statement has run."""
    with conn.cursor() as cur:
        cur.execute(statement.text.encode(conn.info.encoding), prepare=False, binary=True)
    return cur

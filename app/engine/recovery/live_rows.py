"""Live rows looked up by the values of some columns, read back as COPY text: the same text the backup holds.

The values are parameters, never SQL text. Each column is read through its type's output function
(`pg_catalog.concat`, never a cast the clinic's owner could have written) and escaped here as COPY escapes
it, so a live row and a backup row are equal exactly when their COPY text is. Whole-number columns are
compared by value (an index serves them), the rest by their text in the "C" collation. The caller's
session has the tables locked and checked (app/engine/comparison/live.py) or holds the owner's rights.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import psycopg
from psycopg import sql

from app.engine.comparison.copy_text import NULL, BadRow, unescape
from app.engine.comparison.live import LiveTable
from app.engine.errors import ArchiveError

_BATCH = 5_000
_WHOLE_NUMBERS = (20, 21, 23)
_ESCAPES = {
    ord("\\"): "\\\\",
    ord("\b"): "\\b",
    ord("\f"): "\\f",
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
    ord("\v"): "\\v",
}

Values = tuple[bytes, ...]  # COPY fields, as the backup writes them


def copy_field(value: str | None) -> bytes:
    """A value's text as `COPY ... TO STDOUT` writes it."""
    return NULL if value is None else value.translate(_ESCAPES).encode()


def _parameter(table: LiveTable, column: str, field: bytes) -> int | str:
    if field == NULL:
        raise BadRow("has no value in a column it is looked up by")
    if table.column(column).type_oid in _WHOLE_NUMBERS:
        try:
            return int(field)
        except ValueError:
            raise BadRow(f"has a value of {column} that is not a whole number") from None
    return unescape(field).decode("utf-8", "surrogateescape")


def _compared(table: LiveTable, column: str) -> sql.Composable:
    if table.column(column).type_oid in _WHOLE_NUMBERS:
        return sql.SQL("t.{}").format(sql.Identifier(column))
    return sql.SQL('pg_catalog.concat(t.{}) COLLATE pg_catalog."C"').format(sql.Identifier(column))


def select_text(columns: Sequence[str]) -> sql.Composable:
    """Each column's text (NULL kept apart from an empty text), for `copy_field`."""
    return sql.SQL(", ").join(
        sql.SQL("CASE WHEN pg_catalog.num_nulls(t.{c}) = 1 THEN NULL ELSE pg_catalog.concat(t.{c}) END").format(
            c=sql.Identifier(c)
        )
        for c in columns
    )


def lookup(
    conn: psycopg.Connection,
    table: LiveTable,
    by: Sequence[str],
    values: Iterable[Values],
    columns: Sequence[str],
    *,
    for_update: bool = False,
) -> list[bytes]:
    """The live rows (COPY text of `columns`) whose `by` columns hold one of `values`."""
    wanted = list(dict.fromkeys(values))
    found: list[bytes] = []
    for start in range(0, len(wanted), _BATCH):
        batch = wanted[start : start + _BATCH]
        try:
            params = [[_parameter(table, c, v[i]) for v in batch] for i, c in enumerate(by)]
        except BadRow as why:
            raise ArchiveError(f"A row of the backup's table {table.relation.name} {why}.") from None
        found += _query(conn, table, by, params, columns, for_update)
    return found


def delete_rows(conn: psycopg.Connection, table: LiveTable, by: Sequence[str], values: Iterable[Values]) -> int:
    """Delete the live rows whose `by` columns hold one of `values`; how many went."""
    wanted = list(dict.fromkeys(values))
    deleted = 0
    for start in range(0, len(wanted), _BATCH):
        batch = wanted[start : start + _BATCH]
        params = [[_parameter(table, c, v[i]) for v in batch] for i, c in enumerate(by)]
        query = sql.SQL("DELETE FROM ONLY {} t WHERE {}").format(table.relation.identifier(), _where(table, by, params))
        deleted += conn.execute(query, params).rowcount
    return deleted


def _where(table: LiveTable, by: Sequence[str], params: list[list[int | str]]) -> sql.Composable:
    types = [sql.SQL("pg_catalog.int8[]" if isinstance(p[0], int) else "pg_catalog.text[]") for p in params]
    if len(by) == 1:
        return sql.SQL("{} = ANY(%s::{})").format(_compared(table, by[0]), types[0])
    return sql.SQL("({}) IN (SELECT * FROM ROWS FROM ({}))").format(
        sql.SQL(", ").join(_compared(table, c) for c in by),
        sql.SQL(", ").join(sql.SQL("pg_catalog.unnest(%s::{})").format(t) for t in types),
    )


def _query(
    conn: psycopg.Connection,
    table: LiveTable,
    by: Sequence[str],
    params: list[list[int | str]],
    columns: Sequence[str],
    for_update: bool,
) -> list[bytes]:
    where = _where(table, by, params)
    query = sql.SQL("SELECT {} FROM ONLY {} t WHERE {}{}").format(
        select_text(columns), table.relation.identifier(), where, sql.SQL(" FOR UPDATE" if for_update else "")
    )
    rows = conn.execute(query, params).fetchall()
    return [b"\t".join(copy_field(v) for v in row) for row in rows]

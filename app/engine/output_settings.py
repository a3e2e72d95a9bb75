"""The settings under which PostgreSQL writes a value's text, pinned wherever rows are compared as text.

A row's COPY text depends on the session: `TimeZone` (timestamptz), `DateStyle` (dates and times),
`IntervalStyle`, `extra_float_digits` (real, double precision) and `bytea_output`. A native backup writes its
rows under `PINNED` and records them in the manifest (`output_settings`, docs/archive-format.md); the
comparison, the recovery's reads and its undo read live rows under the settings the backup recorded, so a
server or a role with other defaults does not make identical rows differ. An archive written before they were
recorded has none: its rows are read against the session's own settings, as that backup read them (the same
server's defaults are assumed).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg

PINNED: dict[str, str] = {
    "DateStyle": "ISO, YMD",
    "IntervalStyle": "postgres",
    "TimeZone": "UTC",
    "extra_float_digits": "3",
    "bytea_output": "hex",
}
NAMES = tuple(PINNED)
_MAX_VALUE = 100

Settings = Mapping[str, str]


def pin(conn: psycopg.Connection, settings: Settings | None = PINNED) -> None:
    """Set `settings` for the rest of the current transaction (None: leave the session's own), in one round trip."""
    if not settings:
        return
    with conn.pipeline():
        for name, value in settings.items():
            conn.execute("SELECT pg_catalog.set_config(%s, %s, true)", [name, value])


@contextmanager
def pinned(conn: psycopg.Connection, settings: Settings | None) -> Iterator[None]:
    """`settings` while the block reads, then the transaction's previous values again (so the clinic's triggers
    that run later in the transaction see the session's own)."""
    if not settings:
        yield
        return
    before = {name: current(conn, name) for name in settings}
    pin(conn, settings)
    try:
        yield
    finally:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.INERROR:
            pin(conn, before)


def current(conn: psycopg.Connection, name: str) -> str:
    row = conn.execute("SELECT pg_catalog.current_setting(%s)", [name]).fetchone()
    return str(row[0]) if row else ""


def recorded(conn: psycopg.Connection) -> dict[str, str]:
    """The settings in force, as a manifest records them."""
    return {name: current(conn, name) for name in NAMES}


def from_manifest(value: Any) -> dict[str, str] | None:
    """A manifest's `output_settings`: the known names with plain values, or None when it records none (an
    older archive) or something unusable (never trusted as more than values handed to `set_config`)."""
    if not isinstance(value, dict):
        return None
    found = {}
    for name in NAMES:
        setting = value.get(name)
        if not isinstance(setting, str) or not 0 < len(setting) <= _MAX_VALUE or not setting.isprintable():
            return None
        found[name] = setting
    return found

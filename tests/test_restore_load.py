"""How the native load writes rows: frozen (no page rewrite after the restore), whatever the server's defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from psycopg import sql

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.restore.restore import restore_tenant
from tests.support.restore import emails, fingerprint

pytestmark = pytest.mark.core

BIG_TABLES = ("appointments_appointment", "chat_chatmessage")  # untouched by the administrators rule


def _not_frozen_pages(target: ConnectionTarget, schema: str, table: str) -> tuple[int, int]:
    """(pages, pages not marked all-frozen in the visibility map)."""
    with target.connect() as conn:
        row = conn.execute(
            "SELECT pg_relation_size(%(t)s::regclass) / current_setting('block_size')::int,"
            " count(*) FILTER (WHERE NOT all_frozen) FROM pg_visibility_map(%(t)s::regclass)",
            {"t": sql.Identifier(schema, table).as_string(conn)},
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_restored_rows_are_frozen_so_first_readers_rewrite_nothing(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    archive = tmp_path / "b.resguardo"
    backup_tenant(demo_db, "bienestar", archive)
    with demo_db.connect() as conn:
        conn.execute("CREATE EXTENSION pg_visibility")

    restore_tenant(demo_db, "bienestar", archive)

    for table in BIG_TABLES:
        pages, not_frozen = _not_frozen_pages(demo_db, "bienestar", table)
        assert pages > 0 and not_frozen == 0, table


def test_restore_works_when_the_server_defaults_to_repeatable_read(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    """The load's COPY FREEZE and settings must not depend on the server's default isolation level."""
    archive = tmp_path / "b.resguardo"
    backup_tenant(demo_db, "bienestar", archive)
    expected = fingerprint(demo_db, "bienestar")["data"]
    with demo_db.connect(autocommit=True) as conn:
        conn.execute("DELETE FROM bienestar.chat_chatmessage")
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET default_transaction_isolation = 'repeatable read'").format(
                sql.Identifier(str(demo_db.dbname))
            )
        )

    restore_tenant(demo_db, "bienestar", archive)

    assert fingerprint(demo_db, "bienestar")["data"] == expected
    assert "admin@gmail.com" in emails(demo_db, "bienestar")

"""`backup --all` keeps one session per worker from one clinic to the next: each clinic is still its own
snapshot, and the run leaves no session and no lock behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from app.engine.archive.container import ArchiveReader
from app.engine.backup.many import backup_all
from app.engine.connection import APPLICATION_NAME, ConnectionTarget

pytestmark = pytest.mark.core


def test_a_kept_session_reads_each_clinic_in_a_snapshot_of_its_own(
    demo_db: ConnectionTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[psycopg.Connection] = []
    connect = ConnectionTarget.connect

    def counted(self: ConnectionTarget, **kwargs: Any) -> psycopg.Connection:
        conn = connect(self, **kwargs)
        opened.append(conn)
        return conn

    monkeypatch.setattr(ConnectionTarget, "connect", counted)

    def written_after_the_first(schema: str, _attempt: int) -> None:
        """Committed once bienestar's backup is done and before mindcare's starts, on the same kept session."""
        if schema == "mindcare":
            with psycopg.connect(demo_db.conninfo, autocommit=True) as other:
                other.execute("INSERT INTO mindcare.django_migrations (app, name, applied) VALUES ('x', 'y', now())")

    result = backup_all(demo_db, tmp_path, schemas=["bienestar", "mindcare"], jobs=1, on_start=written_after_the_first)

    assert result.ok
    assert len(opened) == 2  # the tenants list, then the one worker's session for both clinics
    assert all(conn.closed for conn in opened)
    mindcare = next(c for c in result.clinics if c.schema == "mindcare")
    assert mindcare.path is not None
    with ArchiveReader(mindcare.path) as archive:
        assert archive.raw_manifest["migrations"][-1] == ["x", "y"]  # mindcare's own snapshot, taken after the row
    with psycopg.connect(demo_db.conninfo) as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND datname = current_database()",
            [APPLICATION_NAME],
        ).fetchone()
        locks = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").fetchone()
    assert left == (0,)
    assert locks == (0,)


def test_a_failed_clinic_closes_its_session_and_the_next_gets_a_new_one(
    demo_db: ConnectionTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[psycopg.Connection] = []
    connect = ConnectionTarget.connect

    def counted(self: ConnectionTarget, **kwargs: Any) -> psycopg.Connection:
        conn = connect(self, **kwargs)
        opened.append(conn)
        return conn

    monkeypatch.setattr(ConnectionTarget, "connect", counted)
    with psycopg.connect(demo_db.conninfo, autocommit=True) as admin:
        admin.execute("CREATE SCHEMA broken")
        admin.execute("CREATE FOREIGN DATA WRAPPER w")
        admin.execute("CREATE SERVER s FOREIGN DATA WRAPPER w")
        admin.execute("CREATE FOREIGN TABLE broken.f (a int) SERVER s")  # refused: bound to a server
        admin.execute(
            "INSERT INTO public.customers_client (schema_name, name, paid_until, on_trial, created_on)"
            " VALUES ('broken', 'Broken', now(), false, now())"
        )

    result = backup_all(demo_db, tmp_path, schemas=["broken", "bienestar"], jobs=1)

    outcomes = {c.schema: c for c in result.clinics}
    assert not outcomes["broken"].ok and "foreign server" in outcomes["broken"].error
    assert outcomes["bienestar"].ok
    assert all(conn.closed for conn in opened)
    assert len(opened) == 3  # the list; broken's first session (closed); bienestar's, kept for the retry, closed

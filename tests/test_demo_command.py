"""`resguardo demo --serve`: a URI on the first line, data reused across runs, --reset recreates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg

from tests.support import REPO


def _serve(home: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "demo", "--serve", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "RESGUARDO_HOME": str(home)},
    )
    assert proc.stdout is not None
    uri = proc.stdout.readline().strip()
    return proc, uri


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0


def test_serve_prints_a_uri_with_the_demo_clinics_and_reuses_then_resets(tmp_path: Path) -> None:
    proc, uri = _serve(tmp_path)
    try:
        assert proc.stderr is not None
        assert uri.startswith("postgresql://"), proc.stderr.read() if proc.poll() is not None else uri
        with psycopg.connect(uri) as conn:
            tenants = [
                r[0] for r in conn.execute("SELECT schema_name FROM public.customers_client ORDER BY id").fetchall()
            ]
            owners = conn.execute(
                "SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace"
                " WHERE nspname IN ('mindcare', 'bienestar') ORDER BY 1"
            ).fetchall()
            patients = conn.execute("SELECT count(*) FROM bienestar.users_customuser WHERE role = 'patient'").fetchone()
            conn.execute("DELETE FROM bienestar.chat_chatmessage WHERE id = 1")
            conn.commit()
        assert (tmp_path / "data" / "demo-postgres" / "postmaster.pid").exists()  # the check below can fail
    finally:
        _stop(proc)
    assert tenants == ["public", "mindcare", "bienestar"]
    assert owners == [("bienestar", "clinic_app"), ("mindcare", "clinic_app")]
    assert patients == (5,)
    # Ctrl-C stopped the server: its postmaster is gone (its pid file removed at the end of its shutdown). The
    # port itself proves nothing: another test run's server on this machine may take it at once.
    assert not (tmp_path / "data" / "demo-postgres" / "postmaster.pid").exists(), "the demo server still runs"

    proc, uri = _serve(tmp_path)  # second run: same data directory, change kept
    try:
        with psycopg.connect(uri) as conn:
            kept = conn.execute("SELECT count(*) FROM bienestar.chat_chatmessage").fetchone()
    finally:
        _stop(proc)
    assert kept == (59,)

    proc, uri = _serve(tmp_path, "--reset")  # --reset: the deleted row is back
    try:
        with psycopg.connect(uri) as conn:
            reset = conn.execute("SELECT count(*) FROM bienestar.chat_chatmessage").fetchone()
    finally:
        _stop(proc)
    assert reset == (60,)

"""Client tools for the pg_dump tests: the system's older PostgreSQL 15 client, and fake tools that print a version."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

SYSTEM_15 = Path("/usr/lib/postgresql/15/bin")
needs_system_15 = pytest.mark.skipif(
    not (SYSTEM_15 / "pg_dump").exists(), reason="the system's PostgreSQL 15 client is not installed"
)


def fake_tool(folder: Path, name: str, output: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\necho '{output}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path

"""What a backup answers, whatever its format: the file, its size and counts, and for `auto` why."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    rows: int  # 0 for pg_dump files, which carry no row counts
    tables: int
    seconds: float
    format: str = "native"  # "native" | "sql" | "custom"
    tool: str = ""  # the pg_dump that wrote a pg_dump file, e.g. "pg_dump 18.1 at /usr/bin/pg_dump"
    note: str = ""  # why `auto` wrote the format it wrote

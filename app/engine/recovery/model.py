"""What a recovery plans and what it did: pure data, for the command line, the window and the undo record."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.engine.comparison.model_name import ModelName


class Why(enum.StrEnum):
    """Why a row comes along."""

    CHOSEN = "chosen"  # it matched the user's choice
    DEPENDENT = "dependent"  # it refers to a row that comes back (through a foreign key)
    PARENT = "parent"  # a row that comes back refers to it, and it is missing live


@dataclass(frozen=True)
class RecoveryLimits:
    """Memory bounds: rows held by the plan (with their text), and passes over the backup."""

    max_rows: int = 200_000
    max_bytes: int = 64 << 20
    max_passes: int = 200


@dataclass(frozen=True)
class PlannedRow:
    key: str  # as people read it: "42", "(3, 7)"
    why: Why
    line: bytes  # the row's COPY text, in the plan's `columns` order

    def checksum(self) -> str:
        return row_checksum(self.line)


@dataclass(frozen=True)
class Conflict:
    """A row of the backup whose key is taken live by a row with other content: skipped, never overwritten."""

    key: str
    columns: tuple[str, ...]  # the columns whose values differ, or the unique columns another row holds
    taken_by: str | None = None  # the key of the live row holding those unique values, when it is another row


@dataclass(frozen=True)
class TablePlan:
    name: str
    model: ModelName | None  # what its rows are, as Django names them, when the clinic says
    key: tuple[str, ...]
    columns: tuple[str, ...]  # the columns the rows carry (the backup's, all of them live)
    rows: tuple[PlannedRow, ...]  # to insert
    already_there: tuple[str, ...]  # keys of rows identical live
    conflicts: tuple[Conflict, ...]

    @property
    def words(self) -> str | None:
        """In English ("chat message", "custom user ↔ group links")."""
        return self.model.words if self.model is not None else None

    def as_json(self) -> dict[str, Any]:
        return {
            "table": self.name,
            "words": self.words,
            "key": list(self.key),
            "insert": [{"key": r.key, "why": r.why.value} for r in self.rows],
            "already_there": list(self.already_there),
            "conflicts": [{"key": c.key, "columns": list(c.columns), "taken_by": c.taken_by} for c in self.conflicts],
        }


@dataclass(frozen=True)
class RecoveryPlan:
    tenant: str
    path: Path
    source_schema: str
    created_utc: str | None
    chosen_table: str
    match: tuple[tuple[str, str | None], ...]  # (column, value); None: the column is NULL
    with_dependents: bool
    tables: tuple[TablePlan, ...]  # in insert order: parents first
    manifest_checksum: str = ""
    warnings: tuple[str, ...] = ()
    output_settings: dict[str, str] | None = None  # what the backup's rows were written under; None: unknown

    @property
    def rows_to_insert(self) -> int:
        return sum(len(t.rows) for t in self.tables)

    @property
    def already_there(self) -> int:
        return sum(len(t.already_there) for t in self.tables)

    @property
    def conflicts(self) -> int:
        return sum(len(t.conflicts) for t in self.tables)

    def as_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "file": self.path.name,
            "source_schema": self.source_schema,
            "created_utc": self.created_utc,
            "table": self.chosen_table,
            "match": [list(m) for m in self.match],
            "with_dependents": self.with_dependents,
            "rows_to_insert": self.rows_to_insert,
            "already_there": self.already_there,
            "conflicts": self.conflicts,
            "tables": [t.as_json() for t in self.tables],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class RecordedTable:
    """The rows one recovery inserted into one table: their key values (COPY text) and content checksums."""

    name: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    rows: tuple[tuple[tuple[str | None, ...], str], ...]  # (key values as text, checksum of the row)


@dataclass(frozen=True)
class RecoveryRecord:
    """What undo removes: kept in Resguardo's state on this computer (app/engine/recovery/record.py)."""

    id: str
    tenant: str
    database: str
    file: str
    recovered_utc: str
    xid: str  # the transaction that inserted the rows
    tables: tuple[RecordedTable, ...]  # in insert order
    committed: bool = False
    output_settings: dict[str, str] | None = None  # the checksums' rows were read under; None: the session's own

    @property
    def rows(self) -> int:
        return sum(len(t.rows) for t in self.tables)


@dataclass(frozen=True)
class RecoveryResult:
    tenant: str
    inserted: dict[str, int]
    record: RecoveryRecord
    seconds: float
    warnings: list[str] = field(default_factory=list)
    sequences_moved: int = 0  # identity/serial sequences set past the inserted keys

    @property
    def rows(self) -> int:
        return sum(self.inserted.values())


@dataclass(frozen=True)
class UndoRecoveryResult:
    tenant: str
    deleted: dict[str, int]
    record: RecoveryRecord
    seconds: float
    warnings: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.deleted.values())


def row_checksum(line: bytes) -> str:
    """A row's content, as the SHA-256 of its COPY text."""
    return hashlib.sha256(line).hexdigest()

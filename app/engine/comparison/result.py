"""What a comparison found, table by table: counts, the changed columns, and a few keys of each kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from app.engine.comparison.model_name import ModelName

SAMPLE_KEYS = 20  # keys kept of each kind, per table: the counts are exact, the lists are examples


class Matching(Enum):
    """How rows of a table were matched."""

    PRIMARY_KEY = "primary key"
    UNIQUE_KEY = "unique key"
    MULTISET = "no key"  # compared as multisets: equal rows pair up, the rest are only on one side
    ABSENT_NOW = "absent now"  # the table is in the backup only
    NOT_IN_BACKUP = "not in the backup"  # the table exists now only


@dataclass
class TableDiff:
    name: str
    matching: Matching
    key: tuple[str, ...] = ()
    model: ModelName | None = None  # what its rows are, as Django's content types name the model
    rows_in_backup: int = 0
    rows_now: int = 0
    only_in_backup: int = 0  # deleted since the backup: a restore brings them back
    only_now: int = 0  # added since: a restore throws them away
    changed: int = 0  # same key, other values: a restore puts the backup's values back
    changed_columns: dict[str, int] = field(default_factory=dict)  # column -> rows in which it changed
    columns_only_in_backup: tuple[str, ...] = ()
    columns_only_now: tuple[str, ...] = ()
    keys_only_in_backup: list[str] = field(default_factory=list)
    keys_only_now: list[str] = field(default_factory=list)
    keys_changed: list[str] = field(default_factory=list)

    @property
    def words(self) -> str | None:
        """What its rows are, in English ("chat message", "custom user ↔ group links")."""
        return self.model.words if self.model is not None else None

    @property
    def differs(self) -> bool:
        return bool(self.only_in_backup or self.only_now or self.changed or self.columns_only_in_backup)

    def as_json(self) -> dict[str, Any]:
        return {
            "table": self.name,
            "model": self.words,
            "matched_by": self.matching.value,
            "key": list(self.key),
            "rows_in_backup": self.rows_in_backup,
            "rows_now": self.rows_now,
            "only_in_backup": self.only_in_backup,
            "only_now": self.only_now,
            "changed": self.changed,
            "changed_columns": self.changed_columns,
            "columns_only_in_backup": list(self.columns_only_in_backup),
            "columns_only_now": list(self.columns_only_now),
            "sample_keys": {
                "only_in_backup": self.keys_only_in_backup,
                "only_now": self.keys_only_now,
                "changed": self.keys_changed,
            },
        }


@dataclass(frozen=True)
class Comparison:
    tenant: str
    source_schema: str  # the clinic the backup was made from
    created_utc: str | None
    tables: tuple[TableDiff, ...]
    seconds: float
    spilled_runs: int  # sorted runs written to disk (tables larger than the memory bound, not in key order)

    @property
    def only_in_backup(self) -> int:
        return sum(t.only_in_backup for t in self.tables)

    @property
    def only_now(self) -> int:
        return sum(t.only_now for t in self.tables)

    @property
    def changed(self) -> int:
        return sum(t.changed for t in self.tables)

    @property
    def same(self) -> bool:
        return not any(t.differs or t.columns_only_now for t in self.tables)

    def as_json(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "backup_of": self.source_schema,
            "backup_created_utc": self.created_utc,
            "only_in_backup": self.only_in_backup,
            "only_now": self.only_now,
            "changed": self.changed,
            "tables": [t.as_json() for t in self.tables],
        }

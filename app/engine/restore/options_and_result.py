"""What a restore is asked (`RestoreOptions`) and what it answers (`RestoreResult`), for its callers: the CLI, the
window, the restore test. Importable from app/engine/restore/restore.py as well."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.engine.restore.swap import LockPolicy
from app.engine.restore.table_locks import Session

# The rows of a native backup are compared with the live ones (app/engine/comparison) when asked, or by default
# when the backup holds at most this much row text: a comparison reads every row of both sides (docs/recover.md).
# Here, not in preview.py, so that the command line names it without importing the preview.
COMPARE_BOUND_BYTES = 64 << 20


@dataclass(frozen=True)
class RestoreOptions:
    keep_superusers: bool = True
    allow_other_tenant: bool = False
    user_table: str | None = None
    tenants_table: str | None = None
    locks: LockPolicy = LockPolicy()


@dataclass(frozen=True)
class RestoreResult:
    tenant: str
    source_schema: str | None
    path: Path
    tables: int
    rows: int
    safety_copy: str | None  # the tenant as it was, kept for undo; None when it had no schema
    dropped_safety_copies: list[str]
    cleaned_leftovers: list[str]  # staging schemas of killed runs, dropped
    kept_superusers: list[str]
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    app_writes: int = 0  # rows the web application wrote to the live tenant meanwhile; they are in the safety copy
    # The live tenant had Django's sessions table: whoever signed in after the backup must sign in again.
    signs_out: bool = False
    interrupted: list[Session] = field(default_factory=list)  # the application's work cancelled (interrupt_after)

"""Files that are not a native archive (pg_dump custom or `.sql`, a Django export): read through a staging load.

Such a file cannot be read table by table without running it, so it is loaded the one safe way Resguardo loads
any file: the restore's phase A, as a restore test runs it (app/engine/rehearsal/): every statement through the
gate, the owner-rights load sessions, the clinic's job lock, each step proven, a recorded `rg_staging_…` schema
beside the clinic, which is never touched. That schema is then written out as a native archive into the job's
private folder (app/engine/encryption/workspace.py, the one place plain backup bytes touch the disk) by the
native backup itself (its locks and checks by oid), and the staging schema is dropped on every path. The plan
then reads that archive as it reads any native backup.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.encryption.workspace import private_folder
from app.engine.jobs import CancelToken, ProgressCallback, ignore_progress
from app.engine.rehearsal.rehearsal import Rehearsal, TableCheck
from app.engine.restore.restore import RestoreOptions


class _Staged(Rehearsal):
    """A restore test whose check writes the staging schema out as a native archive instead."""

    def __init__(
        self,
        target: ConnectionTarget,
        schema: str,
        path: Path,
        out: Path,
        tenants_table: str | None,
        progress: ProgressCallback,
        cancel: CancelToken,
    ) -> None:
        options = RestoreOptions(keep_superusers=False, allow_other_tenant=True, tenants_table=tenants_table)
        super().__init__(target, schema, path, options, progress, cancel)
        self.out = out
        self.source_schema: str | None = None
        self.created_utc: str | None = None

    def _check_tables(self) -> list[TableCheck]:
        assert self.staging is not None
        summary = self.source.summary()
        self.source_schema, self.created_utc = summary.source_schema, summary.created_utc
        backup_tenant(self.target, self.staging.name, self.out, cancel=self.cancel)
        return []


@contextmanager
def staged_archive(
    target: ConnectionTarget,
    schema: str,
    path: Path,
    *,
    tenants_table: str | None = None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> Iterator[tuple[Path, str | None, str | None]]:
    """The file's rows as a native archive, the clinic the file says it was made from and when (None: it does
    not say)."""
    with private_folder() as folder:
        out = folder / "staged.resguardo"
        staged = _Staged(target, schema, Path(path), out, tenants_table, progress, cancel or CancelToken())
        staged.rehearse()
        yield out, staged.source_schema, staged.created_utc

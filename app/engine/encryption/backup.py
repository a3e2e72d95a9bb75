"""An encrypted backup of any format: written in full into a private folder, then encrypted into the destination.

The native writer seeks back to patch each member's tar header and pg_dump writes its own file, so neither can
write into an encrypting stream; the plain file lives only in the job's private folder (app/engine/encryption/
workspace.py) and the destination folder only ever holds age bytes, under a temporary name until complete.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from app.engine.backup.native import BackupResult
from app.engine.backup.pgdump import write_backup
from app.engine.connection import ConnectionTarget
from app.engine.encryption.header import SUFFIX
from app.engine.encryption.recipients import parse_recipients
from app.engine.encryption.stream import encrypt_file
from app.engine.encryption.workspace import private_folder
from app.engine.errors import UsageError
from app.engine.jobs import CancelToken, Progress, ProgressCallback, ProgressReporter, ignore_progress

BACKUP_SHARE = 0.85  # of the progress bar; encrypting, a plain read of the file, takes the rest


def write_encrypted_backup(
    fmt: str,
    target: ConnectionTarget,
    schema: str,
    out: Path,
    recipients: Sequence[str],
    *,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    tenants_table: str | None = None,
) -> BackupResult:
    """Back `schema` up in format `fmt` as an age file encrypted to `recipients` (public keys, or files of them):
    `out` is a folder (the usual dated name, plus `.age`) or a file name (`.age` added when missing)."""
    keys = parse_recipients(recipients)  # a wrong key is refused before any database work
    cancel = cancel or CancelToken()
    out = Path(out)
    folder = out if out.is_dir() else out.parent
    if not folder.is_dir():
        raise UsageError(f"The folder {folder} does not exist; create it first.")
    plain_name = None if out.is_dir() else out.name.removesuffix(SUFFIX)
    if plain_name is not None and (folder / (plain_name + SUFFIX)).exists():
        raise UsageError(f"{folder / (plain_name + SUFFIX)} already exists; choose another name or a folder.")

    def scaled(p: Progress) -> None:
        progress(Progress(p.fraction * BACKUP_SHARE, p.stage, p.detail))

    with private_folder() as work:
        inner = write_backup(
            fmt,
            target,
            schema,
            work / plain_name if plain_name else work,
            progress=scaled,
            cancel=cancel,
            tenants_table=tenants_table,
        )
        size = inner.path.stat().st_size
        reporter = ProgressReporter(progress, size / (1 - BACKUP_SHARE))
        reporter.advance(size * BACKUP_SHARE / (1 - BACKUP_SHARE), "Encrypting")
        final = encrypt_file(
            inner.path, _free_name(folder, inner.path.name + SUFFIX), keys, cancel=cancel, reporter=reporter
        )
    reporter.finish("Backup complete")
    return replace(inner, path=final, size_bytes=final.stat().st_size)


def _free_name(folder: Path, name: str) -> Path:
    """`name` in `folder`, numbered before its format's suffix (`_2`, `_3`...) when a file of that name exists."""
    path = folder / name
    stem = name.removesuffix(SUFFIX)
    ext = Path(stem).suffix
    number = 2
    while os.path.lexists(path):
        path = folder / f"{stem.removesuffix(ext)}_{number}{ext}{SUFFIX}"
        number += 1
    return path

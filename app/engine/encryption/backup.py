"""An encrypted backup of any format: written in full into a private folder, then encrypted into the destination.

The native writer seeks back to patch each member's tar header and pg_dump writes its own file, so neither can
write into an encrypting stream; the plain file lives only in the job's private folder (app/engine/encryption/
workspace.py) and the destination folder only ever holds age bytes, under a temporary name until complete.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

from app.engine.archive.verify import verify_file
from app.engine.backup.destination import already_exists
from app.engine.backup.native import BackupResult
from app.engine.backup.pgdump import write_backup
from app.engine.connection import ConnectionTarget
from app.engine.encryption.header import SUFFIX
from app.engine.encryption.recipients import parse_recipients
from app.engine.encryption.stream import encrypt_file
from app.engine.encryption.workspace import private_folder
from app.engine.errors import UsageError
from app.engine.jobs import CancelToken, Progress, ProgressCallback, ProgressReporter, ignore_progress
from app.engine.stores.files import IfExists

BACKUP_SHARE = 0.85  # of the progress bar; encrypting, a plain read of the file, takes the rest


def write_encrypted_backup(
    fmt: str,
    target: ConnectionTarget,
    schema: str,
    out: Path | str,
    recipients: Sequence[str],
    *,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    tenants_table: str | None = None,
    replace: bool = False,
    verify_plain: bool = False,
) -> BackupResult:
    """Back `schema` up in format `fmt` as an age file encrypted to `recipients` (public keys, or files of them):
    `out` is a folder (the usual dated name, plus `.age`) or a file name (`.age` added when missing), which an
    existing file of that name is refused unless `replace`. `verify_plain`: the backup is read in full and checked
    (app/engine/archive/verify.py) before it is encrypted, for a job whose computer holds no private key and so
    could not check it afterwards (a scheduled run); age's authentication then vouches for every byte."""
    keys = parse_recipients(recipients)  # a wrong key is refused before any database work
    cancel = cancel or CancelToken()
    text, out = os.fspath(out), Path(out)
    folder = out if out.is_dir() or text.endswith(("/", os.sep)) else out.parent
    if not folder.is_dir():
        raise UsageError(f"The folder {folder} does not exist; create it first.")
    plain_name = None if folder == out else out.name.removesuffix(SUFFIX)
    if plain_name is None:
        if_exists = IfExists.NUMBER
    else:
        named = folder / (plain_name + SUFFIX)
        if_exists = IfExists.REPLACE if replace else IfExists.REFUSE
        if os.path.lexists(named) and not replace:
            raise UsageError(already_exists(named))

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
        if verify_plain:
            verify_file(inner.path, cancel=cancel)  # ArchiveError: nothing is published
        size = inner.path.stat().st_size
        reporter = ProgressReporter(progress, size / (1 - BACKUP_SHARE))
        reporter.advance(size * BACKUP_SHARE / (1 - BACKUP_SHARE), "Encrypting")
        final = encrypt_file(
            inner.path, folder / (inner.path.name + SUFFIX), keys, cancel=cancel, reporter=reporter, if_exists=if_exists
        )
    reporter.finish("Backup complete")
    return dataclasses.replace(inner, path=final, size_bytes=final.stat().st_size)

"""One tenant's backup as one object whose `run()` reads top-down, beside the formats it chooses between.

The CLI, backup --all (and so the schedule's run) and the window all start a backup here: `Backup(...).run()`.
Its steps: the preflight (format known, the public keys read, the destination free), the format chosen
(`auto`: pg_dump's custom format when a fitting pg_dump exists and works, the native archive otherwise, and the
result says which and why), the file written by that format (app/engine/backup/native.py, pgdump.py: each under
a temporary name, renamed when complete). An encrypted backup is written in full into a private folder, checked
when asked, then encrypted into the destination: the native writer seeks back to patch each member's tar header
and pg_dump writes its own file, so neither can write into an encrypting stream; the plain file lives only in the
job's private folder (app/engine/encryption/workspace.py) and the destination folder only ever holds age bytes,
under a temporary name until complete.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg

from app.engine.backup.destination import ARCHIVE_SUFFIX, already_exists
from app.engine.backup.native import backup_tenant
from app.engine.backup.pgdump import find_pg_dump, pgdump_tenant
from app.engine.backup.result import BackupResult
from app.engine.catalog.tenants_table import TenantsTable
from app.engine.connection import ConnectionTarget
from app.engine.encryption.header import SUFFIX
from app.engine.encryption.recipients import parse_recipients
from app.engine.encryption.stream import encrypt_file
from app.engine.encryption.workspace import private_folder
from app.engine.errors import Cancelled, ConnectionFailed, PreflightError, ResguardoError, TenantBusy, UsageError
from app.engine.inspection.verify import verify_file
from app.engine.jobs import CancelToken, Progress, ProgressCallback, ProgressReporter, ignore_progress
from app.engine.stores.files import IfExists

log = logging.getLogger(__name__)

BACKUP_FORMATS = ("native", "auto", "custom", "sql")  # the engine's default first
BACKUP_SHARE = 0.85  # of an encrypted backup's progress bar; encrypting, a plain read of the file, takes the rest


@dataclasses.dataclass(frozen=True)
class _Sealed:
    """Where an encrypted backup goes: its folder, the plain file's name (None: the usual dated name), and what
    an existing file of that name gets."""

    folder: Path
    plain_name: str | None
    if_exists: IfExists


class Backup:
    """Back `schema` up in format `fmt` (BACKUP_FORMATS) to `out`: a file, or a folder for the usual dated name
    (app/engine/backup/destination.py); an existing file is replaced only with `replace`. `encrypt_to`: public
    keys (or files of them): the backup is an age file, `.age` added to a file name that lacks it, and
    `verify_plain` reads it in full and checks it before it is encrypted, for a job whose computer holds no
    private key and so could not check it afterwards (a scheduled run); age's authentication then vouches for
    every byte. `session`: an idle session the native format runs in (see `backup_tenant`); the other formats
    and an encrypted backup ignore it."""

    def __init__(
        self,
        target: ConnectionTarget,
        schema: str,
        out: Path | str,
        *,
        fmt: str = "native",
        encrypt_to: Sequence[str] = (),
        verify_plain: bool = False,
        progress: ProgressCallback = ignore_progress,
        cancel: CancelToken | None = None,
        tenants_table: str | TenantsTable | None = None,
        replace: bool = False,
        session: psycopg.Connection | None = None,
        extra_dirs: Sequence[Path | str] | None = None,
    ) -> None:
        self.target, self.schema, self.out, self.fmt = target, schema, out, fmt
        self.encrypt_to, self.verify_plain = list(encrypt_to), verify_plain
        self.progress, self.cancel = progress, cancel or CancelToken()
        self.tenants_table, self.replace, self.session, self.extra_dirs = tenants_table, replace, session, extra_dirs

    def run(self) -> BackupResult:
        keys = parse_recipients(self.encrypt_to) if self.encrypt_to else None  # refused before any database work
        sealed = self._sealed_destination() if keys is not None else None
        self._check_format()
        if keys is None or sealed is None:
            return self._write(self.out, self.progress, replace=self.replace, session=self.session)

        def scaled(p: Progress) -> None:
            self.progress(Progress(p.fraction * BACKUP_SHARE, p.stage, p.detail))

        with private_folder() as work:
            # A folder given with its separator: were it gone, the backup fails instead of becoming a file beside it.
            inner = self._write(work / sealed.plain_name if sealed.plain_name else f"{work}{os.sep}", scaled)
            if self.verify_plain:
                verify_file(inner.path, cancel=self.cancel)  # ArchiveError: nothing is published
            result, reporter = self._encrypt_into_place(inner, sealed, keys)
        reporter.finish("Backup complete")
        return result

    # -- preflight -------------------------------------------------------------------------------------------------

    def _check_format(self) -> None:
        if self.fmt not in BACKUP_FORMATS:
            raise UsageError(f"Unknown backup format {self.fmt!r}; use one of {', '.join(BACKUP_FORMATS)}.")

    def _sealed_destination(self) -> _Sealed:
        """An encrypted backup's folder and name, refused before any database work when the folder is missing or
        the named file exists (without `replace`)."""
        text, out = os.fspath(self.out), Path(self.out)
        folder = out if out.is_dir() or text.endswith(("/", os.sep)) else out.parent
        if not folder.is_dir():
            raise UsageError(f"The folder {folder} does not exist; create it first.")
        plain_name = None if folder == out else out.name.removesuffix(SUFFIX)
        if plain_name is None:
            return _Sealed(folder, None, IfExists.NUMBER)
        named = folder / (plain_name + SUFFIX)
        if os.path.lexists(named) and not self.replace:
            raise UsageError(already_exists(named))
        return _Sealed(folder, plain_name, IfExists.REPLACE if self.replace else IfExists.REFUSE)

    # -- the format chosen, the file written -----------------------------------------------------------------------

    def _write(
        self,
        out: Path | str,
        progress: ProgressCallback,
        *,
        replace: bool = False,
        session: psycopg.Connection | None = None,
    ) -> BackupResult:
        """The one place a format name becomes the engine call that writes it."""
        if self.fmt == "native":
            return self._native(out, progress, replace=replace, session=session)
        if self.fmt == "auto":
            return self._automatic(out, progress, replace=replace)
        return pgdump_tenant(
            self.target, self.schema, out, fmt=self.fmt, progress=progress, cancel=self.cancel, replace=replace
        )

    def _native(
        self,
        out: Path | str,
        progress: ProgressCallback,
        *,
        replace: bool,
        session: psycopg.Connection | None = None,
    ) -> BackupResult:
        return backup_tenant(
            self.target,
            self.schema,
            out,
            progress=progress,
            cancel=self.cancel,
            tenants_table=self.tenants_table,
            replace=replace,
            session=session,
        )

    def _automatic(self, out: Path | str, progress: ProgressCallback, *, replace: bool) -> BackupResult:
        """pg_dump custom format when a fitting pg_dump exists and works; the native archive otherwise."""
        try:
            tool = find_pg_dump(self.target, self.extra_dirs)
        except PreflightError as exc:
            log.warning("Writing the native format: %s", exc.message)
            result = self._native(_native_name(out), progress, replace=replace)
            return dataclasses.replace(result, note=f"Native format written: no fitting pg_dump ({exc.message})")
        last = [0.0]

        def tracked(p: Progress) -> None:
            last[0] = p.fraction
            progress(p)

        try:
            return pgdump_tenant(
                self.target,
                self.schema,
                out,
                fmt="custom",
                progress=tracked,
                cancel=self.cancel,
                tool=tool,
                replace=replace,
            )
        except (Cancelled, UsageError, TenantBusy, ConnectionFailed):
            raise
        except ResguardoError as exc:
            log.warning("pg_dump failed, writing the native format instead: %s\n%s", exc.message, exc.details)
            start = min(last[0], 0.5)

            def rescaled(p: Progress) -> None:
                progress(Progress(start + (1 - start) * p.fraction if p.fraction < 1 else 1.0, p.stage, p.detail))

            result = self._native(_native_name(out), rescaled, replace=replace)
            return dataclasses.replace(result, note=f"Native format written because pg_dump failed: {exc.message}")

    # -- put in place (encrypted) ----------------------------------------------------------------------------------

    def _encrypt_into_place(
        self, inner: BackupResult, sealed: _Sealed, keys: list[Any]
    ) -> tuple[BackupResult, ProgressReporter]:
        """The plain file encrypted into its destination (under a temporary name until complete), and the
        progress reporter left to finish once the private folder is gone."""
        size = inner.path.stat().st_size
        reporter = ProgressReporter(self.progress, size / (1 - BACKUP_SHARE))
        reporter.advance(size * BACKUP_SHARE / (1 - BACKUP_SHARE), "Encrypting")
        final = encrypt_file(
            inner.path,
            sealed.folder / (inner.path.name + SUFFIX),
            keys,
            cancel=self.cancel,
            reporter=reporter,
            if_exists=sealed.if_exists,
        )
        return dataclasses.replace(inner, path=final, size_bytes=final.stat().st_size), reporter


def _native_name(out: Path | str) -> Path | str:
    """Where the native fallback goes: the same folder, the same name with .resguardo for a pg_dump suffix."""
    path = Path(out)
    if path.is_dir() or os.fspath(out).endswith(("/", os.sep)):
        return out
    return path.with_suffix(ARCHIVE_SUFFIX) if path.suffix in (".dump", ".sql", ".backup") else path

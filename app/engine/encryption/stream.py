"""Encrypt a finished file into its destination, and decrypt an age file into a private folder, streaming.

pyrage reads and writes through Python file objects in small pieces (measured: peak memory does not grow with the
file, docs/encryption.md), so a backup of any size is encrypted or decrypted in flat memory. The reader it is given
checks the cancel token and moves the progress bar. The encrypted file is published like every backup (temporary
name, fsync, `publish`); a decrypted file that does not authenticate in full is removed, since age
authenticates each 64 KiB piece and a cut or altered file is known only when its reader reaches the damage.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import pyrage

from app.engine.errors import ArchiveError, Cancelled, KeyRefused
from app.engine.jobs import CancelToken, ProgressReporter
from app.engine.stores.files import IfExists, partial_file, publish

_NEW_PRIVATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


class _Watched:
    """The file pyrage reads: checks cancel and reports progress at each piece."""

    def __init__(self, handle: IO[bytes], cancel: CancelToken, reporter: ProgressReporter | None, stage: str) -> None:
        self._handle, self._cancel, self._reporter, self._stage = handle, cancel, reporter, stage
        self.cancelled = False

    def read(self, size: int = -1) -> bytes:
        if self._cancel.cancelled:
            self.cancelled = True
            raise Cancelled()
        data = self._handle.read(size)
        if self._reporter is not None and data:
            self._reporter.advance(len(data), self._stage)
        return data


class _Sink:
    """The file pyrage writes: remembers the write error (a full disk) that pyrage reports only as its own."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        try:
            return self._handle.write(data)
        except OSError as exc:
            self.error = exc
            raise

    def flush(self) -> None:
        self._handle.flush()


def encrypt_file(
    plain: Path,
    dest: Path,
    recipients: Sequence[Any],
    *,
    cancel: CancelToken,
    reporter: ProgressReporter | None = None,
    if_exists: IfExists = IfExists.REFUSE,
) -> Path:
    """Write `plain` encrypted to `recipients` as the age file `dest`, whole or not at all; the name it got
    (app/engine/stores/files.py `publish`: a file of that name is replaced only with IfExists.REPLACE)."""
    fd, tmp = partial_file(dest)  # owner-only, locked while open, beside `dest`
    try:
        with os.fdopen(fd, "wb") as out, open(plain, "rb") as source:
            reader, sink = _Watched(source, cancel, reporter, "Encrypting"), _Sink(out)
            try:
                pyrage.encrypt_io(reader, sink, list(recipients))
            except pyrage.EncryptError as exc:
                if reader.cancelled:
                    raise Cancelled("Cancelled; no file was written.") from None
                raise _write_error(sink.error, dest, exc) from None
            out.flush()
            os.fsync(out.fileno())
        return publish(tmp, dest, if_exists)
    finally:
        tmp.unlink(missing_ok=True)  # published: its name is gone already


def decrypt_file(
    encrypted: Path,
    plain: Path,
    identities: Sequence[Any],
    *,
    cancel: CancelToken,
    reporter: ProgressReporter | None = None,
) -> Path:
    """Write the plain bytes of the age file `encrypted` to `plain` (a new file in a private folder); KeyRefused
    when no identity opens it, ArchiveError when it is damaged or cut short (and then no `plain` is left)."""
    name = encrypted.name
    try:
        with open(encrypted, "rb") as source, open(os.open(plain, _NEW_PRIVATE, 0o600), "wb") as out:
            reader, sink = _Watched(source, cancel, reporter, "Decrypting"), _Sink(out)
            try:
                pyrage.decrypt_io(reader, sink, list(identities))
            except pyrage.DecryptError as exc:
                raise _header_error(name, str(exc)) from None
            except OSError as exc:  # the payload: a piece that does not authenticate, or the end missing
                if reader.cancelled:
                    raise Cancelled() from None
                if sink.error is not None:
                    raise _write_error(sink.error, plain, exc) from None
                raise ArchiveError(
                    f"{name} is damaged or incomplete: its encrypted contents do not check out (cut short, or "
                    "altered); restore another copy of it.",
                    str(exc),
                ) from None
    except BaseException:
        plain.unlink(missing_ok=True)
        raise
    return plain


def _header_error(name: str, said: str) -> ArchiveError | KeyRefused:
    if "No matching keys" in said:
        return KeyRefused(
            f"The key given does not open {name}: it was encrypted to another key (or its header is damaged).",
            said,
            reason=KeyRefused.OTHER_KEY,
        )
    return ArchiveError(f"{name} is damaged: its encryption header cannot be read.", said)


def _write_error(error: OSError | None, path: Path, exc: Exception) -> ArchiveError:
    if error is None:
        return ArchiveError(f"{path.name} could not be encrypted: {exc}.", str(exc))
    return ArchiveError(f"{path.name} could not be written: {error.strerror or error}.", str(error))

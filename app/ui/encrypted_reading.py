"""Reading an encrypted backup in the window: the key asked for on the UI thread, the file opened on the worker.

A job that reads a backup file (verify, the restore's check and preview) opens it first, on its worker, as the
CLI does (`plain_copy` of app/engine/encryption/reading.py): a plain file is read as it is; an age file is
decrypted, streaming, into the job's private folder with the key file the user gave and its passphrase. When the
file turns out to be encrypted and no key was given, or the key does not open it (a wrong passphrase, another
key), the job stops before it read anything; the window then asks for the key (passphrase_dialog.py: never
echoed, never logged) with a sentence saying what was wrong, and runs the job again, or stops when the user
cancels. The decrypted copy lives until the reading is done: for a restore, across the confirmation until the
restore itself has ended, so the file is decrypted once.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication

from app.engine.encryption.reading import is_encrypted, plain_copy
from app.engine.errors import Cancelled, KeyRefused, ResguardoError, UsageError
from app.engine.jobs import CancelToken, ProgressCallback
from app.text_safety import shown, visible_lines
from app.ui import language
from app.ui.flow_host import FlowHost
from app.ui.job_panel import JobPanel
from app.ui.job_runner import scaled
from app.ui.passphrase_dialog import KeyAnswer

translate = QCoreApplication.translate
DECRYPT_SHARE = 0.25  # of the job's bar, for an encrypted file: decrypting it; the rest is the reading
ReadingWork = Callable[[Path, ProgressCallback, CancelToken], Any]  # (the file to read, progress, cancel)


class KeyFiles:
    """The key file last used in this window's session, offered again (its path only; never the passphrase)."""

    last: Path | None = None


class OpenedBackup:
    """A backup file as its readers read it: the file itself, or its decrypted copy while the reading lasts."""

    def __init__(self, path: Path, key: KeyAnswer | None) -> None:
        self.path = path
        self.key = key
        self.readable: Path | None = None
        self.key_problem = False  # the last opening stopped on the key: none given, a wrong one, its passphrase
        self._stack = ExitStack()

    def open(self, progress: ProgressCallback, cancel: CancelToken) -> tuple[Path, ProgressCallback]:
        """On the worker: the path to read, and the part of the progress bar left for reading it."""
        encrypted = is_encrypted(self.path)
        share = DECRYPT_SHARE if encrypted else 0.0
        key = self.key
        try:
            self.readable = self._stack.enter_context(
                plain_copy(
                    self.path,
                    key.identity if key else None,
                    key.prompt if key else _no_prompt,
                    progress=scaled(progress, 0.0, share),
                    cancel=cancel,
                )
            )
        except (KeyRefused, UsageError):  # UsageError: the key file given does not exist
            self.key_problem = encrypted
            raise
        finally:
            self.key = None  # the passphrase is not kept past its one use
        return self.readable, scaled(progress, share, 1.0)

    def close(self) -> None:
        """On the worker: the decrypted copy removed (nothing for a plain file). Safe to call twice."""
        self._stack.close()
        self.readable = None


def _no_prompt(_what: str) -> str:
    return ""


def read_backup(
    host: FlowHost,
    panel: JobPanel,
    path: Path,
    work: ReadingWork,
    stage: str,
    done: Callable[[Any, OpenedBackup], None],
    failed: Callable[[ResguardoError], None],
    *,
    keep_open: bool = False,
    key: KeyAnswer | None = None,
) -> None:
    """Run `work` on the backup at `path` in `panel`, asking for its key when it is encrypted. `keep_open`: the
    decrypted copy outlives the job (the restore reads it again); then whoever gets `done` closes it (on a
    worker). On failure it is always closed."""
    opened = OpenedBackup(path, key)

    def job(progress: ProgressCallback, cancel: CancelToken) -> Any:
        try:
            readable, rest = opened.open(progress, cancel)
            result = work(readable, rest, cancel)
        except BaseException:
            opened.close()
            raise
        if not keep_open:
            opened.close()
        return result

    def on_failure(error: ResguardoError) -> None:
        if not opened.key_problem:
            failed(error)
            return
        panel.wait_for_user(translate("Encryption", "Waiting for the key"))
        problem = None if key is None else key_sentence(error, key, path)
        if key is None:
            panel.log(translate("Encryption", "{file} is encrypted: asking for its key.").format(file=shown(path.name)))
        else:
            panel.log(problem or "")
        answer = host.dialogs.ask_key(host.window(), path.name, problem, key.identity if key else KeyFiles.last)
        if answer is None or panel not in host.jobs.panels:
            failed(
                Cancelled(
                    translate("Encryption", "No key was given for {file}.").format(file=shown(path.name)),
                    changed=False,
                )
            )
            return
        KeyFiles.last = answer.identity
        read_backup(host, panel, path, work, stage, done, failed, keep_open=keep_open, key=answer)

    panel.run(job, stage, lambda result: done(result, opened), on_failure)


def key_sentence(error: ResguardoError, key: KeyAnswer, path: Path) -> str:
    """What was wrong with the key given, in the window's language."""
    message = error.message
    reason = error.reason if isinstance(error, KeyRefused) else None
    if reason == KeyRefused.WRONG_PASSPHRASE:
        return translate("Encryption", "The passphrase does not open the key file {key}. Type it again.").format(
            key=shown(key.identity.name)
        )
    if reason == KeyRefused.OTHER_KEY:
        return translate(
            "Encryption", "The key file {key} does not open {file}: the backup was encrypted to another key."
        ).format(key=shown(key.identity.name), file=shown(path.name))
    if isinstance(error, UsageError) and message.endswith("does not exist."):
        return translate("Encryption", "There is no key file {key}.").format(key=shown(str(key.identity)))
    if language.current() == language.ENGLISH:
        return visible_lines(message)
    return translate(
        "Encryption",
        "The file {key} cannot be used as a key: it is not a key file, or it is damaged or of a kind Resguardo "
        "does not read.",
    ).format(key=shown(key.identity.name))


def close_later(host: FlowHost, opened: OpenedBackup) -> None:
    """Remove a decrypted copy that is no longer needed, on a worker (it is disk work)."""
    if opened.readable is not None:
        host.pool.call(opened.close, lambda _none: None, lambda _error: None, name="remove the decrypted copy")

"""Reading an encrypted backup: its plain bytes, decrypted once into a private folder, for the usual readers.

verify, the preview and restore read a backup through readers that seek (the native archive's manifest is its last
member; pg_restore reads a custom file's table of contents) and some read it twice (the preview, then the restore);
so an age file is decrypted, streaming and authenticated to its last byte, into the job's private folder
(app/engine/encryption/workspace.py), and every reader and every check runs on that copy exactly as on a plain
file. The copy is removed when the caller is done, whatever happens.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from app.engine.encryption.header import SUFFIX, read_header
from app.engine.errors import ArchiveError, Choice, KeyRefused
from app.engine.jobs import CancelToken, ProgressCallback, ProgressReporter, ignore_progress

if TYPE_CHECKING:
    from app.engine.encryption.identities import PassphrasePrompt


def is_encrypted(path: Path) -> bool:
    return read_header(Path(path)) is not None


@contextmanager
def plain_copy(
    path: Path,
    identity: Path | None,
    prompt: PassphrasePrompt,
    *,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> Iterator[Path]:
    """`path` itself when it is not an age file; else its decrypted copy, named like it without `.age`, which lives
    until the `with` block ends. KeyRefused when no key is given or it does not open the file, ArchiveError when
    the file is damaged or cut short: then nothing was read and nothing is left."""
    path = Path(path)
    header = read_header(path)
    if header is None:
        yield path
        return
    if header.passphrase:
        raise ArchiveError(
            f"{path.name} is encrypted with a passphrase, not to a key; Resguardo encrypts backups to keys. "
            f"Decrypt it first (`age -d -o {path.name.removesuffix(SUFFIX)} {path.name}`) and use that file."
        )
    if identity is None:
        raise KeyRefused(
            f"{path.name} is encrypted: give {Choice.KEY_FILE}.", reason=KeyRefused.NO_KEY, choices=(Choice.KEY_FILE,)
        )
    # Only for an age file: a plain backup's command does not import pyrage nor the private folder's paths.
    from app.engine.encryption.identities import load_identities
    from app.engine.encryption.stream import decrypt_file
    from app.engine.encryption.workspace import private_folder

    identities = load_identities(identity, prompt)
    with private_folder() as work:
        plain = work / (path.name.removesuffix(SUFFIX) if path.name.endswith(SUFFIX) else path.name)
        reporter = ProgressReporter(progress, float(path.stat().st_size) or 1.0)
        decrypt_file(path, plain, identities, cancel=cancel or CancelToken(), reporter=reporter)
        reporter.finish("Decrypted")
        yield plain

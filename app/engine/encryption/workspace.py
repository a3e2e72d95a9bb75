"""The one place plain backup bytes of an encrypted backup touch the disk: a private folder under the user's cache.

A backup is written there before it is encrypted into its destination, and an encrypted backup is decrypted there
before it is read (the readers seek: the native archive's manifest is its last member, pg_restore reads a custom
file's table of contents). The folder is the OS user's own (0700, checked: no symlink, not another user's), each
job has a folder of its own inside it, removed when the job ends whatever happens; a job that is killed leaves its
folder behind, and a later job removes it (its lock died with it). A folder is made before its lock is taken, so one
younger than a minute is never taken for abandoned: jobs that start together (backup --all --jobs 2) once removed
each other's. See docs/security.md.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app import paths
from app.engine.errors import PreflightError

log = logging.getLogger(__name__)

LOCK_NAME = ".lock"
UNLOCKED_STALE_SECONDS = 24 * 3600  # where the OS has no advisory locks (Windows): a day untouched is abandoned
NEW_FOLDER_SECONDS = 60  # a job's folder this young may not hold its lock yet


def private_root() -> Path:
    """The cache's `private` folder, created owner-only; PreflightError when it is not safely ours."""
    root = paths.cache_dir() / "private"
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    st = root.lstat()
    if not stat.S_ISDIR(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
        raise PreflightError(f"{root} is not a folder of this user's own; Resguardo will not put plain backups there.")
    if stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(root, 0o700)
    return root


@contextmanager
def private_folder() -> Iterator[Path]:
    """A new owner-only folder for one job's plain bytes, removed with all it holds when the job ends."""
    root = private_root()
    remove_abandoned(root)
    folder = Path(tempfile.mkdtemp(prefix="job-", dir=root))  # 0700
    lock = os.open(folder / LOCK_NAME, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        if not _try_lock(lock):  # only a job that took this new folder for abandoned holds it, and removes it
            raise PreflightError(f"Another job is removing the private folder {folder}; try again.")
        yield folder
    finally:
        os.close(lock)  # first: Windows removes no open file
        shutil.rmtree(folder, ignore_errors=True)


def remove_abandoned(root: Path) -> list[Path]:
    """Remove the folders of jobs that were killed (no live job holds their lock); the ones removed."""
    removed = []
    for entry in os.scandir(root):
        if not entry.name.startswith("job-"):
            continue
        age = time.time() - entry.stat(follow_symlinks=False).st_mtime
        if age < (NEW_FOLDER_SECONDS if _HAS_LOCKS else UNLOCKED_STALE_SECONDS):
            continue
        if entry.is_file(follow_symlinks=False):  # a plain backup written as its vanished folder's name (3fae8e1)
            os.unlink(entry.path)
            removed.append(Path(entry.path))
            continue
        if not entry.is_dir(follow_symlinks=False):
            continue
        try:
            fd = os.open(Path(entry.path) / LOCK_NAME, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue  # being created or removed right now
        try:
            if _try_lock(fd):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(Path(entry.path))
        finally:
            os.close(fd)
    for path in removed:
        log.info("Removed %s, left by an encrypted backup's job that was interrupted.", path)
    return removed


try:
    import fcntl

    _HAS_LOCKS = True
except ImportError:  # Windows
    _HAS_LOCKS = False


def _try_lock(fd: int) -> bool:
    """An exclusive advisory lock, without waiting; False when a live job holds it (True where there are none)."""
    if not _HAS_LOCKS:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True

"""Files are never half-written: temporary name, fsync, rename, fsync the folder.

A backup is written beside its final name as `.<final name>.<8 random characters>.partial`, locked
(an advisory lock, held while the writer lives) and renamed when complete. A run that is killed leaves
its `.partial` behind; the next run into the same folder removes such leftovers, and only those that
are certainly dead: our name pattern, a regular file of this OS user, no writer holding its lock (the
lock dies with the process), and untouched for `STALE_AFTER_SECONDS` (for folders on network shares,
where another computer's writer may not hold a lock that this one sees, and for Windows, where no lock
is taken but an open file cannot be deleted).
"""

from __future__ import annotations

import logging
import os
import re
import stat
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

PARTIAL_SUFFIX = ".partial"
STALE_AFTER_SECONDS = 600  # a live writer writes far more often than this (a backup streams rows)
_PARTIAL = re.compile(r"\..+\.[a-z0-9_]{8}\.partial")  # tempfile.mkstemp's random part: 8 of [a-z0-9_]


def fsync_dir(directory: Path) -> None:
    """Make a rename in `directory` durable (POSIX; Windows has no directory handles for this)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` (mode 0600) so that a crash leaves the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def partial_file(final: Path) -> tuple[int, Path]:
    """A new, locked, owner-only temporary file beside `final` (its descriptor and path; the lock lasts while the
    descriptor is open); leftovers of killed runs into the same folder are removed first."""
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=PARTIAL_SUFFIX, dir=final.parent)
    if hasattr(os, "fchmod"):
        os.fchmod(fd, 0o600)  # health records: owner only
    _try_lock(fd)
    remove_stale_partials(final.parent)
    return fd, Path(name)


def remove_stale_partials(folder: Path) -> list[Path]:
    """Remove the `.partial` files of killed runs in `folder` (see the module's docstring); the ones removed."""
    removed = []
    now = time.time()
    try:
        entries = [e for e in os.scandir(folder) if _PARTIAL.fullmatch(e.name)]
    except OSError:
        return []
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
            if (
                not stat.S_ISREG(st.st_mode)
                or now - st.st_mtime < STALE_AFTER_SECONDS
                or (hasattr(os, "getuid") and st.st_uid != os.getuid())
            ):
                continue
            fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            try:
                if _try_lock(fd):  # no writer holds it: its process is gone
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
            finally:
                os.close(fd)
        except OSError:
            continue  # gone meanwhile, or not ours to remove (Windows: still open)
    for path in removed:
        log.info("Removed %s, left by a backup that was interrupted.", path)
    return removed


def _try_lock(fd: int) -> bool:
    """An exclusive advisory lock on the file, without waiting; False when another holds it (POSIX only)."""
    try:
        import fcntl
    except ImportError:  # Windows: an open file cannot be deleted, which is the lock there
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True

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

import enum
import errno
import logging
import os
import re
import stat
import tempfile
import time
from pathlib import Path

from app.engine.errors import ArchiveError

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


class IfExists(enum.Enum):
    """What `publish` does when the final name is taken (by then, or meanwhile)."""

    REFUSE = "refuse"  # a name the user gave: a file that appeared meanwhile is not replaced
    NUMBER = "number"  # a name Resguardo chose: take `<stem>_2<suffix>`, `_3`...
    REPLACE = "replace"  # the user said to replace it


_MAX_NUMBER = 1000


def publish(temp: Path, final: Path, if_exists: IfExists = IfExists.REFUSE) -> Path:
    """Give the complete, fsynced `temp` its final name (the one returned) and make that durable.

    Only REPLACE may replace a file: the others link the new name (POSIX; fails on an existing name) or rename
    (Windows; fails on an existing name), so a file that appeared between the check and now is never replaced."""
    if if_exists is IfExists.REPLACE:
        os.replace(temp, final)
        fsync_dir(final.parent)
        return final
    tries = _MAX_NUMBER if if_exists is IfExists.NUMBER else 1
    for n in range(1, tries + 1):
        candidate = final if n == 1 else final.with_name(f"{final.stem}_{n}{final.suffix}")
        try:
            _rename_new(temp, candidate)
        except FileExistsError:
            continue
        fsync_dir(final.parent)
        return candidate
    if if_exists is IfExists.NUMBER:
        raise ArchiveError(f"{_MAX_NUMBER} backups of the same second already exist beside {final}; none was added.")
    raise ArchiveError(
        f"{final} appeared while the backup was written, and a backup never replaces a file it was not told to; "
        "no file was written."
    )


def _rename_new(temp: Path, final: Path) -> None:
    """Rename `temp` to `final`, raising FileExistsError rather than replacing a file of that name."""
    if os.name == "nt":
        os.rename(temp, final)  # Windows: refuses an existing target
        return
    try:
        os.link(temp, final)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS):
            raise
        # No hard links (FAT and exFAT drives, some network shares): a check just before the rename.
        if final.exists():
            raise FileExistsError(errno.EEXIST, "File exists", str(final)) from None
        os.rename(temp, final)
        return
    os.unlink(temp)


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

"""Which backups were read in full and found whole: a small JSON file in the state folder.

The backup history (app/engine/stores/history.py) records what this workstation wrote, not whether it
verifies; verification is recorded here, per file, with the manifest's checksum and the file's size, so a
file replaced by another under the same name is not taken for verified. A scheduled run verifies each
backup it writes; prune verifies the newest backups of a clinic that have no record yet. A damaged record
file is treated as empty (prune then verifies again; it never deletes more for it).

A restore test (`resguardo verify --restore-test`, app/engine/rehearsal/) leaves its record beside the backup,
`<file>.restore-test.json`, in the same entry format ("checksum", "size", "verified_utc") extended with
"restore_test" (its outcome, per table); a passed test also records the file here as verified.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app import paths
from app.engine.errors import ArchiveError
from app.engine.inspection.verify import verify_archive
from app.engine.routine.found import FoundBackup, read_backup
from app.engine.safety.naming import utc_now_iso
from app.engine.stores.files import write_atomically

log = logging.getLogger(__name__)

MAX_ENTRIES = 5000
RESTORE_TEST_SUFFIX = ".restore-test.json"


class VerifiedStore:
    _lock = threading.Lock()

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.state_dir() / "verified.json"

    def _read(self) -> dict[str, Any]:  # path -> {"checksum", "size", "verified_utc"}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("Ignoring unreadable verification record %s: %s", self.path, exc)
            return {}
        return data if isinstance(data, dict) else {}

    def is_verified(self, backup: FoundBackup) -> bool:
        return self.checker()(backup)

    def checker(self) -> Callable[[FoundBackup], bool]:
        """`is_verified` for many backups from one reading of the record (a folder of them is listed at once)."""
        data = self._read()

        def verified(backup: FoundBackup) -> bool:
            entry = data.get(str(backup.path.resolve()))
            return (
                isinstance(entry, dict)
                and entry.get("checksum") == backup.checksum
                and entry.get("size") == backup.size_bytes
            )

        return verified

    def record(self, backup: FoundBackup) -> None:
        with self._lock:
            data = self._read()
            data.pop(str(backup.path.resolve()), None)
            data[str(backup.path.resolve())] = {
                "checksum": backup.checksum,
                "size": backup.size_bytes,
                "verified_utc": utc_now_iso(),
            }
            kept = dict(list(data.items())[-MAX_ENTRIES:])
            write_atomically(self.path, json.dumps(kept, indent=2, ensure_ascii=False).encode())

    def verify(self, backup: FoundBackup) -> bool:
        """True when the record says so, else reads the file in full (and records a success)."""
        if self.is_verified(backup):
            return True
        try:
            verify_archive(backup.path)
        except ArchiveError as exc:
            log.warning("%s does not verify: %s", backup.path, exc)
            return False
        self.record(backup)
        return True


def restore_test_path(backup: Path) -> Path:
    """Where a backup's restore-test record goes: beside it, its name plus `.restore-test.json`."""
    return backup.with_name(backup.name + RESTORE_TEST_SUFFIX)


def record_restore_test(backup: Path, checksum: str | None, outcome: dict[str, Any]) -> Path:
    """Write the restore test's record beside `backup` (atomically: the old record or the new, never half); for
    a native archive that passed, record it as verified too. `checksum`: the manifest's, None for other kinds."""
    entry = {
        "checksum": checksum,
        "size": backup.stat().st_size,
        "verified_utc": utc_now_iso(),
        "restore_test": outcome,
    }
    where = restore_test_path(backup)
    write_atomically(where, json.dumps(entry, indent=2, ensure_ascii=False).encode())
    if outcome.get("ok") and checksum is not None:
        found = read_backup(backup)
        if isinstance(found, FoundBackup) and found.checksum == checksum:
            VerifiedStore().record(found)
    return where


def read_restore_test(backup: Path) -> dict[str, Any] | None:
    """The record beside `backup`, if it is still about this file (same size); None otherwise."""
    try:
        entry = json.loads(restore_test_path(backup).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("size") != backup.stat().st_size:
        return None
    return entry

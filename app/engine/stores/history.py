"""What this workstation has backed up: a small JSON file in the user state dir.

The tenant list shows "last backup" from here, and the save dialog opens in the
folder used last time. The server cannot tell us either, so it stays local.
A damaged history file is treated as empty: losing it must never stop a backup.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from app import paths
from app.engine.connection import ConnectionTarget
from app.engine.safety.naming import utc_now_iso
from app.engine.stores.files import write_atomically

log = logging.getLogger(__name__)

MAX_ENTRIES = 500  # plenty for "last backup per tenant"; keeps the file small


@dataclass(frozen=True)
class BackupRecord:
    """One finished backup; `database` is `database_key(target)`."""

    database: str
    schema: str
    path: str
    size_bytes: int
    rows: int
    seconds: float
    finished_utc: str


class History:
    """Read and append backup records; writes are atomic and serialised within the process."""

    _lock = threading.Lock()

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.state_dir() / "history.json"

    def _read(self) -> dict[str, Any]:  # JSON, checked to hold a list of backups
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"backups": [], "last_folder": ""}
        except (OSError, ValueError) as exc:
            log.warning("Ignoring unreadable backup history %s: %s", self.path, exc)
            return {"backups": [], "last_folder": ""}
        if not isinstance(data, dict) or not isinstance(data.get("backups"), list):
            return {"backups": [], "last_folder": ""}
        return data

    def records(self) -> list[BackupRecord]:
        known = {f.name for f in fields(BackupRecord)}
        out: list[BackupRecord] = []
        for raw in self._read()["backups"]:
            if isinstance(raw, dict) and known <= raw.keys():
                out.append(BackupRecord(**{k: raw[k] for k in known}))
        return out

    def add(self, record: BackupRecord) -> None:
        with self._lock:
            data = self._read()
            backups = [*data["backups"], asdict(record)][-MAX_ENTRIES:]
            data["backups"] = backups
            data["last_folder"] = str(Path(record.path).parent)
            write_atomically(self.path, json.dumps(data, indent=2, ensure_ascii=False).encode())

    def last_backups(self, database: str) -> dict[str, BackupRecord]:
        """The newest record per schema of one database."""
        newest: dict[str, BackupRecord] = {}
        for record in self.records():
            if record.database == database and (
                record.schema not in newest or record.finished_utc >= newest[record.schema].finished_utc
            ):
                newest[record.schema] = record
        return newest

    def last_folder(self) -> Path:
        """Where the save dialog opens: the last folder used, or a Resguardo folder in documents."""
        folder = str(self._read().get("last_folder") or "")
        if folder and Path(folder).is_dir():
            return Path(folder)
        return paths.documents_dir()


def database_key(target: ConnectionTarget) -> str:
    """`host:port/dbname`: the same database whichever user backed it up."""
    p = target.params
    return f"{p.get('host', 'localhost')}:{p.get('port', '5432')}/{p.get('dbname', '')}"


def record_backup(
    database: str, schema: str, path: Path, size_bytes: int, rows: int, seconds: float, history: History | None = None
) -> BackupRecord:
    """Append a finished backup to the history; never fails the backup itself."""
    record = BackupRecord(database, schema, str(path), size_bytes, rows, round(seconds, 3), utc_now_iso())
    try:
        (history or History()).add(record)
    except OSError as exc:
        log.warning("Could not update the backup history: %s", exc)
    return record

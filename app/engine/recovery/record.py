"""The record of each recovery's inserted rows, which undo removes: a JSON file in Resguardo's state folder.

One file per database and clinic (`state_dir()/recoveries/<hash>.json`, 0600, written to a temporary name,
fsynced and renamed), newest recovery last. A record is written *before* the recovery's COMMIT with the
transaction's id and marked committed after it; a record left unmarked by a kill is settled by asking the
server whether that transaction committed (`pg_xact_status`). The record names each row by its key and
the SHA-256 of its COPY text, so undo removes exactly those rows, and refuses when one changed since.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from app.engine.errors import PreflightError
from app.engine.output_settings import from_manifest
from app.engine.recovery.model import RecordedTable, RecoveryRecord
from app.paths import state_dir

_VERSION = 1


def database_id(host: str, port: str | int, dbname: str, oid: int) -> str:
    """Which database a record belongs to: the server's address, the database's name and its oid."""
    return f"{host}:{port}/{dbname}#{oid}"


def _path(database: str, tenant: str) -> Path:
    digest = hashlib.sha256(f"{database}\0{tenant}".encode()).hexdigest()[:32]
    return state_dir() / "recoveries" / f"{digest}.json"


def records(database: str, tenant: str) -> list[RecoveryRecord]:
    path = _path(database, tenant)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise PreflightError(f"The record of recoveries ({path}) cannot be read: {exc}.") from None
    try:
        return [_record(r) for r in data["records"] if r["database"] == database and r["tenant"] == tenant]
    except (KeyError, TypeError, ValueError) as exc:
        raise PreflightError(f"The record of recoveries ({path}) is damaged ({exc}).") from None


def save(database: str, tenant: str, kept: list[RecoveryRecord]) -> None:
    path = _path(database, tenant)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = json.dumps({"version": _VERSION, "records": [_raw(r) for r in kept]}, ensure_ascii=False)
    fd, temporary = tempfile.mkstemp(prefix=".recoveries-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def add(record: RecoveryRecord) -> None:
    save(record.database, record.tenant, [*records(record.database, record.tenant), record])


def replace(record: RecoveryRecord, by: RecoveryRecord | None) -> None:
    """The record `record` (by id) replaced by `by`, or removed."""
    kept = [r for r in records(record.database, record.tenant) if r.id != record.id]
    save(record.database, record.tenant, kept if by is None else [*kept, by])


def _raw(r: RecoveryRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "tenant": r.tenant,
        "database": r.database,
        "file": r.file,
        "recovered_utc": r.recovered_utc,
        "xid": r.xid,
        "committed": r.committed,
        **({"output_settings": r.output_settings} if r.output_settings is not None else {}),
        "tables": [
            {"name": t.name, "key": list(t.key), "columns": list(t.columns), "rows": [[list(k), s] for k, s in t.rows]}
            for t in r.tables
        ],
    }


def _record(r: dict[str, Any]) -> RecoveryRecord:
    return RecoveryRecord(
        id=str(r["id"]),
        tenant=str(r["tenant"]),
        database=str(r["database"]),
        file=str(r["file"]),
        recovered_utc=str(r["recovered_utc"]),
        xid=str(r["xid"]),
        committed=bool(r["committed"]),
        output_settings=from_manifest(r.get("output_settings")),
        tables=tuple(
            RecordedTable(
                str(t["name"]),
                tuple(str(c) for c in t["key"]),
                tuple(str(c) for c in t["columns"]),
                tuple((tuple(None if v is None else str(v) for v in k), str(s)) for k, s in t["rows"]),
            )
            for t in r["tables"]
        ),
    )

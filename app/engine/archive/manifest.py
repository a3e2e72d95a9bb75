"""A native archive's manifest, read into typed entries and checked before anything trusts it.

The file may be crafted: every number, name and member is checked for type and range, tables and
members must be unique (a table listed twice once hung a restore), and members must be data members,
so nothing downstream re-casts a value or meets a surprise. The checksum (app/engine/archive/container.py
`manifest_checksum`) proves only that the manifest was not damaged, not who wrote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.engine.errors import ArchiveError
from app.engine.output_settings import from_manifest
from app.engine.safety.sql_gate.rules import Rules

MAX_TABLES = 100_000
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DATA_MEMBER = re.compile(r"data/[0-9]{4,9}\.copy\.zst")
_IDENTIFIER_BYTES = 63


@dataclass(frozen=True)
class PartEntry:
    bytes: int
    sha256: str


@dataclass(frozen=True)
class TableEntry:
    name: str
    member: str
    columns: tuple[str, ...]
    rows: int
    bytes: int  # COPY text, uncompressed
    sha256: str
    stored_bytes: int
    stored_sha256: str


@dataclass(frozen=True)
class SequenceEntry:
    name: str
    last_value: int
    is_called: bool


@dataclass(frozen=True)
class SearchPathEntry:
    """A routine's `SET search_path` that names the tenant's schema (None in `search_path`), which the restore
    sets with the name the schema has at each moment (app/engine/restore/schema_settings.py)."""

    kind: str  # "function" or "procedure"
    name: str  # "name(identity arguments)", as the backup writes it
    search_path: tuple[str | None, ...]


@dataclass(frozen=True)
class Manifest:
    format_version: int
    program_version: str
    created_utc: str | None
    source_schema: str
    schema_owner: str | None
    parts: dict[str, PartEntry]
    tables: tuple[TableEntry, ...]
    sequences: tuple[SequenceEntry, ...]
    privileges: tuple[dict[str, Any], ...]  # read by app/engine/restore/ownership.py, which checks each entry
    migrations: tuple[tuple[str, str], ...] | None
    search_paths: tuple[SearchPathEntry, ...]
    raw: dict[str, Any]

    @property
    def total_bytes(self) -> int:
        return sum(t.bytes for t in self.tables)

    def table(self, name: str) -> TableEntry:
        return next(t for t in self.tables if t.name == name)

    @property
    def output_settings(self) -> dict[str, str] | None:
        """The settings its rows were written under (app/engine/output_settings.py); None in an older archive."""
        return from_manifest(self.raw.get("output_settings"))


class _Reader:
    def __init__(self, file_name: str) -> None:
        self.file_name = file_name

    def damaged(self, what: str) -> ArchiveError:
        return ArchiveError(f"{self.file_name} is damaged: its manifest {what}.")

    def text(self, value: Any, what: str, *, identifier: bool = False) -> str:
        if not isinstance(value, str) or not value or "\0" in value:
            raise self.damaged(f"has no valid {what}")
        if identifier and len(value.encode()) > _IDENTIFIER_BYTES:
            raise self.damaged(f"has a {what} longer than PostgreSQL allows ({value[:40]!r}…)")
        return value

    def count(self, value: Any, what: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.damaged(f"has no valid {what}")
        return value

    def sha256(self, value: Any, what: str) -> str:
        if not isinstance(value, str) or not _SHA256.fullmatch(value):
            raise self.damaged(f"has no valid checksum for {what}")
        return value

    def listed(self, value: Any, what: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.damaged(f"has no list of {what}")
        return value

    def mapping(self, value: Any, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.damaged(f"has no valid {what}")
        return value


def parse_manifest(data: dict[str, Any], file_name: str) -> Manifest:
    """Typed entries, or ArchiveError naming what is wrong."""
    r = _Reader(file_name)
    version = data.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise r.damaged("names no format version")
    parts = {
        r.text(name, "part name"): PartEntry(
            r.count(p.get("bytes"), f"size of {name}"), r.sha256(p.get("sha256"), name)
        )
        for name, p in ((n, r.mapping(v, f"part {n}")) for n, v in r.mapping(data.get("parts"), "parts").items())
    }
    raw_tables = r.listed(data.get("tables"), "tables")
    if len(raw_tables) > MAX_TABLES:
        raise r.damaged(f"lists more than {MAX_TABLES} tables")
    tables = tuple(_table(r, r.mapping(t, "table entry")) for t in raw_tables)
    _unique(r, [t.name for t in tables], "table")
    _unique(r, [t.member for t in tables], "data part")
    sequences = tuple(
        SequenceEntry(
            r.text(s.get("name"), "sequence name", identifier=True),
            _integer(r, s.get("last_value")),
            _boolean(r, s.get("is_called")),
        )
        for s in (r.mapping(v, "sequence entry") for v in r.listed(data.get("sequences", []), "sequences"))
    )
    _unique(r, [s.name for s in sequences], "sequence")
    privileges = tuple(r.mapping(p, "privilege entry") for p in r.listed(data.get("privileges", []), "privileges"))
    migrations_raw = data.get("migrations")
    migrations = (
        None
        if migrations_raw is None
        else tuple(
            (r.text(m[0], "migration"), r.text(m[1], "migration"))
            for m in r.listed(migrations_raw, "migrations")
            if _pair(r, m)
        )
    )
    owner = data.get("schema_owner")
    created = data.get("created_utc")
    return Manifest(
        format_version=version,
        program_version=str(data.get("program_version", "?")),
        created_utc=created if isinstance(created, str) else None,
        source_schema=r.text(data.get("source_schema"), "source schema", identifier=True),
        schema_owner=owner if isinstance(owner, str) and owner else None,
        parts=parts,
        tables=tables,
        sequences=sequences,
        privileges=privileges,
        migrations=migrations,
        search_paths=search_path_entries(data.get("search_paths", []), file_name),
        raw=data,
    )


def search_path_entries(value: Any, file_name: str) -> tuple[SearchPathEntry, ...]:
    """The manifest's `search_paths`, typed; a schema outside what a file may name is refused (a routine's
    unqualified names resolve there, out of the gate's sight). The backup checks what it writes with this too."""
    r = _Reader(file_name)
    entries = []
    for raw in r.listed(value, "search paths"):
        entry = r.mapping(raw, "search path entry")
        kind = entry.get("kind")
        if kind not in ("function", "procedure"):
            raise r.damaged("has a search path entry that is not a function's or a procedure's")
        name = r.text(entry.get("name"), f"{kind} name")
        path = tuple(r.listed(entry.get("search_path"), f"search path of the {kind} {name}"))
        if not all(
            e is None or (isinstance(e, str) and "\0" not in e and len(e.encode()) <= _IDENTIFIER_BYTES) for e in path
        ):
            raise r.damaged(f"has no valid search path for the {kind} {name}")
        outside = Rules(None).path_outside(path)
        if outside is not None:
            raise ArchiveError(
                f"{file_name}: The file gives the {kind} {name} a search_path naming {outside}, outside the tenant."
            )
        entries.append(SearchPathEntry(kind, name, path))
    return tuple(entries)


def _table(r: _Reader, t: dict[str, Any]) -> TableEntry:
    name = r.text(t.get("name"), "table name", identifier=True)
    member = r.text(t.get("member"), f"data part of table {name}")
    if not _DATA_MEMBER.fullmatch(member):
        raise r.damaged(f"names an unexpected data part for table {name}")
    columns = tuple(
        r.text(c.get("name") if isinstance(c, dict) else None, f"column of table {name}", identifier=True)
        for c in r.listed(t.get("columns"), f"columns of table {name}")
    )
    _unique(r, list(columns), f"column of table {name}")
    return TableEntry(
        name=name,
        member=member,
        columns=columns,
        rows=r.count(t.get("rows"), f"row count of table {name}"),
        bytes=r.count(t.get("bytes"), f"size of table {name}"),
        sha256=r.sha256(t.get("sha256"), f"table {name}"),
        stored_bytes=r.count(t.get("stored_bytes"), f"stored size of table {name}"),
        stored_sha256=r.sha256(t.get("stored_sha256"), f"table {name}"),
    )


def _unique(r: _Reader, names: list[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise r.damaged(f"lists the {what} {name!r} twice")
        seen.add(name)


def _integer(r: _Reader, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise r.damaged("has a sequence without a valid value")
    return value


def _boolean(r: _Reader, value: Any) -> bool:
    if not isinstance(value, bool):
        raise r.damaged("has a sequence without a valid state")
    return value


def _pair(r: _Reader, value: Any) -> bool:
    if not isinstance(value, list) or len(value) != 2:
        raise r.damaged("has a migration that is not an (app, name) pair")
    return True

"""The tenant list as a Qt model, with a proxy that sorts by value and filters as you type.

One model holds every schema discovery found; two proxies show it apart:
clinics (tenants and the `public` row) and the rest (orphan schemas, safety
copies, interrupted restores).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QFont

from app.engine.history import BackupRecord
from app.formatting import human_size, local_time

CLINIC_KINDS = frozenset({"tenant", "public", "schema"})  # "schema": no tenants table found
OTHER_KINDS = frozenset({"orphan", "safety-copy", "staging"})
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    title: str
    tooltip: str


CLINIC_COLUMNS = (
    Column("Name", "The clinic's name in the tenants table"),
    Column("Schema", "The PostgreSQL schema that holds the clinic's data"),
    Column("Primary domain", "The clinic's main web address"),
    Column("Size", "Disk space of the schema's tables and indexes"),
    Column("Tables", "Number of tables in the schema"),
    Column("Rows (est.)", "Estimated number of rows, from the server's statistics"),
    Column("Last backup", "Last backup made with Resguardo on this computer"),
    Column("Safety copy", "A restore left the previous data as a safety copy: it can be undone"),
)
# The other-schemas view shows a subset of columns: Schema, Kind, Size, Tables, Created.
OTHER_HEADERS = ("Schema", "What it is", "Size", "Tables", "Created")


def describe_kind(info: Any) -> str:
    kind = info.kind
    if kind == "safety-copy":
        return f"Safety copy of {info.safety_copy_of} (left by a restore; can be undone or discarded)"
    if kind == "staging":
        return "Staging schema of an interrupted restore"
    if kind == "orphan":
        return "Schema without a row in the tenants table"
    if kind == "public":
        return "Shared schema (public): listed, never restored into"
    if kind == "schema":
        return "Schema (this database has no tenants table)"
    if not info.exists:
        return "Clinic whose schema does not exist yet"
    return "Clinic"


class TenantModel(QAbstractTableModel):
    """Rows are discovery's TenantInfo objects plus what this workstation knows about them."""

    def __init__(self) -> None:
        super().__init__()
        self.tenants: list[Any] = []
        self.last_backup: dict[str, BackupRecord] = {}
        self.safety_copies: dict[str, list[str]] = {}  # tenant schema -> its safety copies, newest first
        self.busy: set[str] = set()  # schemas with a job running

    def set_listing(self, tenants: list[Any], last_backup: dict[str, BackupRecord]) -> None:
        self.beginResetModel()
        self.tenants = list(tenants)
        self.last_backup = dict(last_backup)
        copies: dict[str, list[Any]] = {}
        for info in self.tenants:
            if info.kind == "safety-copy" and info.safety_copy_of:
                copies.setdefault(info.safety_copy_of, []).append(info)
        self.safety_copies = {
            tenant: [c.schema for c in sorted(infos, key=lambda c: (c.created_utc or "", c.schema), reverse=True)]
            for tenant, infos in copies.items()
        }
        self.endResetModel()

    def set_busy(self, schema: str, busy: bool) -> None:
        (self.busy.add if busy else self.busy.discard)(schema)
        for row, info in enumerate(self.tenants):
            if info.schema == schema:
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(CLINIC_COLUMNS) - 1))

    def info(self, row: int) -> Any:
        return self.tenants[row]

    def find(self, schema: str) -> Any | None:
        return next((t for t in self.tenants if t.schema == schema), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.tenants)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(CLINIC_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(CLINIC_COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return CLINIC_COLUMNS[section].title
        if role == Qt.ItemDataRole.ToolTipRole:
            return CLINIC_COLUMNS[section].tooltip
        return None

    def _values(self, info: Any) -> list[tuple[str, Any]]:
        """(shown text, sort key) for each column."""
        record = self.last_backup.get(info.schema)
        copies = self.safety_copies.get(info.schema, [])
        name = info.name or ""
        if info.schema in self.busy:
            name = f"{name}  (job running)"
        return [
            (name, (info.name or "").lower()),
            (info.schema, info.schema.lower()),
            (info.domain or "", (info.domain or "").lower()),
            (human_size(info.size_bytes), int(info.size_bytes or 0)),
            (str(info.table_count or 0), int(info.table_count or 0)),
            (f"{int(info.estimated_rows or 0):,}", int(info.estimated_rows or 0)),
            (local_time(record.finished_utc) if record else "never", record.finished_utc if record else ""),
            ("Yes — can be undone" if copies else "", len(copies)),
        ]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        info = self.tenants[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if info.kind in OTHER_KINDS:
                return self._other_values(info)[column][0] if column < len(OTHER_HEADERS) else None
            return self._values(info)[column][0]
        if role == SORT_ROLE:
            if info.kind in OTHER_KINDS:
                return self._other_values(info)[column][1] if column < len(OTHER_HEADERS) else None
            return self._values(info)[column][1]
        if role == Qt.ItemDataRole.TextAlignmentRole and info.kind not in OTHER_KINDS and column in (3, 4, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [describe_kind(info)]
            if info.other_domains:
                lines.append("Other domains: " + ", ".join(info.other_domains))
            copies = self.safety_copies.get(info.schema)
            if copies:
                lines.append("Safety copies: " + ", ".join(copies))
            record = self.last_backup.get(info.schema)
            if record:
                lines.append(f"Last backup: {record.path}")
            return "\n".join(lines)
        if role == Qt.ItemDataRole.FontRole and info.kind == "public":
            font = QFont()
            font.setItalic(True)
            return font
        return None

    def _other_values(self, info: Any) -> list[tuple[str, Any]]:
        return [
            (info.schema, info.schema.lower()),
            (describe_kind(info), info.kind),
            (human_size(info.size_bytes), int(info.size_bytes or 0)),
            (str(info.table_count or 0), int(info.table_count or 0)),
            (local_time(info.created_utc or ""), info.created_utc or ""),
        ]


class TenantFilter(QSortFilterProxyModel):
    """Shows the rows of some kinds whose name, schema or domains contain the search text."""

    def __init__(self, kinds: frozenset[str], columns: int) -> None:
        super().__init__()
        self.kinds = kinds
        self.columns = columns
        self.text = ""
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def set_text(self, text: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.10+; invalidateFilter() is deprecated there
            self.beginFilterChange()
            self.text = text.strip().lower()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.text = text.strip().lower()
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, TenantModel)
        info = model.info(row)
        if info.kind not in self.kinds:
            return False
        if not self.text:
            return True
        haystack = [info.schema, info.name or "", info.domain or "", *(info.other_domains or []),
                    info.safety_copy_of or ""]
        return any(self.text in h.lower() for h in haystack)

    def filterAcceptsColumn(self, column: int, parent: Index) -> bool:
        return column < self.columns

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.columns == len(OTHER_HEADERS) and orientation == Qt.Orientation.Horizontal \
                and role == Qt.ItemDataRole.DisplayRole and section < len(OTHER_HEADERS):
            return OTHER_HEADERS[section]
        return super().headerData(section, orientation, role)

    def schema_at(self, row: int) -> str:
        source = self.mapToSource(self.index(row, 0))
        model = self.sourceModel()
        assert isinstance(model, TenantModel)
        return str(model.info(source.row()).schema)

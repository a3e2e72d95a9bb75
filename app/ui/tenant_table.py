"""The clinic list as a Qt model, with a proxy that sorts by value and filters as you type.

One model holds every schema discovery found; two proxies show it apart:
clinics and the rest (the data all clinics share, `public`, which no action
applies to; schemas without a clinic, previous versions kept for undo,
interrupted restores). Clinics are
shown by name; the internal schema name is in the tooltip (it is what the
filter also matches, and what the restore confirmation asks to type). Every
name is the database's: shown with its hidden characters made visible, and
tooltips are plain text (`app/text_safety.py`).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QStyle

from app.engine.catalog.discovery import TenantInfo, TenantKind
from app.engine.routine.clinic_backups import Catalogue
from app.engine.stores.history import BackupRecord
from app.text_safety import shown, visible
from app.ui import locale_format as fmt
from app.ui.widgets import plain_tooltip

translate = QCoreApplication.translate
CLINIC_KINDS = frozenset({TenantKind.TENANT, TenantKind.SCHEMA})  # "schema": no tenants table found
OTHER_KINDS = frozenset({TenantKind.PUBLIC, TenantKind.ORPHAN, TenantKind.SAFETY_COPY, TenantKind.STAGING})
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    title: str  # translated where shown
    tooltip: str


def _column(title: object, tooltip: object) -> Column:
    """A column whose texts QT_TRANSLATE_NOOP marked for the catalogue (it returns them untyped)."""
    return Column(str(title), str(tooltip))


CLINIC_COLUMNS = (
    _column(QT_TRANSLATE_NOOP("Clinics", "Clinic"), QT_TRANSLATE_NOOP("Clinics", "The clinic's name")),
    _column(QT_TRANSLATE_NOOP("Clinics", "Web address"), QT_TRANSLATE_NOOP("Clinics", "The clinic's main web address")),
    _column(QT_TRANSLATE_NOOP("Clinics", "Size"), QT_TRANSLATE_NOOP("Clinics", "Disk space of the clinic's data")),
    _column(QT_TRANSLATE_NOOP("Clinics", "Tables"), QT_TRANSLATE_NOOP("Clinics", "Number of tables")),
    _column(
        QT_TRANSLATE_NOOP("Clinics", "Rows (approx.)"),
        QT_TRANSLATE_NOOP("Clinics", "Approximate number of rows, from the server's statistics"),
    ),
    _column(
        QT_TRANSLATE_NOOP("Clinics", "Last backup"),
        QT_TRANSLATE_NOOP("Clinics", "The newest backup found in the folders this profile backs up into"),
    ),
    _column(
        QT_TRANSLATE_NOOP("Clinics", "Undo"),
        QT_TRANSLATE_NOOP("Clinics", "A restore kept the previous version: it can be undone"),
    ),
)
LAST_BACKUP = 5  # the Last backup column
OTHER_COLUMNS = (
    _column(QT_TRANSLATE_NOOP("Clinics", "What it is"), QT_TRANSLATE_NOOP("Clinics", "What Resguardo found")),
    _column(QT_TRANSLATE_NOOP("Clinics", "Size"), QT_TRANSLATE_NOOP("Clinics", "Disk space of its data")),
    _column(QT_TRANSLATE_NOOP("Clinics", "Tables"), QT_TRANSLATE_NOOP("Clinics", "Number of tables")),
    _column(QT_TRANSLATE_NOOP("Clinics", "Since"), QT_TRANSLATE_NOOP("Clinics", "When it was made")),
)


def describe_kind(info: TenantInfo, clinic_names: dict[str, str]) -> str:
    """What a row is, in plain words."""
    kind = info.kind
    if kind == TenantKind.SAFETY_COPY:
        owner = clinic_names.get(info.safety_copy_of or "", info.safety_copy_of or "?")
        return translate("Clinics", "Previous version of {clinic}, kept for undo").format(clinic=shown(owner))
    if kind == TenantKind.STAGING:
        owner = clinic_names.get(info.safety_copy_of or "", info.safety_copy_of or "")
        return (
            translate("Clinics", "Unfinished restore of {clinic} (removed by its next restore)").format(
                clinic=shown(owner)
            )
            if owner
            else translate("Clinics", "Unfinished restore (removed by the next restore)")
        )
    if kind == TenantKind.ORPHAN:
        return translate("Clinics", "Data without a clinic: {schema}").format(schema=shown(info.schema))
    if kind == TenantKind.PUBLIC:
        return translate("Clinics", "Data all clinics share: listed, never restored into")
    if kind == TenantKind.SCHEMA:
        return translate("Clinics", "Clinic data (no clinics table found; named by its internal name)")
    if not info.exists:
        return translate("Clinics", "Clinic with no data yet")
    return translate("Clinics", "Clinic")


class TenantModel(QAbstractTableModel):
    """Rows are discovery's TenantInfo objects plus what this workstation knows about them."""

    def __init__(self) -> None:
        super().__init__()
        self.tenants: list[TenantInfo] = []
        self.last_backup: dict[str, BackupRecord] = {}
        self.safety_copies: dict[str, list[str]] = {}  # clinic schema -> its previous versions, newest first
        self.names: dict[str, str] = {}  # schema -> clinic name
        self.busy: set[str] = set()  # schemas with a job running
        self.catalogue: Catalogue | None = None  # the backups found (backups_flow.py); None: not looked yet
        self.scan_started_utc = ""

    def set_catalogue(self, catalogue: Catalogue, started_utc: str) -> None:
        """The Last backup column from the backups found (by a scan started at `started_utc`), no longer from this
        computer's history; a backup the window finishes later shows at once, until the next scan finds it."""
        self.catalogue, self.scan_started_utc = catalogue, started_utc
        if self.tenants:
            self.dataChanged.emit(self.index(0, LAST_BACKUP), self.index(len(self.tenants) - 1, LAST_BACKUP))

    def _last_backup(self, schema: str) -> tuple[str, str]:
        """(shown text, sort key) of the Last backup column: the newest found, marked when it is too old."""
        record = self.last_backup.get(schema)
        if self.catalogue is None or (record and record.finished_utc >= self.scan_started_utc):
            if record is None:  # until the first scan, what this computer remembers; then what it just made
                return (translate("Clinics", "never"), "")
            return (fmt.when(record.finished_utc), record.finished_utc)
        newest = self.catalogue.newest(schema)
        date = fmt.when(newest.created_iso) if newest is not None else ""
        key = newest.created_iso if newest is not None else ""
        if not self._overdue(schema):
            return (date or translate("Clinics", "never"), key)
        if newest is None:
            return (translate("Clinics", "none: overdue"), key)
        return (translate("Clinics", "{date}: too old").format(date=date), key)

    def _overdue(self, schema: str) -> bool:
        """The newest backup found is older than the clinic's schedule allows (and none was made here since)."""
        record = self.last_backup.get(schema)
        if self.catalogue is None or (record is not None and record.finished_utc >= self.scan_started_utc):
            return False
        return schema in self.catalogue.overdue

    def _overdue_tooltip(self, schema: str) -> str:
        """Why the Last backup cell warns, in lines a tooltip can show (it does not wrap plain text)."""
        return "\n".join(textwrap.wrap(self._overdue_sentence(schema), 72))

    def _overdue_sentence(self, schema: str) -> str:
        assert self.catalogue is not None
        schedule = shown(self.catalogue.overdue[schema])
        newest = self.catalogue.newest(schema)
        if newest is None:
            return translate(
                "Clinics",
                "The schedule “{schedule}” backs this clinic up every day, but no backup of it was found in the "
                "folders this profile backs up into.",
            ).format(schedule=schedule)
        return translate(
            "Clinics",
            "The schedule “{schedule}” backs this clinic up every day, but its newest backup is from {date}: more "
            "than a day and 3 hours ago. A scheduled backup did not run, or failed.",
        ).format(schedule=schedule, date=fmt.when(newest.created_iso))

    def set_listing(self, tenants: list[TenantInfo], last_backup: dict[str, BackupRecord]) -> None:
        self.beginResetModel()
        self.tenants = list(tenants)
        self.last_backup = dict(last_backup)
        named = CLINIC_KINDS | {TenantKind.PUBLIC}
        self.names = {t.schema: t.name for t in self.tenants if t.name and t.kind in named}
        copies: dict[str, list[TenantInfo]] = {}
        for info in self.tenants:
            if info.kind == TenantKind.SAFETY_COPY and info.safety_copy_of:
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
        return _header(CLINIC_COLUMNS, section, orientation, role)

    def _values(self, info: TenantInfo) -> list[tuple[str, Any]]:
        """(shown text, sort key) for each clinic column."""
        copies = self.safety_copies.get(info.schema, [])
        newest = self.find(copies[0]) if copies else None
        raw = info.name or info.schema
        name = visible(raw)
        if info.schema in self.busy:
            name = translate("Clinics", "{clinic} (job running)").format(clinic=shown(raw))
        undo = (
            translate("Clinics", "Possible (kept {date})").format(date=fmt.when(newest.created_utc))
            if newest is not None
            else ""
        )
        return [
            (name, raw.lower()),
            (visible(info.domain or ""), (info.domain or "").lower()),
            (fmt.size(info.size_bytes), int(info.size_bytes or 0)),
            (fmt.number(info.table_count), int(info.table_count or 0)),
            (fmt.number(info.estimated_rows), int(info.estimated_rows or 0)),
            self._last_backup(info.schema),
            (undo, (newest.created_utc or "") if newest is not None else ""),
        ]

    def _other_values(self, info: TenantInfo) -> list[tuple[str, Any]]:
        return [
            (describe_kind(info, self.names), info.kind + info.schema),
            (fmt.size(info.size_bytes), int(info.size_bytes or 0)),
            (fmt.number(info.table_count), int(info.table_count or 0)),
            (fmt.when(info.created_utc), info.created_utc or ""),
        ]

    def _tooltip(self, info: TenantInfo) -> str:
        lines = [
            describe_kind(info, self.names),
            translate("Clinics", "Internal name (schema): {schema}").format(schema=shown(info.schema)),
        ]
        if info.other_domains:
            lines.append(
                translate("Clinics", "Other web addresses: {domains}").format(
                    domains=", ".join(shown(d) for d in info.other_domains)
                )
            )
        copies = self.safety_copies.get(info.schema)
        if copies:
            lines.append(
                translate("Clinics", "Previous version kept for undo: {schema}").format(schema=shown(copies[0]))
            )
        newest = self.catalogue.newest(info.schema) if self.catalogue is not None else None
        record = self.last_backup.get(info.schema)
        fresh = record is not None and (self.catalogue is None or record.finished_utc >= self.scan_started_utc)
        path = record.path if record is not None and fresh else str(newest.path) if newest is not None else ""
        if path:
            lines.append(translate("Clinics", "Last backup: {file}").format(file=shown(path)))
        return plain_tooltip("\n".join(lines))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        info = self.tenants[index.row()]
        column = index.column()
        other = info.kind in OTHER_KINDS
        if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE):
            values = self._other_values(info) if other else self._values(info)
            if column >= len(values):
                return None
            return values[column][0 if role == Qt.ItemDataRole.DisplayRole else 1]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in ((1, 2) if other else (2, 3, 4)):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        overdue = not other and self._overdue(info.schema)
        if role == Qt.ItemDataRole.ToolTipRole:
            if overdue and column == LAST_BACKUP:
                return plain_tooltip(self._overdue_tooltip(info.schema))
            return self._tooltip(info)
        if role == Qt.ItemDataRole.DecorationRole and overdue and column == LAST_BACKUP:
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if role == Qt.ItemDataRole.FontRole and info.kind == TenantKind.PUBLIC:
            font = QFont()
            font.setItalic(True)
            return font
        return None


def _header(columns: tuple[Column, ...], section: int, orientation: Qt.Orientation, role: int) -> Any:
    if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(columns):
        return None
    if role == Qt.ItemDataRole.DisplayRole:
        return translate("Clinics", columns[section].title)
    if role == Qt.ItemDataRole.ToolTipRole:
        return translate("Clinics", columns[section].tooltip)
    return None


class TenantFilter(QSortFilterProxyModel):
    """Shows the rows of some kinds whose name, schema, domains or description contain the search text."""

    def __init__(self, kinds: frozenset[str], columns: tuple[Column, ...]) -> None:
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
        haystack = [
            info.schema,
            info.name or "",
            info.domain or "",
            *(info.other_domains or []),
            info.safety_copy_of or "",
            model.names.get(info.safety_copy_of or "", ""),
        ]
        return any(self.text in h.lower() for h in haystack)

    def filterAcceptsColumn(self, column: int, parent: Index) -> bool:
        return column < len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        return _header(self.columns, section, orientation, role)

    def schema_at(self, row: int) -> str:
        source = self.mapToSource(self.index(row, 0))
        model = self.sourceModel()
        assert isinstance(model, TenantModel)
        return str(model.info(source.row()).schema)

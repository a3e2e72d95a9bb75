"""The window's list area: the filter box, the clinics, and apart below them the rest (the data all clinics
share, previous versions kept for undo, unfinished restores, data without a clinic); which row is selected.

One model (tenant_table.py) behind two filtered views; a row selected in one clears the other. The status
bar's words for where the list comes from are here too: the clinics table by what it is, its own name only
in the tooltip.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QItemSelection, QPoint, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.engine.catalog.discovery import TenantInfo, TenantKind, TenantListing
from app.engine.stores.history import BackupRecord
from app.text_safety import shown
from app.ui.style import muted
from app.ui.tenant_table import CLINIC_COLUMNS, CLINIC_KINDS, OTHER_COLUMNS, OTHER_KINDS, TenantFilter, TenantModel

translate = QCoreApplication.translate


def listing_text(listing: TenantListing) -> str:
    """Where the list comes from, for the status bar."""
    clinics = sum(1 for t in listing.tenants if t.kind == TenantKind.TENANT)
    if listing.tenants_table is None:
        return translate(
            "Window", "No clinics table found: the list shows all the data of the database, by internal name."
        )
    return translate("Window", "%Ln clinics, from the clinics table", None, clinics)


def listing_tip(listing: TenantListing) -> str:
    """The clinics table's own name: in the tooltip, never in the status bar's words."""
    if listing.tenants_table is None:
        return listing_text(listing)
    return translate("Window", "The clinics table: {table}").format(table=shown(listing.tenants_table.qualified_name))


def owning_tenant(info: TenantInfo) -> str:
    """The clinic a row stands for: a previous version stands for the clinic it was taken from."""
    return str(info.safety_copy_of if info.kind == TenantKind.SAFETY_COPY else info.schema)


class ClinicLists(QWidget):
    """The filter, the clinic list and the other data; `on_selection` hears each change of the selected row,
    `on_context_menu` a right-click on a row (the window's actions)."""

    def __init__(self, on_selection: Callable[[], None], on_context_menu: Callable[[QTableView, QPoint], None]) -> None:
        super().__init__()
        self.on_selection, self.on_context_menu = on_selection, on_context_menu
        self.selected_schema: str | None = None

        self.search = QLineEdit()
        self.search.setPlaceholderText(translate("Window", "Filter by name or web address (Ctrl+F)"))
        self.search.setAccessibleName(translate("Window", "Filter the clinics"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        search_label = QLabel(translate("Window", "Filte&r clinics:"))
        search_label.setBuddy(self.search)
        filter_row = QHBoxLayout()
        filter_row.addWidget(search_label)
        filter_row.addWidget(self.search, 1)

        self.model = TenantModel()
        self.clinics = TenantFilter(CLINIC_KINDS, CLINIC_COLUMNS)
        self.clinics.setSourceModel(self.model)
        self.others = TenantFilter(OTHER_KINDS, OTHER_COLUMNS)
        self.others.setSourceModel(self.model)
        self.clinic_view = self._table(self.clinics, translate("Window", "Clinics"), rows=3)
        self.clinic_view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.other_view = self._table(self.others, translate("Window", "Previous versions and other data"), rows=1)
        self.other_box = QGroupBox(translate("Window", "Previous versions kept for undo, and other data"))
        QVBoxLayout(self.other_box).addWidget(self.other_view)
        self.other_box.hide()
        self.empty_label = muted(QLabel(""))
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.addLayout(filter_row)
        layout.addWidget(self.clinic_view, 3)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.other_box, 2)

    def _table(self, proxy: TenantFilter, name: str, rows: int) -> QTableView:
        """A sortable, single-selection list whose columns fit their contents; at least `rows` rows stay visible."""
        view = QTableView()
        view.setModel(proxy)
        view.setAccessibleName(name)
        view.setSortingEnabled(True)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setAlternatingRowColors(True)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.verticalHeader().hide()
        view.setWordWrap(False)
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the name takes the room left
        view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 10)
        view.setMinimumHeight(header.sizeHint().height() + rows * view.verticalHeader().defaultSectionSize() + 4)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(lambda pos, v=view: self.on_context_menu(v, pos))
        view.selectionModel().selectionChanged.connect(
            lambda selected, _deselected, v=view: self._selection_changed(v, selected)
        )
        return view

    def show_listing(self, listing: TenantListing, last: dict[str, BackupRecord], busy: set[str]) -> None:
        """The list as the server gave it, the clinics with a job running marked, the selection kept."""
        selected = self.selected_schema
        self.model.set_listing(listing.tenants, last)
        for schema in busy:
            self.model.set_busy(schema, True)
        self.other_box.setVisible(self.others.rowCount() > 0)
        self.empty_label.setVisible(self.clinics.rowCount() == 0)
        self.empty_label.setText(translate("Window", "This database has no clinics.") if not listing.tenants else "")
        if selected:
            self.select(selected)

    def _filter(self, text: str) -> None:
        self.clinics.set_text(text)
        self.others.set_text(text)

    def select(self, schema: str) -> bool:
        """Select a schema in whichever view shows it; True if found."""
        for view, proxy in ((self.clinic_view, self.clinics), (self.other_view, self.others)):
            for row in range(proxy.rowCount()):
                if proxy.schema_at(row) == schema:
                    view.selectRow(row)
                    view.scrollTo(proxy.index(row, 0))
                    return True
        return False

    def _selection_changed(self, view: QTableView, selected: QItemSelection) -> None:
        if selected.indexes():
            other = self.other_view if view is self.clinic_view else self.clinic_view
            other.selectionModel().blockSignals(True)
            other.clearSelection()
            other.selectionModel().blockSignals(False)
            proxy = view.model()
            assert isinstance(proxy, TenantFilter)
            self.selected_schema = proxy.schema_at(selected.indexes()[0].row())
        elif not (self.clinic_view.selectionModel().hasSelection() or self.other_view.selectionModel().hasSelection()):
            self.selected_schema = None
        self.on_selection()

    def selected_info(self) -> Any | None:
        return self.model.find(self.selected_schema) if self.selected_schema else None

    def safety_copy_for(self, info: TenantInfo) -> str | None:
        """The previous version Undo / Discard act on: the selected one itself, or the clinic's newest."""
        if info.kind == TenantKind.SAFETY_COPY:
            return str(info.schema)
        copies = self.model.safety_copies.get(info.schema)
        return copies[0] if copies else None

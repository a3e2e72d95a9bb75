"""The clinic list holds clinics only: the data all clinics share (`public`) is listed apart, with the previous
versions kept for undo, saying what it is, so that no clinic row has its actions greyed without a reason."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.engine.connection import ConnectionTarget
from app.ui.tenant_table import TenantFilter
from tests.support.gui import ScriptedDialogs, installed, open_window, wait_listed

pytestmark = pytest.mark.gui


def shown_rows(proxy: TenantFilter) -> list[str]:
    return [proxy.schema_at(row) for row in range(proxy.rowCount())]


def test_the_shared_data_is_listed_apart_saying_what_it_is(qtbot: QtBot, demo_db: ConnectionTarget) -> None:
    with installed("es"):
        window = open_window(qtbot, demo_db, ScriptedDialogs())
        wait_listed(qtbot, window)
        assert sorted(shown_rows(window.clinics)) == ["bienestar", "mindcare"]
        assert shown_rows(window.others) == ["public"]
        assert window.other_box.isVisible()
        said = window.others.index(0, 0).data(Qt.ItemDataRole.DisplayRole)
        assert said == "Datos que comparten todas las clínicas: se muestran, nunca se restauran"

        assert window.select("public")  # selected there, nothing can be done to it, and the row said why
        assert window.selected_schema == "public"
        assert not window.clinic_view.selectionModel().hasSelection()
        for action in (window.backup_action, window.restore_action, window.undo_action, window.discard_action):
            assert not action.isEnabled()
        assert window.select("mindcare") and window.backup_action.isEnabled() and window.restore_action.isEnabled()
        assert not window.other_view.selectionModel().hasSelection()

        window.search.setText("public")  # the filter still finds it by its internal name, in its own list
        assert shown_rows(window.clinics) == [] and shown_rows(window.others) == ["public"]

"""Recover records…'s browsing in Spanish: Django's model names framed as names, never translated (the many-to-many
table as the link between two models), and a search for the rows where a column has no value, apart from any text.
The dialog is the real one over a real backup, read by the engine on its workers."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.jobs import CancelToken, ProgressCallback
from app.engine.recovery.browse import BackupTable, RowsPage, Search, list_tables, read_rows
from app.ui.job_runner import BackgroundPool
from app.ui.recover_dialog import BrowseContext, RecoverDialog, table_label
from tests.support.gui import WAIT_MS, installed
from tests.support.pg import one_value

pytestmark = pytest.mark.gui
TENANT = "bienestar"


def test_the_spanish_browsing_names_models_and_finds_rows_without_a_value(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    with demo_db.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE bienestar.rg_tag (id int PRIMARY KEY, tag text)")
        conn.execute("INSERT INTO bienestar.rg_tag VALUES (1, NULL), (2, ''), (3, '\\N'), (4, 'x'), (5, NULL)")
        owner = one_value(conn, "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = %s", [TENANT])
        conn.execute(f"ALTER TABLE bienestar.rg_tag OWNER TO {owner}")
    archive = backup_tenant(demo_db, TENANT, tmp_path / "b.resguardo").path
    contents = list_tables(demo_db, TENANT, archive)

    def read(
        table: BackupTable, search: Search | None, deleted: bool, progress: ProgressCallback, cancel: CancelToken
    ) -> RowsPage:
        return read_rows(archive, table, search=search, progress=progress, cancel=cancel)

    with installed("es"):
        links = table_label(contents.table("users_customuser_groups"))
        assert links.startswith("vínculos «custom user» ↔ «group» (") and links.endswith(" filas)")
        assert table_label(contents.table("chat_chatmessage")).startswith("«chat message» (")
        assert table_label(contents.table("rg_tag")) == "rg_tag (5 filas)"
        pool = BackgroundPool()
        dialog = RecoverDialog(None, BrowseContext("Bienestar", archive.name, contents, pool, read))
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.select_table("rg_tag")
        qtbot.waitUntil(lambda: dialog.page is not None and not dialog.reading, timeout=WAIT_MS)
        bar = dialog.search_bar
        assert not bar.no_value.isEnabled()  # "any column" has no one value to lack
        dialog.column.setCurrentIndex(dialog.column.findData("tag"))
        assert bar.no_value.isEnabled() and bar.no_value.text() == "&Sin valor"
        bar.no_value.setChecked(True)  # searches at once
        qtbot.waitUntil(lambda: dialog.page is not None and not dialog.reading, timeout=WAIT_MS)
        assert dialog.page is not None and [r[0] for r in dialog.page.rows] == ["1", "5"]
        assert not dialog.text.isEnabled() and dialog.status.text() == "2 filas encontradas."
        bar.no_value.setChecked(False)
        dialog.text.setText("\\N")
        dialog.search_button.click()
        qtbot.waitUntil(lambda: dialog.page is not None and not dialog.reading, timeout=WAIT_MS)
        assert dialog.page is not None and [r[0] for r in dialog.page.rows] == ["3"]
        dialog.reject()

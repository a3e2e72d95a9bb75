"""A tenant big enough for backups and restores to take seconds: the window stays responsive,
and Cancel stops a job cleanly (no file left; nothing changed)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.safety.registry import REGISTRY_SCHEMA
from app.ui.main_window import MainWindow
from tests.support.gui import WAIT_MS, ScriptedDialogs, open_window, schemas, wait_idle, wait_listed
from tests.support.pg import TestServer

pytestmark = pytest.mark.gui

MESSAGES = 800_000  # a few seconds each to back up and to restore on 2 cores


@pytest.fixture(scope="module")
def big_template(pg_server: TestServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A demo database whose bienestar has many chat messages, and a backup of it."""
    target = pg_server.new_database()
    with target.connect() as conn:
        conn.execute(
            "INSERT INTO bienestar.chat_chatmessage (sender_id, recipient_id, content, sent_at, is_read)"
            " SELECT u.id, u.id, repeat(md5(g::text), 12), now() - g * interval '1 minute', g %% 2 = 0"
            " FROM generate_series(1, %s) g, (SELECT min(id) AS id FROM bienestar.users_customuser) u",
            [MESSAGES],
        )
        conn.execute("ANALYZE bienestar.chat_chatmessage")
    backup = tmp_path_factory.mktemp("big") / "bienestar-big.resguardo"
    backup_tenant(target, "bienestar", backup)
    yield target.dbname, backup
    pg_server.drop_database(target)


@pytest.fixture
def big_db(pg_server: TestServer, big_template: tuple[str, Path]) -> Iterator[ConnectionTarget]:
    target = pg_server.new_database(template=big_template[0])
    yield target
    pg_server.drop_database(target)


def identity(target: ConnectionTarget, schema: str) -> tuple[object, ...]:
    """The schema's and tables' storage identity and row counts: a restore (staging + swap) would change them.

    Cheaper than hashing half a million rows, and as telling here.
    """
    with target.connect() as conn:
        storage = conn.execute(
            "SELECT n.oid, array_agg(c.relname || ':' || c.oid || ':' || c.relfilenode ORDER BY c.relname)"
            " FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid WHERE n.nspname = %s GROUP BY n.oid",
            [schema],
        ).fetchone()
        users = conn.execute("SELECT count(*), max(id) FROM bienestar.users_customuser").fetchone()
        messages = conn.execute("SELECT count(*), max(id) FROM bienestar.chat_chatmessage").fetchone()
    return storage, users, messages


class TickRecorder:
    """A 10 ms timer on the UI thread; `worst_gap` is the longest wait between two ticks."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.ticks: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(lambda: self.ticks.append(time.monotonic()))

    def __enter__(self) -> TickRecorder:
        self.timer.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.timer.stop()

    @property
    def worst_gap(self) -> float:
        return max(b - a for a, b in zip(self.ticks, self.ticks[1:], strict=False))


def _wait_for_stage(qtbot: QtBot, window: MainWindow, words: str) -> None:
    qtbot.waitUntil(
        lambda: (
            bool(window.jobs.panels)
            and words in window.jobs.panels[-1].stage.full_text()
            and window.jobs.panels[-1].bar.value() > 0
        ),
        timeout=WAIT_MS,
    )


def test_ui_thread_keeps_ticking_during_a_big_backup_and_restore(
    qtbot: QtBot, big_db: ConnectionTarget, tmp_path: Path
) -> None:
    out = tmp_path / "bienestar.resguardo"
    dialogs = ScriptedDialogs(save_to=out, open_file=out, restore_answer=True)
    window = open_window(qtbot, big_db, dialogs)
    wait_listed(qtbot, window)
    window.select("bienestar")

    with TickRecorder() as backup_ticks:
        window.backup_action.trigger()
        wait_idle(qtbot, window)
    assert window.jobs.panels[-1].state == "succeeded", window.jobs.panels[-1].message.text()
    with TickRecorder() as restore_ticks:
        window.restore_action.trigger()
        wait_idle(qtbot, window)
    assert window.jobs.panels[-1].state == "succeeded", window.jobs.panels[-1].message.text()

    for ticks in (backup_ticks, restore_ticks):
        assert len(ticks.ticks) > 20  # the jobs ran long enough to measure
        assert ticks.worst_gap < 0.100, f"the UI thread waited {ticks.worst_gap * 1000:.0f} ms"


def test_one_job_per_tenant_the_rest_stays_usable_and_cancel_leaves_no_file(
    qtbot: QtBot, big_db: ConnectionTarget, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = tmp_path / "bienestar.resguardo"
    dialogs = ScriptedDialogs(save_to=out)
    window = open_window(qtbot, big_db, dialogs)
    wait_listed(qtbot, window)
    window.select("bienestar")
    window.backup_action.trigger()
    _wait_for_stage(qtbot, window, "Copying rows")
    panel = window.jobs.panels[-1]

    # While it runs: bienestar takes no second job; the filter and another clinic's backup work.
    assert not window.backup_action.isEnabled() and not window.restore_action.isEnabled()
    QTest.keyClicks(window.search, "mind")
    assert window.clinics.rowCount() == 1 and window.clinics.schema_at(0) == "mindcare"
    window.select("mindcare")
    assert window.backup_action.isEnabled()
    elsewhere = tmp_path_factory.mktemp("mindcare") / "mindcare.resguardo"
    dialogs.save_to = elsewhere
    window.backup_action.trigger()
    qtbot.waitUntil(lambda: window.jobs.panels[-1].state == "succeeded", timeout=WAIT_MS)
    assert elsewhere.is_file()
    assert panel.running

    panel.cancel_button.click()
    wait_idle(qtbot, window)
    assert panel.state == "cancelled"
    assert "No backup file was written." in panel.message.text()
    assert list(tmp_path.iterdir()) == []
    assert window.backup_action.isEnabled()  # the tenant is free again


def test_cancelled_restore_changes_nothing(
    qtbot: QtBot, big_db: ConnectionTarget, big_template: tuple[str, Path]
) -> None:
    before, names = identity(big_db, "bienestar"), schemas(big_db)
    window = open_window(qtbot, big_db, ScriptedDialogs(open_file=big_template[1], restore_answer=True))
    wait_listed(qtbot, window)
    window.select("bienestar")
    window.restore_action.trigger()
    _wait_for_stage(qtbot, window, "Loading")
    panel = window.jobs.panels[-1]
    panel.cancel_button.click()
    wait_idle(qtbot, window)

    assert panel.state == "cancelled"
    assert "Nothing was changed." in panel.message.text()
    assert identity(big_db, "bienestar") == before
    assert schemas(big_db) - {REGISTRY_SCHEMA} == names  # the first restore creates Resguardo's own record


def test_cancel_while_the_file_is_verified_asks_nothing_and_changes_nothing(
    qtbot: QtBot, big_db: ConnectionTarget, big_template: tuple[str, Path]
) -> None:
    before, names = identity(big_db, "bienestar"), schemas(big_db)
    dialogs = ScriptedDialogs(open_file=big_template[1], restore_answer=True)
    window = open_window(qtbot, big_db, dialogs)
    wait_listed(qtbot, window)
    window.select("bienestar")
    window.restore_action.trigger()
    _wait_for_stage(qtbot, window, "Checking the rows")  # every checksum is read before any question
    panel = window.jobs.panels[-1]
    panel.cancel_button.click()
    wait_idle(qtbot, window)

    assert panel.state == "cancelled"
    assert panel.message.text() == "Cancelled. Nothing was changed."
    assert dialogs.contexts == []
    assert identity(big_db, "bienestar") == before and schemas(big_db) == names


def test_closing_during_a_job_asks_and_cancels_cleanly(qtbot: QtBot, big_db: ConnectionTarget, tmp_path: Path) -> None:
    out = tmp_path / "bienestar.resguardo"
    dialogs = ScriptedDialogs(save_to=out, confirm_answer=False)
    window = open_window(qtbot, big_db, dialogs)
    wait_listed(qtbot, window)
    window.select("bienestar")
    window.backup_action.trigger()
    _wait_for_stage(qtbot, window, "Copying rows")

    assert not window.close()  # asked, and the answer was no: the job goes on
    assert window.isVisible() and window.jobs.running()
    assert any(kind == "confirm" and "still running" in text for kind, text in dialogs.asked)
    dialogs.confirm_answer = True
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    assert window.jobs.panels[-1].state == "cancelled"
    assert list(tmp_path.iterdir()) == []

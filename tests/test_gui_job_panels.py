"""At 1024×600 the jobs that matter fit: when a job starts, the finished ones fold to one line (title, result,
time); a click on the line, or its arrow, shows the whole panel again, buttons and all."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.engine.connection import ConnectionTarget
from app.ui.job_panel import JobPanel
from tests.support.gui import ScriptedDialogs, back_up, open_window, wait_idle, wait_listed

pytestmark = pytest.mark.gui
SMALL = QSize(1024, 600)


def one_line(panel: JobPanel) -> bool:
    """Folded: only the title line shows, and the panel is no taller than it (and the frame's margins)."""
    line = max(panel.title.sizeHint().height(), panel.toggle.sizeHint().height())
    margins = panel.body.contentsMargins()
    shown_body = [w for w in (panel.bar, panel.stage, panel.message, panel.buttons) if w.isVisible()]
    return shown_body == [] and panel.height() <= line + margins.top() + margins.bottom() + 2 * panel.frameWidth()


def test_finished_jobs_fold_to_one_line_and_unfold_on_click(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    not_a_backup = tmp_path / "notes.resguardo"
    not_a_backup.write_bytes(b"not a backup" * 10)
    dialogs = ScriptedDialogs(save_to=tmp_path / "m.resguardo", open_file=not_a_backup)
    window = open_window(qtbot, demo_db, dialogs)
    window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMaximized)
    window.resize(SMALL)
    wait_listed(qtbot, window)

    window.verify_action.trigger()
    wait_idle(qtbot, window)
    back_up(qtbot, window, "mindcare")
    for _ in range(2):
        window.verify_action.trigger()
        wait_idle(qtbot, window)
    qtbot.wait(50)
    first, backup, third, last = window.jobs.panels
    assert [p.state for p in window.jobs.panels] == ["failed", "succeeded", "failed", "failed"]

    # The newest result is shown whole; each older one is one line saying how it ended.
    assert not last.collapsed and last.message.isVisible() and last.dismiss_button.isVisible()
    for panel in (first, backup, third):
        assert panel.collapsed and one_line(panel), panel.title.full_text()
        assert panel.summary.isVisible() and panel.summary.full_text() == panel.message.text()
        assert panel.times.isVisible()  # how long it took stays on the line
    assert backup.summary.full_text().startswith("Saved ")
    assert window.jobs.verticalScrollBar().maximum() == 0  # all four fit without scrolling
    assert last.message.height() >= last.message.heightForWidth(last.message.width())  # and nothing is cut

    # A click on the line unfolds it, with its buttons, and shows its log; the arrow folds it again.
    QTest.mouseClick(backup, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(backup.width() // 2, 5))
    qtbot.wait(50)
    assert not backup.collapsed and backup.message.isVisible() and not backup.summary.isVisible()
    texts = [b.text() for b in backup.buttons.findChildren(type(backup.dismiss_button)) if b.isVisible()]
    assert "Show in folder" in texts and "Verify" in texts and "Dismiss" in texts
    assert not backup.bar.isHidden() and backup.stage.isVisible()  # as it was when it ended: full, "Done"
    assert window.log_panel.toPlainText() == "\n".join(backup.lines)
    assert not first.dismiss_button.isVisible()  # folded: its buttons wait for the unfolding
    backup.toggle.click()
    assert backup.collapsed and backup.toggle.accessibleName() == "Show this job's result and buttons"
    first.toggle.click()
    assert first.dismiss_button.isVisible() and first.message.isVisible()

    # A job that has not ended never folds.
    waiting = window.jobs.new_panel("waiting", None)
    waiting.set_collapsed(True)
    assert not waiting.collapsed
    assert last.collapsed  # the new job folded the last result

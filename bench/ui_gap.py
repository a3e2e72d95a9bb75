"""UI responsiveness: the longest gap between ticks of a UI-thread timer while a job runs.

Run as `python -m bench.ui_gap ...` (offscreen). Everything is the real window:
its Back up… and Restore… flows (`window.backup_flow.start`,
`window.restore_flow.start`) with the file dialogs and the typed confirmation
answered by `_Answers`, its job panel, progress bar, worker threads and the
engine. A QTimer ticks every TICK_MS on the UI thread from the moment the flow
starts until its panel has ended; any gap well above TICK_MS is time the window
could not repaint or react. One window backs up from the source database; a
second, on the restore database, restores that file.
Prints one JSON object: the longest gap of each job, in seconds.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.engine.connection import ConnectionTarget

TICK_MS = 10
TIMEOUT_S = 1800.0


def _answers(archive: Path) -> Any:
    from app.ui.dialogs import DialogProvider

    class _Answers(DialogProvider):
        """What the IT person would answer: this file, native format, yes."""

        def save_backup_path(self, parent: Any, suggested: Path, formats: list[Any], clinic: str) -> tuple[Path, Any]:
            return archive, next((f for f in formats if f.key == "native"), formats[0])

        def open_backup_path(self, parent: Any, title: str, start_dir: Path, name_filter: str) -> Path:
            return archive

        def confirm_restore(self, parent: Any, context: Any) -> bool:
            return True

        def confirm(self, parent: Any, title: str, text: str, yes_label: str, danger: bool = False) -> bool:
            return True

        def show_error(self, parent: Any, error: Any) -> None:
            raise SystemExit(f"the window showed an error: {error}")

    return _Answers()


def _wait(condition: Callable[[], bool], what: str) -> None:
    """Run the event loop until `condition` holds."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    deadline = time.monotonic() + TIMEOUT_S

    def check() -> None:
        if condition():
            loop.quit()
        elif time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")

    checker = QTimer()
    checker.timeout.connect(check)
    checker.start(5)
    loop.exec()
    checker.stop()


def _open(target: ConnectionTarget, archive: Path) -> Any:
    """A shown window that has connected and listed its tenants."""
    from app.ui.main_window import MainWindow

    window = MainWindow(target, dialogs=_answers(archive))
    window.show()
    _wait(
        lambda: window.session is not None and window.listing is not None and not window.pool.busy,
        "the window to list the tenants",
    )
    return window


def _longest_gap(window: Any, start: Callable[[], None], what: str) -> float:
    from PySide6.QtCore import Qt, QTimer

    ticks = [time.perf_counter()]
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    start()
    panels = window.jobs.panels
    _wait(lambda: bool(panels) and not panels[-1].running, what)
    ticks.append(time.perf_counter())
    timer.stop()
    panel = panels[-1]
    if panel.state != "succeeded":
        raise SystemExit(f"{what} did not succeed: {panel.error}")
    return max(later - earlier for earlier, later in itertools.pairwise(ticks))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ui_gap")
    parser.add_argument("--conninfo", required=True, help="database holding the tenant to back up")
    parser.add_argument("--restore-conninfo", required=True, help="database to restore the backup into")
    parser.add_argument("--schema", required=True)
    parser.add_argument("--archive", required=True, type=Path)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtWidgets import QApplication

    _app = QApplication(sys.argv[:1])  # the event loop needs it alive
    source = _open(ConnectionTarget(args.conninfo), args.archive)
    backup_gap = _longest_gap(source, lambda: source.backup_flow.start(args.schema), "the backup")
    source.close()
    destination = _open(ConnectionTarget(args.restore_conninfo), args.archive)
    restore_gap = _longest_gap(destination, lambda: destination.restore_flow.start(args.schema), "the restore")
    destination.close()
    print(json.dumps({"backup": backup_gap, "restore": restore_gap}))


if __name__ == "__main__":
    main()

"""UI responsiveness: the longest gap between ticks of a UI-thread timer while a job runs.

Run as `python -m bench.ui_gap ...` (offscreen). The window is the real one,
and the native backup and restore run through the window's own job runner
(`app.ui.job_runner`), progress updating a progress bar on the UI thread, as
when the IT person clicks Back up. A QTimer ticks every TICK_MS on the UI
thread; any gap well above that is time the window could not repaint or react.
Prints one JSON object: the longest gap of each job, in seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.engine.connection import ConnectionTarget

TICK_MS = 10


def _longest_gap(app: Any, pool: Any, bar: Any, job: Callable[[Any, Any], Any], name: str) -> float:
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    from app.ui.job_runner import Worker

    loop = QEventLoop()
    ticks: list[float] = []
    outcome: dict[str, Any] = {}
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))

    def finish(key: str, value: Any) -> None:
        outcome[key] = value
        loop.quit()

    ticks.append(time.perf_counter())
    timer.start()
    pool.start(
        Worker(job, name),
        on_success=lambda result: finish("result", result),
        on_failure=lambda error: finish("error", error),
        on_progress=lambda progress: bar.setValue(int(progress.fraction * 1000)),
    )
    loop.exec()
    timer.stop()
    ticks.append(time.perf_counter())
    if "error" in outcome:
        raise SystemExit(f"{name} failed: {outcome['error']}")
    return max(later - earlier for earlier, later in zip(ticks, ticks[1:]))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ui_gap")
    parser.add_argument("--conninfo", required=True, help="database holding the tenant to back up")
    parser.add_argument("--restore-conninfo", required=True, help="database to restore the archive into")
    parser.add_argument("--schema", required=True)
    parser.add_argument("--archive", required=True, type=Path)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtWidgets import QApplication, QProgressBar

    from app.engine.backup import backup_tenant
    from app.engine.restore import restore_tenant
    from app.ui.job_runner import BackgroundPool
    from app.ui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    source, destination = ConnectionTarget(args.conninfo), ConnectionTarget(args.restore_conninfo)
    window = MainWindow(source)
    bar = QProgressBar()
    bar.setRange(0, 1000)
    window.statusBar().addPermanentWidget(bar)
    window.show()
    pool = BackgroundPool(window)
    backup_gap = _longest_gap(
        app, pool, bar,
        lambda progress, cancel: backup_tenant(source, args.schema, args.archive, progress=progress, cancel=cancel),
        "backup",
    )
    restore_gap = _longest_gap(
        app, pool, bar,
        lambda progress, cancel: restore_tenant(destination, args.schema, args.archive, progress=progress,
                                                cancel=cancel),
        "restore",
    )
    window.close()
    print(json.dumps({"backup": backup_gap, "restore": restore_gap}))


if __name__ == "__main__":
    main()

"""Make docs/screenshot.png from the real window on the demo clinics, offscreen.

    python scripts/screenshot.py [--dsn URI] [--out docs/screenshot.png] [--scale 1]

Without --dsn it starts the demo server (as `resguardo demo` does) and stops it
afterwards if it started it. The window is shown at 1280x800 logical pixels
(times --scale, to check 200 % scaling), with bienestar selected and one
finished backup in the jobs area, as a user would see it after a first backup.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="a database with clinics (default: the demo server)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshot.png")
    parser.add_argument("--scale", default="1", help="QT_SCALE_FACTOR, e.g. 2 for 200 %%")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QT_SCALE_FACTOR"] = args.scale
    # Private settings and history: the screenshot must not show (or change) the user's own.
    os.environ["RESGUARDO_HOME"] = tempfile.mkdtemp(prefix="resguardo-shot-")

    from app.commands.demo import demo_server
    from app.engine.connection import ConnectionTarget
    from app.engine.demo import DEMO_DBNAME, create_demo_database, database_exists

    server = None
    if args.dsn:
        target = ConnectionTarget.from_dsn(args.dsn)
    else:
        server = demo_server()
        admin = server.start()
        if not database_exists(admin, DEMO_DBNAME):
            create_demo_database(admin, DEMO_DBNAME)
        target = admin.with_dbname(DEMO_DBNAME)
    try:
        return _shoot(target, args.out)
    finally:
        if server is not None and server.started_here:
            server.stop()


def _shoot(target: object, out: Path) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.ui.dialogs import BackupFormat, DialogProvider
    from app.ui.icons import app_icon
    from app.ui.main_window import MainWindow

    backups = Path(os.environ["RESGUARDO_HOME"]) / "documents" / "Resguardo"

    class Answers(DialogProvider):
        def save_backup_path(self, parent: object, suggested: Path,
                             formats: list[BackupFormat]) -> tuple[Path, BackupFormat] | None:
            return suggested, formats[0]

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Resguardo")
    app.setWindowIcon(app_icon())
    window = MainWindow(target, dialogs=Answers())  # type: ignore[arg-type]
    window.resize(1280, 800)
    window.show()
    state = {"step": "listing"}

    def poll() -> None:
        if state["step"] == "listing" and window.listing is not None:
            window.select("bienestar")
            window.backup_action.trigger()
            state["step"] = "backup"
        elif state["step"] == "backup" and window.jobs.panels and not window.jobs.running():
            window.refresh()
            state["step"] = "refresh"
        elif state["step"] == "refresh" and not window.pool.busy:
            window.select("bienestar")
            out.parent.mkdir(parents=True, exist_ok=True)
            window.grab().save(str(out))
            print(f"Saved {out} ({window.width()}x{window.height()}); backup in {backups}")
            app.quit()
            return
        QTimer.singleShot(100, poll)

    QTimer.singleShot(100, poll)
    QTimer.singleShot(120_000, lambda: (print("Timed out waiting for the window", file=sys.stderr), app.exit(1)))
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())

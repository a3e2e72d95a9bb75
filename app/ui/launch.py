"""Start the Qt application and the main window, in the user's language.

`open_window(None)` opens on the last used profile (asking for a missing or
wrong password, or showing the profiles dialog when there is none);
`resguardo demo` passes the demo server's target; `resguardo open FILE` (and
`resguardo-gui FILE`) a backup file, which the window opens (open_file_flow.py),
as it does each file macOS sends as a QFileOpenEvent (a Finder double-click on a
`.resguardo` file). The language setting is read and its catalogue compiled on a
worker before the window is built; choosing another language in the menu
rebuilds the window in it.
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QFileOpenEvent

from app.engine.connection import ConnectionTarget
from app.engine.errors import ResguardoError

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from app.ui.job_runner import BackgroundPool
    from app.ui.main_window import MainWindow
    from app.ui.settings import UiSettings

log = logging.getLogger(__name__)


class Launcher:
    """Owns the main window: builds it once the language is ready, and again when the language changes."""

    def __init__(
        self, app: QApplication, target: ConnectionTarget | None, settings: UiSettings, pool: BackgroundPool
    ) -> None:
        self.app, self.target, self.settings, self.pool = app, target, settings, pool
        self.window: MainWindow | None = None
        self._closing: list[MainWindow] = []  # replaced windows, kept until Qt has deleted them
        self.files: list[Path] = []  # given before the window was built

    def open_file(self, path: Path) -> None:
        """A backup file to open: in the window, or once it is built."""
        if self.window is None:
            self.files.append(path)
        else:
            self.window.open_flow.open(path)

    def start(self) -> None:
        from app.ui import language

        settings, system = self.settings, language.system_languages()

        def prepare() -> tuple[str, str, Path | None]:  # reads the setting and writes the cache: off the UI thread
            choice = settings.language
            code = language.resolve(choice, system)
            return choice, code, language.prepare_catalogue(code)

        self.pool.call(prepare, lambda ready: self._build(*ready), self._failed, name="language")

    def _failed(self, error: ResguardoError) -> None:
        log.warning("Could not prepare the window's language (English is used): %s", error.message)
        self._build("system", "en", None)

    def _build(self, choice: str, code: str, catalogue: Path | None) -> None:
        from app.ui import language
        from app.ui.main_window import MainWindow

        language.install(code, catalogue)
        old = self.window
        last = old.connection.last_attempt if old is not None else None
        window = MainWindow(
            last.target if last is not None else self.target,
            profile=last.profile if last else None,
            settings=self.settings,
            language_choice=choice,
        )
        window.language_changed.connect(self._change_language)
        if old is not None:
            self.files += [path for path, _panel in old.open_flow.waiting]  # still waiting for a server
            window.setWindowState(old.windowState())
            if not old.isMaximized():
                window.setGeometry(old.geometry())
            self._retire(old)
        self.window = window
        window.show()
        files, self.files = self.files, []
        for path in files:
            window.open_flow.open(path)

    def _retire(self, old: MainWindow) -> None:
        """Close a replaced window and let the event loop delete it. Until then this list holds it: were it
        freed by Python instead, that could happen inside one of its own callbacks, under Qt's feet."""
        self._closing.append(old)
        old.destroyed.connect(lambda: self._closing.remove(old))
        old.close()
        old.deleteLater()

    def _change_language(self, choice: str) -> None:
        from app.ui import language

        system = language.system_languages()

        def prepare() -> tuple[str, str, Path | None]:
            code = language.resolve(choice, system)
            return choice, code, language.prepare_catalogue(code)

        self.pool.call(prepare, lambda ready: self._build(*ready), self._failed, name="language")


class FileOpenEvents(QObject):
    """The application's QFileOpenEvent (macOS gives the files a user opens in the Finder so, never in argv) as
    a file for the launcher."""

    def __init__(self, launcher: Launcher) -> None:
        super().__init__(launcher.app)
        self.launcher = launcher

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent) and event.file():
            self.launcher.open_file(Path(event.file()))
            return True
        return super().eventFilter(watched, event)


def close_on_terminate(app: QApplication) -> None:
    """SIGTERM (the desktop session ending, `kill`) closes the windows as their close buttons do, and the program
    ends with 0; it used to die at once. Python runs a signal's handler only between its own lines: a timer
    gives it a turn while Qt's loop waits."""
    if sys.platform == "win32":
        return
    signal.signal(signal.SIGTERM, lambda *_: QTimer.singleShot(0, app.closeAllWindows))
    turn = QTimer(app)
    turn.timeout.connect(lambda: None)
    turn.start(250)


def application() -> QApplication:
    """The Qt application, made once; WindowCannotOpen (a sentence of what to install or set) when Qt could not
    load a platform: Qt itself would abort the process. `resguardo demo` makes it before starting its server, so
    that no abort of Qt's can leave that server running."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from app.ui.platform_check import check_platform

    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    check_platform()
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    return QApplication(sys.argv)


def open_window(target: ConnectionTarget | None, file: Path | None = None) -> int:
    from PySide6.QtCore import QCoreApplication

    from app.ui.error_dialog import ErrorDialog, install_excepthook
    from app.ui.icons import app_icon
    from app.ui.job_runner import BackgroundPool
    from app.ui.logging_setup import setup_logging
    from app.ui.settings import UiSettings

    app = application()
    app.setApplicationName("Resguardo")
    app.setApplicationDisplayName("Resguardo")
    app.setDesktopFileName("resguardo")
    app.setWindowIcon(app_icon())
    path = setup_logging(debug=logging.getLogger().level == logging.DEBUG)
    log.info("Resguardo window starting; log file %s", path)
    launcher = Launcher(app, target, UiSettings(), BackgroundPool(app))
    app.installEventFilter(FileOpenEvents(launcher))
    close_on_terminate(app)
    if file is not None:
        launcher.open_file(file)

    def show_unexpected(error: ResguardoError) -> None:
        window = launcher.window
        ErrorDialog(
            window if window is not None and window.isVisible() else None,
            error,
            QCoreApplication.translate("Launch", "Unexpected error"),
        ).exec()

    install_excepthook(show_unexpected)
    launcher.start()
    return int(app.exec())

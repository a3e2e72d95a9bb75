"""Shared pieces of the GUI tests: dialogs answered by the test, a window on a real database, the profile
dialog filled in as a user would, the window's language, and what a test compares before and after.

Only the questions are scripted; the window, its worker threads, the engine and
the database are real.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from psycopg import sql
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import QAbstractButton, QWidget
from pytestqt.qtbot import QtBot

from app.engine.connection import ConnectionTarget
from app.engine.errors import ResguardoError
from app.engine.restore.preview import RestorePreview
from app.engine.stores.history import History
from app.engine.stores.profiles import ProfileStore
from app.engine.stores.secrets import SecretStore
from app.ui import language
from app.ui.dialogs import DialogProvider, PasswordAnswer
from app.ui.error_dialog import BusyAnswer
from app.ui.formats import BackupFormat
from app.ui.job_panel import JobPanel
from app.ui.main_window import MainWindow
from app.ui.preview_text import PreviewContext
from app.ui.profile_dialog import ProfileDialog
from tests.support.pg import one_value

WAIT_MS = 60_000


@dataclass
class ScriptedDialogs(DialogProvider):
    """Answers every question from what the test put here, and records what was asked."""

    save_to: Path | None = None
    format_key: str = "native"  # the format chosen in the backup dialog
    open_file: Path | None = None
    confirm_answer: bool = True
    restore_answer: bool | Callable[[QWidget, PreviewContext], bool] = True
    passwords: list[PasswordAnswer | None] = field(default_factory=list)
    keyring_offered: list[bool] = field(default_factory=list)  # whether each password question could remember
    asked: list[tuple[str, str]] = field(default_factory=list)
    previews: list[RestorePreview] = field(default_factory=list)
    contexts: list[PreviewContext] = field(default_factory=list)  # of each confirmation shown
    errors: list[ResguardoError] = field(default_factory=list)
    suggested: list[Path] = field(default_factory=list)
    busy_answers: list[BusyAnswer | None] = field(default_factory=list)  # when a job gave up, the clinic busy
    save_files: list[Path] = field(default_factory=list)  # where each other file asked for goes (key, sheet)

    def save_backup_path(
        self, parent: QWidget, suggested: Path, formats: list[BackupFormat], clinic: str
    ) -> tuple[Path, BackupFormat] | None:
        self.suggested.append(suggested)
        self.asked.append(("save", clinic))
        chosen = next(f for f in formats if f.key == self.format_key)
        return (self.save_to, chosen) if self.save_to else None

    def save_file_path(self, parent: QWidget, title: str, suggested: Path, name_filter: str) -> Path | None:
        self.asked.append(("save file", title))
        self.suggested.append(suggested)
        return self.save_files.pop(0) if self.save_files else None

    def open_backup_path(self, parent: QWidget, title: str, start_dir: Path, name_filter: str) -> Path | None:
        self.asked.append(("open", title))
        return self.open_file

    def confirm_restore(self, parent: QWidget, context: PreviewContext) -> bool:
        self.previews.append(context.preview)
        self.contexts.append(context)
        if callable(self.restore_answer):
            return self.restore_answer(parent, context)
        return self.restore_answer

    def confirm(self, parent: QWidget, title: str, text: str, yes_label: str, danger: bool = False) -> bool:
        self.asked.append(("confirm", text))
        return self.confirm_answer

    def ask_password(self, parent: QWidget, reason: str, keyring_available: bool) -> PasswordAnswer | None:
        self.asked.append(("password", reason))
        self.keyring_offered.append(keyring_available)
        return self.passwords.pop(0) if self.passwords else None

    def show_error(self, parent: QWidget | None, error: ResguardoError) -> None:
        self.errors.append(error)

    def ask_when_busy(self, parent: QWidget | None, error: ResguardoError) -> BusyAnswer | None:
        self.asked.append(("busy", error.message))
        return self.busy_answers.pop(0) if self.busy_answers else None

    def edit_profiles(self, parent: QWidget) -> str | None:
        self.asked.append(("profiles", ""))
        return None


def open_window(
    qtbot: QtBot,
    target: ConnectionTarget | None,
    dialogs: ScriptedDialogs,
    *,
    profile_name: str | None = None,
    secrets: SecretStore | None = None,
    profiles: ProfileStore | None = None,
    history: History | None = None,
) -> MainWindow:
    """A shown window, connecting: `wait_listed` waits until it has listed the tenants (or shown why not)."""
    window = MainWindow(
        target, dialogs=dialogs, profile_name=profile_name, secrets=secrets, profiles=profiles, history=history
    )
    qtbot.addWidget(window)
    window.show()
    return window


def wait_listed(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.listing is not None and window.clinics.rowCount() > 0, timeout=WAIT_MS)


def wait_idle(qtbot: QtBot, window: MainWindow) -> None:
    """No job panel running and no background query pending."""
    qtbot.waitUntil(lambda: not window.jobs.running() and not window.pool.busy, timeout=WAIT_MS)


def run_job(qtbot: QtBot, window: MainWindow, action: str, schema: str | None = None) -> JobPanel:
    """What a user does for every job: select the clinic `schema` (when given), trigger the window's `action`
    (`backup_action`, `restore_action`, `verify_action`, …), and wait until the window is idle; the newest panel."""
    if schema is not None:
        assert window.select(schema), schema
    getattr(window, action).trigger()
    wait_idle(qtbot, window)
    return window.jobs.panels[-1]


def back_up(qtbot: QtBot, window: MainWindow, schema: str) -> JobPanel:
    """Select the clinic, Back up… (the file as the scripted dialogs answer), wait; the job's panel."""
    return run_job(qtbot, window, "backup_action", schema)


def rows_fingerprint(target: ConnectionTarget, schema: str) -> dict[str, str]:
    """Every table's rows (as text, sorted) hashed: equal fingerprints mean equal contents."""
    with target.connect() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND c.relkind = 'r' ORDER BY 1",
                [schema],
            )
        ]
        return {
            t: str(
                one_value(
                    conn,
                    sql.SQL(
                        "SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' "
                        "ORDER BY x::text)), '') FROM {} x"
                    ).format(sql.Identifier(schema, t)),
                )
            )
            for t in tables
        }


def schemas(target: ConnectionTarget) -> set[str]:
    with target.connect() as conn:
        return {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_'")}


def press(qtbot: QtBot, dialog: ProfileDialog, button: QAbstractButton) -> None:
    """Click Save or Delete and wait until the change, made on a worker, is done."""
    button.click()
    assert not dialog.save_button.isEnabled()  # no second change while this one is in flight
    qtbot.waitUntil(dialog.save_button.isEnabled, timeout=WAIT_MS)


def fill_profile(dialog: ProfileDialog, name: str, target: ConnectionTarget, password: str) -> None:
    """A new profile for `target`, its password remembered."""
    params = target.params
    dialog.new_profile()
    dialog.name.setText(name)
    dialog.host.setText(params["host"])
    dialog.port.setValue(int(params["port"]))
    dialog.dbname.setText(target.dbname)
    dialog.user.setText(params["user"])
    dialog.sslmode.setCurrentIndex(dialog.sslmode.findData("disable"))
    dialog.password.setText(password)
    dialog.remember.setChecked(True)


@contextmanager
def installed(code: str) -> Iterator[None]:
    """The window's language for the duration (its catalogue compiled as at first run), then back to the default."""
    before = QLocale()
    language.install(code, language.prepare_catalogue(code))
    try:
        yield
    finally:
        language.install(language.ENGLISH, language.prepare_catalogue(language.ENGLISH))
        QLocale.setDefault(before)

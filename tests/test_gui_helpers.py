"""Shared pieces of the GUI tests: dialogs answered by the test, and a window on a real database.

Only the questions are scripted; the window, its worker threads, the engine and
the database are real. (No tests here; the module name keeps it with its users.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.engine.connection import ConnectionTarget
from app.engine.errors import ResguardoError
from app.ui.dialogs import DialogProvider, PasswordAnswer
from app.ui.formats import BackupFormat
from app.ui.main_window import MainWindow

WAIT_MS = 60_000


@dataclass
class ScriptedDialogs(DialogProvider):
    """Answers every question from what the test put here, and records what was asked."""

    save_to: Path | None = None
    format_key: str = "native"  # the format chosen in the backup dialog
    open_file: Path | None = None
    confirm_answer: bool = True
    restore_answer: Any = True  # True/False, or a callable(parent, context) -> bool
    passwords: list[PasswordAnswer | None] = field(default_factory=list)
    keyring_offered: list[bool] = field(default_factory=list)  # whether each password question could remember
    asked: list[tuple[str, str]] = field(default_factory=list)
    previews: list[Any] = field(default_factory=list)
    contexts: list[Any] = field(default_factory=list)  # PreviewContext of each confirmation shown
    errors: list[ResguardoError] = field(default_factory=list)
    suggested: list[Path] = field(default_factory=list)

    def save_backup_path(self, parent: Any, suggested: Path, formats: list[BackupFormat],
                         clinic: str) -> tuple[Path, BackupFormat] | None:
        self.suggested.append(suggested)
        self.asked.append(("save", clinic))
        chosen = next(f for f in formats if f.key == self.format_key)
        return (self.save_to, chosen) if self.save_to else None

    def open_backup_path(self, parent: Any, title: str, start_dir: Path, name_filter: str) -> Path | None:
        self.asked.append(("open", title))
        return self.open_file

    def confirm_restore(self, parent: Any, context: Any) -> bool:
        self.previews.append(context.preview)
        self.contexts.append(context)
        if callable(self.restore_answer):
            return bool(self.restore_answer(parent, context))
        return bool(self.restore_answer)

    def confirm(self, parent: Any, title: str, text: str, yes_label: str, danger: bool = False) -> bool:
        self.asked.append(("confirm", text))
        return self.confirm_answer

    def ask_password(self, parent: Any, reason: str, keyring_available: bool) -> PasswordAnswer | None:
        self.asked.append(("password", reason))
        self.keyring_offered.append(keyring_available)
        return self.passwords.pop(0) if self.passwords else None

    def show_error(self, parent: Any, error: ResguardoError) -> None:
        self.errors.append(error)

    def edit_profiles(self, parent: Any) -> str | None:
        self.asked.append(("profiles", ""))
        return None


def open_window(qtbot: Any, target: ConnectionTarget | None, dialogs: ScriptedDialogs,
                **kwargs: Any) -> MainWindow:
    """A shown window; waits until it has listed the tenants (or shown why not)."""
    window = MainWindow(target, dialogs=dialogs, **kwargs)
    qtbot.addWidget(window)
    window.show()
    return window


def wait_listed(qtbot: Any, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.listing is not None and window.clinics.rowCount() > 0, timeout=WAIT_MS)


def wait_idle(qtbot: Any, window: MainWindow) -> None:
    """No job panel running and no background query pending."""
    qtbot.waitUntil(lambda: not window.jobs.running() and not window.pool.busy, timeout=WAIT_MS)

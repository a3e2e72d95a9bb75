"""The profile dialog's Encryption row: what the profile's backups are encrypted to, Create a key… and Remove key….

Removing a key (rotation, a lost key, a wrong key pasted) is asked first, Cancel the default, in words: backups
already written stay encrypted and still need that key; new backups are plain, or encrypted only to the keys left;
Resguardo keeps no private key (no file of its own, nothing in the keyring), so nothing else is deleted. The last key
of a profile a schedule uses is not removed (app/engine/routine/profile_keys.py): the schedule would write plain
backups from its next run, unseen; the sentence names the schedules. The schedules and the profiles file are read and
written on the worker pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from app.engine.encryption.recipients import fingerprint
from app.engine.errors import ResguardoError
from app.engine.routine.profile_keys import ScheduledEncryption, remove_keys, schedules_of
from app.engine.stores.profiles import Profile, ProfileStore
from app.text_safety import shown
from app.ui import engine_words
from app.ui.job_runner import BackgroundPool
from app.ui.key_dialog import FileQuestions, KeyDialog, WindowFileDialog, keys_sentence
from app.ui.question import ask_yes_no
from app.ui.style import muted

translate = QCoreApplication.translate


class KeyQuestions(FileQuestions, Protocol):
    """Where a key's files go, and whether to remove a key: the window's DialogProvider, which a test replaces."""

    def confirm(self, parent: QWidget, title: str, text: str, yes_label: str, danger: bool = False) -> bool: ...


class WindowKeyQuestions(WindowFileDialog):
    """The window's own file dialog and question, when no DialogProvider is given."""

    def confirm(self, parent: QWidget, title: str, text: str, yes_label: str, danger: bool = False) -> bool:
        return ask_yes_no(parent, title, text, yes_label, danger)


def key_label(key: str) -> str:
    """A key in a line: its fingerprint's start, as the recovery sheet and `key set-profile` print it, and its start."""
    return f"{fingerprint(key)[:19]}…  {key[:16]}…"


def removal_question(profile: str, key: str, left: list[str]) -> str:
    """What removing `key` from `profile` means, `left` the keys it keeps."""
    parts = [
        translate("ProfileKeys", "Remove the key {fingerprint}… from the profile {profile}?").format(
            fingerprint=fingerprint(key)[:19], profile=shown(profile)
        ),
        translate(
            "ProfileKeys",
            "Backups already written stay encrypted to it: those encrypted to this key alone open only with its key "
            "file and passphrase, so keep them as long as any such backup is kept.",
        ),
    ]
    if not left:
        parts.append(
            translate(
                "ProfileKeys",
                "New backups of {profile} will be written plain: not encrypted, readable by anyone who finds them.",
            ).format(profile=shown(profile))
        )
    elif len(left) == 1:
        parts.append(
            translate(
                "ProfileKeys", "New backups of {profile} will be encrypted only to the other key ({fingerprint}…)."
            ).format(profile=shown(profile), fingerprint=fingerprint(left[0])[:19])
        )
    else:
        parts.append(
            translate(
                "ProfileKeys", "New backups of {profile} will be encrypted only to the other {count} keys."
            ).format(profile=shown(profile), count=len(left))
        )
    parts.append(
        translate(
            "ProfileKeys",
            "Nothing else is deleted: Resguardo keeps no private key, neither in a file of its own nor in the system "
            "keyring, and the key file stays where you put it.",
        )
    )
    return "\n\n".join(parts)


def scheduled_sentence(error: ScheduledEncryption) -> str:
    names = ", ".join(shown(n) for n in error.schedules)
    if len(error.schedules) == 1:
        text = translate(
            "ProfileKeys",
            "Not removed: it is the profile's only key, and the schedule {names} backs up with this profile; "
            "without a key its next backups would be plain. Create another key for the profile first, or remove "
            "the schedule.",
        )
    else:
        text = translate(
            "ProfileKeys",
            "Not removed: it is the profile's only key, and the schedules {names} back up with this profile; "
            "without a key their next backups would be plain. Create another key for the profile first, or remove "
            "the schedules.",
        )
    return text.format(names=names)


class ProfileKeys(QWidget):
    """The keys of the saved profile in the form; `changed(name, keys)` once they are saved otherwise."""

    def __init__(
        self,
        parent: QWidget,
        pool: BackgroundPool,
        store: ProfileStore,
        questions: Callable[[], KeyQuestions],
        say: Callable[[str, bool | None], None],
        changed: Callable[[str, list[str]], None],
    ) -> None:
        super().__init__(parent)
        self.pool, self.store, self._questions, self._say, self._changed = pool, store, questions, say, changed
        self.profile: str | None = None  # the saved profile shown
        self.keys: list[str] = []
        self.key_dialog: KeyDialog | None = None
        self.busy = False

        self.encryption = muted(QLabel(""))
        self.encryption.setWordWrap(True)
        self.list = QListWidget()
        self.list.setAccessibleName(translate("ProfileKeys", "The profile's keys"))
        self.list.currentRowChanged.connect(lambda _row: self._update())
        self.create_button = QPushButton(translate("Profiles", "Create a &key…"))
        self.create_button.clicked.connect(self.create_key)
        self.remove_button = QPushButton(translate("ProfileKeys", "Remo&ve key…"))
        self.remove_button.clicked.connect(self.remove_key)
        buttons = QHBoxLayout()
        buttons.addWidget(self.encryption, 1)
        buttons.addWidget(self.create_button, 0, Qt.AlignmentFlag.AlignTop)
        buttons.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.list)

    def show_profile(self, profile: Profile, saved: bool) -> None:
        self.profile = profile.name if saved else None
        self.keys = list(profile.encrypt_to) if saved else []
        self.encryption.setText(
            keys_sentence(self.keys) if saved else translate("Profiles", "Save the profile to give it a key.")
        )
        self.list.clear()
        for key in self.keys:
            item = QListWidgetItem(key_label(key))
            item.setToolTip(key)
            self.list.addItem(item)
        self.list.setVisible(bool(self.keys))
        rows = max(len(self.keys), 1)
        self.list.setFixedHeight(self.list.sizeHintForRow(0) * min(rows, 3) + 2 * self.list.frameWidth() + 2)
        if self.keys:
            self.list.setCurrentRow(0)
        self._update()

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self._update()

    def _update(self) -> None:
        saved = self.profile is not None and not self.busy
        self.create_button.setEnabled(saved)
        self.remove_button.setEnabled(saved and self.list.currentRow() >= 0 and bool(self.keys))

    # -- Create a key… ---------------------------------------------------------------

    def create_key(self) -> None:
        """Create a key… for the saved profile; its backups are then encrypted to it."""
        name = self.profile
        if name is None:
            return
        self.key_dialog = KeyDialog(self, self.pool, name, self.store, self.keys, self._questions())
        self.key_dialog.finished.connect(lambda _code: self._key_made(name))
        self.key_dialog.open()

    def _key_made(self, name: str) -> None:
        dialog, self.key_dialog = self.key_dialog, None
        if dialog is not None:
            self._changed(name, list(dialog.profile_keys))

    # -- Remove key… -------------------------------------------------------------------

    def remove_key(self) -> None:
        """Ask, then remove the selected key from the saved profile (refused when a schedule would turn plain)."""
        name, row = self.profile, self.list.currentRow()
        if name is None or not 0 <= row < len(self.keys):
            return
        key = self.keys[row]
        left = [k for k in self.keys if k != key]
        if not left:  # the schedules first: a removal that would be refused is not asked about
            self.set_busy(True)
            self.pool.call(lambda: schedules_of(name), lambda using: self._ask(name, key, left, using), self._failed)
            return
        self._ask(name, key, left, [])

    def _ask(self, name: str, key: str, left: list[str], using: list[str]) -> None:
        self.set_busy(False)
        if using:
            self._say(scheduled_sentence(ScheduledEncryption(name, using)), False)
            return
        if not self._questions().confirm(
            self.window(),
            translate("ProfileKeys", "Remove the key"),
            removal_question(name, key, left),
            translate("ProfileKeys", "&Remove the key"),
            danger=True,
        ):
            return
        store = self.store
        self.set_busy(True)
        self.pool.call(lambda: remove_keys(name, [key], store), lambda p: self._removed(name, p), self._failed)

    def _removed(self, name: str, profile: Profile) -> None:
        self.set_busy(False)
        self._changed(name, list(profile.encrypt_to))
        if profile.encrypt_to:
            text = translate(
                "ProfileKeys",
                "Removed the key. New backups of {profile} are encrypted only to the keys left; backups already "
                "written still open with the key removed.",
            )
        else:
            text = translate(
                "ProfileKeys",
                "Removed the key. New backups of {profile} are plain; backups already written stay encrypted and "
                "still need that key.",
            )
        self._say(text.format(profile=shown(name)), True)

    def _failed(self, error: ResguardoError) -> None:
        self.set_busy(False)
        if isinstance(error, ScheduledEncryption):
            self._say(scheduled_sentence(error), False)
        else:
            self._say(engine_words.headline(error), False)

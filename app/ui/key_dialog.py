"""Create a key…: a new encryption key for a profile's backups, its private half in a file the user chooses.

The engine makes the X25519 identity and writes it age-encrypted with the passphrase the user types twice
(app/engine/encryption/identities.py `create_key`, as `resguardo key create`; the passphrase is never echoed,
never logged, never kept); the dialog then shows the public half, its fingerprint and where the private half is,
and the profile's backups are encrypted to the new key from then on (`ProfileStore.set_encryption`, as `resguardo
key set-profile`). "Save recovery sheet…" writes the printable page (recovery_sheet.py). The key's scrypt work
and every file are on the worker pool. Where each file goes is asked through the window's DialogProvider (its
file dialog, in detail view), so a test answers it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.engine.encryption.identities import MIN_PASSPHRASE, create_key
from app.engine.encryption.recipients import fingerprint
from app.engine.encryption.recovery_sheet import write_recovery_sheet
from app.engine.errors import ResguardoError
from app.engine.stores.profiles import ProfileStore
from app.text_safety import shown
from app.ui import engine_words
from app.ui.backup_dialog import ask_save_path
from app.ui.job_runner import BackgroundPool
from app.ui.logging_setup import REDACTOR
from app.ui.style import muted, say_status

translate = QCoreApplication.translate


class FileQuestions(Protocol):
    """What the dialog asks through the window's DialogProvider (app/ui/dialogs.py), which a test replaces."""

    def save_file_path(self, parent: QWidget, title: str, suggested: Path, name_filter: str) -> Path | None: ...


class WindowFileDialog:
    """The window's own file dialog, when no DialogProvider is given."""

    def save_file_path(self, parent: QWidget, title: str, suggested: Path, name_filter: str) -> Path | None:
        return ask_save_path(parent, title, suggested, name_filter)


def keys_sentence(keys: list[str]) -> str:
    """What the profile's backups are encrypted to, in a line."""
    if not keys:
        return translate("KeyDialog", "Backups are not encrypted.")
    first = fingerprint(keys[0])[:19]
    if len(keys) == 1:
        return translate("KeyDialog", "Backups are encrypted to one key (fingerprint {fingerprint}…).").format(
            fingerprint=first
        )
    count = len(keys)
    return translate("KeyDialog", "Backups are encrypted to %n keys; any one of them opens them.", None, count)


class KeyDialog(QDialog):
    """The new key's file and passphrase; once made, its public half, fingerprint and place."""

    def __init__(
        self,
        parent: QWidget | None,
        pool: BackgroundPool,
        profile: str | None,
        store: ProfileStore | None = None,
        profile_keys: list[str] | None = None,
        dialogs: FileQuestions | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("KeyDialog", "Create an encryption key"))
        self.dialogs = dialogs or WindowFileDialog()
        self.pool = pool
        self.profile = profile
        self.store = store or ProfileStore()
        self.profile_keys = list(profile_keys or [])  # as saved, once the key is given to the profile
        self.public = ""  # the new key's public half, once made
        self.key_path: Path | None = None

        intro = QLabel(
            translate(
                "KeyDialog",
                "Backups encrypted to this key can be read only with its key file and passphrase. Backups need "
                "only its public half, so this computer can write backups it cannot read. Keep the key file away "
                "from the backups (a USB stick in the clinic's safe, the owner's computer), and print its "
                "recovery sheet: losing the key file or the passphrase loses every backup encrypted to it alone.",
            )
        )
        intro.setWordWrap(True)
        self.key_file = QLineEdit()  # no folder suggested: not beside the backups, the user's deliberate choice
        self.key_file.setPlaceholderText(translate("KeyDialog", "a USB stick, the owner's computer…"))
        self.key_file.setAccessibleName(translate("KeyDialog", "Key file"))
        browse = QPushButton(translate("KeyDialog", "Ch&oose…"))
        browse.clicked.connect(self._choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.key_file, 1)
        file_row.addWidget(browse)
        self.passphrase = QLineEdit()
        self.again = QLineEdit()
        for field, name in (
            (self.passphrase, translate("KeyDialog", "Passphrase")),
            (self.again, translate("KeyDialog", "The same passphrase again")),
        ):
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.setAccessibleName(name)
            field.textChanged.connect(self._update)
        self.key_file.textChanged.connect(self._update)
        self.hint = muted(QLabel(""))
        self.hint.setWordWrap(True)
        self.use = QCheckBox(
            translate("KeyDialog", "&Encrypt the backups of profile {profile} to this key").format(
                profile=shown(profile or "")
            )
        )
        self.use.setChecked(True)
        self.use.setVisible(profile is not None)
        self.keep = QCheckBox(
            translate("KeyDialog", "&Keep the profile's other keys too (any one of them opens a backup)")
        )
        self.keep.setChecked(True)
        self.keep.setVisible(profile is not None and bool(self.profile_keys))
        form = QFormLayout()
        file_label = QLabel(translate("KeyDialog", "Key &file:"))
        file_label.setBuddy(self.key_file)
        form.addRow(file_label, file_row)
        form.addRow(translate("KeyDialog", "&Passphrase:"), self.passphrase)
        form.addRow(translate("KeyDialog", "&Again:"), self.again)
        form.addRow("", self.hint)
        form.addRow("", self.use)
        form.addRow("", self.keep)
        self.form = QWidget()
        self.form.setLayout(form)

        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.public_field = QLineEdit()
        self.public_field.setReadOnly(True)
        self.public_field.setAccessibleName(translate("KeyDialog", "Public key"))
        self.copy_button = QPushButton(translate("KeyDialog", "&Copy public key"))
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.public))
        public_row = QHBoxLayout()
        public_row.addWidget(self.public_field, 1)
        public_row.addWidget(self.copy_button)
        self.include_key = QCheckBox(
            translate("KeyDialog", "&Include the key file on the sheet (still protected by its passphrase)")
        )
        self.sheet_button = QPushButton(translate("KeyDialog", "Save &recovery sheet…"))
        self.sheet_button.clicked.connect(lambda: self.save_recovery_sheet())
        sheet_row = QVBoxLayout()  # one above the other: the tick's sentence is long in Spanish
        sheet_row.addWidget(self.include_key)
        sheet_row.addWidget(self.sheet_button, 0, Qt.AlignmentFlag.AlignRight)
        self.made = QWidget()
        made = QVBoxLayout(self.made)
        made.setContentsMargins(0, 0, 0, 0)
        made.addWidget(self.summary)
        made.addLayout(public_row)
        made.addLayout(sheet_row)
        self.made.hide()

        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.create_button = QPushButton(translate("KeyDialog", "C&reate the key"))
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.make_key)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.create_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (intro, self.form, self.made, self.status, buttons):
            layout.addWidget(widget)
        self.setMinimumWidth(560)
        self._update()
        self.passphrase.setFocus()

    # -- the form ------------------------------------------------------------------

    def _problem(self) -> str | None:
        """Why the key cannot be made as the form is, or None."""
        if not self.key_file.text().strip():
            return translate("KeyDialog", "Choose where the key file goes.")
        if len(self.passphrase.text()) < MIN_PASSPHRASE:
            return translate("KeyDialog", "At least %n characters; a few words is best.", None, MIN_PASSPHRASE)
        if self.again.text() != self.passphrase.text():
            return translate("KeyDialog", "The two passphrases differ.")
        return None

    def _update(self) -> None:
        problem = self._problem()
        self.hint.setText(problem or translate("KeyDialog", "The passphrases match."))
        self.create_button.setEnabled(problem is None and not self.public)

    def _choose_file(self) -> None:
        typed = self.key_file.text().strip()
        chosen = self.dialogs.save_file_path(
            self,
            translate("KeyDialog", "Where the key file goes"),
            Path(typed) if typed else Path.home() / f"{self.profile or 'resguardo'}-key.age",
            translate("KeyDialog", "Key files (*.age);;All files (*)"),
        )
        if chosen is not None:
            self.key_file.setText(str(chosen))

    def _say(self, text: str, ok: bool | None = None) -> None:
        say_status(self.status, text, ok)

    # -- making the key ----------------------------------------------------------------

    def make_key(self) -> None:
        if self._problem() is not None or self.public:
            return
        out = Path(self.key_file.text().strip()).expanduser()
        typed = self.passphrase.text()
        REDACTOR.add(typed)
        profile = self.profile if self.use.isChecked() else None
        keep = self.profile_keys if self.keep.isChecked() else []
        store = self.store

        def make() -> tuple[str, list[str] | None]:
            public = create_key(out, typed)
            if profile is None:
                return public, None
            keys = [public, *(k for k in keep if k != public)]
            return public, store.set_encryption(profile, keys).encrypt_to

        self.passphrase.clear()
        self.again.clear()
        self.form.setEnabled(False)
        self.create_button.setEnabled(False)
        self._say(translate("KeyDialog", "Making the key…"))
        self.pool.call(make, lambda made: self._made(out, *made), self._failed, name="create a key")

    def _made(self, out: Path, public: str, keys: list[str] | None) -> None:
        self.public, self.key_path = public, out
        self.public_field.setText(public)
        self.public_field.setCursorPosition(0)
        text = translate(
            "KeyDialog",
            "The key is made. Its private half is in {file}, protected by your passphrase; Resguardo keeps "
            "neither. Its public half, below, is all a backup needs. Fingerprint: {fingerprint}.",
        ).format(file=shown(str(out)), fingerprint=fingerprint(public))
        if keys is not None:
            self.profile_keys = keys
            text += " " + translate(
                "KeyDialog", "From now on every backup of profile {profile} is encrypted: {keys}"
            ).format(profile=shown(self.profile or ""), keys=keys_sentence(keys))
        self.summary.setText(text)
        self.form.hide()
        self.made.show()
        self._say("")
        layout = self.layout()  # a wrapped label asks for one line's height: grow to what this width needs
        if layout is not None and layout.hasHeightForWidth():
            layout.activate()
            self.resize(self.width(), max(self.height(), layout.totalHeightForWidth(self.width())))

    def _failed(self, error: ResguardoError) -> None:
        self.form.setEnabled(True)
        self._update()
        if "already exists" in error.message:
            self._say(
                translate(
                    "KeyDialog", "{file} already exists: a key file is never replaced. Choose another name."
                ).format(file=shown(self.key_file.text().strip())),
                False,
            )
        elif "does not exist" in error.message:
            self._say(translate("KeyDialog", "The folder of the key file does not exist."), False)
        else:
            self._say(engine_words.headline(error), False)

    # -- the recovery sheet --------------------------------------------------------------

    def save_recovery_sheet(self, out: Path | None = None) -> None:
        """Write the printable page for the new key to `out`, or where the user chooses."""
        key_path, public = self.key_path, self.public
        if key_path is None:
            return
        if out is None:
            out = self.dialogs.save_file_path(
                self,
                translate("KeyDialog", "Save the recovery sheet"),
                key_path.with_name(key_path.name.removesuffix(".age") + "-recovery-sheet.html"),
                translate("KeyDialog", "Web pages (*.html);;All files (*)"),
            )
            if out is None:
                return
        include = self.include_key.isChecked()
        self.sheet_button.setEnabled(False)
        self.pool.call(
            lambda: write_recovery_sheet(out, public, key_path, include_key_file=include),
            self._sheet_written,
            self._sheet_failed,
            name="write the recovery sheet",
        )

    def _sheet_written(self, out: Path) -> None:
        self.sheet_button.setEnabled(True)
        self._say(
            translate(
                "KeyDialog",
                "Recovery sheet written to {file}. Open it in a web browser and print it; keep it with the key "
                "file, away from the backups.",
            ).format(file=shown(str(out))),
            True,
        )

    def _sheet_failed(self, error: ResguardoError) -> None:
        self.sheet_button.setEnabled(True)
        self._say(engine_words.headline(error), False)

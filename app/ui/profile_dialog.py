"""Connection profiles: add, edit, test and delete; passwords only in the keyring or memory.

The profiles file and the keyring (D-Bus, may take seconds) are read and written
on the worker pool; the dialog's buttons that change them wait while a change is
in flight.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.engine.errors import ResguardoError
from app.engine.login_check import ConnectionCheck, check_connection
from app.engine.stores.profiles import Profile, ProfileStore
from app.engine.stores.secrets import SecretStore
from app.ui import engine_words
from app.ui.connection_words import check_sentence
from app.ui.job_runner import BackgroundPool
from app.ui.logging_setup import REDACTOR
from app.ui.password_dialog import offer_remember
from app.ui.profile_keys import KeyQuestions, ProfileKeys, WindowKeyQuestions
from app.ui.ssl_fields import certificate_row, ssl_mode_box
from app.ui.style import muted, say_status

translate = QCoreApplication.translate


class ProfileDialog(QDialog):
    """Left: the saved profiles. Right: the selected one's fields, Test connection and Save."""

    def __init__(
        self,
        parent: QWidget | None,
        secrets: SecretStore | None = None,
        store: ProfileStore | None = None,
        pool: BackgroundPool | None = None,
        dialogs: KeyQuestions | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("Profiles", "Connection profiles"))
        self.dialogs = dialogs  # the window's questions (where a key's files go, removing a key), or the real ones
        self.secrets = secrets or SecretStore()
        self.store = store or ProfileStore()
        self.pool = pool or BackgroundPool(self)
        self.connect_to: str | None = None
        self._editing: str | None = None  # the saved name of the profile in the form
        self._saved: dict[str, Profile] = {}  # the profiles file as last read on a worker
        self._keyring = False  # a system keyring exists (known once the worker has looked)

        self.list = QListWidget()
        self.list.setAccessibleName(translate("Profiles", "Saved profiles"))
        self.list.currentTextChanged.connect(self._load)
        self.new_button = QPushButton(translate("Profiles", "&New"))
        self.new_button.clicked.connect(self.new_profile)
        self.delete_button = QPushButton(translate("Profiles", "De&lete"))
        self.delete_button.clicked.connect(self.delete_profile)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(self.new_button)
        row.addWidget(self.delete_button)
        left.addLayout(row)

        self.name = QLineEdit()
        self.host = QLineEdit()
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.dbname = QLineEdit()
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = QCheckBox(translate("Profiles", "Re&member password"))
        self.remember.setEnabled(False)  # until the worker has found a keyring
        self.keyring_note = muted(QLabel(translate("Profiles", "Looking for the system keyring…")))
        self.keyring_note.setWordWrap(True)
        self.sslmode = ssl_mode_box()
        self.sslrootcert, cert_row = certificate_row(self)
        self.tenants_table = QLineEdit()
        self.tenants_table.setPlaceholderText(
            translate("Profiles", "found automatically (e.g. public.customers_client)")
        )
        self.user_table = QLineEdit()
        self.user_table.setPlaceholderText(translate("Profiles", "found automatically (e.g. users_customuser)"))

        form = QFormLayout()
        form.addRow(translate("Profiles", "N&ame:"), self.name)
        form.addRow(translate("Profiles", "&Host:"), self.host)
        form.addRow(translate("Profiles", "&Port:"), self.port)
        form.addRow(translate("Profiles", "&Database:"), self.dbname)
        form.addRow(translate("Profiles", "&User:"), self.user)
        form.addRow(translate("Profiles", "Pass&word:"), self.password)
        form.addRow("", self.remember)
        form.addRow("", self.keyring_note)
        form.addRow(translate("Profiles", "SSL m&ode:"), self.sslmode)
        cert_label = QLabel(translate("Profiles", "Root cert&ificate:"))
        cert_label.setBuddy(self.sslrootcert)
        form.addRow(cert_label, cert_row)
        form.addRow(translate("Profiles", "Clinics &table:"), self.tenants_table)
        form.addRow(translate("Profiles", "Users ta&ble:"), self.user_table)
        self.keys = ProfileKeys(self, self.pool, self.store, self._key_questions, self._say, self._keys_changed)
        form.addRow(translate("Profiles", "Encryption:"), self.keys)
        for field, name in (
            (self.name, translate("Profiles", "Profile name")),
            (self.host, translate("Profiles", "Host")),
            (self.port, translate("Profiles", "Port")),
            (self.dbname, translate("Profiles", "Database")),
            (self.user, translate("Profiles", "User")),
            (self.password, translate("Profiles", "Password")),
            (self.sslmode, translate("Profiles", "SSL mode")),
            (self.sslrootcert, translate("Profiles", "Root certificate")),
            (self.tenants_table, translate("Profiles", "Clinics table")),
            (self.user_table, translate("Profiles", "Users table")),
        ):
            field.setAccessibleName(name)

        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.test_button = QPushButton(translate("Profiles", "T&est connection"))
        self.test_button.clicked.connect(self.test_connection)
        self.save_button = QPushButton(translate("Profiles", "&Save"))
        self.save_button.clicked.connect(lambda: self.save())  # not the signal's `checked` as `then`
        self.connect_button = QPushButton(translate("Profiles", "&Connect"))
        self.connect_button.clicked.connect(self.save_and_connect)
        self.connect_button.setDefault(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        for button in (self.test_button, self.save_button, self.connect_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)

        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(self.status)
        right.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addLayout(right, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(buttons)
        self.setMinimumWidth(min(720, self.screen().availableGeometry().width() - 40))

        self.new_profile()
        self._set_busy(True)
        store, secrets = self.store, self.secrets
        self.pool.call(
            lambda: (store.all(), store.last_used, secrets.available),
            self._listed,
            self._change_failed,
            name="read profiles",
        )

    # -- the form ------------------------------------------------------------------

    def _listed(self, found: tuple[list[Profile], str, bool]) -> None:
        profiles, last_used, self._keyring = found
        offer_remember(self.remember, self.keyring_note, self._keyring)
        self._fit_height()  # the note may now be longer
        untouched = self._editing is None and not self.name.text()
        self._reload(profiles, last_used if untouched else None, select_any=untouched)
        self._set_busy(False)

    def _fit_height(self) -> None:
        """Tall enough for every wrapped sentence at this width: a wrapped label's size hint is its one-line
        height, so the layout is asked for the height its width needs."""
        layout = self.layout()
        assert layout is not None
        layout.activate()
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else self.sizeHint().height()
        available = self.screen().availableGeometry().height() - 60
        self.resize(self.width(), min(max(self.height(), needed), available))

    def _reload(self, profiles: list[Profile], select: str | None, select_any: bool = True) -> None:
        self._saved = {p.name: p for p in profiles}
        names = list(self._saved)
        self.list.blockSignals(True)
        self.list.clear()
        self.list.addItems(names)
        self.list.blockSignals(False)
        if select in names:
            self.list.setCurrentRow(names.index(select))
        elif names and select_any:
            self.list.setCurrentRow(0)

    def _set_busy(self, busy: bool) -> None:
        """While the profiles file or the keyring is being read or changed, nothing else may change them."""
        for widget in (self.list, self.new_button, self.delete_button, self.save_button, self.connect_button):
            widget.setEnabled(not busy)
        self.keys.set_busy(busy)

    def _change_failed(self, error: ResguardoError) -> None:
        self._set_busy(False)
        self._say(engine_words.headline(error), False)

    def _load(self, name: str) -> None:
        profile = self._saved.get(name)
        if profile is None:
            return
        self._fill(profile)
        self._editing = name

    def _fill(self, profile: Profile) -> None:
        self.name.setText(profile.name)
        self.host.setText(profile.host)
        self.port.setValue(int(profile.port))
        self.dbname.setText(profile.dbname)
        self.user.setText(profile.user)
        self.password.clear()
        remembered = profile.remember_password and self._keyring
        self.password.setPlaceholderText(translate("Profiles", "(remembered)") if remembered else "")
        self.remember.setChecked(remembered)
        self.sslmode.setCurrentIndex(max(self.sslmode.findData(profile.sslmode), 0))
        self.sslrootcert.setText(profile.sslrootcert)
        self.tenants_table.setText(profile.tenants_table)
        self.user_table.setText(profile.user_table)
        self.keys.show_profile(profile, profile.name in self._saved)
        self.status.clear()

    def _key_questions(self) -> KeyQuestions:
        return self.dialogs or WindowKeyQuestions()

    def _keys_changed(self, name: str, keys: list[str]) -> None:
        """The profile's keys as saved by Create a key… or Remove key…."""
        profile = self._saved.get(name)
        if profile is None:
            return
        profile.encrypt_to = keys
        if self._editing == name:
            self.keys.show_profile(profile, True)

    def new_profile(self) -> None:
        self._editing = None
        self.list.clearSelection()
        self._fill(Profile(name="", remember_password=False))
        self.name.setFocus()

    def profile(self) -> Profile:
        """The profile as the form shows it, or UsageError-like message on bad input."""
        name = self.name.text().strip()
        if not name:
            raise ResguardoError(translate("Profiles", "Give the profile a name."))
        table = self.tenants_table.text().strip()
        if table and "." not in table:
            table = f"public.{table}"
        return Profile(  # an empty field takes Profile's own default
            name=name,
            host=self.host.text().strip() or Profile.host,
            port=self.port.value(),
            dbname=self.dbname.text().strip() or Profile.dbname,
            user=self.user.text().strip() or Profile.user,
            sslmode=str(self.sslmode.currentData()),
            sslrootcert=self.sslrootcert.text().strip(),
            tenants_table=table,
            user_table=self.user_table.text().strip(),
            remember_password=self.remember.isChecked() and self._keyring,
        )

    def _say(self, text: str, ok: bool | None = None) -> None:
        say_status(self.status, text, ok)

    # -- actions -------------------------------------------------------------------

    def test_connection(self) -> None:
        try:
            profile = self.profile()
        except ResguardoError as exc:
            self._say(exc.message, False)
            return
        typed = self.password.text()
        REDACTOR.add(typed)
        saved_name = self._editing
        secrets = self.secrets

        def check() -> tuple[ConnectionCheck, str]:
            password = typed or (secrets.get(saved_name) if saved_name else None)
            target = profile.target(password)
            found = check_connection(target)
            return found, check_sentence(found, target)

        self.test_button.setEnabled(False)
        self._say(translate("Profiles", "Connecting to {host}:{port}…").format(host=profile.host, port=profile.port))
        self.pool.call(check, self._tested, self._test_failed, name="test connection")

    def _tested(self, found: tuple[ConnectionCheck, str]) -> None:
        check, sentence = found
        self.test_button.setEnabled(True)
        self.status.setToolTip(check.message)
        self._say(sentence, check.ok)

    def _test_failed(self, error: ResguardoError) -> None:
        self.test_button.setEnabled(True)
        self._say(engine_words.headline(error), False)

    def save(self, then: Callable[[], None] | None = None) -> None:
        """Save the form on a worker; `then` runs on the UI thread once it is saved."""
        try:
            profile = self.profile()
        except ResguardoError as exc:
            self._say(exc.message, False)
            return
        old = self._editing
        typed = self.password.text()
        REDACTOR.add(typed)
        store, secrets = self.store, self.secrets

        def write() -> tuple[str, list[Profile]]:
            password = typed
            if old and old != profile.name and not password:
                password = secrets.get(old) or ""
            store.save(profile, replacing=old)
            if old and old != profile.name:
                secrets.forget(old)
            if profile.remember_password:
                message = translate("Profiles", "Saved.")
                if password:
                    in_keyring = secrets.remember(profile.name, password)
                    message += " " + (
                        translate("Profiles", "The password is in the system keyring.")
                        if in_keyring
                        else translate(
                            "Profiles", "The keyring refused the password: it is kept in memory until Resguardo closes."
                        )
                    )
            else:
                secrets.forget(profile.name)
                if password:
                    secrets.remember_for_session(profile.name, password)
                message = translate(
                    "Profiles", "Saved. The password is not remembered; it will be asked next time Resguardo starts."
                )
            return message, store.all()

        def saved(result: tuple[str, list[Profile]]) -> None:
            message, profiles = result
            self._editing = profile.name
            self._reload(profiles, profile.name)
            self._set_busy(False)
            self._say(message, True)
            if then is not None:
                then()

        self._set_busy(True)
        self._say(translate("Profiles", "Saving…"))
        self.pool.call(write, saved, self._change_failed, name="save profile")

    def save_and_connect(self) -> None:
        self.save(then=self._connect_saved)

    def _connect_saved(self) -> None:
        self.connect_to = self._editing
        self.accept()

    def delete_profile(self) -> None:
        name = self._editing
        if not name:
            return
        store, secrets = self.store, self.secrets

        def remove() -> list[Profile]:
            store.delete(name)
            secrets.forget(name)
            return store.all()

        def removed(profiles: list[Profile]) -> None:
            self._editing = None
            self._reload(profiles, None)
            if self.list.count() == 0:
                self.new_profile()
            self._set_busy(False)
            self._say(
                translate("Profiles", "Deleted the profile {name} and its remembered password.").format(name=name), True
            )

        self._set_busy(True)
        self.pool.call(remove, removed, self._change_failed, name="delete profile")

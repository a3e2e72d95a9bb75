"""Connecting, and noticing when the connection is gone: the window's link to the server.

Every check is a short login on a worker thread. A password problem asks for
the password (offering to remember it only where a keyring exists). While
connected, a check runs every HEARTBEAT_MS, before each clinic action, and
after any failure; when it fails the window is told the connection is lost
(list greyed, actions off, a Reconnect button) instead of acting as if it
were still there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from app.engine.connection import ConnectionTarget
from app.engine.errors import ResguardoError
from app.engine.login_check import PASSWORD_PROBLEMS, ConnectionCheck, check_connection
from app.engine.stores.profiles import Profile, ProfileStore
from app.engine.stores.secrets import SecretStore
from app.ui.connection_words import check_error, check_sentence
from app.ui.dialogs import DialogProvider, PasswordAnswer
from app.ui.job_runner import BackgroundPool
from app.ui.logging_setup import REDACTOR
from app.ui.session import Session

log = logging.getLogger(__name__)
translate = QCoreApplication.translate
HEARTBEAT_MS = 15_000


@dataclass(frozen=True)
class Attempt:
    """One connection attempt, made on a worker thread with everything the UI thread then needs."""

    target: ConnectionTarget
    check: ConnectionCheck
    profile: Profile | None
    keyring_available: bool  # read only when a password must be asked for (the keyring may ask D-Bus)


def attempt(target: ConnectionTarget, profile: Profile | None, secrets: SecretStore) -> Attempt:
    """Runs on a worker: the check, and for a password problem whether a keyring could remember the next one."""
    REDACTOR.add(target.password)
    check = check_connection(target)
    keyring = secrets.available if not check.ok and check.problem in PASSWORD_PROBLEMS else False
    return Attempt(target, check, profile, keyring)


class ConnectionFlow(QObject):
    connected = Signal(object)  # Session
    failed = Signal(object)  # ResguardoError: no connection could be made
    lost = Signal(object)  # ResguardoError: the connection that worked does not any more
    status = Signal(str)  # what is happening, for the status bar

    def __init__(
        self,
        parent: QWidget,
        pool: BackgroundPool,
        dialogs: DialogProvider,
        secrets: SecretStore,
        profiles: ProfileStore,
    ) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.pool, self.dialogs, self.secrets, self.profiles = pool, dialogs, secrets, profiles
        self.session: Session | None = None
        self.is_lost = False
        self._last: Attempt | None = None
        self._checking = False
        self._heartbeat = QTimer(self)
        self._heartbeat.setInterval(HEARTBEAT_MS)
        self._heartbeat.timeout.connect(lambda: self.check_now())

    @property
    def last_attempt(self) -> Attempt | None:
        """The last attempt that connected: what Reconnect (or a window rebuilt in another language) reuses."""
        return self._last

    @property
    def usable(self) -> bool:
        return self.session is not None and not self.is_lost

    # -- connecting ------------------------------------------------------------------

    def connect_profile(self, name: str | None, no_profile: Callable[[], None]) -> None:
        """A saved profile (the last one used when no name); `no_profile` when there is none."""
        profiles, secrets = self.profiles, self.secrets

        def find_and_attempt() -> Attempt | None:  # the profiles file and the keyring may be slow
            chosen = name or profiles.last_used
            if not chosen:
                return None
            profile = profiles.get(chosen)
            return attempt(profile.target(secrets.get(profile.name)), profile, secrets)

        self.status.emit(
            translate("ConnectionFlow", "Connecting to {name}…").format(name=name)
            if name
            else translate("ConnectionFlow", "Opening the last connection profile used…")
        )
        self.pool.call(
            find_and_attempt,
            lambda found: self._checked(found) if found else no_profile(),
            self._give_up,
            name="connect",
        )

    def connect_target(self, target: ConnectionTarget, profile: Profile | None = None) -> None:
        secrets = self.secrets
        self.status.emit(translate("ConnectionFlow", "Connecting to {server}…").format(server=target.describe()))
        self.pool.call(lambda: attempt(target, profile, secrets), self._checked, self._give_up, name="connect")

    def reconnect(self) -> None:
        if self._last is not None:
            self.connect_target(self._last.target, self._last.profile)

    def _checked(self, found: Attempt) -> None:
        target, check, profile = found.target, found.check, found.profile
        if check.ok:
            self._last = found
            self.is_lost = False
            self.session = Session(
                target,
                check,
                profile.name if profile else None,
                (profile.tenants_table or None) if profile else None,
                (profile.user_table or None) if profile else None,
            )
            log.info(  # the log file's own words (English, as the engine's lines), not the status bar's
                "Connected to %s: PostgreSQL %s, user %s%s",
                target.describe(),
                check.server_version.split()[0] if check.server_version else "?",
                check.user,
                " (superuser)" if check.is_superuser else "",
            )
            if profile is not None:
                self._remember_last_used(profile.name)
            self._heartbeat.start()
            self.connected.emit(self.session)
            return
        log.info("Connection failed: %s", check.message)
        if check.problem in PASSWORD_PROBLEMS:
            answer = self.dialogs.ask_password(
                self.parent_widget, check_sentence(check, target), found.keyring_available
            )
            if answer is not None:
                self._retry_with(answer, found)
                return
        self._give_up(check_error(check, target))

    def _give_up(self, error: ResguardoError) -> None:
        """No connection could be made. Unless it was the lost server's Reconnect, the window is connected to
        nothing now: the server it had is not the one the user asked for, and no action may reach it."""
        if not self.is_lost:
            self.session = None
            self._heartbeat.stop()
        self.failed.emit(error)

    def _remember_last_used(self, name: str) -> None:
        profiles = self.profiles

        def write() -> None:
            profiles.last_used = name

        self.pool.call(
            write,
            lambda _: None,
            lambda error: log.warning("Could not note %r as the last profile used: %s", name, error.message),
            name="note last profile",
        )

    def _retry_with(self, answer: PasswordAnswer, failed: Attempt) -> None:
        """Connect again with the password just typed, keeping it first as the user chose."""
        profiles, secrets, profile = self.profiles, self.secrets, failed.profile
        target = ConnectionTarget(failed.target.conninfo, answer.password, failed.target.connect_timeout)

        def keep_and_attempt() -> Attempt:
            if profile is None:
                return attempt(target, None, secrets)
            if not answer.remember:
                secrets.remember_for_session(profile.name, answer.password)
                return attempt(target, profile, secrets)
            secrets.remember(profile.name, answer.password)
            kept = replace(profile, remember_password=True)
            if not profile.remember_password:
                profiles.save(kept)
            return attempt(target, kept, secrets)

        self.status.emit(translate("ConnectionFlow", "Connecting to {server}…").format(server=target.describe()))
        self.pool.call(keep_and_attempt, self._checked, self._give_up, name="connect")

    # -- staying connected -------------------------------------------------------------

    def check_now(self, then: Callable[[], None] | None = None) -> None:
        """Log in once on a worker; `then` runs if the server still answers, the window hears if it does not."""
        session = self.session
        if session is None or (self._checking and then is None):
            return
        self._checking = True

        def checked(check: ConnectionCheck) -> None:
            self._checking = False
            if self.session is not session:
                return
            if check.ok:
                if then is not None:
                    then()
                return
            self._set_lost(check_error(check, session.target))

        def failed(error: ResguardoError) -> None:
            self._checking = False
            if self.session is session:
                self._set_lost(error)

        self.pool.call(lambda: check_connection(session.target), checked, failed, name="connection check")

    def _set_lost(self, error: ResguardoError) -> None:
        if not self.is_lost:
            self.is_lost = True
            self._heartbeat.stop()
            log.info("Connection lost: %s", error.message)
            self.lost.emit(error)

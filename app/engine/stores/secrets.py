"""Passwords live in the OS keyring, or in this process's memory; never in a file.

The wrapper knows whether a real keyring is there, so the window can tell the
user where the secret is kept, and falls back to memory (this session only)
instead of any plaintext store.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import TypeVar

import keyring
import keyring.backend
import keyring.errors

SERVICE = "Resguardo"
KEYRING_TIMEOUT = 5.0  # seconds an interactive CLI waits for the keyring (an unlock prompt) before giving up
T = TypeVar("T")


class KeyringState(enum.StrEnum):
    """What asking the keyring for a profile's password gave."""

    FOUND = "found"
    NO_ENTRY = "no entry"
    MISSING = "missing"
    LOCKED = "locked"
    NO_ANSWER = "no answer"


@dataclass(frozen=True)
class Lookup:
    """A profile's password from the keyring, and a sentence saying where it came from or why there is none."""

    profile: str
    state: KeyringState
    keyring: str
    password: str | None = None
    timeout: float = KEYRING_TIMEOUT

    def sentence(self) -> str:
        if self.state is KeyringState.FOUND:
            return f"The password comes from the system keyring ({self.keyring})."
        if self.state is KeyringState.NO_ENTRY:
            return f"The system keyring ({self.keyring}) has no password for the profile {self.profile!r}."
        if self.state is KeyringState.LOCKED:
            return f"The system keyring ({self.keyring}) is locked, and a run without a person cannot unlock it."
        if self.state is KeyringState.NO_ANSWER:
            return (
                f"The system keyring did not answer within {self.timeout:g} s (it may be waiting for someone to "
                "unlock it); Resguardo stopped waiting."
            )
        return (
            "There is no system keyring in this session (none is installed, or the session has no D-Bus, "
            "as under cron)."
        )


_INSECURE_BACKENDS = ("PlaintextKeyring", "EncryptedKeyring", "Keyring")  # keyrings.alt file stores


class SecretStore:
    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._chosen = backend
        self._session: dict[str, str] = {}

    @property
    def _backend(self) -> keyring.backend.KeyringBackend:
        """Looked up on first use, not when the window is built: finding it may ask D-Bus and block."""
        if self._chosen is None:
            self._chosen = keyring.get_keyring()
        return self._chosen

    @property
    def available(self) -> bool:
        """A usable system keyring (not the fail/null backend, not a plaintext file)."""
        backend = self._backend
        name = type(backend).__name__
        module = type(backend).__module__
        if module.startswith("keyrings.alt") and name in _INSECURE_BACKENDS:
            return False
        if name in ("FailKeyring", "NullKeyring"):
            return False
        try:
            return float(backend.priority) > 0
        except Exception:
            return False

    @property
    def where(self) -> str:
        """A sentence for the profile dialog saying where a remembered password goes."""
        if self.available:
            return f"Passwords are kept in the system keyring ({_describe(self._backend)})."
        return (
            "No system keyring is available: the password is kept in memory for this "
            "session only and will be asked again next time."
        )

    def get(self, profile: str) -> str | None:
        if profile in self._session:
            return self._session[profile]
        if not self.available:
            return None
        try:
            return self._backend.get_password(SERVICE, profile)
        except keyring.errors.KeyringError:
            return None

    def lookup(self, profile: str, timeout: float = KEYRING_TIMEOUT) -> Lookup:
        """The password and what the keyring said, never waiting more than `timeout` seconds: finding the keyring
        and reading from it may wait for an unlock prompt that no one answers (`keyring` has no timeout)."""
        if profile in self._session:
            return Lookup(profile, KeyringState.FOUND, "this session's memory", self._session[profile], timeout)

        def ask() -> Lookup:
            if not self.available:
                return Lookup(profile, KeyringState.MISSING, _describe(self._backend), timeout=timeout)
            name = _describe(self._backend)
            try:
                password = self._backend.get_password(SERVICE, profile)
            except keyring.errors.KeyringLocked:
                return Lookup(profile, KeyringState.LOCKED, name, timeout=timeout)
            except keyring.errors.KeyringError:
                return Lookup(profile, KeyringState.MISSING, name, timeout=timeout)
            state = KeyringState.NO_ENTRY if password is None else KeyringState.FOUND
            return Lookup(profile, state, name, password, timeout)

        answer = bounded(ask, timeout)
        return answer if answer is not None else Lookup(profile, KeyringState.NO_ANSWER, "", timeout=timeout)

    def remember(self, profile: str, password: str) -> bool:
        """Keep the password; True if it went to the keyring, False if only to memory."""
        self._session[profile] = password
        if not self.available:
            return False
        try:
            self._backend.set_password(SERVICE, profile, password)
        except keyring.errors.KeyringError:
            return False
        return True

    def remember_for_session(self, profile: str, password: str) -> None:
        self._session[profile] = password

    def forget(self, profile: str) -> None:
        self._session.pop(profile, None)
        if not self.available:
            return
        with suppress(keyring.errors.KeyringError):  # includes PasswordDeleteError: nothing was stored
            self._backend.delete_password(SERVICE, profile)


def bounded(call: Callable[[], T], timeout: float) -> T | None:
    """`call()` on a daemon thread, or None when it has not returned within `timeout` seconds (the thread is left
    to finish or to die with the process: a keyring call cannot be interrupted)."""
    result: list[T] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            result.append(call())
        except BaseException as exc:  # handed to the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=work, name="keyring", daemon=True)
    worker.start()
    worker.join(timeout)
    if failure:
        raise failure[0]
    return result[0] if result else None


def _describe(backend: keyring.backend.KeyringBackend) -> str:
    name = getattr(backend, "name", "") or type(backend).__name__
    return str(name)

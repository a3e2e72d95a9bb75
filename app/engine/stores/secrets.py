"""Passwords live in the OS keyring, or in this process's memory; never in a file.

The wrapper knows whether a real keyring is there, so the window can tell the
user where the secret is kept, and falls back to memory (this session only)
instead of any plaintext store.
"""

from __future__ import annotations

from contextlib import suppress

import keyring
import keyring.backend
import keyring.errors

SERVICE = "Resguardo"

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


def _describe(backend: keyring.backend.KeyringBackend) -> str:
    name = getattr(backend, "name", "") or type(backend).__name__
    return str(name)

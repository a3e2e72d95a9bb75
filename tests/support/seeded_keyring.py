"""The test keyring for child processes (CLI tests): seeded from the JSON file that RESGUARDO_TEST_KEYRING names.

The file says `{"passwords": {profile: password}, "state": "open" | "locked" | "blocking"}`: a locked keyring
raises KeyringLocked as the Secret Service backend does when it cannot unlock; a blocking one never answers,
as a keyring waiting on an unlock prompt that no one sees. The file lives in the test's own folder.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import keyring.errors

from tests.support.memory_keyring import MemoryKeyring


class SeededKeyring(MemoryKeyring):
    def __init__(self) -> None:
        super().__init__()
        seed = json.loads(Path(os.environ["RESGUARDO_TEST_KEYRING"]).read_text(encoding="utf-8"))
        self.state = seed.get("state", "open")
        self.store = {("Resguardo", k): v for k, v in seed.get("passwords", {}).items()}

    def get_password(self, service: str, username: str) -> str | None:
        if self.state == "locked":
            raise keyring.errors.KeyringLocked("Failed to unlock the collection!")
        if self.state == "blocking":
            threading.Event().wait()  # the unlock prompt no one answers
        return super().get_password(service, username)


def seeded(path: os.PathLike[str] | str, passwords: dict[str, str], state: str = "open") -> dict[str, str]:
    """Write the seed file; the environment a child process needs to use it."""
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"passwords": passwords, "state": state}, handle)
    return {
        "PYTHON_KEYRING_BACKEND": "tests.support.seeded_keyring.SeededKeyring",
        "RESGUARDO_TEST_KEYRING": os.fspath(path),
    }

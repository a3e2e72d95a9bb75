"""The window's own settings (the language chosen in its menu, the folders added to the Backups view): a small JSON
file in the user config dir.

Read and written only on worker threads, like the profiles file. An unreadable
file counts as empty: a lost setting must never stop the window from opening.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from app import paths
from app.engine.stores.files import write_atomically

log = logging.getLogger(__name__)

SYSTEM_LANGUAGE = "system"


class UiSettings:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.config_dir() / "settings.json"

    def _read(self) -> dict[str, object]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("Ignoring unreadable settings %s: %s", self.path, exc)
            return {}
        return data if isinstance(data, dict) else {}

    @property
    def language(self) -> str:
        """ "system" (follow the system's language), or a language code chosen in the menu."""
        return str(self._read().get("language") or SYSTEM_LANGUAGE)

    @language.setter
    def language(self, code: str) -> None:
        data = self._read()
        data["language"] = code
        write_atomically(self.path, json.dumps(data, indent=2).encode())

    @property
    def backup_folders(self) -> list[str]:
        """Folders the user added to the Backups view ("Add folder…"), looked in besides the schedules' own."""
        folders = self._read().get("backup_folders")
        return [str(f) for f in folders] if isinstance(folders, list) else []

    def add_backup_folder(self, folder: str) -> None:
        data = self._read()
        data["backup_folders"] = [*(f for f in self.backup_folders if f != folder), folder][-20:]
        write_atomically(self.path, json.dumps(data, indent=2).encode())

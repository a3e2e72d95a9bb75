"""Where Resguardo keeps its files: the one module that asks platformdirs.

`RESGUARDO_HOME` moves everything under one folder (tests, development,
portable installs); otherwise each kind of file goes where the OS expects it.
Folders are created by whoever writes into them, not by these getters.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import platformdirs

APP_NAME = "Resguardo"


def _home_override() -> Path | None:
    value = os.environ.get("RESGUARDO_HOME")
    return Path(value) if value else None


def _dir(kind: str) -> Path:
    home = _home_override()
    if home is not None:
        path = home / kind
    else:
        finders: dict[str, Callable[..., Path]] = {
            "config": platformdirs.user_config_path,
            "data": platformdirs.user_data_path,
            "log": platformdirs.user_log_path,
            "state": platformdirs.user_state_path,
            "cache": platformdirs.user_cache_path,
        }
        path = finders[kind](APP_NAME, appauthor=False)
    return path  # not created here: asking where a file goes must not touch the disk (the UI thread asks)


def config_dir() -> Path:
    """Settings and connection profiles (never passwords)."""
    return _dir("config")


def data_dir() -> Path:
    """The demo server's data directory and other bulky local data."""
    return _dir("data")


def log_dir() -> Path:
    """The rotating log file."""
    return _dir("log")


def state_dir() -> Path:
    """Small local history (last backups made on this workstation)."""
    return _dir("state")


def cache_dir() -> Path:
    """Files Resguardo can rebuild at any time (the window's compiled translations)."""
    return _dir("cache")


def documents_dir() -> Path:
    """First folder offered for backups: a Resguardo folder in the user's documents."""
    home = _home_override()
    base = home / "documents" if home is not None else platformdirs.user_documents_path()
    return base / APP_NAME


def systemd_user_dir() -> Path:
    """Where systemd looks for this user's own units (schedules' timers); under RESGUARDO_HOME in tests."""
    home = _home_override()
    return home / "systemd-user" if home is not None else platformdirs.user_config_path("systemd") / "user"


def launch_agents_dir() -> Path:
    """Where launchd looks for this user's agents on macOS (schedules); under RESGUARDO_HOME in tests."""
    home = _home_override()
    return home / "LaunchAgents" if home is not None else Path.home() / "Library" / "LaunchAgents"

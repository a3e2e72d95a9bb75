"""Where the window's resources are: `app/resources/`, beside this package in a checkout, an installed
wheel and a PyInstaller bundle alike (the package data, pyproject.toml)."""

from __future__ import annotations

from pathlib import Path


def resources_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "resources"

"""The command the OS's scheduler runs: this interpreter (or this bundled program) with `schedule run NAME`."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import app
from app.engine.errors import UsageError


@dataclass(frozen=True)
class RunCommand:
    argv: tuple[str, ...]  # absolute program path first
    workdir: str  # `python -m app` finds the package from here
    env: dict[str, str]  # RESGUARDO_HOME when set, so the run reads the same schedules as `add` wrote


def run_command(name: str) -> RunCommand:
    if getattr(sys, "frozen", False):  # a bundled program: the executable is Resguardo itself
        argv: tuple[str, ...] = (str(Path(sys.executable).resolve()), "schedule", "run", name)
    else:
        argv = (str(Path(sys.executable).absolute()), "-m", "app", "schedule", "run", name)
    home = os.environ.get("RESGUARDO_HOME")
    env = {"RESGUARDO_HOME": str(Path(home).absolute())} if home else {}
    command = RunCommand(argv, str(Path(app.__file__).resolve().parent.parent), env)
    words = [*command.argv, command.workdir, *command.env.values()]
    if any(ch in word for word in words for ch in "\n\r\0"):
        raise UsageError(
            "A path of this program or of RESGUARDO_HOME holds a line break; no scheduler entry can name it."
        )
    return command

"""A launchd agent: StartCalendarInterval runs a start missed while the Mac slept as soon as it wakes."""

from __future__ import annotations

import plistlib

from app import paths
from app.engine.routine.command_line import RunCommand
from app.engine.routine.schedules import Schedule


def label(schedule_name: str) -> str:
    return f"org.resguardo.schedule.{schedule_name}"


def plist_bytes(schedule: Schedule, command: RunCommand) -> bytes:
    log = paths.log_dir() / f"schedule-{schedule.name}.log"
    agent = {
        "Label": label(schedule.name),
        "ProgramArguments": list(command.argv),
        "WorkingDirectory": command.workdir,
        "EnvironmentVariables": dict(command.env),
        "StartCalendarInterval": [{"Hour": h, "Minute": m} for h, m in schedule.hours_minutes()],
        "RunAtLoad": False,
        "StandardOutPath": str(log),
        "StandardErrorPath": str(log),
    }
    return plistlib.dumps(agent, fmt=plistlib.FMT_XML)

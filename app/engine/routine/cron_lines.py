"""crontab lines, where there is no systemd: cron does not run a start missed while the computer was off.

A line is the shell command cron gives to `sh`, words quoted by shlex; cron itself turns an unescaped `%`
into a newline, so each `%` is written `\\%`."""

from __future__ import annotations

import shlex

from app.engine.routine.command_line import RunCommand
from app.engine.routine.schedules import Schedule


def marker(schedule_name: str) -> str:
    return f"# resguardo-schedule:{schedule_name}"


def lines(schedule: Schedule, command: RunCommand) -> list[str]:
    env = " ".join(shlex.quote(f"{k}={v}") for k, v in sorted(command.env.items()))
    run = " ".join(shlex.quote(w) for w in command.argv)
    line = f"cd {shlex.quote(command.workdir)} && {env + ' ' if env else ''}{run}".replace("%", "\\%")  # cron: % ends
    return [f"{m} {h} * * * {line} {marker(schedule.name)}" for h, m in schedule.hours_minutes()]


def without(crontab: str, schedule_name: str) -> list[str]:
    """The crontab's lines but this schedule's."""
    return [line for line in crontab.splitlines() if not line.endswith(marker(schedule_name))]

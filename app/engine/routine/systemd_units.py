"""A systemd user timer and its service: `Persistent=true` runs a start missed while the computer was off."""

from __future__ import annotations

from app.engine.routine.command_line import RunCommand
from app.engine.routine.schedules import Schedule


def unit_name(schedule_name: str) -> str:
    return f"resguardo-{schedule_name}"


def _quoted(word: str) -> str:
    """One ExecStart/Environment word: double-quoted, with systemd's specifiers (%) and variables ($) escaped."""
    escaped = word.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    return f'"{escaped}"'


def service_text(schedule: Schedule, command: RunCommand) -> str:
    lines = [
        "[Unit]",
        f"Description=Resguardo scheduled backup {schedule.name}",
        "",
        "[Service]",
        "Type=oneshot",
        f"WorkingDirectory={command.workdir.replace('%', '%%')}",  # taken as it is, spaces too: no quotes
        *(f"Environment={_quoted(f'{k}={v}')}" for k, v in sorted(command.env.items())),
        f"ExecStart={' '.join(_quoted(w) for w in command.argv)}",
        "",
    ]
    return "\n".join(lines)


def timer_text(schedule: Schedule) -> str:
    lines = [
        "[Unit]",
        f"Description=Resguardo scheduled backup {schedule.name} at {', '.join(sorted(schedule.times))}",
        "",
        "[Timer]",
        *(f"OnCalendar=*-*-* {h:02d}:{m:02d}:00" for h, m in schedule.hours_minutes()),
        "Persistent=true",
        f"Unit={unit_name(schedule.name)}.service",
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
    ]
    return "\n".join(lines)

"""Put a schedule into the OS's own scheduler, and take it out again, leaving nothing behind.

Linux: a systemd user timer (a crontab line where systemd does not run); Windows: a Task Scheduler task;
macOS: a launchd agent. Files go where each scheduler looks (app/paths.py, moved under RESGUARDO_HOME in
tests); the scheduler's own commands run through `runner`, so tests see the exact command lines, and with
`activate=False` nothing is run at all (the commands are returned for the user to run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from app import paths
from app.engine.child_process import NO_CONSOLE_WINDOW
from app.engine.errors import ResguardoError, UsageError
from app.engine.routine import cron_lines, launchd_agent, systemd_units, windows_task
from app.engine.routine.command_line import run_command
from app.engine.routine.schedules import Schedule
from app.engine.stores.files import write_atomically

SCHEDULERS = ("systemd", "cron", "windows", "launchd")
Runner = Callable[[Sequence[str], str | None], subprocess.CompletedProcess[str]]


def run_os_command(argv: Sequence[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            list(argv),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            creationflags=NO_CONSOLE_WINDOW,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return subprocess.CompletedProcess(list(argv), 127, "", str(exc))


@dataclass
class Installed:
    scheduler: str
    files: list[Path] = field(default_factory=list)
    commands: list[list[str]] = field(default_factory=list)  # run, or to run (activate=False)
    crontab_lines: list[str] = field(default_factory=list)


def detect_scheduler() -> str:
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "launchd"
    if Path("/run/systemd/system").is_dir() and shutil.which("systemctl"):
        return "systemd"
    return "cron"


def install(schedule: Schedule, scheduler: str, *, runner: Runner = run_os_command, activate: bool = True) -> Installed:
    """Write the scheduler's entry for `schedule` and, with `activate`, load it; a failure leaves nothing."""
    if scheduler not in SCHEDULERS:
        raise UsageError(f"Unknown scheduler {scheduler!r}; use one of {', '.join(SCHEDULERS)}.")
    command = run_command(schedule.name)
    done = Installed(scheduler)
    if scheduler == "systemd":
        unit = systemd_units.unit_name(schedule.name)
        folder = paths.systemd_user_dir()
        done.files = [
            _write(folder / f"{unit}.service", systemd_units.service_text(schedule, command).encode()),
            _write(folder / f"{unit}.timer", systemd_units.timer_text(schedule).encode()),
        ]
        done.commands = [
            ["systemctl", "--user", "daemon-reload"],
            ["systemctl", "--user", "enable", "--now", f"{unit}.timer"],
        ]
    elif scheduler == "windows":
        path = _write(paths.config_dir() / "tasks" / f"{schedule.name}.xml", windows_task.task_xml(schedule, command))
        done.files = [path]
        done.commands = [["schtasks", "/Create", "/TN", windows_task.task_name(schedule.name), "/XML", str(path), "/F"]]
    elif scheduler == "launchd":
        path = _write(
            paths.launch_agents_dir() / f"{launchd_agent.label(schedule.name)}.plist",
            launchd_agent.plist_bytes(schedule, command),
        )
        done.files = [path]
        done.commands = [["launchctl", "bootstrap", _gui_domain(), str(path)]]
    else:
        done.crontab_lines = cron_lines.lines(schedule, command)
    if activate:
        try:
            if scheduler == "cron":
                _replace_cron(runner, schedule.name, done.crontab_lines)
            else:
                if scheduler == "launchd":  # a previous version of the agent must go first
                    runner(["launchctl", "bootout", _gui_domain(), str(done.files[0])], None)
                for argv in done.commands:
                    _check(runner(argv, None), f"The {scheduler} scheduler refused the schedule {schedule.name!r}")
        except ResguardoError:
            uninstall(schedule.name, scheduler, runner=runner)
            raise
    return done


def uninstall(name: str, scheduler: str, *, runner: Runner = run_os_command, activate: bool = True) -> list[Path]:
    """Unload and delete the scheduler's entry for the schedule `name`; the files removed."""
    removed: list[Path] = []
    if scheduler == "systemd":
        unit = systemd_units.unit_name(name)
        if activate:
            runner(["systemctl", "--user", "disable", "--now", f"{unit}.timer"], None)  # fails when not loaded: fine
        removed = _remove(paths.systemd_user_dir() / f"{unit}.timer", paths.systemd_user_dir() / f"{unit}.service")
        if activate:
            runner(["systemctl", "--user", "daemon-reload"], None)
    elif scheduler == "windows":
        if activate:
            runner(["schtasks", "/Delete", "/TN", windows_task.task_name(name), "/F"], None)
        removed = _remove(paths.config_dir() / "tasks" / f"{name}.xml")
    elif scheduler == "launchd":
        path = paths.launch_agents_dir() / f"{launchd_agent.label(name)}.plist"
        if activate:
            runner(["launchctl", "bootout", _gui_domain(), str(path)], None)
        removed = _remove(path)
    elif scheduler == "cron" and activate:
        _replace_cron(runner, name, [])
    return removed


def _replace_cron(runner: Runner, name: str, new_lines: list[str]) -> None:
    current = runner(["crontab", "-l"], None)
    if current.returncode != 0 and "no crontab" not in current.stderr.lower():
        _check(current, "The crontab cannot be read")
    text = current.stdout if current.returncode == 0 else ""
    lines = [*cron_lines.without(text, name), *new_lines]
    _check(runner(["crontab", "-"], "\n".join(lines) + "\n"), "The crontab cannot be written")


def _check(result: subprocess.CompletedProcess[str], what: str) -> None:
    if result.returncode != 0:
        why = (result.stderr or result.stdout).strip().splitlines()
        raise ResguardoError(
            f"{what}: `{' '.join(result.args)}` said: {why[-1] if why else f'exit status {result.returncode}'}.",
            result.stderr,
        )


def _gui_domain() -> str:
    return f"gui/{os.getuid()}" if hasattr(os, "getuid") else "gui"


def _write(path: Path, data: bytes) -> Path:
    write_atomically(path, data)
    if os.name == "posix":
        path.chmod(0o644)  # systemd and launchd read it; it holds no secret
    return path


def _remove(*files: Path) -> list[Path]:
    removed = []
    for path in files:
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed

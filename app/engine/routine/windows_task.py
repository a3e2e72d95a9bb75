"""A Task Scheduler task (schema 1.2): daily triggers, and StartWhenAvailable for a start that was missed."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET

from app.engine.routine.command_line import RunCommand
from app.engine.routine.schedules import Schedule

NAMESPACE = "http://schemas.microsoft.com/windows/2004/02/mit/task"


def task_name(schedule_name: str) -> str:
    return f"\\Resguardo\\{schedule_name}"


def task_xml(schedule: Schedule, command: RunCommand) -> bytes:
    """UTF-16 with its byte order mark, as `schtasks /Create /XML` expects. Task Scheduler sets no environment
    variables, so RESGUARDO_HOME (tests, portable installs) does not reach a Windows run."""
    ET.register_namespace("", NAMESPACE)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attrs)
        element.text = text
        return element

    task = ET.Element(f"{{{NAMESPACE}}}Task", {"version": "1.2"})
    info = sub(task, "RegistrationInfo")
    sub(info, "Description", f"Resguardo scheduled backup {schedule.name}")
    sub(info, "URI", task_name(schedule.name))
    triggers = sub(task, "Triggers")
    for h, m in schedule.hours_minutes():
        trigger = sub(triggers, "CalendarTrigger")
        sub(trigger, "StartBoundary", f"2000-01-01T{h:02d}:{m:02d}:00")
        sub(trigger, "Enabled", "true")
        sub(sub(trigger, "ScheduleByDay"), "DaysInterval", "1")
    principal = sub(sub(task, "Principals"), "Principal", id="Author")
    sub(principal, "LogonType", "InteractiveToken")  # the user's session: their keyring (Credential Manager)
    sub(principal, "RunLevel", "LeastPrivilege")
    settings = sub(task, "Settings")
    for tag, text in (
        ("MultipleInstancesPolicy", "IgnoreNew"),
        ("DisallowStartIfOnBatteries", "false"),
        ("StopIfGoingOnBatteries", "false"),
        ("StartWhenAvailable", "true"),
        ("ExecutionTimeLimit", "PT12H"),
        ("Enabled", "true"),
    ):
        sub(settings, tag, text)
    execute = sub(sub(task, "Actions", Context="Author"), "Exec")
    sub(execute, "Command", command.argv[0])
    sub(execute, "Arguments", subprocess.list2cmdline(command.argv[1:]))
    sub(execute, "WorkingDirectory", command.workdir)
    text = ET.tostring(task, encoding="unicode", xml_declaration=False)
    return ('<?xml version="1.0" encoding="UTF-16"?>\n' + text).encode("utf-16")

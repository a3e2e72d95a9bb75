"""`resguardo schedule add|list|remove|run`: back up clinics every day through the OS's own scheduler."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from app.commands.prune import add_keep_options, keep_rules
from app.engine.backup.backup import BACKUP_FORMATS
from app.engine.errors import UsageError
from app.engine.routine.command_line import run_command
from app.engine.routine.install import SCHEDULERS, detect_scheduler
from app.engine.routine.manage import add_schedule, remove_schedule
from app.engine.routine.password import unattended_password
from app.engine.routine.records import last_record
from app.engine.routine.run import run_schedule
from app.engine.routine.schedules import WEEKDAYS, Schedule, ScheduleStore
from app.engine.stores.profiles import ProfileStore
from app.engine.stores.secrets import SecretStore

_KIND = {
    "systemd": "a systemd user timer",
    "cron": "crontab lines",
    "windows": "a Task Scheduler task",
    "launchd": "a launchd agent",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="save a schedule and install it in the OS's scheduler")
    add.add_argument("name", metavar="NAME", help="the schedule's name (letters, digits, - and _)")
    add.add_argument("--at", action="append", required=True, metavar="HH:MM", help="a time of day (repeatable)")
    add.add_argument("--profile", required=True, metavar="PROFILE", help="the saved connection profile to use")
    add.add_argument("--dir", required=True, metavar="DIR", help="an existing folder: DIR/<clinic>/ gets the files")
    add.add_argument(
        "--clinic", action="append", metavar="SCHEMA", help="a clinic to back up (repeatable; default: all clinics)"
    )
    add_keep_options(add)
    add.add_argument("--format", choices=sorted(BACKUP_FORMATS), default="native", help="as for `backup`")
    add.add_argument("--ping-url", metavar="URL", default="", help="GET URL after a good run, URL/fail after a failure")
    add.add_argument("--scheduler", choices=("auto", *SCHEDULERS), default="auto", help="default: this OS's own")
    add.add_argument(
        "--restore-test",
        choices=WEEKDAYS,
        default="",
        metavar="WEEKDAY",
        help="on this day's runs (mon ... sun), also load each new backup into a test copy beside its clinic, check "
        "every table and remove the copy (as verify --restore-test); a failed test fails the run",
    )
    add.add_argument(
        "--files-only", action="store_true", help="write the scheduler's files and print the commands to load them"
    )
    actions.add_parser("list", help="the saved schedules and their last run")
    remove = actions.add_parser("remove", help="take a schedule out of the OS's scheduler and forget it")
    remove.add_argument("name", metavar="NAME")
    remove.add_argument("--files-only", action="store_true", help="delete the files only; run no scheduler command")
    run = actions.add_parser("run", help="run a schedule now, as the scheduler does (never asks anything)")
    run.add_argument("name", metavar="NAME")


def run(args: argparse.Namespace) -> int:
    if args.action == "add":
        return _add(args)
    if args.action == "list":
        return _list()
    if args.action == "remove":
        return _remove(args)
    return _run(args)


def _add(args: argparse.Namespace) -> int:
    folder = Path(args.dir).absolute()
    if not folder.is_dir():
        raise UsageError(f"The folder {folder} does not exist; create it first.")
    profile = ProfileStore().get(args.profile)
    scheduler = detect_scheduler() if args.scheduler == "auto" else args.scheduler
    schedule = Schedule(
        name=args.name,
        times=tuple(args.at),
        folder=str(folder),
        profile=profile.name,
        clinics=tuple(args.clinic or ()),
        keep=keep_rules(args),
        format=args.format,
        ping_url=args.ping_url,
        scheduler=scheduler,
        restore_test=args.restore_test,
    )
    added = add_schedule(schedule, activate=not args.files_only)
    done, old = added.installed, added.replaced
    clinics = ", ".join(schedule.clinics) or "all clinics"
    times = ", ".join(sorted(schedule.times))
    print(
        f"Schedule {schedule.name!r} {'replaced' if old else 'saved'}: every day at {times} (this computer's time), "
        f"{clinics} of profile {profile.name!r} into {folder}; keep: {schedule.keep.describe()}."
    )
    if schedule.restore_test:
        print(f"On {schedule.restore_test} runs each new backup is also restore-tested (a test copy, then removed).")
    print(f"It runs: {shlex.join(run_command(schedule.name).argv)}")
    for path in done.files:
        print(f"Wrote {path}")
    if args.files_only:
        for line in done.crontab_lines:
            print(f"Crontab line to add: {line}")
        for argv in done.commands:
            print(f"Not run (--files-only): {shlex.join(argv)}")
    else:
        print(f"Installed as {_KIND[scheduler]}.")
    if schedule.keep.any and schedule.format != "native":
        print(
            "Keep rules apply to native backups only: prune cannot read which clinic and time a pg_dump file holds, "
            "so it never removes one."
        )
    if scheduler == "cron":
        print("cron does not run a start missed while the computer was off; the next day's run catches up.")
    print(f"Unattended runs: {unattended_password(profile, SecretStore()).said}")
    return 0


def _list() -> int:
    schedules = ScheduleStore().all()
    if not schedules:
        print("No schedules.")
    for s in schedules:
        last = last_record(s.name)
        if last is None:
            when = "never run"
        else:
            when = f"last run {last.get('started_utc')}: {'FAILED' if last.get('failed') else 'ok'}"
        print(
            f"{s.name}: at {', '.join(sorted(s.times))}, {', '.join(s.clinics) or 'all clinics'} of profile "
            f"{s.profile!r} into {s.folder}; keep {s.keep.describe()}; {_KIND.get(s.scheduler, 'not installed')}; "
            f"{when}"
            + (f"; restore test on {s.restore_test}" if s.restore_test else "")
            + (f"; notifies {s.ping_url}" if s.ping_url else "")
        )
    return 0


def _remove(args: argparse.Namespace) -> int:
    schedule, removed = remove_schedule(args.name, activate=not args.files_only)
    for path in removed:
        print(f"Removed {path}")
    print(f"Schedule {schedule.name!r} removed; its backups and run records are kept.")
    return 0


def _run(args: argparse.Namespace) -> int:
    schedule = ScheduleStore().get(args.name)
    record, path = run_schedule(schedule, say=print)
    print(record.summary(), file=sys.stderr if record.failed else sys.stdout)
    print(f"Record: {path}")
    sys.stdout.flush()
    return 1 if record.failed else 0

"""The OS scheduler's entries for a schedule, tested as files: systemd units that systemd-analyze accepts, a
crontab that keeps the user's other lines, a launchd plist and a Task Scheduler task with their required keys.
The scheduler's own commands go through an injected runner (never the real user's systemd), asserted as run."""

from __future__ import annotations

import os
import plistlib
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import pytest

from app import paths
from app.cli import build_parser, main
from app.engine.errors import ResguardoError
from app.engine.routine.command_line import run_command
from app.engine.routine.install import install, uninstall
from app.engine.routine.keep import KeepRules
from app.engine.routine.schedules import Schedule, ScheduleStore
from app.engine.routine.windows_task import NAMESPACE
from app.engine.stores.profiles import Profile, ProfileStore
from tests.support.cli import run_cli


class Recorder:
    """The scheduler's commands as they would run; each answers `answers[argv[0:2]]` or success."""

    def __init__(self, answers: dict[tuple[str, ...], subprocess.CompletedProcess[str]] | None = None) -> None:
        self.calls: list[tuple[list[str], str | None]] = []
        self.answers = answers or {}

    def __call__(self, argv: Sequence[str], stdin: str | None) -> subprocess.CompletedProcess[str]:
        self.calls.append((list(argv), stdin))
        for prefix, answer in self.answers.items():
            if tuple(argv[: len(prefix)]) == prefix:
                return answer
        return subprocess.CompletedProcess(list(argv), 0, "", "")

    @property
    def commands(self) -> list[list[str]]:
        return [argv for argv, _ in self.calls]


def nightly(tmp_path: Path, times: tuple[str, ...] = ("02:30", "14:05")) -> Schedule:
    return Schedule("nightly", times, str(tmp_path), "clinics", keep=KeepRules(daily=7, weekly=4))


@pytest.fixture
def odd_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A RESGUARDO_HOME with a space, % and $ in it: each scheduler's quoting must carry it through."""
    home = tmp_path / "home 100% $HOME"
    monkeypatch.setenv("RESGUARDO_HOME", str(home))
    return home


def test_systemd_timer_is_persistent_verifies_and_goes_cleanly(tmp_path: Path, odd_home: Path) -> None:
    runner = Recorder()
    done = install(nightly(tmp_path), "systemd", runner=runner)
    service, timer = (paths.systemd_user_dir() / f"resguardo-nightly.{kind}" for kind in ("service", "timer"))
    assert done.files == [service, timer] and str(service).startswith(str(odd_home))
    assert runner.commands == [
        ["systemctl", "--user", "daemon-reload"],
        ["systemctl", "--user", "enable", "--now", "resguardo-nightly.timer"],
    ]
    timer_text = timer.read_text()
    assert "Persistent=true" in timer_text
    assert "OnCalendar=*-*-* 02:30:00\nOnCalendar=*-*-* 14:05:00" in timer_text
    assert "Unit=resguardo-nightly.service" in timer_text and "WantedBy=timers.target" in timer_text
    text = service.read_text()
    python = str(Path(sys.executable).absolute())
    assert f'ExecStart="{python}" "-m" "app" "schedule" "run" "nightly"' in text
    assert f'Environment="RESGUARDO_HOME={odd_home}"'.replace("%", "%%").replace("$", "$$") in text
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here; the units' text was checked above")
    verify = subprocess.run(
        ["systemd-analyze", "verify", str(service), str(timer)], capture_output=True, text=True, check=False
    )
    assert verify.returncode == 0, verify.stderr

    runner.calls.clear()
    assert uninstall("nightly", "systemd", runner=runner) == [timer, service]
    assert runner.commands == [
        ["systemctl", "--user", "disable", "--now", "resguardo-nightly.timer"],
        ["systemctl", "--user", "daemon-reload"],
    ]
    assert not service.exists() and not timer.exists()


def test_a_refused_activation_leaves_no_unit_behind(tmp_path: Path) -> None:
    refused = subprocess.CompletedProcess(["systemctl"], 1, "", "Failed to connect to bus: No medium found\n")
    runner = Recorder({("systemctl", "--user", "enable"): refused})
    with pytest.raises(ResguardoError, match=r"refused the schedule 'nightly'.*Failed to connect to bus"):
        install(nightly(tmp_path), "systemd", runner=runner)
    assert list(paths.systemd_user_dir().iterdir()) == []


def test_crontab_lines_keep_the_users_other_lines(tmp_path: Path, odd_home: Path) -> None:
    existing = (
        "MAILTO=it@clinic.example\n0 5 * * * /usr/local/bin/other-job\n1 1 * * * old # resguardo-schedule:nightly\n"
    )
    runner = Recorder({("crontab", "-l"): subprocess.CompletedProcess(["crontab", "-l"], 0, existing, "")})
    install(nightly(tmp_path), "cron", runner=runner)
    (listed, _), (written_argv, written) = runner.calls
    assert listed == ["crontab", "-l"] and written_argv == ["crontab", "-"] and written is not None
    lines = written.splitlines()
    assert lines[:2] == ["MAILTO=it@clinic.example", "0 5 * * * /usr/local/bin/other-job"]
    assert [line.split()[:5] for line in lines[2:]] == [["30", "2", "*", "*", "*"], ["5", "14", "*", "*", "*"]]
    command = run_command("nightly")
    assert "%" not in lines[2].replace("\\%", "")  # cron ends the command at a bare %
    words = shlex.split(lines[2].split(" ", 5)[5].replace("\\%", "%"))  # as cron, then sh, read it
    marker = ["#", "resguardo-schedule:nightly"]
    assert words == ["cd", command.workdir, "&&", f"RESGUARDO_HOME={odd_home}", *command.argv, *marker]
    assert lines[2].endswith("# resguardo-schedule:nightly")

    empty = subprocess.CompletedProcess(["crontab", "-l"], 1, "", "no crontab for clinic\n")
    runner = Recorder({("crontab", "-l"): subprocess.CompletedProcess(["crontab", "-l"], 0, written, "")})
    uninstall("nightly", "cron", runner=runner)
    assert runner.calls[-1] == (["crontab", "-"], existing.rsplit("1 1", 1)[0])
    runner = Recorder({("crontab", "-l"): empty})
    install(nightly(tmp_path, ("03:00",)), "cron", runner=runner)
    assert runner.calls[-1][1] is not None and runner.calls[-1][1].startswith("0 3 * * * cd ")


def test_launchd_agent_plist_round_trips_with_its_keys(tmp_path: Path, odd_home: Path) -> None:
    runner = Recorder()
    (path,) = install(nightly(tmp_path), "launchd", runner=runner).files
    assert path == paths.launch_agents_dir() / "org.resguardo.schedule.nightly.plist"
    agent = plistlib.loads(path.read_bytes())
    assert agent["Label"] == "org.resguardo.schedule.nightly"
    assert agent["ProgramArguments"] == list(run_command("nightly").argv)
    assert agent["StartCalendarInterval"] == [{"Hour": 2, "Minute": 30}, {"Hour": 14, "Minute": 5}]
    assert agent["EnvironmentVariables"] == {"RESGUARDO_HOME": str(odd_home)}
    assert agent["WorkingDirectory"] == run_command("nightly").workdir
    domain = f"gui/{os.getuid()}"
    assert runner.commands == [
        ["launchctl", "bootout", domain, str(path)],
        ["launchctl", "bootstrap", domain, str(path)],
    ]
    runner.calls.clear()
    assert uninstall("nightly", "launchd", runner=runner) == [path]
    assert runner.commands == [["launchctl", "bootout", domain, str(path)]]


def test_windows_task_xml_runs_missed_starts_when_available(tmp_path: Path) -> None:
    runner = Recorder()
    (path,) = install(nightly(tmp_path), "windows", runner=runner).files
    data = path.read_bytes()
    assert data.startswith(b"\xff\xfe")  # UTF-16 with its byte order mark, as schtasks /XML reads it
    task = ET.fromstring(data.decode("utf-16"))
    ns = {"t": NAMESPACE}
    assert task.tag == f"{{{NAMESPACE}}}Task" and task.get("version") == "1.2"
    assert task.findtext("t:RegistrationInfo/t:URI", namespaces=ns) == "\\Resguardo\\nightly"
    triggers = task.findall("t:Triggers/t:CalendarTrigger", ns)
    assert [(t.findtext("t:StartBoundary", namespaces=ns) or "")[-8:] for t in triggers] == ["02:30:00", "14:05:00"]
    assert all(t.findtext("t:ScheduleByDay/t:DaysInterval", namespaces=ns) == "1" for t in triggers)
    assert task.findtext("t:Settings/t:StartWhenAvailable", namespaces=ns) == "true"
    assert task.findtext("t:Settings/t:MultipleInstancesPolicy", namespaces=ns) == "IgnoreNew"
    command = run_command("nightly")
    assert task.findtext("t:Actions/t:Exec/t:Command", namespaces=ns) == command.argv[0]
    assert task.findtext("t:Actions/t:Exec/t:Arguments", namespaces=ns) == "-m app schedule run nightly"
    assert task.findtext("t:Principals/t:Principal/t:LogonType", namespaces=ns) == "InteractiveToken"
    assert runner.commands == [["schtasks", "/Create", "/TN", "\\Resguardo\\nightly", "/XML", str(path), "/F"]]
    runner.calls.clear()
    assert uninstall("nightly", "windows", runner=runner) == [path]
    assert runner.commands == [["schtasks", "/Delete", "/TN", "\\Resguardo\\nightly", "/F"]]


def test_schedule_add_list_remove_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ProfileStore().save(Profile(name="clinics"))
    folder = tmp_path / "backups"
    folder.mkdir()
    added = run_cli(
        "schedule", "add", "nightly", "--at", "02:30", "--profile", "clinics", "--dir", str(folder),
        "--keep-daily", "7", "--keep-weekly", "4", "--scheduler", "systemd", "--files-only",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "Schedule 'nightly' saved: every day at 02:30 (this computer's time), all clinics" in added.stdout
    assert "keep: daily 7, weekly 4." in added.stdout
    assert "Not run (--files-only): systemctl --user enable --now resguardo-nightly.timer" in added.stdout
    timer = paths.systemd_user_dir() / "resguardo-nightly.timer"
    assert timer.is_file() and ScheduleStore().get("nightly").scheduler == "systemd"
    assert "Unattended runs: " in added.stdout

    capsys.readouterr()
    assert main(["schedule", "list"]) == 0
    listed = capsys.readouterr().out
    assert "nightly: at 02:30, all clinics of profile 'clinics'" in listed and "never run" in listed
    assert main(["schedule", "remove", "nightly", "--files-only"]) == 0
    assert f"Removed {timer}" in capsys.readouterr().out
    assert not timer.exists() and ScheduleStore().all() == []


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--at", "25:00"], "'25:00' is not a time of day"),
        (["--at", "02:30", "--keep-daily", "-2"], "--keep-daily must be a whole number"),
        (["--at", "02:30", "--ping-url", "ftp://x"], "must start with http:// or https://"),
    ],
)
def test_schedule_add_refuses_bad_input_and_saves_nothing(tmp_path: Path, args: list[str], said: str) -> None:
    ProfileStore().save(Profile(name="clinics"))
    parsed = build_parser().parse_args(
        ["schedule", "add", "x", "--profile", "clinics", "--dir", str(tmp_path), "--files-only", *args]
    )
    with pytest.raises(ResguardoError, match=re.escape(said)):
        parsed.handler(parsed)
    assert ScheduleStore().all() == [] and not paths.systemd_user_dir().exists()

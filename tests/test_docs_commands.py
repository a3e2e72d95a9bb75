"""The commands the README and docs/ show are the program's: each names a command it has, and only options that
command takes; the README's nightly backup runs as written against the test server (its folder and server
swapped for the test's)."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from app.cli import build_parser, main
from app.engine.connection import ConnectionTarget
from tests.support import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), *sorted((REPO / "packaging").glob("*.md"))]
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
INLINE = re.compile(r"`(resguardo [^`]+)`")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> set[str]:
    """Every option the command takes, its subcommands' (`schedule add`, `key create`) included."""
    found = {s for action in parser._actions for s in action.option_strings}
    for sub in _subparsers(parser).values():
        found |= _options(sub)
    return found


COMMANDS = _subparsers(build_parser())


def _shown() -> list[tuple[str, str]]:
    """(page, command line) for every `resguardo …` a page shows: inline, and lines of its code blocks (a
    synopsis's indented lines continue the command above them)."""
    shown: list[tuple[str, str]] = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(REPO).as_posix()
        shown += [(name, m) for m in INLINE.findall(text) if not m.startswith("resguardo =")]
        for block in FENCE.findall(text):
            current: str | None = None
            for line in block.splitlines():
                at = line.find("resguardo ")
                if (at >= 0 and not line[:at].strip(" ")) or re.match(r"^[A-Z_]+=\S+ resguardo ", line):
                    current = line[line.find("resguardo ") :]
                    shown.append((name, current))
                elif current is not None and line.startswith(" ") and line.strip().startswith("["):
                    shown[-1] = (name, f"{shown[-1][1]} {line.strip()}")
                else:
                    current = None
    return shown


SHOWN = _shown()


def test_the_pages_show_commands() -> None:
    """The scan finds what it claims to check (the README's synopsis alone has a dozen lines)."""
    assert sum(page == "README.md" for page, _ in SHOWN) >= 12
    assert {line.split()[1] for _, line in SHOWN} >= {"backup", "restore", "verify", "tenants", "demo"}


@pytest.mark.parametrize(("page", "line"), SHOWN, ids=[f"{p}:{line[:50]}" for p, line in SHOWN])
def test_each_command_shown_is_the_programs(page: str, line: str) -> None:
    words = re.split(r"\s{2,}", line)[0].split()  # a synopsis's description, two spaces on, is not the command
    if len(words) == 1:  # `resguardo` alone opens the window
        return
    command = words[1]
    if command.startswith("-"):  # `resguardo --version`, `resguardo --debug …`
        assert command in _options(build_parser()), f"{page}: {line}"
        return
    assert command in COMMANDS, f"{page} shows a command the program does not have: {line}"
    takes = _options(COMMANDS[command])
    flags = {f.split("=")[0] for f in re.findall(r"(?<![\w-])--[a-z][a-z-]*", line)}
    flags -= {"--keep-"}  # `--keep-… N`: the family, each member checked where it is spelled out
    assert flags <= takes, f"{page}: `{line}` names options `resguardo {command}` does not take: {flags - takes}"


def test_the_readmes_nightly_backup_runs_as_written(
    demo_db: ConnectionTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    [example] = [line for _, line in SHOWN if "backup --all --out /srv/backups/" in line]
    assert f'RESGUARDO_DSN="postgresql://backup@db.clinic.lan/clinic" {example}' in text
    monkeypatch.setenv("RESGUARDO_DSN", demo_db.conninfo)
    argv = [tmp_path.as_posix() + "/" if w == "/srv/backups/" else w for w in shlex.split(example)[1:]]
    assert main(argv) == 0, capsys.readouterr().err
    assert {p.name for p in tmp_path.iterdir()} == {"mindcare", "bienestar"}  # the demo's clinics
    assert all(len(list(folder.glob("*Z.resguardo"))) == 1 for folder in tmp_path.iterdir())

"""The command line's exit codes, command by command: 2 for a wrong command line only, 1 for every refusal or
failure, always with one sentence on stderr; --debug adds the traceback to any failure."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import build_parser, main
from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from tests.support.cli import run_cli
from tests.support.pg import TestServer

NAMES = set(
    next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
)  # every command the parser knows


@pytest.fixture(scope="module")
def clinic_db(pg_server: TestServer) -> Iterator[ConnectionTarget]:
    """One database for the module: nothing here changes it (every command is refused)."""
    target = pg_server.new_database()
    yield target
    pg_server.drop_database(target)


@pytest.fixture(scope="module")
def backup_file(clinic_db: ConnectionTarget, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return backup_tenant(clinic_db, "mindcare", tmp_path_factory.mktemp("files") / "mindcare.resguardo").path


def _exit(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """main() in this process (a child process per command would cost a second each): its status and stderr."""
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own errors
        status = int(exc.code or 0)
    return status, capsys.readouterr().err


@pytest.mark.parametrize("command", sorted(NAMES))
def test_a_wrong_option_is_exit_2(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, err = _exit([command, "--no-such-option"], capsys)
    assert status == 2
    assert err.startswith("usage: resguardo") and "error:" in err  # argparse's usage line and its sentence


def _refusals(dsn: str, backup: Path, out: Path) -> dict[str, tuple[list[str], str]]:
    """Per command: a right command line naming something that is not there, and the sentence that says so."""
    server = ["--dsn", dsn]
    cases = {
        "backup": (["backup", *server, "--tenant", "nosuch", "--out", f"{out}/"], "Unknown tenant 'nosuch'"),
        "restore": (
            ["restore", *server, "--tenant", "nosuch", "--file", str(backup), "--yes"],
            "There is no tenant 'nosuch'",
        ),
        "verify": (["verify", "--file", str(out / "nosuch.resguardo")], "nosuch.resguardo"),
        "undo-restore": (["undo-restore", *server, "--tenant", "nosuch", "--yes"], "no safety copy"),
        "discard-safety-copy": (
            ["discard-safety-copy", *server, "--schema", "nosuch", "--yes"],
            "'nosuch' is not a safety copy",
        ),
    }
    if "diff" in NAMES:  # the comparison of a backup with the live clinic, where the program has it
        cases["diff"] = (["diff", *server, "--tenant", "nosuch", "--file", str(backup)], "nosuch")
    return cases


@pytest.mark.parametrize("command", ["backup", "restore", "verify", "undo-restore", "discard-safety-copy", "diff"])
def test_a_refusal_is_exit_1_with_a_sentence(
    command: str,
    clinic_db: ConnectionTarget,
    backup_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cases = _refusals(clinic_db.conninfo, backup_file, tmp_path)
    if command not in cases:
        pytest.skip(f"this version has no `{command}` command")
    argv, sentence = cases[command]
    status, err = _exit(argv, capsys)
    assert status == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("resguardo: ") and lines[0].endswith("."), err
    assert sentence in lines[0]
    assert "Traceback" not in err


def test_options_that_do_not_go_together_are_exit_2(
    clinic_db: ConnectionTarget, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = _exit(
        ["backup", "--dsn", clinic_db.conninfo, "--tenant", "mindcare", "--out", "x", "--jobs", "2"], capsys
    )
    assert status == 2
    assert (
        err.strip() == "resguardo: --jobs goes with --all (how many clinics at a time); a single --tenant is one job."
    )


def test_debug_gives_the_traceback_of_a_refusal(clinic_db: ConnectionTarget, tmp_path: Path) -> None:
    """--debug before or after the command (a child process: the traceback is what a script's log gets)."""
    argv = ["undo-restore", "--dsn", clinic_db.conninfo, "--tenant", "nosuch", "--yes"]
    for debug in (["--debug", *argv], [*argv, "--debug"]):
        result = run_cli(*debug)
        assert result.returncode == 1
        assert "Traceback (most recent call last)" in result.stderr and "PreflightError" in result.stderr
        assert result.stderr.strip().splitlines()[-1] == (
            "resguardo: Tenant 'nosuch' has no safety copy to go back to. Nothing was changed."
        )


def test_automatic_says_why_it_chose_pg_dump(
    clinic_db: ConnectionTarget, tmp_path: Path, embedded_tools_only: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not only a fall back to native says why: the embedded pg_dump fits the test server, and the line names it."""
    argv = ["backup", "--dsn", clinic_db.conninfo, "--tenant", "bienestar", "--out", f"{tmp_path}/", "--format", "auto"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Automatic chose pg_dump's custom format: pg_dump " in out and "fits this server." in out

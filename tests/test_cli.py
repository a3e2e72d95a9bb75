"""The command line's contract: exit codes, one-line errors, --version and --help."""

from __future__ import annotations

from app import __version__
from tests.conftest import run_cli


def test_version_and_help() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"resguardo {__version__}"
    helped = run_cli("--help")
    assert helped.returncode == 0
    assert "demo" in helped.stdout


def test_unknown_command_is_a_usage_error() -> None:
    result = run_cli("frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_demo_rejects_a_bad_scale_as_usage_error() -> None:
    result = run_cli("demo", "--serve", "--scale", "0")
    assert result.returncode == 2
    assert result.stderr.strip() == "resguardo: --scale must be 1 or more."

"""The command line's contract: exit codes, one-line errors, --version and --help."""

from __future__ import annotations

from app import __version__
from app.cli import FLAGS
from app.engine.errors import Choice
from tests.support.cli import run_cli


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


def test_a_failure_is_one_line_on_stderr_and_exit_1_with_a_traceback_only_under_debug() -> None:
    closed_port = "postgresql://postgres@127.0.0.1:1/clinic?connect_timeout=3"
    result = run_cli("tenants", "--dsn", closed_port)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("resguardo: ")
    assert "cannot be reached" in lines[0] and "Traceback" not in result.stderr
    debug = run_cli("--debug", "tenants", "--dsn", closed_port)
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_a_command_needing_a_server_without_one_is_a_usage_error() -> None:
    result = run_cli("tenants", env={"RESGUARDO_DSN": ""})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "resguardo: No server given: use --dsn URI, the RESGUARDO_DSN variable, or --profile NAME."
    )


def test_an_unknown_profile_is_named() -> None:
    result = run_cli("tenants", "--profile", "nowhere")
    assert result.returncode == 1  # a refusal: the command line is right, the profile store holds no such name
    assert result.stderr.strip() == "resguardo: There is no saved profile named 'nowhere'."


def test_every_choice_an_error_may_name_has_its_flag() -> None:
    """The CLI puts the flag beside the choice an engine sentence names; a choice without one would fail the
    error's own printing."""
    assert set(FLAGS) == set(Choice)
    assert all(flag.startswith("--") for flag in FLAGS.values())

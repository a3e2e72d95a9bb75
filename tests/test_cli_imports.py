"""The command line imports only the command it runs: a clinic's nightly `tenants` or `--version` pays no
start-up for the backup, pg_dump, SQL-parser, JSON-reader or Qt code (issue 24.3)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from app.cli import COMMANDS, build_parser, command_module

HEAVY = ("pglast", "PySide6", "app.engine.backup", "app.engine.dumpdata", "app.engine.pgdump", "app.ui")


def _modules_after_parsing(argv: list[str]) -> list[str]:
    """The modules a fresh interpreter holds once the parser for `argv` is built and has parsed it."""
    code = (
        "import json, sys\n"
        "from app.cli import build_parser\n"
        f"argv = {argv!r}\n"
        "build_parser(argv).parse_args(argv)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    loaded: list[str] = json.loads(run.stdout)
    return loaded


def test_tenants_imports_none_of_the_heavy_code() -> None:
    loaded = _modules_after_parsing(["tenants", "--dsn", "postgresql://x/y"])
    heavy = [m for m in loaded if m.startswith(HEAVY)]
    assert heavy == [], f"tenants imported {heavy}"
    assert "app.commands.tenants" in loaded and "app.commands.backup" not in loaded


def test_a_scripted_restore_imports_no_preview_and_no_other_kind_of_file() -> None:
    """`restore --yes` (a script, a schedule) shows no preview; the file's kind is known only once it is open, so
    nothing of the other kinds' readers is imported up front. pglast is: the gate parses and checks every
    statement of a native archive's schema parts too."""
    argv = ["restore", "--tenant", "x", "--file", "f", "--yes", "--dsn", "postgresql://x/y"]
    loaded = _modules_after_parsing(argv)
    heavy = [m for m in loaded if m.startswith((*HEAVY, "app.engine.restore.preview", "app.engine.catalog.schema_ddl"))]
    assert [m for m in heavy if not m.startswith("pglast")] == [], f"restore imported {heavy}"
    assert "app.engine.restore.restore" in loaded


def test_the_version_imports_no_command() -> None:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "app", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert run.stdout.startswith("resguardo ")
    imported = [line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if "|" in line]
    assert not [m for m in imported if m.startswith(("app.commands", *HEAVY))]


def test_the_listing_names_every_command_whichever_is_asked_for() -> None:
    def choices(argv: list[str] | None) -> dict[str, str]:
        parser = build_parser(argv)
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return {c.dest: str(c.help) for c in sub._choices_actions}

    everything = choices(None)
    assert list(everything) == [name for name, *_ in COMMANDS]
    assert choices(["tenants"]) == everything == choices(["--debug", "verify"])


@pytest.mark.parametrize(("name", "module"), [(name, module) for name, module, *_ in COMMANDS])
def test_each_listed_command_has_its_module(name: str, module: str) -> None:
    loaded = command_module(module)
    assert callable(loaded.add_arguments) and callable(loaded.run), name

"""What every benchmark case shares: running one side in a fresh process and recording it, the untimed
clean-up between sides, and the command lines shown in RESULTS.md for reproducing each side by hand."""

from __future__ import annotations

import argparse
import importlib
import json
import re
import shlex
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from psycopg import sql

from app.engine.connection import ConnectionTarget
from bench import tools
from bench.dataset import say
from bench.probe import Run, SideFailed, run_measured
from bench.sides import REFUSED
from bench.stats import Series

REPO = Path(__file__).resolve().parent.parent
# Resguardo's own record of its staging schemas and safety copies (app/engine/safety/registry.py): never a leftover.
REGISTRY_SCHEMA = "resguardo"

Side = Callable[[], None]


def missing(module: str, attribute: str) -> str | None:
    """Why an engine entry point cannot be measured yet, or None when it is there."""
    try:
        loaded = importlib.import_module(module)
    except ImportError as exc:
        return f"{module} is not available ({exc})"
    return None if hasattr(loaded, attribute) else f"{module}.{attribute} is not available"


def output_size(path: Path) -> int:
    """A file's size, or the sum of a directory's files (pg_dump -Fd)."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def remove_output(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def drop_leftovers(target: ConnectionTarget, *, also: str | None = None) -> None:
    """Untimed: drop every schema that is neither `public`, Resguardo's registry nor a tenant (the safety copies
    and staging schemas earlier restores left), and the tenant `also` when given (a bare restore's starting point).
    Every benchmark database is the demo's, with its tenants table public.customers_client."""
    with target.connect(autocommit=True) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname !~ '^pg_'"
                " AND n.nspname <> ALL(ARRAY['information_schema', 'public', %s])"
                " AND (n.nspname = %s OR n.nspname NOT IN (SELECT c.schema_name FROM public.customers_client c))",
                [REGISTRY_SCHEMA, also or ""],
            ).fetchall()
        ]
        for name in names:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


def shell_words(argv: list[str], names: dict[str, str]) -> str:
    """`argv` as a shell line with each value of `names` replaced by its $NAME, double-quoted so it expands
    whole (a conninfo holds spaces)."""
    words = []
    for arg in argv:
        word = arg
        for value, name in names.items():
            word = word.replace(value, name)
        words.append(shlex.quote(word) if "$" not in word else '"' + re.sub(r'(["\\`])', r"\\\1", word) + '"')
    return " ".join(words)


@dataclass
class Harness:
    """The run's options, server and scratch folder; measures sides into Series."""

    args: argparse.Namespace
    admin: ConnectionTarget
    pg: tools.Tools
    work: Path
    server_log: Path | None  # the embedded server's log (server timings); None for --dsn

    def path(self, name: str) -> Path:
        return self.work / name

    def python(self, module: str, *args: str) -> list[str]:
        return [sys.executable, "-m", module, *args]

    @property
    def env(self) -> dict[str, str]:
        return {**self.admin.child_env(), "PYTHONPATH": str(REPO)}

    def measure(
        self,
        series: Series,
        argv: list[str],
        *,
        output: Path | None = None,
        stdout_to: Path | None = None,
        before: Callable[[], None] | None = None,
        env: dict[str, str] | None = None,
    ) -> Run | None:
        """One run of one side; a refusal or failure is recorded and ends that side's runs."""
        if series.error:
            return None
        series.argv, series.output = argv, output
        if before is not None:
            before()
        if output is not None:
            remove_output(output)
        say(f"{series.label} ...")
        try:
            run = run_measured(argv, env={**self.env, **(env or {})}, stdout_path=stdout_to, cwd=REPO)
        except SideFailed as exc:
            series.error = f"{'refused' if exc.returncode == REFUSED else 'failed'}: {exc}"
            say(f"{series.label} {series.error}")
            return None
        series.seconds.append(run.seconds)
        series.peak_rss.append(run.peak_rss_bytes)
        if output is not None:
            series.sizes.append(output_size(output))
        say(f"{series.label}: {run.seconds:.2f} s, {run.peak_rss_bytes / 2**20:.0f} MB")
        return run

    def listing(self, series: Series, target: ConnectionTarget) -> int | None:
        """`list_tenants` alone, on an open connection, `--repeat` times (at least 3) in one process; the
        number of tenants it found, or None when it could not run."""
        if self.unavailable(series, missing("app.engine.catalog.discovery", "list_tenants")):
            return None
        series.argv = self.python(
            "bench.sides", "list-tenants", "--conninfo", target.conninfo, "--repeat", str(max(3, self.args.repeat))
        )
        say(f"{series.label} ...")
        try:
            run = run_measured(series.argv, env=self.env, cwd=REPO)
        except SideFailed as exc:
            series.error = f"failed: {exc}"
            return None
        result = json.loads(run.stdout)
        series.seconds.extend(result["seconds"])
        series.peak_rss.append(run.peak_rss_bytes)
        return int(result["tenants"])

    def unavailable(self, series: Series, reason: str | None) -> bool:
        """Record why a side cannot run (once); True when it cannot."""
        if reason and not series.error:
            series.error = f"not measured: {reason}"
        return series.error is not None

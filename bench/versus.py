"""What a change of the engine costs: the same archive restored by an older commit's engine and by this one.

    python -m bench.versus --ref 7f43b01 --size 1GB      # issue 10: the security rework may cost at most 10 %

The older engine runs from a git worktree of `--ref` (made in the work folder, removed afterwards), each
side in a fresh process from its own checkout. The archive is written once by the older engine's backup,
so both read the same file (a newer engine reads every older archive version). Sides alternate within
each round; the safety copy each restore leaves is dropped afterwards, untimed. The section `versus` of
RESULTS.md gets the medians, the ratio (this ÷ older) and the commands.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from app.engine.connection import ConnectionTarget
from bench.dataset import (
    TENANT,
    parse_size,
    restore_database,
    say,
    scale_for,
    schema_bytes,
    start_server,
    tenant_database,
)
from bench.harness import REPO, drop_leftovers
from bench.probe import SideFailed, run_measured
from bench.report import Report, ratio_row, rss_row, write
from bench.stats import Series

LIMIT = 1.10  # issue 10: the security work may cost at most 10 % of restore time


def _worktree(ref: str, where: Path) -> Path:
    path = where / f"engine-{ref}"
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(path), ref], check=True, capture_output=True
    )
    return path


def _side(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench.sides", *args]


def _measure(series: Series, argv: list[str], checkout: Path, env: dict[str, str]) -> None:
    say(f"{series.label} ...")
    series.argv = argv
    try:
        run = run_measured(argv, env={**env, "PYTHONPATH": str(checkout)}, cwd=checkout)
    except SideFailed as exc:
        series.error = f"failed: {exc}"
        return
    series.seconds.append(run.seconds)
    series.peak_rss.append(run.peak_rss_bytes)
    say(f"{series.label}: {run.seconds:.2f} s, {run.peak_rss_bytes / 2**20:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.versus")
    parser.add_argument("--ref", default="7f43b01", help="the older commit (default: before the security rework)")
    parser.add_argument("--size", default="1GB", help="the rows case's tenant size (default 1GB)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=REPO / "bench" / ".data")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "RESULTS.md")
    args = parser.parse_args()
    server = start_server(args.data_dir)
    try:
        admin = server.target()
        source = tenant_database(admin, scale_for(parse_size(args.size)))
        restore = restore_database(admin)
        size = schema_bytes(source, TENANT)
        with tempfile.TemporaryDirectory(dir=args.data_dir) as scratch:
            work = Path(scratch)
            old = _worktree(args.ref, work)
            try:
                report = _compare(args, admin.child_env(), source, restore, old, work, size)
            finally:
                subprocess.run(
                    ["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)],
                    check=False,
                    capture_output=True,
                )
        write(report, args.output, [])
        say(f"wrote the versus section of {args.output}")
    finally:
        if server.started_here:
            server.stop()


def _compare(
    args: argparse.Namespace,
    env: dict[str, str],
    source: ConnectionTarget,
    restore: ConnectionTarget,
    old: Path,
    work: Path,
    size: int,
) -> Report:
    archive = work / "versus.resguardo"
    backup = Series(f"Backup by the engine of {args.ref} (the archive both restore)")
    _measure(
        backup,
        _side("native-backup", "--conninfo", source.conninfo, "--schema", TENANT, "--path", str(archive)),
        old,
        env,
    )
    older = Series(f"Restore: engine of {args.ref}")
    newer = Series("Restore: this engine")
    sides = [(older, old), (newer, REPO)]
    for round_ in range(args.repeat if not backup.error else 0):
        for series, checkout in sides if round_ % 2 == 0 else sides[::-1]:
            drop_leftovers(restore)
            _measure(
                series,
                _side("native-restore", "--conninfo", restore.conninfo, "--schema", TENANT, "--path", str(archive)),
                checkout,
                env,
            )
    drop_leftovers(restore)
    return Report(
        key="versus",
        title=f"What the security rework costs (issue 10): {args.size} restore, this engine ÷ the engine of {args.ref}",
        command=f"python -m bench.versus --ref {args.ref} --size {args.size} --repeat {args.repeat}",
        server="the benchmark's embedded server",
        tools="—",
        dataset=f"`{TENANT}` in `{source.dbname}`: {size / 2**20:.1f} MB (pg_total_relation_size of its tables)",
        verdicts=[
            ratio_row("Restore wall time: this engine ÷ the older engine", newer, older, limit=LIMIT),
            rss_row("Restore peak RSS (this engine)", newer, older),
        ],
        series=[backup, older, newer],
        names={str(work): "$WORK", str(old): "$OLD", str(REPO): "$REPO"},
        legend=[
            (
                "`$OLD`: a worktree of the older commit (`git worktree add --detach $OLD REF`), the side's "
                "working folder and PYTHONPATH; this engine's sides run in `$REPO`; `$WORK`: a scratch folder."
            )
        ],
        notes=[
            "Each side runs in its own checkout; the archive is the older engine's backup, read by both.",
            "Load average when written: " + " ".join(f"{x:.2f}" for x in os.getloadavg()),
        ],
    )


if __name__ == "__main__":
    main()

"""A small clinic's whole restore command, this engine against an older commit's and pg_restore (issue 24 item 3).

    python -m bench.fixed_cost --ref d111609 --tables 8 --repeat 9

The clinic is the small-tables shape at `--tables` extra tables (the demo's 15 + 8 = 23 by default), its
database cached as bench/shapes.py makes it. Sides, each a fresh process, alternated in every round (reversed
every other round): `python -m app restore --tenant bienestar --file F --yes` of this checkout and of `--ref`
(a git worktree, removed afterwards), each with Python's bytecode cache (as a wheel installs it) and, with
`--no-bytecode`, with PYTHONDONTWRITEBYTECODE=1 and an empty PYTHONPYCACHEPREFIX (an editable checkout that
compiles every module each run, as where nothing ever wrote bytecode);
`pg_restore -j 2` into a dropped schema and `pg_restore --clean --if-exists -j 2` over the live clinic.
Prints medians and ratios, and writes them to --output (a scratch file; RESULTS.md is written by hand).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from app.engine.server.demo import create_demo_database
from bench import dataset, tools
from bench.dataset import TENANT, say
from bench.harness import REPO, Harness, Side, drop_leftovers
from bench.probe import SideFailed, run_measured
from bench.shapes import SHAPES
from bench.stats import Series


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fixed_cost")
    parser.add_argument("--ref", help="an older commit to compare with (a git worktree)")
    parser.add_argument("--tables", type=int, default=8, help="small tables added to the demo's 15 (default 8)")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--no-bytecode", action="store_true", help="also each side with PYTHONDONTWRITEBYTECODE=1")
    parser.add_argument("--data-dir", type=Path, default=REPO / "bench" / ".data")
    parser.add_argument("--output", type=Path, default=Path("fixed-cost.md"))
    args = parser.parse_args()
    server = dataset.start_server(args.data_dir)
    work = args.data_dir / "work-fixed-cost"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    old = work / "old"
    try:
        admin = server.target()
        pg = tools.find_tools(tools.server_major(admin))
        h = Harness(args, admin, pg, work, server.logfile)
        shape = SHAPES["small-tables"]
        source = shape.database(admin, args.tables / shape.units)
        # Its own copy of the demo clinics (not bench_restore: bench.levers may be restoring there meanwhile).
        restore = create_demo_database(admin, "bench_restore_fixed_cost", scale=1, reset=True)
        archive, dump = work / "clinic.resguardo", work / "clinic.dump"
        h.measure(
            Series("backup"),
            h.python(
                "bench.sides",
                "native-backup",
                "--conninfo",
                source.conninfo,
                "--schema",
                TENANT,
                "--path",
                str(archive),
            ),
            output=archive,
        )
        h.measure(Series("dump"), tools.pg_dump(pg, source, TENANT, dump), output=dump)
        checkouts = {"this": REPO}
        if args.ref:
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(old), args.ref], check=True)
            checkouts[args.ref] = old
        series: dict[str, Series] = {
            "j2": Series("pg_restore -j 2 (into a dropped schema)"),
            "clean": Series("pg_restore --clean --if-exists -j 2 (over the live clinic)"),
        }
        sides: list[Side] = []

        def bare(key: str, clean: bool) -> Side:
            def side() -> None:
                h.measure(
                    series[key],
                    tools.pg_restore(pg, restore, dump, 2, clean=clean),
                    before=lambda: drop_leftovers(restore, also=None if clean else TENANT),
                )

            return side

        def ours(key: str, checkout: Path, bytecode: bool) -> Side:
            argv = [
                sys.executable,
                "-m",
                "app",
                "restore",
                "--tenant",
                TENANT,
                "--file",
                str(archive),
                "--yes",
                "--dsn",
                restore.conninfo,
            ]
            env = {"PYTHONPATH": str(checkout), "PYTHONDONTWRITEBYTECODE": "" if bytecode else "1"}

            def side() -> None:  # from the checkout's own folder: `python -m app` finds `app` there first
                s = series[key]
                if s.error:
                    return
                drop_leftovers(restore)
                if not bytecode:  # an empty cache folder each run: every module compiled, nothing written
                    cache = work / f"no-pyc-{len(s.seconds)}-{key.split(',', maxsplit=1)[0]}"
                    env["PYTHONPYCACHEPREFIX"] = str(cache)
                s.argv = argv
                try:
                    run = run_measured(argv, env={**h.env, **env}, cwd=checkout)
                except SideFailed as exc:
                    s.error = f"failed: {exc}"
                    say(f"{s.label} {s.error}")
                    return
                s.seconds.append(run.seconds)
                s.peak_rss.append(run.peak_rss_bytes)
                say(f"{s.label}: {run.seconds:.2f} s")

            return side

        for name, checkout in checkouts.items():
            for bytecode in (True, False) if args.no_bytecode else (True,):
                key = f"{name}{'' if bytecode else ', no bytecode'}"
                series[key] = Series(f"resguardo restore ({name}{'' if bytecode else ', PYTHONDONTWRITEBYTECODE=1'})")
                sides.append(ours(key, checkout, bytecode))
                if bytecode:  # compile once, so the cached side reads bytecode from its first run
                    subprocess.run(
                        [sys.executable, "-c", "import app.cli, app.commands.restore, app.engine.restore.restore"],
                        cwd=checkout,
                        env={**os.environ, "PYTHONPATH": str(checkout), "PYTHONDONTWRITEBYTECODE": ""},
                        check=True,
                    )
        sides = [bare("j2", False), bare("clean", True), *sides]
        for index in range(args.repeat):
            say(f"round {index + 1} of {args.repeat}")
            first, *rest = sides
            for side in [first, *(rest if index % 2 == 0 else reversed(rest))]:
                side()
        drop_leftovers(restore)
        load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
        lines = [
            f"Written by `python -m bench.fixed_cost {' '.join(sys.argv[1:])}`; a clinic of {15 + args.tables} tables;"
            f" load average at the end {load} (1 / 5 / 15 min) on {os.cpu_count()} cores.",
            "",
            "| Side | Runs | Median (min–max) | ÷ pg_restore -j 2 | ÷ --clean -j 2 | ÷ this |",
            "|---|---|---|---|---|---|",
        ]
        for s in series.values():
            if not s.measured:
                lines.append(f"| {s.label} | 0 | {s.error} | | | |")
                continue
            cells = []
            for ref in ("j2", "clean", "this"):
                r = series[ref]
                cells.append(f"{s.median_seconds / r.median_seconds:.2f}×" if r.measured else "—")
            lines.append(f"| {s.label} | {len(s.seconds)} | {s.time_text()} | {' | '.join(cells)} |")
        args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print("\n".join(lines))
    finally:
        if old.exists():
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)], check=False)
        shutil.rmtree(work, ignore_errors=True)
        if server.started_here:
            server.stop()


if __name__ == "__main__":
    main()

"""The restore's speed levers (issue 24 item 1), each measured alone, against pg_restore -j 2 in the same run.

    python -m bench.levers --shapes small-tables,bytea,jsonb,partitioned --variants all,sync-commit-on --repeat 5

For each shape (the cached databases of bench/shapes.py): one native archive and one `pg_dump -Fc` file, then
rounds of `pg_restore -j 2` into a dropped schema (always first: the live tenant then holds the shape),
`pg_restore --clean --if-exists -j 2` over the live tenant, and one native restore over the live tenant per
variant (bench/lever_side.py: `all` is today's engine, each other variant sets one lever back); after the first,
the sides run in reverse order every other round. Prints a table of medians and ratios and writes it to --output
(a scratch file: bench/RESULTS.md's "restore levers" section is written by hand from it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

from app.engine.connection import ConnectionTarget
from bench import dataset, tools
from bench.dataset import TENANT, say
from bench.harness import REPO, Harness, Side, drop_leftovers
from bench.lever_side import VARIANTS
from bench.shapes import SHAPES
from bench.stats import Series


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def _ratio(ours: Series, ref: Series | None) -> str:
    if ref is None or not ref.measured or not ours.measured:
        return "—"
    return f"{ours.median_seconds / ref.median_seconds:.2f}×"


def _shape(h: Harness, key: str, restore: ConnectionTarget, variants: list[str]) -> list[str]:
    source = SHAPES[key].database(h.admin, h.args.scale)
    archive, dump = h.path(f"{key}.resguardo"), h.path(f"{key}.dump")
    h.measure(
        Series("backup"),
        h.python(
            "bench.sides", "native-backup", "--conninfo", source.conninfo, "--schema", TENANT, "--path", str(archive)
        ),
        output=archive,
    )
    h.measure(Series("dump"), tools.pg_dump(h.pg, source, TENANT, dump), output=dump)
    series = {"j2": Series("pg_restore -j 2 (into a dropped schema)")}
    if not h.args.no_clean:
        series["clean"] = Series("pg_restore --clean --if-exists -j 2 (over the live tenant)")
    for v in variants:
        series[v] = Series(f"Resguardo native, {v}")

    def bare(name: str, clean: bool) -> Side:
        def side() -> None:
            h.measure(
                series[name],
                tools.pg_restore(h.pg, restore, dump, 2, clean=clean),
                before=lambda: drop_leftovers(restore, also=None if clean else TENANT),
            )

        return side

    def native(v: str) -> Side:
        argv = h.python(
            "bench.lever_side", v, "--conninfo", restore.conninfo, "--schema", TENANT, "--path", str(archive)
        )

        def side() -> None:
            h.measure(series[v], argv, before=lambda: drop_leftovers(restore))

        return side

    rest = ([bare("clean", True)] if "clean" in series else []) + [native(v) for v in variants]
    started = time.monotonic()
    for index in range(h.args.repeat):
        say(f"{key}: round {index + 1} of {h.args.repeat}")
        for side in [bare("j2", False), *(rest if index % 2 == 0 else reversed(rest))]:
            side()
        drop_leftovers(restore)
    lines = [
        f"### {key} ({time.monotonic() - started:.0f} s, load average after it {_load()})",
        "",
        "| Side | Runs | Median (min–max) | ÷ pg_restore -j 2 | ÷ --clean -j 2 | ÷ all |",
        "|---|---|---|---|---|---|",
    ]
    for s in series.values():
        if not s.measured:
            lines.append(f"| {s.label} | 0 | {s.error} | | | |")
            continue
        ratios = " | ".join(_ratio(s, series.get(ref)) for ref in ("j2", "clean", "all"))
        lines.append(f"| {s.label} | {len(s.seconds)} | {s.time_text()} | {ratios} |")
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.levers")
    parser.add_argument("--shapes", default="small-tables,bytea,jsonb,partitioned")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--no-clean", action="store_true", help="leave out pg_restore --clean")
    parser.add_argument("--data-dir", type=Path, default=REPO / "bench" / ".data")
    parser.add_argument("--output", type=Path, default=Path("levers.md"))
    args = parser.parse_args()
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    server = dataset.start_server(args.data_dir)
    lines = [f"Written by `python -m bench.levers {' '.join(sys.argv[1:])}`; load average at start {_load()}.", ""]
    try:
        admin = server.target()
        pg = tools.find_tools(tools.server_major(admin))
        work = args.data_dir / "work-levers"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        h = Harness(args, admin, pg, work, server.logfile)
        restore = dataset.restore_database(admin)
        for key in [s.strip() for s in args.shapes.split(",") if s.strip()]:
            lines += _shape(h, key, restore, variants)
            args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
            say(f"wrote {key} to {args.output}")
        shutil.rmtree(work, ignore_errors=True)
    finally:
        if server.started_here:
            server.stop()
        print("\n".join(lines))


if __name__ == "__main__":
    main()

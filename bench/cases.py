"""The cases of issues 15 and 11: each shape of tenant measured against pg_dump and pg_restore, and the
1,000-tenant database.

A case's round runs the backup group, then the restore group, every side a fresh child process.
The restore group always starts with the bare `pg_restore -j 2` into a dropped schema, so the live
tenant every later side restores over holds the shape's contents (what a restore over a live
tenant replaces); the next round reverses the backup group and the restore sides after that
first one, so no side always runs first or always follows the same neighbour.

Sides, for every case:
- backup: Resguardo native (`backup_tenant`), `pg_dump -Fc`, `pg_dump -Fd -j 2`;
- restore: `pg_restore -j 2` into a dropped schema, Resguardo native (`restore_tenant`: staging,
  checks, swap, safety copy, dropped afterwards, untimed) over the live tenant, and
  `pg_restore --clean --if-exists -j 2` over the live tenant (the fair comparison for that).
The 1,000-tenant case adds the same native restore in a database of 3 tenants, and the listing:
`resguardo tenants --json` as a whole command, and `list_tenants` alone on an open connection.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from app.engine.connection import ConnectionTarget
from app.formatting import human_size
from bench import dataset, report, tools
from bench.dataset import TENANT
from bench.harness import Harness, Side, drop_leftovers, missing
from bench.stats import Series

BACKUP = ("app.engine.backup.native", "backup_tenant")
RESTORE = ("app.engine.restore.restore", "restore_tenant")
RESTORE_LIMIT = 0.8  # issue 15: restore ≤ 0.8× pg_restore -j 2
FC_LIMIT, FD_LIMIT = 0.5, 0.8  # backup ≤ 0.5× pg_dump -Fc and ≤ 0.8× pg_dump -Fd -j 2
TENANTS_LIMIT = 1.5  # issue 11: restore beside 1,000 tenants ≤ 1.5× beside 3
# issue 24: from 10,000 tenants on, the case is its own section (`tenants-10000`), and a small clinic's backup and
# restore beside them must cost at most 1.2× what they cost beside 3
LARGE_TENANTS, LARGE_LIMIT = 10_000, 1.2
LISTING_LIMIT_S = 1.0
FEW_TENANTS = 3


@dataclass
class Case:
    """One shape of tenant: `bienestar` in `source` is backed up; restores land in `bienestar` of `restore`."""

    h: Harness
    key: str
    title: str
    source: ConnectionTarget
    restore: ConnectionTarget
    dataset: str
    notes: list[str] = field(default_factory=list)
    series: dict[str, Series] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, label in self.labels().items():
            self.series[key] = Series(label)

    def labels(self) -> dict[str, str]:
        return {
            "backup.native": "Backup: Resguardo native",
            "backup.fc": "Backup: pg_dump -Fc",
            "backup.fd": "Backup: pg_dump -Fd -j 2",
            "restore.j2": "Restore: pg_restore -j 2 (into a dropped schema)",
            "restore.native": "Restore: Resguardo native (staging, checks, swap)",
            "restore.clean": "Restore: pg_restore --clean --if-exists -j 2 (over the live tenant)",
        }

    def file(self, suffix: str) -> Path:
        return self.h.path(f"{self.key}{suffix}")

    @property
    def archive(self) -> Path:
        return self.file(".resguardo")

    @property
    def dump(self) -> Path:
        return self.file(".dump")

    # --- the sides of each group; a round runs them in order, the next round in reverse ------------

    def backup_sides(self) -> list[Side]:
        s = self.series

        def native() -> None:
            if not self.h.unavailable(s["backup.native"], missing(*BACKUP)):
                self.h.measure(
                    s["backup.native"],
                    self.h.python(
                        "bench.sides",
                        "native-backup",
                        "--conninfo",
                        self.source.conninfo,
                        "--schema",
                        TENANT,
                        "--path",
                        str(self.archive),
                    ),
                    output=self.archive,
                )

        def custom() -> None:
            self.h.measure(s["backup.fc"], tools.pg_dump(self.h.pg, self.source, TENANT, self.dump), output=self.dump)

        def directory() -> None:
            out = self.file(".dir")
            self.h.measure(
                s["backup.fd"], tools.pg_dump(self.h.pg, self.source, TENANT, out, fmt="d", jobs=2), output=out
            )

        return [native, custom, directory]

    def native_restore(self, series: Series, target: ConnectionTarget) -> None:
        """Resguardo's restore of the native archive over the live tenant of `target`."""
        backup = self.series["backup.native"]
        reason = missing(*RESTORE)
        if reason is None and not self.archive.exists():
            if backup.error and backup.error.startswith("refused: "):
                series.error = f"refused: at the backup: {backup.error.removeprefix('refused: ')}"
            reason = "no native archive to restore (its backup was not measured)"
        if not self.h.unavailable(series, reason):
            series.setup = "over the live tenant; its safety copy dropped afterwards, untimed"
            self.h.measure(
                series,
                self.h.python(
                    "bench.sides",
                    "native-restore",
                    "--conninfo",
                    target.conninfo,
                    "--schema",
                    TENANT,
                    "--path",
                    str(self.archive),
                ),
                before=lambda: drop_leftovers(target),
            )

    def bare_restore(self, series: Series, target: ConnectionTarget, *, clean: bool) -> None:
        if self.h.unavailable(series, None if self.dump.exists() else "no pg_dump -Fc file to restore"):
            return
        series.setup = "" if clean else f"after DROP SCHEMA {TENANT} CASCADE, untimed"
        self.h.measure(
            series,
            tools.pg_restore(self.h.pg, target, self.dump, 2, clean=clean),
            before=lambda: drop_leftovers(target, also=None if clean else TENANT),
        )

    def restore_sides(self) -> list[Side]:
        s = self.series
        return [
            lambda: self.bare_restore(s["restore.j2"], self.restore, clean=False),
            lambda: self.native_restore(s["restore.native"], self.restore),
            lambda: self.bare_restore(s["restore.clean"], self.restore, clean=True),
        ]

    def round(self, index: int) -> None:
        backup = self.backup_sides()
        first, *rest = self.restore_sides()  # the bare restore into a dropped schema always opens the group
        if index % 2:
            backup.reverse()
            rest.reverse()
        for side in [*backup, first, *rest]:
            side()
        for target in self.restore_targets():
            drop_leftovers(target)

    def restore_targets(self) -> list[ConnectionTarget]:
        return [self.restore]

    def once(self) -> None:
        """What is measured once, after the first round."""

    # --- the verdicts ------------------------------------------------------------------------------

    def verdicts(self) -> list[report.Verdict]:
        s = self.series
        return [
            report.ratio_row(
                "Restore wall time: native ÷ pg_restore -j 2", s["restore.native"], s["restore.j2"], limit=RESTORE_LIMIT
            ),
            report.ratio_row(
                "Restore wall time: native ÷ pg_restore --clean --if-exists -j 2",
                s["restore.native"],
                s["restore.clean"],
                limit=RESTORE_LIMIT,
            ),
            report.rss_row("Restore peak RSS (native)", s["restore.native"], s["restore.j2"]),
            report.ratio_row(
                "Backup wall time: native ÷ pg_dump -Fc", s["backup.native"], s["backup.fc"], limit=FC_LIMIT
            ),
            report.ratio_row(
                "Backup wall time: native ÷ pg_dump -Fd -j 2", s["backup.native"], s["backup.fd"], limit=FD_LIMIT
            ),
            report.ratio_row(
                "Backup size: native ÷ pg_dump -Fc", s["backup.native"], s["backup.fc"], limit=None, size=True
            ),
            report.rss_row("Backup peak RSS (native)", s["backup.native"], s["backup.fc"]),
        ]

    def profiled(self) -> dict[str, tuple[Series, ConnectionTarget]]:
        """The Resguardo sides `--profile` can name, with the database each works in."""
        return {
            "native-backup": (self.series["backup.native"], self.source),
            "native-restore": (self.series["restore.native"], self.restore),
        }

    def names(self) -> dict[str, str]:
        """Values shown as $NAMEs in the commands of RESULTS.md."""
        return {
            self.source.conninfo: "$SOURCE_DB",
            self.restore.conninfo: "$RESTORE_DB",
            str(self.h.pg.bin_dir) + "/": "$BIN/",
            str(self.h.work) + "/": "$WORK/",
            sys.executable: "python",
        }

    def legend(self) -> list[str]:
        return [
            f"`$SOURCE_DB`: `{self.source.conninfo}` (the port: line 4 of `pg18/postmaster.pid` in "
            "`--data-dir`); "
            f"`$RESTORE_DB`: `{self.restore.conninfo}`; `$BIN`: the embedded client tools; `$WORK`: a scratch "
            "folder; `python -m bench.sides`: one engine call (bench/sides.py)."
        ]


@dataclass
class TenantsCase(Case):
    """A small tenant in a database of N tenants × 15 tables: restore and listing cost (issue 11)."""

    few: ConnectionTarget | None = None  # the same layout with 3 tenants

    def labels(self) -> dict[str, str]:
        count = self.h.args.tenants
        labels = {}
        for key, label in super().labels().items():
            if key in ("restore.native", "backup.native"):
                labels[key] = f"{label.split(' (')[0]}, beside {count} tenants"
                labels[f"{key}_few"] = f"{label.split(' (')[0]}, beside {FEW_TENANTS} tenants"
            else:
                labels[key] = label
        return {
            **labels,
            "listing.cli": f"`resguardo tenants --json` with {count} tenants (whole command)",
            "listing.engine": f"list_tenants with {count} tenants (alone, on an open connection)",
        }

    @property
    def limit(self) -> float:
        return LARGE_LIMIT if self.h.args.tenants >= LARGE_TENANTS else TENANTS_LIMIT

    def backup_sides(self) -> list[Side]:
        assert self.few is not None
        few = self.few
        native, custom, directory = super().backup_sides()

        def native_few() -> None:
            archive = self.file("-few.resguardo")
            series = self.series["backup.native_few"]
            if not self.h.unavailable(series, missing(*BACKUP)):
                self.h.measure(
                    series,
                    self.h.python(
                        "bench.sides",
                        "native-backup",
                        "--conninfo",
                        few.conninfo,
                        "--schema",
                        TENANT,
                        "--path",
                        str(archive),
                    ),
                    output=archive,
                )

        if self.h.args.tenants < LARGE_TENANTS:
            return [native, native_few, custom, directory]
        # Each pg_dump reads the whole catalog (about 100 s beside 10,000 tenants): -Fc alone gives the ratio.
        self.h.unavailable(self.series["backup.fd"], "not run beside 10,000 tenants: pg_dump -Fc gives the ratio")
        return [native, native_few, custom]

    def restore_sides(self) -> list[Side]:
        assert self.few is not None
        few = self.few
        j2, native, clean = super().restore_sides()
        return [j2, native, lambda: self.native_restore(self.series["restore.native_few"], few), clean]

    def restore_targets(self) -> list[ConnectionTarget]:
        assert self.few is not None
        return [self.restore, self.few]

    def once(self) -> None:
        """The listing: the whole `resguardo tenants --json` command (what the IT person waits for), then
        `list_tenants` alone."""
        made = self.h.args.tenants
        for _ in range(max(3, self.h.args.repeat)):
            run = self.h.measure(
                self.series["listing.cli"],
                self.h.python("app", "tenants", "--json", "--dsn", self.source.conninfo),
                env={"RESGUARDO_HOME": str(self.h.path("home"))},
            )
            found = None if run is None else sum(1 for t in json.loads(run.stdout) if t.get("kind") == "tenant")
            if found != made:
                if found is not None:
                    self.notes.append(f"`resguardo tenants` found {found} tenants where {made} were made.")
                break
        found = self.h.listing(self.series["listing.engine"], self.source)
        if found is not None and found != made:
            self.notes.append(f"list_tenants found {found} tenants where {made} were made.")

    def verdicts(self) -> list[report.Verdict]:
        s = self.series
        count = self.h.args.tenants
        return [
            report.ratio_row(
                f"Restore wall time: beside {count} tenants ÷ beside {FEW_TENANTS} tenants",
                s["restore.native"],
                s["restore.native_few"],
                limit=self.limit,
            ),
            report.ratio_row(
                f"Backup wall time: beside {count} tenants ÷ beside {FEW_TENANTS} tenants",
                s["backup.native"],
                s["backup.native_few"],
                limit=self.limit,
            ),
            report.absolute_row(
                s["listing.cli"].label, s["listing.cli"], limit=LISTING_LIMIT_S, unit="s", scale=1, statistic="median"
            ),
            report.absolute_row(
                s["listing.engine"].label,
                s["listing.engine"],
                limit=LISTING_LIMIT_S,
                unit="s",
                scale=1,
                statistic="median",
            ),
            *super().verdicts(),
        ]

    def names(self) -> dict[str, str]:
        assert self.few is not None
        return {**super().names(), self.source.conninfo: "$DB", self.few.conninfo: "$FEW_DB"}

    def legend(self) -> list[str]:
        assert self.few is not None
        return [
            f"`$DB`: `{self.source.conninfo}`, where backups read and restores land (the port: line 4 of "
            f"`pg18/postmaster.pid` in `--data-dir`); `$FEW_DB`: `{self.few.conninfo}` ({FEW_TENANTS} "
            "tenants); `$BIN`: the embedded client tools; `$WORK`: a scratch folder; `python -m bench.sides`: "
            "one engine call (bench/sides.py)."
        ]


def _generated(h: Harness, db: ConnectionTarget) -> str:
    seconds = dataset.generation_seconds(h.admin, db.dbname or "") or 0
    return f"`{db.dbname}` generated once in {seconds:.0f} s, then cached"


def shape_case(
    h: Harness, key: str, title: str, source: ConnectionTarget, restore: ConnectionTarget, describe: str
) -> Case:
    size = human_size(dataset.schema_bytes(source, TENANT))
    return Case(
        h,
        key,
        title,
        source,
        restore,
        f"`{TENANT}` in `{source.dbname}`: {describe} beside the demo clinic's 15 tables; {size} "
        f"(pg_total_relation_size of its tables); {_generated(h, source)}",
    )


def tenants_key(count: int) -> str:
    """The section a tenants case writes: `tenants` (1,000 by default), `tenants-10000` from LARGE_TENANTS on."""
    return "tenants" if count < LARGE_TENANTS else f"tenants-{count}"


def tenants_case(h: Harness, title: str) -> TenantsCase:
    """Backups and restores of the demo's `bienestar` (15 tables, a few rows) in the database of all the tenants."""
    many = dataset.tenants_database(h.admin, h.args.tenants)
    few = dataset.tenants_database(h.admin, FEW_TENANTS)
    size = human_size(dataset.schema_bytes(many, TENANT))
    with many.connect() as conn:
        row = conn.execute("SELECT count(*) FROM pg_catalog.pg_class").fetchone()
    relations = row[0] if row else 0
    return TenantsCase(
        h,
        tenants_key(h.args.tenants),
        title,
        many,
        many,
        f"`{TENANT}` (the demo clinic at scale 1: 15 tables, {size}) in `{many.dbname}`: "
        f"{h.args.tenants:,} tenants × 15 tables, {relations:,} relations in its catalog "
        f"({_generated(h, many)}); beside {FEW_TENANTS} tenants: `{few.dbname}` ({_generated(h, few)})",
        few=few,
    )

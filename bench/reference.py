"""Today's reference case (`--shapes rows`, the default): a few big tables of short rows, the demo's
`bienestar` at the demo scale `--size` asks for, against pg_dump / pg_restore / psql, with the
pg_dump formats through Resguardo, the COPY floor, the tenant listing and the UI gaps."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from app.engine.connection import ConnectionTarget
from bench import dataset, formats, report, tools
from bench.dataset import TENANT, say
from bench.harness import REPO, Harness, Side, drop_leftovers, missing
from bench.probe import SideFailed, run_measured
from bench.stats import Series

KEY = "rows"


@dataclass
class Bench:
    h: Harness
    title: str
    source: ConnectionTarget  # holds the measured tenant
    restore: ConnectionTarget  # restores land here
    dataset: str
    key: str = KEY
    listing_db: ConnectionTarget | None = None  # the tenants' database, once the listing has made it
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
            ("listing", f"Listing {self.h.args.tenants} tenants with sizes (list_tenants)"),
            ("ui.backup", "UI: longest timer gap during a native backup"),
            ("ui.restore", "UI: longest timer gap during a native restore"),
        ):
            self.series[key] = Series(label, millis=key.startswith("ui."))

    def clear_restore_db(self, *, drop_tenant: bool) -> None:
        """Untimed: drop what earlier restores left (safety copies, staging), and the tenant when asked."""
        drop_leftovers(self.restore, also=TENANT if drop_tenant else None)

    # --- the sides of each group; a round runs them in order, the next round in reverse ------------

    def backup_sides(self) -> list[Side]:
        native, dump = self.series["backup.native"], self.series["backup.pg_dump"]
        archive, custom = self.h.path("native.resguardo"), self.h.path("pgdump.dump")

        def ours() -> None:
            if not self.h.unavailable(native, missing("app.engine.backup.native", "backup_tenant")):
                self.h.measure(
                    native,
                    self.h.python(
                        "bench.sides",
                        "native-backup",
                        "--conninfo",
                        self.source.conninfo,
                        "--schema",
                        TENANT,
                        "--path",
                        str(archive),
                    ),
                    output=archive,
                )

        def bare() -> None:
            self.h.measure(dump, tools.pg_dump(self.h.pg, self.source, TENANT, custom), output=custom)

        return [ours, bare, *formats.backup_sides(self)]

    def restore_sides(self) -> list[Side]:
        native = self.series["restore.native"]
        dump, archive = self.h.path("pgdump.dump"), self.h.path("native.resguardo")

        def bare(series: Series, jobs: int) -> None:
            if not self.h.unavailable(series, None if dump.exists() else "no pg_dump -Fc file to restore"):
                series.setup = f"after DROP SCHEMA {TENANT} CASCADE, untimed"
                self.h.measure(
                    series,
                    tools.pg_restore(self.h.pg, self.restore, dump, jobs),
                    before=lambda: self.clear_restore_db(drop_tenant=True),
                )

        def ours() -> None:
            reason = missing("app.engine.restore.restore", "restore_tenant") or (
                None if archive.exists() else "no native archive to restore (its backup was not measured)"
            )
            if not self.h.unavailable(native, reason):
                native.setup = "over the live tenant; its safety copy dropped afterwards, untimed"
                self.h.measure(
                    native,
                    self.h.python(
                        "bench.sides",
                        "native-restore",
                        "--conninfo",
                        self.restore.conninfo,
                        "--schema",
                        TENANT,
                        "--path",
                        str(archive),
                    ),
                    before=lambda: self.clear_restore_db(drop_tenant=False),
                )

        return [
            lambda: bare(self.series["restore.pg_restore"], 1),
            lambda: bare(self.series["restore.pg_restore_j2"], 2),
            ours,
            *formats.restore_sides(self),
        ]

    def round(self, index: int) -> None:
        """The floor first (it also warms the cache), then each group, alternating the order of its sides."""
        self.h.measure(
            self.series["floor"], tools.copy_floor(self.h.pg, self.source, TENANT), stdout_to=Path("/dev/null")
        )
        for group in (self.backup_sides(), self.restore_sides()):
            for side in group if index % 2 == 0 else reversed(group):
                side()
        self.clear_restore_db(drop_tenant=False)

    def once(self) -> None:
        """Measured once, after the first round."""
        self.listing()
        self.ui()

    def listing(self) -> None:
        if self.h.unavailable(self.series["listing"], missing("app.engine.catalog.discovery", "list_tenants")):
            return
        self.listing_db = dataset.tenants_database(self.h.admin, self.h.args.tenants)
        found = self.h.listing(self.series["listing"], self.listing_db)
        if found is not None and found != self.h.args.tenants:
            self.notes.append(f"The listing found {found} tenants where {self.h.args.tenants} were made.")

    def ui(self) -> None:
        backup, restore = self.series["ui.backup"], self.series["ui.restore"]
        reason = (
            missing("app.engine.backup.native", "backup_tenant")
            or missing("app.engine.restore.restore", "restore_tenant")
            or missing("app.ui.backup_flow", "BackupFlow")
            or missing("app.ui.restore_flow", "RestoreFlow")
        )
        if self.h.unavailable(backup, reason) | self.h.unavailable(restore, reason):
            return
        archive = self.h.path("ui.resguardo")
        self.clear_restore_db(drop_tenant=False)
        say("UI gaps (offscreen window) ...")
        try:
            run = run_measured(
                self.h.python(
                    "bench.ui_gap",
                    "--conninfo",
                    self.source.conninfo,
                    "--restore-conninfo",
                    self.restore.conninfo,
                    "--schema",
                    TENANT,
                    "--archive",
                    str(archive),
                ),
                # Its own RESGUARDO_HOME: the window's backup history must not land in the user's.
                env={**self.h.env, "QT_QPA_PLATFORM": "offscreen", "RESGUARDO_HOME": str(self.h.path("ui-home"))},
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

    def verdicts(self) -> list[report.Verdict]:
        s = self.series
        rows = [
            report.ratio_row(
                "Backup wall time: native ÷ pg_dump -Fc", s["backup.native"], s["backup.pg_dump"], limit=0.5
            ),
            report.ratio_row(
                "Backup size: native ÷ pg_dump -Fc", s["backup.native"], s["backup.pg_dump"], limit=1.1, size=True
            ),
            report.rss_row("Backup peak RSS (native)", s["backup.native"], s["backup.pg_dump"]),
            report.ratio_row("Backup wall time: native ÷ COPY floor", s["backup.native"], s["floor"], limit=None),
            report.ratio_row(
                "Restore wall time: native ÷ pg_restore -j 2",
                s["restore.native"],
                s["restore.pg_restore_j2"],
                limit=1.0,
                strict=True,
            ),
            report.ratio_row(
                "Restore wall time: native ÷ pg_restore (1 job)",
                s["restore.native"],
                s["restore.pg_restore"],
                limit=None,
            ),
            report.rss_row("Restore peak RSS (native)", s["restore.native"], s["restore.pg_restore_j2"]),
        ]
        rows += formats.verdicts(self)
        rows += [
            report.absolute_row(s["listing"].label, s["listing"], limit=1, unit="s", scale=1, statistic="median"),
            report.absolute_row(
                "UI gap during native backup", s["ui.backup"], limit=100, unit="ms", scale=1000, statistic="max"
            ),
            report.absolute_row(
                "UI gap during native restore", s["ui.restore"], limit=100, unit="ms", scale=1000, statistic="max"
            ),
        ]
        return rows

    def profiled(self) -> dict[str, tuple[Series, ConnectionTarget]]:
        return {
            "native-backup": (self.series["backup.native"], self.source),
            "native-restore": (self.series["restore.native"], self.restore),
        }

    def restore_targets(self) -> list[ConnectionTarget]:
        return [self.restore]

    def names(self) -> dict[str, str]:
        listing = {self.listing_db.conninfo: "$TENANTS_DB"} if self.listing_db else {}
        return {
            self.source.conninfo: "$DB",
            self.restore.conninfo: "$RESTORE_DB",
            **listing,
            str(self.h.pg.bin_dir) + "/": "$BIN/",
            str(self.h.work) + "/": "$WORK/",
            sys.executable: "python",
        }

    def legend(self) -> list[str]:
        return [
            f"`$DB`: `{self.source.conninfo}` (the port: line 4 of `pg18/postmaster.pid` in `--data-dir`); "
            f"`$RESTORE_DB`: `{self.restore.conninfo}`; `$TENANTS_DB`: the listing's database, "
            f"`bench_tenants_{self.h.args.tenants}x15`; `$BIN`: the embedded client tools; `$WORK`: a scratch "
            "folder; `python -m bench.sides`: one engine call (bench/sides.py)."
        ]

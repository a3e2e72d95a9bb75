"""pg_dump formats through Resguardo vs the bare tools: what the safe path costs.

Backup: Resguardo's `--format custom` / `--format sql` (pg_dump run by the
engine, with progress, temporary name and rename) against bare `pg_dump -Fc` /
`pg_dump -Fp`. Restore: the same custom and .sql files through Resguardo's safe
restore (staging, isolation proof, swap, safety copy) against bare
`pg_restore` (1 job) / `psql -f` into a dropped schema.
"""

from __future__ import annotations

from typing import Protocol

from app.engine.connection import ConnectionTarget
from bench import report, tools
from bench.dataset import TENANT
from bench.harness import Harness, Side, missing
from bench.stats import Series


class Bench(Protocol):
    """What these sides need of the reference case (bench/reference.py), which runs them."""

    h: Harness
    source: ConnectionTarget
    restore: ConnectionTarget
    series: dict[str, Series]

    def clear_restore_db(self, *, drop_tenant: bool) -> None: ...


SUFFIX = {"custom": ".dump", "sql": ".sql"}
ENGINE = ("app.engine.backup.pgdump", "pgdump_tenant")
SAFE_RESTORE = ("app.engine.restore.restore", "restore_tenant")


BACKUP_LABELS = {
    "fmt.backup.custom": "Backup: Resguardo --format custom (pg_dump -Fc)",
    "fmt.backup.sql": "Backup: Resguardo --format sql (pg_dump -Fp)",
    "fmt.backup.plain": "Backup: pg_dump -Fp -n",
}
RESTORE_LABELS = {
    "fmt.restore.custom": "Restore: Resguardo, custom-format file",
    "fmt.restore.sql": "Restore: Resguardo, .sql file",
    "fmt.restore.plain": "Restore: psql -f of the .sql file",
}


def backup_sides(b: Bench) -> list[Side]:
    plain = b.h.path("pgdump.sql")

    def ours(fmt: str) -> None:
        series, out = b.series[f"fmt.backup.{fmt}"], b.h.path(f"resguardo-{fmt}{SUFFIX[fmt]}")
        if not b.h.unavailable(series, missing(*ENGINE)):
            b.h.measure(
                series,
                b.h.python(
                    "bench.sides",
                    "pgdump-backup",
                    "--conninfo",
                    b.source.conninfo,
                    "--schema",
                    TENANT,
                    "--format",
                    fmt,
                    "--path",
                    str(out),
                ),
                output=out,
            )

    def bare() -> None:
        b.h.measure(b.series["fmt.backup.plain"], tools.pg_dump(b.h.pg, b.source, TENANT, plain, fmt="p"), output=plain)

    return [lambda: ours("custom"), bare, lambda: ours("sql")]


def restore_sides(b: Bench) -> list[Side]:
    files = {"custom": b.h.path("pgdump.dump"), "sql": b.h.path("pgdump.sql")}

    def ours(fmt: str) -> None:
        series = b.series[f"fmt.restore.{fmt}"]
        reason = (
            missing(*ENGINE) or missing(*SAFE_RESTORE) or (None if files[fmt].exists() else f"no {fmt} file to restore")
        )
        if not b.h.unavailable(series, reason):
            series.setup = "over the live tenant; its safety copy dropped afterwards, untimed"
            b.h.measure(
                series,
                b.h.python(
                    "bench.sides",
                    "native-restore",
                    "--conninfo",
                    b.restore.conninfo,
                    "--schema",
                    TENANT,
                    "--path",
                    str(files[fmt]),
                ),
                before=lambda: b.clear_restore_db(drop_tenant=False),
            )

    def bare() -> None:
        series = b.series["fmt.restore.plain"]
        if not b.h.unavailable(series, None if files["sql"].exists() else "no .sql file to restore"):
            series.setup = f"after DROP SCHEMA {TENANT} CASCADE, untimed"
            b.h.measure(
                series,
                tools.psql_file(b.h.pg, b.restore, files["sql"]),
                before=lambda: b.clear_restore_db(drop_tenant=True),
            )

    return [lambda: ours("custom"), bare, lambda: ours("sql")]


def verdicts(b: Bench) -> list[report.Verdict]:
    s = b.series
    return [
        report.ratio_row(
            "Custom backup: Resguardo ÷ pg_dump -Fc", s["fmt.backup.custom"], s["backup.pg_dump"], limit=None
        ),
        report.ratio_row(
            ".sql backup: Resguardo ÷ pg_dump -Fp", s["fmt.backup.sql"], s["fmt.backup.plain"], limit=None
        ),
        report.ratio_row(
            "Custom restore: Resguardo ÷ pg_restore (1 job)",
            s["fmt.restore.custom"],
            s["restore.pg_restore"],
            limit=None,
        ),
        report.ratio_row(".sql restore: Resguardo ÷ psql -f", s["fmt.restore.sql"], s["fmt.restore.plain"], limit=None),
    ]

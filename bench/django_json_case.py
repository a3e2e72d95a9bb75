"""The Django JSON case (issue 12): Resguardo's restore of a `dumpdata` export against Django's own `loaddata`.

The data is the rows case's tenant (the demo clinic's `bienestar` at a demo scale: appointments and chat
messages) moved into the real Django project of the tests (tests/django_project): the project makes its
database and schemas itself (`migrate_schemas`, tenants through the ORM), then every row of the rows
tenant is copied into its tables with COPY (same ids, same values; content types and permissions are
Django's own, the admin log's content types mapped by (app_label, model)). The project's
`tenant_command dumpdata --schema bienestar` writes the JSON file once; database and file are cached.

Each run measures, in a fresh copy of that database, sides alternated, each a fresh child process:
- Resguardo: `restore_tenant` of the JSON file over the live tenant (staging, checks, swap; the safety
  copy dropped afterwards, untimed), as the server's superuser;
- Django: `manage.py tenant_command loaddata --schema bienestar FILE` as the application's role, into
  the tenant emptied just before (untimed): loaddata adds and updates rows but never removes any, so
  only into empty tables does it give back what the file holds.
After every run the tenant's rows are counted against the source's, untimed; a difference is noted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from psycopg import sql
from psycopg.conninfo import make_conninfo

from app.engine.connection import ConnectionTarget
from app.formatting import human_size
from bench import dataset, report
from bench.dataset import TENANT, say
from bench.harness import REPO, Harness, Side, drop_leftovers
from bench.stats import Series
from tests.support.django_app import (
    APP_ROLE,
    PROJECT,
    django_env,
    ensure_app_role,
    run_django,
)

KEY = "django-json"
TITLE = "Django JSON import: Resguardo's restore of a `dumpdata` export against Django's own `loaddata`"
SIZE = "300MB"  # the rows tenant whose rows the project's tenant holds, at --scale 1
RESTORE_DB = "bench_django_restore"
# Tables Django's migrations fill in each tenant, kept as the project made them (not copied from the rows tenant).
DJANGO_OWN = ("django_migrations", "django_content_type", "auth_permission")
RENAMED = {"core_clinicsettings": "clinic_settings"}  # the project's ClinicSettings has its own db_table
DUMPDATA_TIMEOUT = 3600
LOAD_NOTE = "Load average (1 minute) as each side started, in order:"
ROWS_NOTE = "The tenant's rows, counted after every run"


def demo_scale(args: argparse.Namespace) -> int:
    """The rows tenant's demo scale: 300 MB at --scale 1, demo scale 1 for --smoke."""
    if args.smoke:
        return 1
    return max(1, round(dataset.scale_for(dataset.parse_size(SIZE)) * float(args.scale)))


def _app(target: ConnectionTarget, password: str) -> ConnectionTarget:
    """The same database as the application's role (what the project's manage.py connects as)."""
    return ConnectionTarget(make_conninfo(target.conninfo, user=APP_ROLE), password)


def _tables(conn_target: ConnectionTarget) -> list[str]:
    with conn_target.connect() as conn:
        return [
            r[0]
            for r in conn.execute(
                "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND c.relkind = 'r' ORDER BY c.relname",
                [TENANT],
            ).fetchall()
        ]


def row_counts(target: ConnectionTarget) -> dict[str, int]:
    """Rows of every table of the tenant, exactly."""
    tables = _tables(target)
    with target.connect() as conn:
        counts = {}
        for table in tables:
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(TENANT, table))).fetchone()
            counts[table] = int(row[0]) if row else 0
    return counts


def _copy_rows(rows: ConnectionTarget, django: ConnectionTarget, client_id: int) -> None:
    """Every row of the rows tenant into the project's tables (same ids), in one transaction; identities then
    continue after the copied ids, as they would after the application wrote them."""
    with rows.connect() as src, django.connect() as dst:
        ours = {
            (a, m): i
            for i, a, m in dst.execute(
                sql.SQL("SELECT id, app_label, model FROM {}").format(sql.Identifier(TENANT, "django_content_type"))
            )
        }
        content_types = {
            i: ours[(a, m)]
            for i, a, m in src.execute(
                sql.SQL("SELECT id, app_label, model FROM {}").format(sql.Identifier(TENANT, "django_content_type"))
            )
            if (a, m) in ours
        }
        mapped = sql.SQL("CASE {} END").format(
            sql.SQL(" ").join(
                sql.SQL("WHEN content_type_id = {} THEN {}").format(sql.Literal(old), sql.Literal(new))
                for old, new in content_types.items()
            )
        )
        overrides = {
            ("clinic_settings", "client_id"): sql.Literal(client_id),
            ("django_admin_log", "content_type_id"): mapped,
        }
        source_tables = [t for t in _tables(rows) if t not in DJANGO_OWN]
        for table in source_tables:
            into = RENAMED.get(table, table)
            have = {
                r[0]
                for r in src.execute(
                    "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
                    " AND NOT attisdropped",
                    [sql.Identifier(TENANT, table).as_string(src)],
                )
            }
            columns = [
                r[0]
                for r in dst.execute(
                    "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
                    " AND NOT attisdropped ORDER BY attnum",
                    [sql.Identifier(TENANT, into).as_string(dst)],
                )
            ]
            values = []
            for column in columns:
                if (into, column) in overrides:
                    values.append(overrides[(into, column)])
                elif column in have:
                    values.append(sql.Identifier(column))
                else:
                    raise RuntimeError(f"the rows tenant's {table} has no column {column} for the project's {into}")
            select = sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(values), sql.Identifier(TENANT, table))
            copy_in = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(TENANT, into), sql.SQL(", ").join(map(sql.Identifier, columns))
            )
            with (
                src.cursor().copy(sql.SQL("COPY ({}) TO STDOUT").format(select)) as out,
                dst.cursor().copy(copy_in) as sink,
            ):
                for block in out:
                    sink.write(block)
        for table, column in dst.execute(
            "SELECT c.relname, a.attname FROM pg_catalog.pg_attribute a"
            " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r' AND a.attidentity <> ''",
            [TENANT],
        ).fetchall():
            qualified = sql.Identifier(TENANT, table)
            dst.execute(
                sql.SQL(
                    "SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence({}, {}),"
                    " coalesce(max({}), 0) + 1, false) FROM {}"
                ).format(sql.Literal(qualified.as_string(dst)), sql.Literal(column), sql.Identifier(column), qualified)
            )
        src.commit()
        dst.commit()


def django_database(admin: ConnectionTarget, scale: int, password: str, export: Path) -> ConnectionTarget:
    """`bench_django_<scale>`: the project's database, its `bienestar` holding the rows tenant's rows (cached)."""
    rows = dataset.tenant_database(admin, scale)
    dbname = f"bench_django_{scale}"

    def generate() -> ConnectionTarget:
        export.unlink(missing_ok=True)  # an export of an earlier generation is not this database's
        with admin.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0 ENCODING 'UTF8'").format(
                    sql.Identifier(dbname), sql.Identifier(APP_ROLE)
                )
            )
        target = admin.with_dbname(dbname)
        app = _app(target, password)
        run_django(app, ["migrate_schemas", "--shared", "--verbosity", "0"], timeout=600)
        code = (
            "from clinic_site.seed import add_clinic\n"
            "add_clinic('public', 'Clínicas (público)', populate=False)\n"
            f"result = add_clinic({TENANT!r}, {TENANT.title()!r}, populate=False)"
        )
        client_id = int(run_django(app, code, timeout=600).result)
        _copy_rows(rows, target, client_id)
        return target

    return dataset.cached(admin, dbname, f" (the clinic project's schemas, the rows of {rows.dbname})", generate)


def make_export(app: ConnectionTarget, export: Path) -> float | None:
    """The project's own `tenant_command dumpdata` of the tenant (no indent, no natural keys: its defaults),
    written once under a temporary name; the seconds it took, None when the file was already there."""
    if export.exists():
        say(f"reusing {export}")
        return None
    export.parent.mkdir(parents=True, exist_ok=True)
    partial = export.with_name(export.name + ".partial")
    say(f"writing {export} with tenant_command dumpdata")
    started = time.monotonic()
    run_django(app, ["tenant_command", "dumpdata", "--schema", TENANT, "-o", str(partial)], timeout=DUMPDATA_TIMEOUT)
    partial.replace(export)
    return time.monotonic() - started


def restore_copy(admin: ConnectionTarget, source: ConnectionTarget) -> ConnectionTarget:
    """A fresh copy of the cached database for this run's restores (the cache is never restored into)."""
    with admin.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(RESTORE_DB)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {} STRATEGY FILE_COPY").format(
                sql.Identifier(RESTORE_DB), sql.Identifier(source.dbname), sql.Identifier(APP_ROLE)
            )
        )
    return admin.with_dbname(RESTORE_DB)


def empty_tenant(target: ConnectionTarget) -> None:
    """Untimed, before loaddata: every table of the tenant emptied, identities restarted (django_migrations
    stays: it is not a model, dumpdata does not write it)."""
    drop_leftovers(target)
    tables = [t for t in _tables(target) if t != "django_migrations"]
    with target.connect(autocommit=True) as conn:
        conn.execute(
            sql.SQL("TRUNCATE {} RESTART IDENTITY").format(
                sql.SQL(", ").join(sql.Identifier(TENANT, t) for t in tables)
            )
        )


@dataclass
class DjangoJsonCase:
    """The JSON file of `source`'s tenant restored into `restore`'s, by Resguardo and by loaddata."""

    h: Harness
    title: str
    source: ConnectionTarget
    restore: ConnectionTarget
    app: ConnectionTarget  # `restore` as the application's role, for loaddata
    export: Path
    expected: dict[str, int]  # the source tenant's rows per table
    dataset: str
    key: str = KEY
    notes: list[str] = field(default_factory=list)
    series: dict[str, Series] = field(default_factory=dict)
    loads: list[float] = field(default_factory=list)  # the 1-minute load average as each side started
    checked: int = 0  # runs whose rows were counted
    differences: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.series["resguardo"] = Series("Restore: Resguardo (restore_tenant of the JSON file, over the live tenant)")
        self.series["loaddata"] = Series("Restore: Django tenant_command loaddata (into the emptied tenant)")

    def _check(self, series: Series) -> None:
        """Untimed: the tenant holds exactly the source's rows; each difference is kept for the notes."""
        if series.error or not series.measured:
            return
        self.checked += 1
        found = row_counts(self.restore)
        wrong = [f"{t} {found.get(t, 0):,} (source {n:,})" for t, n in self.expected.items() if found.get(t, 0) != n]
        if wrong:
            self.differences.append(f"after run {len(series.seconds)} of {series.label}: {', '.join(wrong)}")

    def sides(self) -> list[Side]:
        ours, django = self.series["resguardo"], self.series["loaddata"]

        def resguardo() -> None:
            ours.setup = "over the live tenant; its safety copy dropped afterwards, untimed"
            self.h.measure(
                ours,
                self.h.python(
                    "bench.sides",
                    "native-restore",
                    "--conninfo",
                    self.restore.conninfo,
                    "--schema",
                    TENANT,
                    "--path",
                    str(self.export),
                ),
                before=lambda: drop_leftovers(self.restore),
            )
            self._check(ours)

        def loaddata() -> None:
            django.setup = f"after TRUNCATE of every table of {TENANT} but django_migrations, untimed"
            env = {k: v for k, v in django_env(self.app).items() if k.startswith(("CLINIC_", "DJANGO_"))}
            self.h.measure(
                django,
                [
                    sys.executable,
                    str(PROJECT / "manage.py"),
                    "tenant_command",
                    "loaddata",
                    "--schema",
                    TENANT,
                    str(self.export),
                ],
                before=lambda: empty_tenant(self.restore),
                env=env,
            )
            self._check(django)

        return [resguardo, loaddata]

    def round(self, index: int) -> None:
        sides = self.sides()
        if index % 2:
            sides.reverse()
        for side in sides:
            self.loads.append(os.getloadavg()[0])
            side()
        drop_leftovers(self.restore)
        self.notes[:] = [n for n in self.notes if not n.startswith((LOAD_NOTE, ROWS_NOTE))]
        self.notes.append(
            f"{LOAD_NOTE} {', '.join(f'{x:.2f}' for x in self.loads)} (2 cores; the machine is "
            "shared: above 1, other work ran beside the sides)."
        )
        verdict = (
            "differ: " + "; ".join(self.differences) if self.differences else "equal to the source's in every table"
        )
        self.notes.append(f"{ROWS_NOTE} ({self.checked} runs): {verdict}.")

    def once(self) -> None:
        """Nothing is measured once in this case."""

    def verdicts(self) -> list[report.Verdict]:
        s = self.series
        return [
            report.ratio_row("Restore wall time: Resguardo ÷ loaddata", s["resguardo"], s["loaddata"], limit=None),
            report.rss_row("Restore peak RSS (Resguardo; reference: loaddata)", s["resguardo"], s["loaddata"]),
        ]

    def profiled(self) -> dict[str, tuple[Series, ConnectionTarget]]:
        return {
            "native-restore": (self.series["resguardo"], self.restore),
            "native-backup": (Series("backup", error="this case measures restores only"), self.source),
        }

    def restore_targets(self) -> list[ConnectionTarget]:
        return [self.restore]

    def names(self) -> dict[str, str]:
        return {
            str(self.export.parent) + "/": "$EXPORTS/",
            self.restore.conninfo: "$RESTORE_DB",
            sys.executable: "python",
            str(REPO) + "/": "",
        }

    def legend(self) -> list[str]:
        p = self.restore.params
        return [
            (
                f"Run from the repository root. `$RESTORE_DB`: `{self.restore.conninfo}` (a copy of "
                f"`{self.source.dbname}` made for the run; the port: line 4 of `pg18/postmaster.pid` in "
                f"`--data-dir`); `$EXPORTS`: `django-json/` in `--data-dir`; `python -m bench.sides "
                "native-restore`: one `restore_tenant` call (bench/sides.py). loaddata reads its database from "
                f"the environment: `CLINIC_DB_NAME={p.get('dbname')} CLINIC_DB_HOST={p.get('host')} "
                f"CLINIC_DB_PORT={p.get('port')} CLINIC_DB_USER={APP_ROLE} CLINIC_DB_PASSWORD=…` (the role's "
                "password is made anew by each run; set one with `ALTER ROLE`)."
            )
        ]


def django_json_case(h: Harness, title: str) -> DjangoJsonCase:
    scale = demo_scale(h.args)
    password = ensure_app_role(h.admin)  # re-keyed every run; it reaches the children only in their environment
    export = (h.args.data_dir / "django-json" / f"bench_django_{scale}.json").resolve()  # the children's cwd differ
    source = django_database(h.admin, scale, password, export)
    seconds = make_export(_app(source, password), export)
    restore = restore_copy(h.admin, source)
    expected = row_counts(source)
    generated = dataset.generation_seconds(h.admin, source.dbname) or 0
    tables = ", ".join(f"{t} {n:,}" for t, n in expected.items() if n)
    empty = ", ".join(t for t, n in expected.items() if not n)
    versions = f"Django {metadata.version('django')}, django-tenants {metadata.version('django-tenants')}"
    made = "cached from an earlier run" if seconds is None else f"written in {seconds:.0f} s"
    description = (
        f"`{TENANT}` in `{source.dbname}`: the clinic project of tests/django_project ({versions}; database and "
        f"schemas made by its `migrate_schemas`, content types and permissions its own) holding every row of the "
        f"rows case's `{TENANT}` at demo scale {scale} (`bench_scale_{scale}`), copied with COPY, same ids; "
        f"{human_size(dataset.schema_bytes(source, TENANT))} (pg_total_relation_size of its tables); generated "
        f"once in {generated:.0f} s, then cached. Rows: {tables}; empty: {empty}. The JSON file: "
        f"`manage.py tenant_command dumpdata --schema {TENANT} -o FILE` (no indent, no natural keys), "
        f"{human_size(export.stat().st_size)}, {made}"
    )
    case = DjangoJsonCase(h, title, source, restore, _app(restore, password), export, expected, description)
    case.notes.append(
        "loaddata never removes a row (it updates a row of the same primary key and inserts the others), so it "
        "restores into the tenant emptied just before (TRUNCATE, untimed): the only way it gives back what the file "
        "holds. Resguardo restores over the live tenant, its whole safe path (the live schema's layout, staging, "
        "proof of isolation, administrators kept, swap, safety copy)."
    )
    case.notes.append(
        "Resguardo runs as the server's superuser (the IT person), loaddata as the application's role "
        f"`{APP_ROLE}` (the web application's own database user), as each is used."
    )
    case.notes.append(
        "Where loaddata's time and memory go (Django's code, and the server's log of a smoke run): its JSON "
        "deserializer reads the whole file into Python objects (`json.loads`) before saving the first one; then "
        "every object is one UPDATE and, finding no row, one INSERT (Django tries an update first when the "
        "primary key is given), each after django-tenants' `SET search_path` (TENANT_LIMIT_SET_CALLS off, its "
        "default), all in one transaction."
    )
    return case

"""The databases the benchmark measures, generated once and reused across runs.

- `bench_scale_<N>`: the demo clinics with `bienestar` at demo scale N, the
  tenant every backup and restore measures. Its size follows from the scale
  (BYTES_PER_SCALE, measured with pg_total_relation_size over the schema's tables).
- `bench_restore`: the demo clinics at scale 1, recreated each run; restores
  land in its `bienestar`.
- `bench_tenants_<N>x15`: the demo clinics plus generated tenants, N in all, each
  with the demo clinic's 15 tables; for the listing and the 1,000-tenant case.
- the shapes' databases (bench/shapes.py).
A database counts as complete only once its comment says so, so an
interrupted generation is redone on the next run.
"""

from __future__ import annotations

import math
import re
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import psycopg
from psycopg import sql

from app.engine.connection import ConnectionTarget
from app.engine.errors import UsageError
from app.engine.server.demo import APP_ROLE, TENANTS, create_demo_database, database_exists, django_password_hash
from app.engine.server.pgserver import EmbeddedServer

TENANT = "bienestar"
RESTORE_DB = "bench_restore"
COMPLETE = "resguardo-bench: complete"
# pg_total_relation_size of `bienestar`'s tables per demo scale unit (20 appointments,
# 60 chat messages, their indexes), and at scale 1; measured on PostgreSQL 18.
# Calibrated at scales 1, 5,000 and 20,000 (1.1 MB, 85.5 MB, 337.8 MB): linear within 0.2 %.
BYTES_PER_SCALE = 16_850
BASE_BYTES = 1_179_648

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)B?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_size(text: str) -> int:
    """'20MB', '1GB', '512M' -> bytes."""
    match = _SIZE.match(text)
    if not match:
        raise UsageError(f"--size {text!r} is not a size such as 20MB or 1GB.")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def scale_for(size_bytes: int) -> int:
    return max(1, math.ceil((size_bytes - BASE_BYTES) / BYTES_PER_SCALE))


def say(message: str) -> None:
    """Progress goes to stderr, so stdout stays clean."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def start_server(data_dir: Path) -> EmbeddedServer:
    """The benchmark's own PostgreSQL, normally configured (fsync on), reused across runs."""
    server = EmbeddedServer(data_dir / "pg18")
    server.start()
    return server


def schema_bytes(target: ConnectionTarget, schema: str) -> int:
    """What the schema's tables take on disk, indexes and TOAST included."""
    with target.connect() as conn:
        row = conn.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN ('r', 'm', 'p')",
            [schema],
        ).fetchone()
    assert row is not None
    return int(row[0])


def generation_seconds(admin: ConnectionTarget, dbname: str) -> float | None:
    """How long the database took to generate, from its completion mark; None when it is not complete."""
    with admin.connect() as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [dbname]
        ).fetchone()
    text = row[0] if row is not None and row[0] else ""
    if not text.startswith(COMPLETE):
        return None
    match = re.search(r"in (\d+(?:\.\d+)?) s", text)
    return float(match.group(1)) if match else 0.0


def _mark_complete(admin: ConnectionTarget, dbname: str, seconds: float) -> None:
    mark = f"{COMPLETE} in {seconds:.0f} s"
    with admin.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(dbname), sql.Literal(mark)))


def _settle(target: ConnectionTarget) -> None:
    """Freeze and analyze, so no measured side pays for hint bits or a first vacuum."""
    with target.connect(autocommit=True) as conn:
        conn.execute("VACUUM (FREEZE, ANALYZE)")


def cached(
    admin: ConnectionTarget, dbname: str, note: str, generate: Callable[[], ConnectionTarget], *, settle: bool = True
) -> ConnectionTarget:
    """A generated database, reused across runs once its generation has completed."""
    if database_exists(admin, dbname) and generation_seconds(admin, dbname) is not None:
        say(f"reusing {dbname}")
        return admin.with_dbname(dbname)
    say(f"generating {dbname}{note}")
    started = time.monotonic()
    target = generate()
    if settle:
        _settle(target)
    _mark_complete(admin, dbname, time.monotonic() - started)
    say(f"generated {dbname} in {time.monotonic() - started:.0f} s")
    return target


def tenant_database(admin: ConnectionTarget, scale: int) -> ConnectionTarget:
    dbname = f"bench_scale_{scale}"
    note = f" (demo scale {scale}; about {(BASE_BYTES + scale * BYTES_PER_SCALE) / 2**20:.0f} MB)"
    return cached(
        admin, dbname, note, lambda: create_demo_database(admin, dbname, scale=scale, scaled=(TENANT,), reset=True)
    )


def restore_database(admin: ConnectionTarget) -> ConnectionTarget:
    """A fresh copy of the small demo clinics; restores replace its `bienestar`."""
    return create_demo_database(admin, RESTORE_DB, scale=1, reset=True)


_TENANTS_PER_BATCH = 50
_TENANT_SQL = resources.files("app.engine.server").joinpath("sql", "demo_tenant.sql")
_GENERATED_ROWS = (
    "INSERT INTO {s}.users_customuser (password, is_superuser, first_name, last_name, is_staff, is_active,"
    " date_joined, email, role) VALUES"
    " (%(hash)s, true, 'Admin', 'Clínica', true, true, '2025-03-01 10:30+00', 'admin@gmail.com', 'admin'),"
    " (%(hash)s, false, 'Psicólogo1', 'Demo', false, true, '2025-03-01 10:30+00', 'psicologo1@test.com',"
    " 'psychologist')",
    "INSERT INTO {s}.core_clinicsettings (client_id, address, phone, time_zone)"
    " VALUES (%(client)s, 'Calle Mayor 1, Madrid', '+34 91 000 00 00', 'Europe/Madrid')",
)


# From this many tenants on, generation runs without durability (the server's fsync and full-page writes off,
# asynchronous commits) on two connections, then VACUUM ANALYZE rather than a freeze of every page: 10,000 tenants
# are 800,000 relations and 13 GB of mostly empty pages. The settings are put back before the database is marked
# complete, and a checkpoint makes it durable; an interrupted generation is never marked, so it is redone.
# Each tenant's foreign key into public.customers_client gives that table two RI triggers, and every later tenant
# then rebuilt its trigger list (its INSERT and its own foreign key open the table): quadratic, an hour at 10,000.
# So those foreign keys are added once every tenant exists, the same constraints by the same name.
FAST_FROM = 5000
_WORKERS = 2
_PUBLIC_KEY = """,
    CONSTRAINT core_clinicsettings_client_id_fk_customers_client_id FOREIGN KEY (client_id)
        REFERENCES public.customers_client (id) DEFERRABLE INITIALLY DEFERRED"""
_KEYS_PER_BATCH = 200


def tenants_database(admin: ConnectionTarget, count: int) -> ConnectionTarget:
    """`count` tenants in all, each with the demo clinic's 15 tables (Django migrations' layout) and its tenant
    and domain rows in `public`: the demo clinics plus generated ones, `clinic_0001`... (a few rows each)."""
    dbname = f"bench_tenants_{count}x15"
    fast = count >= FAST_FROM

    def generate() -> ConnectionTarget:
        target = create_demo_database(admin, dbname, scale=1, reset=True)
        numbers = list(range(1, max(0, count - len(TENANTS)) + 1))
        script = _TENANT_SQL.read_text(encoding="utf-8")
        if not fast:
            _generate_tenants(target, numbers, script)
            return target
        assert _PUBLIC_KEY in script
        with _durability_off(admin):
            with ThreadPoolExecutor(_WORKERS) as pool:
                jobs = [numbers[k::_WORKERS] for k in range(_WORKERS)]
                for done in pool.map(
                    lambda part: _generate_tenants(target, part, script.replace(_PUBLIC_KEY, "")), jobs
                ):
                    assert done is None
            _add_public_keys(target, numbers)
            with target.connect(autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
        return target

    return cached(admin, dbname, f" ({count} tenants of 15 tables)", generate, settle=not fast)


def _add_public_keys(target: ConnectionTarget, numbers: list[int]) -> None:
    key = _PUBLIC_KEY.split("CONSTRAINT ", 1)[1]
    with target.connect() as conn:
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(APP_ROLE)))
        for start in range(0, len(numbers), _KEYS_PER_BATCH):
            for i in numbers[start : start + _KEYS_PER_BATCH]:
                table = sql.Identifier(f"clinic_{i:04d}", "core_clinicsettings")
                conn.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT ").format(table) + sql.SQL(key))
            conn.commit()


@contextmanager
def _durability_off(admin: ConnectionTarget) -> Iterator[None]:
    settings = ("fsync", "full_page_writes", "synchronous_commit")
    with admin.connect(autocommit=True) as conn:
        for name in settings:
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = off").format(sql.Identifier(name)))
        conn.execute("SELECT pg_reload_conf()")
    try:
        yield
    finally:
        with admin.connect(autocommit=True) as conn:
            for name in settings:
                conn.execute(sql.SQL("ALTER SYSTEM RESET {}").format(sql.Identifier(name)))
            conn.execute("SELECT pg_reload_conf()")
            conn.execute("CHECKPOINT")


def _generate_tenants(target: ConnectionTarget, numbers: list[int], script: str) -> None:
    """The generated tenants `clinic_<i>` for each i in `numbers`, as the web application's role, each made by
    `script`. Committed in batches (one transaction creating thousands of tables runs out of lock slots); a batch
    that deadlocks with another connection's (their foreign keys lock the same `public` tables) is made again."""
    password = django_password_hash("admin", "benchgeneratedtenant")
    with target.connect() as conn:
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(APP_ROLE)))  # the tenants' owner
        for start in range(0, len(numbers), _TENANTS_PER_BATCH):
            while True:
                try:
                    for i in numbers[start : start + _TENANTS_PER_BATCH]:
                        _generate_tenant(conn, i, script, password)
                    conn.commit()
                    break
                except psycopg.errors.DeadlockDetected:
                    conn.rollback()
            if (start // _TENANTS_PER_BATCH + 1) % 20 == 0:
                say(f"{start + _TENANTS_PER_BATCH} tenants of {len(numbers)} on this connection")


def _generate_tenant(conn: psycopg.Connection, i: int, script: str, password: str) -> None:
    schema = f"clinic_{i:04d}"
    row = conn.execute(
        "INSERT INTO public.customers_client (schema_name, name, paid_until, on_trial, created_on)"
        " VALUES (%s, %s, '2027-12-31', false, '2025-03-01') RETURNING id",
        [schema, f"Clínica {i}"],
    ).fetchone()
    assert row is not None
    conn.execute(
        "INSERT INTO public.customers_domain (domain, is_primary, tenant_id) VALUES (%s, true, %s), (%s, false, %s)",
        [f"{schema}.localhost", row[0], f"{schema}.example.org", row[0]],
    )
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    conn.execute(sql.SQL("SET search_path = {}, public").format(sql.Identifier(schema)))
    conn.execute(script, prepare=False)  # many statements in one string: never a prepared statement
    for statement in _GENERATED_ROWS:
        conn.execute(sql.SQL(statement).format(s=sql.Identifier(schema)), {"hash": password, "client": row[0]})

"""The databases the benchmark measures, generated once and reused across runs.

- `bench_scale_<N>`: the demo clinics with `bienestar` at demo scale N, the
  tenant every backup and restore measures. Its size follows from the scale
  (BYTES_PER_SCALE, measured with pg_total_relation_size over the schema's tables).
- `bench_restore`: the demo clinics at scale 1, recreated each run; restores
  land in its `bienestar`.
- `bench_tenants_<N>`: the demo clinics plus generated tenants, N in all, each
  with a schema of a few tables; for the listing figure.
A database counts as complete only once its comment says so, so an
interrupted generation is redone on the next run.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from pathlib import Path

from psycopg import sql

from app.engine.connection import ConnectionTarget
from app.engine.demo import TENANTS, create_demo_database, database_exists
from app.engine.errors import UsageError
from app.engine.pgserver import EmbeddedServer

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


def _is_complete(admin: ConnectionTarget, dbname: str) -> bool:
    with admin.connect() as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [dbname]
        ).fetchone()
    return row is not None and row[0] == COMPLETE


def _mark_complete(admin: ConnectionTarget, dbname: str) -> None:
    with admin.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(dbname), sql.Literal(COMPLETE)))


def _settle(target: ConnectionTarget) -> None:
    """Freeze and analyze, so no measured side pays for hint bits or a first vacuum."""
    with target.connect(autocommit=True) as conn:
        conn.execute("VACUUM (FREEZE, ANALYZE)")


def _cached(admin: ConnectionTarget, dbname: str, note: str, generate: Callable[[], ConnectionTarget]) -> ConnectionTarget:
    """A generated database, reused across runs once its generation has completed."""
    if database_exists(admin, dbname) and _is_complete(admin, dbname):
        say(f"reusing {dbname}")
        return admin.with_dbname(dbname)
    say(f"generating {dbname}{note}")
    target = generate()
    _settle(target)
    _mark_complete(admin, dbname)
    return target


def tenant_database(admin: ConnectionTarget, scale: int) -> ConnectionTarget:
    dbname = f"bench_scale_{scale}"
    note = f" (demo scale {scale}; about {(BASE_BYTES + scale * BYTES_PER_SCALE) / 2**20:.0f} MB)"
    return _cached(admin, dbname, note,
                   lambda: create_demo_database(admin, dbname, scale=scale, scaled=(TENANT,), reset=True))


def restore_database(admin: ConnectionTarget) -> ConnectionTarget:
    """A fresh copy of the small demo clinics; restores replace its `bienestar`."""
    return create_demo_database(admin, RESTORE_DB, scale=1, reset=True)


_TENANTS_PER_BATCH = 50
_GENERATE_TENANTS = """
DO $$
DECLARE
    i integer;
    s text;
    client bigint;
BEGIN
    FOR i IN {first}..{last} LOOP
        s := format('clinic_%s', lpad(i::text, 4, '0'));
        EXECUTE format('CREATE SCHEMA %I', s);
        EXECUTE format('CREATE TABLE %I.patients (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,'
                       ' name text NOT NULL, born date)', s);
        EXECUTE format('CREATE TABLE %I.appointments (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,'
                       ' patient_id bigint NOT NULL REFERENCES %I.patients (id) DEFERRABLE INITIALLY DEFERRED,'
                       ' at timestamptz NOT NULL)', s, s);
        EXECUTE format('CREATE TABLE %I.django_migrations (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,'
                       ' app varchar(255) NOT NULL, name varchar(255) NOT NULL, applied timestamptz NOT NULL)', s);
        EXECUTE format('INSERT INTO %I.patients (name, born) SELECT ''Paciente '' || g, date ''1980-01-01'' + g'
                       ' FROM generate_series(1, 20) g', s);
        INSERT INTO public.customers_client (schema_name, name, paid_until, on_trial, created_on)
        VALUES (s, 'Clínica ' || i, '2027-12-31', false, '2025-03-01') RETURNING id INTO client;
        INSERT INTO public.customers_domain (domain, is_primary, tenant_id)
        VALUES (s || '.localhost', true, client), (s || '.example.org', false, client);
    END LOOP;
END
$$;
"""


def tenants_database(admin: ConnectionTarget, count: int) -> ConnectionTarget:
    """The demo clinics plus generated ones, `count` tenants in all (the `public` row aside)."""
    dbname = f"bench_tenants_{count}"

    def generate() -> ConnectionTarget:
        target = create_demo_database(admin, dbname, scale=1, reset=True)
        extra = max(0, count - len(TENANTS))
        with target.connect(autocommit=True) as conn:
            # In batches: one transaction creating thousands of tables runs out of lock slots.
            for first in range(1, extra + 1, _TENANTS_PER_BATCH):
                last = min(extra, first + _TENANTS_PER_BATCH - 1)
                conn.execute(sql.SQL(_GENERATE_TENANTS).format(first=sql.Literal(first), last=sql.Literal(last)))
        return target

    return _cached(admin, dbname, "", generate)

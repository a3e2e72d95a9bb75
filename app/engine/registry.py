"""Resguardo's own record of the schemas it made: staging schemas (a restore loading) and safety copies.

Why not a comment on the schema, as before: a schema's owner may set its comment, so the web
application's role (a tenant's owner, possibly hostile) could mark another clinic as a "safety
copy" and have it dropped by the next restore. The record is a table, `resguardo.schemas`, that
a tenant's owner cannot write for schemas it does not own (row-level security: a row names the
schema's owner, and only a member of that role, or a superuser, may write it).

A record is believed only when the live catalog agrees with it: same oid and name, same owner,
a name Resguardo gives (`rg_staging_…`/`rg_safety_…` followed by the tenant's name), never a schema
named in the tenants table, never the tenant itself. So whatever a tenant's owner writes, the
most it can make Resguardo drop or swap is a schema it owns that is not a clinic.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

import psycopg
from psycopg import sql

from app.engine.errors import PreflightError
from app.engine.naming import SAFETY_PREFIX, STAGING_PREFIX, utc_now_iso

REGISTRY_SCHEMA = "resguardo"
_TABLE = sql.Identifier(REGISTRY_SCHEMA, "schemas")


class SchemaKind(enum.StrEnum):
    STAGING = "staging"
    SAFETY_COPY = "safety-copy"


_PREFIX = {SchemaKind.STAGING: STAGING_PREFIX, SchemaKind.SAFETY_COPY: SAFETY_PREFIX}

_CREATE = [
    "CREATE SCHEMA IF NOT EXISTS resguardo",
    "COMMENT ON SCHEMA resguardo IS 'Resguardo''s record of the staging schemas and safety copies it made'",
    """CREATE TABLE IF NOT EXISTS resguardo.schemas (
        nspoid pg_catalog.oid PRIMARY KEY,
        nspname pg_catalog.name NOT NULL,
        kind pg_catalog.text NOT NULL CHECK (kind = ANY (ARRAY['staging', 'safety-copy'])),
        tenant pg_catalog.text NOT NULL,
        owner_oid pg_catalog.oid NOT NULL,
        created_utc pg_catalog.text NOT NULL,
        detail pg_catalog.text NOT NULL DEFAULT '')""",
    "ALTER TABLE resguardo.schemas ENABLE ROW LEVEL SECURITY",
    "DROP POLICY IF EXISTS own_schemas ON resguardo.schemas",
    "CREATE POLICY own_schemas ON resguardo.schemas USING (pg_has_role(owner_oid, 'USAGE'))"
    " WITH CHECK (pg_has_role(owner_oid, 'USAGE'))",
    "REVOKE ALL ON SCHEMA resguardo FROM PUBLIC",
    "GRANT USAGE ON SCHEMA resguardo TO PUBLIC",
    "REVOKE ALL ON resguardo.schemas FROM PUBLIC",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON resguardo.schemas TO PUBLIC",
]


@dataclass(frozen=True)
class Registered:
    """A schema Resguardo made, as recorded and confirmed by the catalog."""

    oid: int
    name: str
    kind: SchemaKind
    tenant: str
    created_utc: str
    detail: str


def registry_oid(conn: psycopg.Connection) -> int | None:
    row = conn.execute(
        "SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = %s"
        " AND pg_catalog.to_regclass('resguardo.schemas') IS NOT NULL", [REGISTRY_SCHEMA]).fetchone()
    return int(row[0]) if row else None


def ensure_registry(conn: psycopg.Connection) -> int:
    """The record's schema oid, creating it if this database has none yet (in the caller's transaction).

    Writing to it must run nobody else's code: a trigger or rule on it would run with our rights,
    so one found there is refused; a superuser takes over a record owned by an ordinary role.
    """
    found = registry_oid(conn)
    if found is None:
        for statement in _CREATE:
            conn.execute(statement)
        found = registry_oid(conn)
        assert found is not None
        return found
    owner_is_super, mine, hooks = conn.execute(
        "SELECT o.rolsuper, o.rolname = current_user, EXISTS (SELECT 1 FROM pg_trigger g"
        "  WHERE g.tgrelid = c.oid AND NOT g.tgisinternal) OR EXISTS (SELECT 1 FROM pg_rewrite r"
        "  WHERE r.ev_class = c.oid)"
        " FROM pg_class c JOIN pg_roles o ON o.oid = c.relowner WHERE c.oid = 'resguardo.schemas'::regclass"
    ).fetchone() or (False, False, True)
    if hooks:
        raise PreflightError("Resguardo's record of its schemas (the table resguardo.schemas) has triggers or rules "
                             "that someone added; Resguardo will not run them. Remove them first.")
    superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    if not owner_is_super and not mine and superuser and superuser[0]:
        conn.execute("ALTER SCHEMA resguardo OWNER TO CURRENT_USER")
        conn.execute("ALTER TABLE resguardo.schemas OWNER TO CURRENT_USER")
    return found


def record(conn: psycopg.Connection, oid: int, name: str, kind: SchemaKind, tenant: str, owner_oid: int,
           detail: str = "") -> None:
    conn.execute(
        sql.SQL("INSERT INTO {} (nspoid, nspname, kind, tenant, owner_oid, created_utc, detail)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s)").format(_TABLE),
        [oid, name, kind.value, tenant, owner_oid, utc_now_iso(), detail])


def forget(conn: psycopg.Connection, oids: Iterable[int]) -> None:
    conn.execute(sql.SQL("DELETE FROM {} WHERE nspoid = ANY(%s::pg_catalog.oid[])").format(_TABLE),
                 [sorted(oids)])


def registered(conn: psycopg.Connection, tenant: str, kind: SchemaKind,
               clinics: set[str] | frozenset[str] = frozenset()) -> list[Registered]:
    """The tenant's schemas of `kind` that the catalog confirms, newest first.

    `clinics`: schema names of the tenants table; such a schema is never taken for a copy.
    """
    if registry_oid(conn) is None:
        return []
    rows = conn.execute(
        sql.SQL(
            "SELECT r.nspoid, r.nspname, r.created_utc, r.detail, n.nspowner,"
            " (SELECT t.nspowner FROM pg_catalog.pg_namespace t WHERE t.nspname = r.tenant)"
            " FROM {} r JOIN pg_catalog.pg_namespace n ON n.oid = r.nspoid"
            " WHERE r.kind = %s AND r.tenant = %s"
            " AND n.nspname = r.nspname AND n.nspowner = r.owner_oid"
            " ORDER BY r.created_utc DESC, r.nspname DESC").format(_TABLE),
        [kind.value, tenant]).fetchall()
    found = []
    for oid, name, created, detail, owner, tenant_owner in rows:
        if name in clinics or name == tenant or not is_resguardo_name(name, kind, tenant):
            continue
        if tenant_owner is not None and int(tenant_owner) != int(owner):
            continue  # a copy is the tenant's own schema as it was; another owner's schema never is
        found.append(Registered(int(oid), str(name), kind, tenant, str(created), str(detail)))
    return found


def is_resguardo_name(name: str, kind: SchemaKind, tenant: str) -> bool:
    """`rg_staging_<6 hex>_<tenant>` or `rg_safety_<14 digits>_<tenant>`, the tenant's name possibly cut short."""
    prefix = _PREFIX[kind]
    if not name.startswith(prefix):
        return False
    stamp, sep, rest = name[len(prefix):].partition("_")
    valid_stamp = len(stamp) == 6 and all(c in "0123456789abcdef" for c in stamp) if kind is SchemaKind.STAGING \
        else len(stamp) == 14 and stamp.isdigit()
    return valid_stamp and bool(sep) and bool(rest) and tenant.startswith(rest)


def all_registered(conn: psycopg.Connection) -> dict[int, tuple[SchemaKind, str, str]]:
    """Every recorded schema that still exists under its recorded name and owner: oid -> (kind, tenant, created).

    For the tenants list, which shows them apart from the clinics; acting on one goes through `registered`.
    """
    return registered_by_oid(conn) if registry_oid(conn) is not None else {}


def registered_by_oid(conn: psycopg.Connection) -> dict[int, tuple[SchemaKind, str, str]]:
    """`all_registered`, when the caller knows the record exists (the tenants list: one query fewer)."""
    rows = conn.execute(
        sql.SQL("SELECT r.nspoid, r.kind, r.tenant, r.created_utc, r.nspname FROM {} r JOIN pg_catalog.pg_namespace n"
                " ON n.oid = r.nspoid AND n.nspname = r.nspname"
                " AND n.nspowner = r.owner_oid").format(_TABLE)).fetchall()
    out = {}
    for oid, kind, tenant, created, name in rows:
        if is_resguardo_name(str(name), SchemaKind(kind), str(tenant)):
            out[int(oid)] = (SchemaKind(kind), str(tenant), str(created))
    return out

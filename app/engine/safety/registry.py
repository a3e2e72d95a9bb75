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

The table itself may have been made by a tenant's owner (its own restore made it, or, owning the
database, it made one in advance): a view, a CHECK, a default, a column type with casts of its own
would run with the rights of whoever reads or writes it. So the record is read as raw values from a
plain table locked first (no operator, cast or function of the table's maker), and checked here; and
a superuser writes only to a record that superusers made: one made by another role is rebuilt first.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import LiteralString

import psycopg
from psycopg import sql

from app.engine.errors import PreflightError
from app.engine.safety.naming import SAFETY_PREFIX, STAGING_PREFIX, utc_now_iso

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
    """The record's schema oid when the record is a plain table (anything else is never read)."""
    row = conn.execute(
        "SELECT n.oid FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid"
        " AND c.relname = 'schemas' AND c.relkind = 'r' WHERE n.nspname = %s",
        [REGISTRY_SCHEMA],
    ).fetchone()
    return int(row[0]) if row else None


_TRUSTED = """
SELECT c.relkind = 'r' AND o.rolsuper AND s.rolsuper AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger g
         WHERE g.tgrelid = c.oid AND NOT g.tgisinternal) AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite r
         WHERE r.ev_class = c.oid), c.relkind
FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = 'schemas'
JOIN pg_catalog.pg_roles o ON o.oid = c.relowner JOIN pg_catalog.pg_roles s ON s.oid = n.nspowner
WHERE n.nspname = 'resguardo'
"""
_DROP: dict[str, LiteralString] = {
    "r": "TABLE",
    "p": "TABLE",
    "v": "VIEW",
    "m": "MATERIALIZED VIEW",
    "f": "FOREIGN TABLE",
    "S": "SEQUENCE",
}


def ensure_registry(conn: psycopg.Connection) -> int:
    """The record's schema oid, creating it if this database has none yet (in the caller's transaction).

    Writing to it must run nobody else's code: a trigger or rule on it would run with our rights,
    so one found there is refused; a superuser rebuilds, as its own, a record another role made or could
    change (a CHECK, a default or a column type of that role's would run with the superuser's rights).
    """
    superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    if superuser and superuser[0]:
        trusted = conn.execute(_TRUSTED).fetchone()
        if trusted is None or not trusted[0]:
            _rebuild(conn, trusted[1] if trusted else None)
        found = registry_oid(conn)
        assert found is not None
        return found
    found = registry_oid(conn)
    if found is None:
        if conn.execute("SELECT pg_catalog.to_regclass('resguardo.schemas')").fetchone() != (None,):
            raise PreflightError(
                "Something named resguardo.schemas that is not a table stands where Resguardo keeps "
                "its record of its schemas; restore as a superuser once (it rebuilds the record)."
            )
        for statement in _CREATE:
            conn.execute(statement)
        found = registry_oid(conn)
        assert found is not None
        return found
    (hooks,) = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND NOT g.tgisinternal)"
        " OR EXISTS (SELECT 1 FROM pg_rewrite r WHERE r.ev_class = c.oid)"
        " FROM pg_class c WHERE c.oid = 'resguardo.schemas'::regclass"
    ).fetchone() or (True,)
    if hooks:
        raise PreflightError(
            "Resguardo's record of its schemas (the table resguardo.schemas) has triggers or rules "
            "that someone added; Resguardo will not run them. Remove them first."
        )
    return found


def _rebuild(conn: psycopg.Connection, relkind: str | None) -> None:
    """A superuser's own record, in place of whatever another role made under its name: its rows are kept
    (read as raw values, checked as every reader checks them), the rest goes; the schema becomes the superuser's."""
    rows = _recorded(conn) if relkind == "r" else []
    if relkind is not None:
        conn.execute(sql.SQL("DROP {} resguardo.schemas").format(sql.SQL(_DROP.get(relkind, "TABLE"))))
    conn.execute("CREATE SCHEMA IF NOT EXISTS resguardo")
    conn.execute("ALTER SCHEMA resguardo OWNER TO CURRENT_USER")
    for statement in _CREATE:
        conn.execute(statement)
    for oid, name, kind, tenant, owner_oid, created, detail in rows:
        conn.execute(
            sql.SQL(
                "INSERT INTO {} (nspoid, nspname, kind, tenant, owner_oid, created_utc, detail)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
            ).format(_TABLE),
            [oid, name, kind.value, tenant, owner_oid, created, detail],
        )


_Row = tuple[int, str, SchemaKind, str, int, str, str]


def _recorded(conn: psycopg.Connection) -> list[_Row]:
    """Every well-formed row of the record, read as raw values (each column's output function only: no cast,
    operator or function of whoever made the table), from the plain table locked first (no view can take its
    place while we read). The caller checked that the record exists."""
    conn.execute(sql.SQL("LOCK TABLE ONLY {} IN ACCESS SHARE MODE").format(_TABLE))
    if registry_oid(conn) is None:
        return []
    rows = conn.execute(
        sql.SQL(
            "SELECT r.nspoid, r.nspname, r.kind, r.tenant, r.owner_oid, r.created_utc, r.detail FROM ONLY {} r"
        ).format(_TABLE)
    ).fetchall()
    kinds = {k.value: k for k in SchemaKind}
    return [
        (oid, name, kinds[kind], tenant, owner, created, detail)
        for oid, name, kind, tenant, owner, created, detail in rows
        if isinstance(oid, int)
        and isinstance(owner, int)
        and isinstance(kind, str)
        and kind in kinds
        and all(isinstance(v, str) for v in (name, tenant, created, detail))
    ]


def _catalog(conn: psycopg.Connection, oids: list[int]) -> dict[int, tuple[str, int]]:
    """oid -> (name, owner oid) of the schemas that exist."""
    return {
        int(oid): (str(name), int(owner))
        for oid, name, owner in conn.execute(
            "SELECT n.oid, n.nspname, n.nspowner FROM pg_catalog.pg_namespace n"
            " WHERE n.oid = ANY(%s::pg_catalog.oid[])",
            [oids],
        ).fetchall()
    }


def record(
    conn: psycopg.Connection, oid: int, name: str, kind: SchemaKind, tenant: str, owner_oid: int, detail: str = ""
) -> None:
    conn.execute(
        sql.SQL(
            "INSERT INTO {} (nspoid, nspname, kind, tenant, owner_oid, created_utc, detail)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)"
        ).format(_TABLE),
        [oid, name, kind.value, tenant, owner_oid, utc_now_iso(), detail],
    )


def forget(conn: psycopg.Connection, oids: Iterable[int]) -> None:
    conn.execute(sql.SQL("DELETE FROM {} WHERE nspoid = ANY(%s::pg_catalog.oid[])").format(_TABLE), [sorted(oids)])


def registered(
    conn: psycopg.Connection, tenant: str, kind: SchemaKind, clinics: set[str] | frozenset[str] = frozenset()
) -> list[Registered]:
    """The tenant's schemas of `kind` that the catalog confirms, newest first.

    `clinics`: schema names of the tenants table; such a schema is never taken for a copy.
    """
    if registry_oid(conn) is None:
        return []
    rows = [r for r in _recorded(conn) if r[2] is kind and r[3] == tenant]
    live = conn.execute("SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.nspname = %s", [tenant]).fetchone()
    catalog = _catalog(conn, [r[0] for r in rows])
    found = []
    for oid, name, _, _, owner, created, detail in sorted(rows, key=lambda r: (r[5], r[1]), reverse=True):
        if catalog.get(oid) != (name, owner):
            continue  # the catalog disagrees: not the schema that was recorded
        if name in clinics or name == tenant or not is_resguardo_name(name, kind, tenant):
            continue
        if live is not None and int(live[0]) != owner:
            continue  # a copy is the tenant's own schema as it was; another owner's schema never is
        found.append(Registered(oid, name, kind, tenant, created, detail))
    return found


def is_resguardo_name(name: str, kind: SchemaKind, tenant: str) -> bool:
    """`rg_staging_<6 hex>_<tenant>` or `rg_safety_<14 digits>_<tenant>`, the tenant's name possibly cut short."""
    prefix = _PREFIX[kind]
    if not name.startswith(prefix):
        return False
    stamp, sep, rest = name[len(prefix) :].partition("_")
    valid_stamp = (
        len(stamp) == 6 and all(c in "0123456789abcdef" for c in stamp)
        if kind is SchemaKind.STAGING
        else len(stamp) == 14 and stamp.isdigit()
    )
    return valid_stamp and bool(sep) and bool(rest) and tenant.startswith(rest)


def all_registered(conn: psycopg.Connection) -> dict[int, tuple[SchemaKind, str, str]]:
    """Every recorded schema that still exists under its recorded name and owner: oid -> (kind, tenant, created).

    For the tenants list, which shows them apart from the clinics; acting on one goes through `registered`.
    """
    return registered_by_oid(conn) if registry_oid(conn) is not None else {}


def registered_by_oid(conn: psycopg.Connection) -> dict[int, tuple[SchemaKind, str, str]]:
    """`all_registered`, when the caller knows the record exists (the tenants list)."""
    if registry_oid(conn) is None:
        return {}
    rows = _recorded(conn)
    catalog = _catalog(conn, [r[0] for r in rows])
    return {
        oid: (kind, tenant, created)
        for oid, name, kind, tenant, owner, created, _ in rows
        if catalog.get(oid) == (name, owner) and is_resguardo_name(name, kind, tenant)
    }

"""Preflight of a restore: every reason to refuse, found before anything is changed."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from app.engine.catalog.discovery import is_system_schema
from app.engine.catalog.tenants_table import clinic_schemas, find_tenants_table, tenant_record
from app.engine.errors import Choice, PreflightError
from app.engine.safety.registry import REGISTRY_SCHEMA, SchemaKind, all_registered
from app.engine.sources.source import SourceSummary

SHARED_SCHEMA = "public"


@dataclass(frozen=True)
class LiveSchema:
    oid: int
    owner: str
    owner_oid: int
    comment: str | None


@dataclass(frozen=True)
class RestoreTarget:
    schema: str
    live: LiveSchema | None  # None: a tenant row whose schema is missing; it will be created
    owner: str  # the restored schema's owner: the live schema's, else the tenants table's
    owner_oid: int
    other_tenant: bool
    clinics: frozenset[str]  # schemas named in the tenants table: never taken for a copy


def live_schema(conn: psycopg.Connection, name: str) -> LiveSchema | None:
    row = conn.execute(
        "SELECT n.oid, pg_get_userbyid(n.nspowner), n.nspowner, obj_description(n.oid, 'pg_namespace')"
        " FROM pg_namespace n WHERE n.nspname = %s",
        [name],
    ).fetchone()
    return LiveSchema(int(row[0]), str(row[1]), int(row[2]), row[3]) if row else None


def check_tenant(conn: psycopg.Connection, schema: str, tenants_table: str | None) -> RestoreTarget:
    """The tenant as it is now, or a refusal: never public, a system schema, or a schema Resguardo made."""
    if schema == SHARED_SCHEMA:
        raise PreflightError(
            "The public schema holds the tables every clinic shares; Resguardo never restores into it."
        )
    if is_system_schema(schema) or schema == REGISTRY_SCHEMA:
        raise PreflightError(f"{schema!r} is not a clinic's schema.")
    live = live_schema(conn, schema)
    if live is not None and live.oid in all_registered(conn):
        kind = all_registered(conn)[live.oid][0]
        what = "a previous version kept for undo" if kind is SchemaKind.SAFETY_COPY else "a restore's work in progress"
        raise PreflightError(f"{schema!r} is {what}, made by Resguardo, not a clinic.")
    table = find_tenants_table(conn, tenants_table)
    if live is None:
        if table is None or tenant_record(conn, schema, table) is None:
            raise PreflightError(f"There is no tenant {schema!r} in this database (no schema and no tenant row).")
        owner_row = conn.execute(
            "SELECT pg_get_userbyid(c.relowner), c.relowner FROM pg_class c WHERE c.oid = %s::regclass",
            [table.identifier().as_string(conn)],
        ).fetchone()
        assert owner_row is not None
        owner, owner_oid = str(owner_row[0]), int(owner_row[1])
    else:
        owner, owner_oid = live.owner, live.owner_oid
    return RestoreTarget(schema, live, owner, owner_oid, False, clinic_schemas(conn, table))


def check_target(
    conn: psycopg.Connection,
    schema: str,
    source: SourceSummary,
    *,
    allow_other_tenant: bool,
    tenants_table: str | None = None,
) -> RestoreTarget:
    """Refuse, with one sentence, whatever would make the restore wrong (before anything is changed)."""
    found = check_tenant(conn, schema, tenants_table)
    other = source.source_schema is not None and source.source_schema != schema
    if other and not allow_other_tenant:
        raise PreflightError(
            f"The file is a backup of tenant {source.source_schema!r}, not {schema!r}. To put its data into "
            f"{schema!r} anyway, {Choice.ALLOW_OTHER_TENANT}.",
            choices=(Choice.ALLOW_OTHER_TENANT,),
        )
    superuser, can_create = conn.execute(
        "SELECT rolsuper, has_database_privilege(current_database(), 'CREATE') FROM pg_roles"
        " WHERE rolname = current_user"
    ).fetchone() or (False, False)
    if not can_create and not superuser:
        raise PreflightError(
            "This user may not create schemas in the database (it lacks the CREATE privilege), "
            "which a restore needs for its staging schema."
        )
    if not superuser and not acts_as(conn, found.owner):
        raise PreflightError(
            f"Only the owner of {schema!r} ({found.owner}) or a superuser can restore it; connect as one of them."
        )
    conn.rollback()
    return RestoreTarget(found.schema, found.live, found.owner, found.owner_oid, other, found.clinics)


def acts_as(conn: psycopg.Connection, role: str) -> bool:
    """The current user is `role`, or a member that may act as it."""
    option = "SET" if conn.info.server_version >= 160000 else "MEMBER"
    row = conn.execute("SELECT pg_has_role(current_user, %s, %s)", [role, option]).fetchone()
    return bool(row and row[0])

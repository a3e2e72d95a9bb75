"""Preflight of a restore: every reason to refuse, found before anything is changed."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from app.engine.discovery import find_tenants_table, is_system_schema, tenant_record
from app.engine.errors import PreflightError
from app.engine.naming import SchemaMarker
from app.engine.restore_source import SourceSummary
from app.engine.safety_copies import LiveSchema, live_schema

SHARED_SCHEMA = "public"


@dataclass(frozen=True)
class RestoreTarget:
    schema: str
    live: LiveSchema | None  # None: a tenant row whose schema is missing; it will be created
    new_owner: str  # owner of the restored schema
    load_as_owner: bool  # the load runs with SET ROLE new_owner (objects get the right owner, no superuser power)
    other_tenant: bool


def check_target(conn: psycopg.Connection, schema: str, source: SourceSummary, *,
                 allow_other_tenant: bool, tenants_table: str | None = None) -> RestoreTarget:
    """Refuse, with one sentence ending in "nothing was changed", whatever would make the restore wrong."""
    if schema == SHARED_SCHEMA:
        raise PreflightError("The public schema holds the tables every clinic shares; Resguardo never restores "
                             "into it. Nothing was changed.")
    if is_system_schema(schema):
        raise PreflightError(f"{schema!r} is a system schema, not a tenant. Nothing was changed.")
    live = live_schema(conn, schema)
    marker = SchemaMarker.from_comment(live.comment) if live else None
    if marker is not None:
        raise PreflightError(f"{schema!r} is a {marker.role} schema made by Resguardo, not a tenant. "
                             "Nothing was changed.")
    if live is None:
        table = find_tenants_table(conn, tenants_table)
        if table is None or tenant_record(conn, schema, table) is None:
            raise PreflightError(f"There is no tenant {schema!r} in this database (no schema and no tenant row). "
                                 "Nothing was changed.")
    other = source.source_schema is not None and source.source_schema != schema
    if other and not allow_other_tenant:
        raise PreflightError(
            f"The file is a backup of tenant {source.source_schema!r}, not {schema!r}. To put its data into "
            f"{schema!r} anyway, allow another tenant's backup (--allow-other-tenant). Nothing was changed.")
    superuser, can_create = conn.execute(
        "SELECT rolsuper, has_database_privilege(current_database(), 'CREATE') FROM pg_roles"
        " WHERE rolname = current_user").fetchone() or (False, False)
    if not can_create and not superuser:
        raise PreflightError("This user may not create schemas in the database (it lacks the CREATE privilege), "
                             "which a restore needs for its staging schema. Nothing was changed.")
    if live is not None and not _can_act_as(conn, live.owner, superuser):
        raise PreflightError(f"Only the owner of {schema!r} ({live.owner}) or a superuser can restore it; connect "
                             "as one of them. Nothing was changed.")
    owner = live.owner if live else _archive_owner(conn, source.schema_owner, superuser)
    conn.rollback()
    return RestoreTarget(schema, live, owner, _can_act_as(conn, owner, superuser), other)


def _can_act_as(conn: psycopg.Connection, role: str, superuser: bool) -> bool:
    if superuser:
        return True
    option = "SET" if conn.info.server_version >= 160000 else "MEMBER"
    row = conn.execute("SELECT pg_has_role(current_user, %s, %s)", [role, option]).fetchone()
    return bool(row and row[0])


def _archive_owner(conn: psycopg.Connection, wanted: str | None, superuser: bool) -> str:
    current = str(conn.execute("SELECT current_user").fetchone()[0])  # type: ignore[index]
    if wanted and conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [wanted]).fetchone() \
            and _can_act_as(conn, wanted, superuser):
        return wanted
    return current

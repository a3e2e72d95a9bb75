"""The checks every backup (and every reader of a live clinic: the comparison, a recovery) makes first: the name
is a clinic's, before connecting; the schema exists, or a sentence that says what is missing."""

from __future__ import annotations

import psycopg

from app.engine.catalog.discovery import is_system_schema
from app.engine.catalog.tenants_table import TenantsTable, find_tenants_table, tenant_record
from app.engine.errors import PreflightError, UsageError


def check_tenant_name(schema: str) -> None:
    """Refuse, before connecting, the schemas that are never a clinic."""
    if schema == "public" or is_system_schema(schema):
        raise UsageError(f"{schema!r} is not a tenant schema; choose a clinic's schema.")


def check_tenant_schema(conn: psycopg.Connection, schema: str, tenants_override: str | TenantsTable | None) -> int:
    """The tenant schema's oid; a clear error for an unknown tenant or a tenant row whose schema is missing."""
    row = conn.execute("SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = %s", [schema]).fetchone()
    if row is None:
        table = find_tenants_table(conn, tenants_override)
        record = tenant_record(conn, schema, table) if table else None
        conn.rollback()
        if record is not None:
            raise PreflightError(
                f"Tenant {schema!r} has a row in {record['table']}, but its schema does not exist in the "
                f"database {conn.info.dbname!r}; there is nothing to back up."
            )
        raise PreflightError(f"Unknown tenant {schema!r}: no such schema in the database {conn.info.dbname!r}.")
    conn.rollback()
    return int(row[0])

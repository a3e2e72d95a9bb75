"""Routines' `SET search_path` settings that name their own schema follow the schema through the restore.

A search_path naming the tenant must name the schema the tenant's objects are in at each moment, which only
the restore knows (docs/archive-format.md). While the rows load, that is the staging schema: a CHECK, a
default or a trigger calls the routine, and its unqualified names must find the staging schema's objects, not
the live tenant's. A native archive keeps such settings as data (the manifest's `search_paths`), set here once
the schema's objects exist; a pg_dump file's own statement is rewritten to the staging schema by the gate.
Just before the swap, every routine of the staging schema that names it names the tenant instead, whose name
the staging schema then takes. (Default privileges, which a schema also carries, come from the live tenant
with its owners and grants: app/engine/restore/ownership.py.)
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from app.engine.restore.ownership import schema_objects


def apply_search_paths(conn: psycopg.Connection, staging: str, entries: list[Any]) -> None:
    """Each routine of `staging` that the archive says has a search_path naming its schema gets it, naming
    `staging`. The entries were checked when the file was opened (app/engine/archive/manifest.py)."""
    if not entries:  # most archives: no routine's search_path names its schema, nothing to read the schema for
        return
    routines = {key: obj for key, obj in schema_objects(conn, staging).items() if obj.routine is not None}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("search_path"), list):
            continue
        obj = routines.get((str(entry.get("kind")), str(entry.get("name"))))
        elements = [staging if e is None else e for e in entry["search_path"]]
        if obj is None or not elements or not all(isinstance(e, str) and "\0" not in e for e in elements):
            continue  # no such routine here: the setting has nothing to apply to
        conn.execute(
            sql.SQL("ALTER {} SET search_path TO {}").format(
                obj.target(staging, obj.alter_word), sql.SQL(", ").join(sql.Literal(e) for e in elements)
            )
        )


def name_the_tenant(conn: psycopg.Connection, staging: str, tenant: str) -> None:
    """Every routine of `staging` whose search_path names `staging` names `tenant` there instead (run just
    before the swap gives the staging schema the tenant's name). Catalog reads on pg_catalog's path."""
    settings = conn.execute(
        "SELECT p.oid::regprocedure::text, p.prokind, c FROM pg_proc p CROSS JOIN LATERAL unnest(p.proconfig) c"
        " WHERE p.pronamespace = (SELECT n.oid FROM pg_namespace n WHERE n.nspname = %s)"
        " AND starts_with(c, 'search_path=')",
        [staging],
    ).fetchall()
    if not settings:
        return
    from app.engine.catalog.schema_ddl_routines import split_search_path  # the backup's module: only when needed

    for signature, kind, setting in settings:
        elements = split_search_path(setting.removeprefix("search_path="))
        if staging not in elements:
            continue
        conn.execute(
            sql.SQL("ALTER {} {} SET search_path TO {}").format(
                sql.SQL("PROCEDURE" if kind == "p" else "FUNCTION"),
                sql.SQL(signature),  # regprocedure: PostgreSQL quotes and qualifies it
                sql.SQL(", ").join(sql.Literal(tenant if e == staging else e) for e in elements),
            )
        )

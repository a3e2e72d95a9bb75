"""Routines' `SET search_path` settings that name their own schema, set by the restore on the schema it builds.

They cannot be statements of the archive: a search_path naming the tenant must name the schema the tenant's
objects are in at each moment, which only the restore knows (docs/archive-format.md). While the rows load, that
is the staging schema (a CHECK, a default or a trigger calls the routine, and its unqualified names must find
the staging schema's objects, not the live tenant's); just before the swap, the tenant's own name, which the
staging schema then takes. (Default privileges, which a schema also carries, come from the live tenant with
its owners and grants: app/engine/restore/ownership.py.)
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from app.engine.restore.ownership import schema_objects


def apply_search_paths(conn: psycopg.Connection, staging: str, tenant: str, entries: list[Any]) -> None:
    """Each routine of `staging` that the archive says has a search_path naming its schema gets it, with
    `tenant` for that schema (the staging schema's own name while loading, the tenant's before the swap).
    The entries were checked when the file was opened (app/engine/archive/manifest.py)."""
    routines = {key: obj for key, obj in schema_objects(conn, staging).items() if obj.routine is not None}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("search_path"), list):
            continue
        obj = routines.get((str(entry.get("kind")), str(entry.get("name"))))
        elements = [tenant if e is None else e for e in entry["search_path"]]
        if obj is None or not elements or not all(isinstance(e, str) and "\0" not in e for e in elements):
            continue  # no such routine here: the setting has nothing to apply to
        conn.execute(
            sql.SQL("ALTER {} SET search_path TO {}").format(
                obj.target(staging, obj.alter_word), sql.SQL(", ").join(sql.Literal(e) for e in elements)
            )
        )

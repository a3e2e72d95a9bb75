"""The schema's objects other than relations: types, collations, routines, aggregates, operators,
operator classes and families, text search dictionaries and configurations.

Each is written as PostgreSQL would accept it from its owner (operator classes and families need a
superuser; the restore runs those checked statements on its own session). Routines come from
pg_get_functiondef; a `SET search_path` that names the tenant's schema is taken out of the statement and
kept in the manifest (`search_paths`), so the restore can name the schema the tenant ends up in.
"""

from __future__ import annotations

from typing import Any

from app.engine.catalog.schema_ddl_base import Extraction
from app.engine.catalog.schema_ddl_operators import write_operator_classes, write_operators
from app.engine.catalog.schema_ddl_routines import write_aggregates, write_routines
from app.engine.catalog.schema_ddl_text_search import write_text_search
from app.engine.catalog.schema_ddl_types import write_collations, write_types


def write_objects(x: Extraction) -> list[dict[str, Any]]:
    """Every non-relation object; returns the manifest's `search_paths` entries."""
    write_collations(x)
    write_types(x)
    search_paths = write_routines(x)
    write_aggregates(x)
    write_operators(x)
    write_operator_classes(x)
    write_text_search(x)
    return search_paths

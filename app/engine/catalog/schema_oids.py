"""A schema's pg_class and pg_type rows, found by index: neither catalog has an index by schema, and beside 10,000
clinics of 15 tables a pass over pg_class reads 800,000 rows, one over pg_type 300,000.

Every relation of a schema but its indexes (and a composite type's relation) depends on the schema in pg_depend;
an index lives in its table's schema; every standalone type depends on the schema, and the other types are a
relation's row type, an array of a type, or a range's multirange. Each row found is checked to be in the schema.
`%(nsp)s` is the schema's oid.
"""

from __future__ import annotations

_DEPENDS = (
    "SELECT n.objid FROM pg_depend n WHERE n.refclassid = 'pg_namespace'::regclass AND n.refobjid = %(nsp)s"
    " AND n.refobjsubid = 0 AND n.classid = '{catalog}'::regclass"
)

# The schema's relations that depend on it: tables, views, materialized views, sequences, foreign tables.
IN_SCHEMA = (
    f"ARRAY(SELECT c.oid FROM pg_class c WHERE c.oid = ANY(ARRAY({_DEPENDS.format(catalog='pg_class')}))"
    " AND c.relnamespace = %(nsp)s)"
)
# Its standalone types (domains, enums, ranges, base and composite types).
TYPES_IN_SCHEMA = (
    f"ARRAY(SELECT t.oid FROM pg_type t WHERE t.oid = ANY(ARRAY({_DEPENDS.format(catalog='pg_type')}))"
    " AND t.typnamespace = %(nsp)s)"
)
# Every pg_class row of the schema: those relations, composite types' relations, and the indexes of them all.
ALL_RELATIONS = f"""ARRAY(
WITH r AS MATERIALIZED (
  SELECT unnest({IN_SCHEMA}) AS oid
  UNION SELECT t.typrelid FROM pg_type t WHERE t.oid = ANY({TYPES_IN_SCHEMA}) AND t.typrelid <> 0
)
SELECT r.oid FROM r UNION SELECT i.indexrelid FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
 WHERE i.indrelid = ANY(ARRAY(SELECT r.oid FROM r)) AND x.relnamespace = %(nsp)s)"""
# Every pg_type row of the schema: its standalone types, its relations' row types, multiranges, and their arrays.
ALL_TYPES = f"""ARRAY(
WITH t AS MATERIALIZED (
  SELECT unnest({TYPES_IN_SCHEMA}) AS oid
  UNION SELECT c.reltype FROM pg_class c WHERE c.oid = ANY({IN_SCHEMA}) AND c.reltype <> 0
  UNION SELECT g.rngmultitypid FROM pg_range g WHERE g.rngtypid = ANY({TYPES_IN_SCHEMA})
), e AS MATERIALIZED (
  SELECT t.oid FROM t UNION SELECT y.typarray FROM pg_type y WHERE y.oid = ANY(ARRAY(SELECT t.oid FROM t))
    AND y.typarray <> 0
)
SELECT y.oid FROM pg_type y WHERE y.oid = ANY(ARRAY(SELECT e.oid FROM e)) AND y.typnamespace = %(nsp)s)"""


def by_name(query: str) -> str:
    """`query` with the schema named by `%(schema)s` instead of its oid."""
    return query.replace("%(nsp)s", "(SELECT s.oid FROM pg_catalog.pg_namespace s WHERE s.nspname = %(schema)s)")

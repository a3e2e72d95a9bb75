"""Each system catalog's rows traced to the schema they belong to, and the rows that belong to none allowed.

Which schema owns a row differs by catalog (a column is its table's, a comment its object's, TOAST its
table's): the proof of isolation needs one answer per catalog, kept here in one map.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

# Rows that only follow other catalog changes (the rows they follow are checked); the statistics
# catalogs are also unreadable to a non-superuser, who may restore its own tenant too.
IGNORED_CATALOGS = {"pg_depend", "pg_shdepend", "pg_init_privs", "pg_statistic", "pg_statistic_ext_data"}

# The schema (namespace oid) a relation belongs to; TOAST tables and their indexes belong to their table's
# (found through the TOAST table's internal dependency on its table: an index lookup, not a catalog scan).
_REL_HOME = """(SELECT CASE WHEN c.relnamespace = 'pg_toast'::regnamespace
    THEN (SELECT o.relnamespace FROM pg_depend d JOIN pg_class o ON o.oid = d.refobjid
          WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND d.refclassid = 'pg_class'::regclass
          AND d.deptype = 'i' AND d.objid = COALESCE((SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = c.oid),
                                                    c.oid) LIMIT 1)
    ELSE c.relnamespace END FROM pg_class c WHERE c.oid = {rel})"""


def _rel(rel: str, sub: str = "0") -> tuple[str, str]:
    return _REL_HOME.format(rel=rel), f"pg_describe_object('pg_class'::regclass, {rel}, {sub})"


def _via(catalog: str, column: str, key: str, target: str) -> tuple[str, str]:
    return (
        f"(SELECT x.{column} FROM {catalog} x WHERE x.oid = {key})",
        f"pg_describe_object('{catalog}'::regclass, {key}, 0) || ' ({target})'",
    )


def _own(column: str) -> tuple[str, str]:
    return f"r.{column}", "pg_describe_object(r.tableoid, r.oid, 0)"


# catalog -> (SQL giving the owning namespace oid of row r, SQL naming the object)
# A catalog absent from this map holds objects that belong to no schema (casts,
# extensions, event triggers, large objects...): any write to it is outside the tenant.
_HOMES: dict[str, tuple[str, str]] = {
    "pg_namespace": ("r.oid", "pg_describe_object(r.tableoid, r.oid, 0)"),
    "pg_class": _rel("r.oid"),
    "pg_attribute": _rel("r.attrelid", "r.attnum"),
    "pg_attrdef": _rel("r.adrelid", "r.adnum"),
    "pg_index": _rel("r.indexrelid"),
    "pg_rewrite": _rel("r.ev_class"),
    "pg_policy": _rel("r.polrelid"),
    "pg_sequence": _rel("r.seqrelid"),
    "pg_inherits": _rel("r.inhrelid"),
    "pg_partitioned_table": _rel("r.partrelid"),
    "pg_trigger": _rel("r.tgrelid"),
    "pg_type": _own("typnamespace"),
    "pg_proc": _own("pronamespace"),
    "pg_constraint": _own("connamespace"),
    "pg_operator": _own("oprnamespace"),
    "pg_opclass": _own("opcnamespace"),
    "pg_opfamily": _own("opfnamespace"),
    "pg_collation": _own("collnamespace"),
    "pg_conversion": _own("connamespace"),
    "pg_statistic_ext": _own("stxnamespace"),
    "pg_ts_config": _own("cfgnamespace"),
    "pg_ts_dict": _own("dictnamespace"),
    "pg_ts_parser": _own("prsnamespace"),
    "pg_ts_template": _own("tmplnamespace"),
    "pg_default_acl": ("NULLIF(r.defaclnamespace, 0)", "pg_describe_object(r.tableoid, r.oid, 0)"),
    "pg_enum": _via("pg_type", "typnamespace", "r.enumtypid", "enum value"),
    "pg_range": _via("pg_type", "typnamespace", "r.rngtypid", "range"),
    "pg_aggregate": _via("pg_proc", "pronamespace", "r.aggfnoid", "aggregate"),
    "pg_amop": _via("pg_opfamily", "opfnamespace", "r.amopfamily", "operator"),
    "pg_amproc": _via("pg_opfamily", "opfnamespace", "r.amprocfamily", "support function"),
    "pg_ts_config_map": _via("pg_ts_config", "cfgnamespace", "r.mapcfg", "mapping"),
    # CREATE TYPE ... AS RANGE adds the cast from the range to its multirange: both types in one schema.
    # A cast belongs to the schema of its type that is not a built-in one (a range type's cast to its
    # multirange: both in one schema); a cast between two other schemas' types belongs to neither.
    "pg_cast": (
        "(SELECT CASE WHEN s.typnamespace = 'pg_catalog'::regnamespace THEN t.typnamespace"
        " WHEN t.typnamespace IN ('pg_catalog'::regnamespace, s.typnamespace) THEN s.typnamespace END"
        " FROM pg_type s, pg_type t WHERE s.oid = r.castsource AND t.oid = r.casttarget)",
        "pg_describe_object(r.tableoid, r.oid, 0)",
    ),
    "pg_description": (
        "CASE WHEN r.classoid = 'pg_namespace'::regclass THEN r.objoid"
        # triggers, rules and policies belong to no schema of their own: their table's
        " WHEN r.classoid = 'pg_trigger'::regclass THEN (SELECT c.relnamespace FROM pg_trigger o"
        "  JOIN pg_class c ON c.oid = o.tgrelid WHERE o.oid = r.objoid)"
        " WHEN r.classoid = 'pg_rewrite'::regclass THEN (SELECT c.relnamespace FROM pg_rewrite o"
        "  JOIN pg_class c ON c.oid = o.ev_class WHERE o.oid = r.objoid)"
        " WHEN r.classoid = 'pg_policy'::regclass THEN (SELECT c.relnamespace FROM pg_policy o"
        "  JOIN pg_class c ON c.oid = o.polrelid WHERE o.oid = r.objoid)"
        " ELSE to_regnamespace((pg_identify_object(r.classoid, r.objoid, r.objsubid)).schema)::oid END",
        "'comment on ' || pg_describe_object(r.classoid, r.objoid, r.objsubid)",
    ),
}

# An RI trigger PostgreSQL adds on a referenced table: allowed when its foreign key lives in an allowed schema.
RI_TRIGGER = (
    "r.tgisinternal AND r.tgconstraint <> 0 AND (SELECT k.connamespace FROM pg_constraint k"
    " WHERE k.oid = r.tgconstraint) = ANY(%(allowed)s::oid[])"
    " AND (SELECT t.relnamespace FROM pg_class t WHERE t.oid = r.tgrelid) = 'public'::regnamespace"
)


def home_of(catalog: str) -> str:
    """SQL giving the schema (namespace oid) row `r` of `catalog` belongs to; NULL for a catalog of no schema."""
    return _HOMES.get(catalog, ("NULL::oid", ""))[0]


def described(
    conn: psycopg.Connection, catalog: str, condition: str, params: dict[str, object], exempt: set[int]
) -> list[tuple[str, str]]:
    """(ctid, object named) of the catalog's rows matching `condition` that belong to no allowed schema."""
    home, describe = _HOMES.get(catalog, ("NULL::oid", f"'a row of the catalog {catalog}'"))
    extra = f" AND NOT ({RI_TRIGGER})" if catalog == "pg_trigger" else ""
    if catalog == "pg_class" and exempt:
        extra = " AND r.oid <> ALL(%(exempt)s::oid[])"
    # The rows this transaction wrote are found first (a scan of the catalog, cheap); only they are traced
    # to their schema, which costs a lookup each: the cost follows what the transaction did.
    query = sql.SQL(
        "SELECT r.ctid::text, {describe} FROM (SELECT r.*, r.tableoid AS tableoid, r.ctid AS ctid"
        " FROM pg_catalog.{catalog} r WHERE {condition}{extra} OFFSET 0) r, LATERAL (SELECT {home} AS home) h"
        " WHERE h.home IS NULL OR (h.home <> ALL(%(allowed)s::oid[])"
        " AND (SELECT nspname FROM pg_namespace WHERE oid = h.home) !~ '^pg_(toast_)?temp_')"
    ).format(
        describe=sql.SQL(describe),
        home=sql.SQL(home),
        catalog=sql.Identifier(catalog),
        condition=sql.SQL(condition),
        extra=sql.SQL(extra),
    )
    rows = conn.execute(query, {**params, "exempt": sorted(exempt)}).fetchall()
    return [(str(ctid), str(name or f"a row of the catalog {catalog}")) for ctid, name in rows]

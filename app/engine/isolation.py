"""The proof that a transaction changed nothing outside the schemas it was allowed to change.

Run just before COMMIT. It reads only what the transaction itself wrote, never
the other tenants' data:

- its own row counters (`pg_stat_xact_all_tables`): inserts, updates or
  deletes in any table of another schema;
- the catalog rows it created or updated (`xmin` = its transaction id), traced
  to the schema they belong to (a column, an index, a trigger, a comment... of
  another schema's table counts as that schema's);
- the catalog rows it deleted or replaced, as a second connection still sees
  them (their `xmax` is this transaction), named from that committed view;
- writes to cluster-wide catalogs (roles, databases): always outside a tenant;
- sequences, which are not transactional: a nextval/setval on another schema's
  sequence leaves this backend's RowExclusiveLock on it in `pg_locks`.

Sub-transactions (a PL/pgSQL EXCEPTION block) write under other transaction ids
that the xmin/xmax checks would miss, so a transaction that used one is refused.
The one change PostgreSQL itself makes outside: a foreign key from a tenant
table to a `public` table adds RI triggers on that table (and may set its
`relhastriggers`); those are allowed when their constraint lives in an allowed
schema and the referenced table in `public` (a foreign key into another tenant is not).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from app.engine.errors import RestoreFailed

# Bookkeeping rows that only follow other catalog changes; the rows they follow are checked.
_IGNORED = {"pg_depend", "pg_shdepend", "pg_init_privs"}

# The schema (namespace oid) a relation belongs to; TOAST tables and their indexes belong to their table's.
_REL_HOME = """(SELECT CASE WHEN c.relnamespace = 'pg_toast'::regnamespace
    THEN (SELECT o.relnamespace FROM pg_class o WHERE o.reltoastrelid =
          COALESCE((SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = c.oid), c.oid))
    ELSE c.relnamespace END FROM pg_class c WHERE c.oid = {rel})"""


def _rel(rel: str, sub: str = "0") -> tuple[str, str]:
    return _REL_HOME.format(rel=rel), f"pg_describe_object('pg_class'::regclass, {rel}, {sub})"


def _via(catalog: str, column: str, key: str, target: str) -> tuple[str, str]:
    return (f"(SELECT x.{column} FROM {catalog} x WHERE x.oid = {key})",
            f"pg_describe_object('{catalog}'::regclass, {key}, 0) || ' ({target})'")


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
    "pg_statistic": _rel("r.starelid", "r.staattnum"),
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
    "pg_statistic_ext_data": _via("pg_statistic_ext", "stxnamespace", "r.stxoid", "data"),
    "pg_description": (
        "CASE WHEN r.classoid = 'pg_namespace'::regclass THEN r.objoid"
        " ELSE to_regnamespace((pg_identify_object(r.classoid, r.objoid, r.objsubid)).schema)::oid END",
        "'comment on ' || pg_describe_object(r.classoid, r.objoid, r.objsubid)",
    ),
}

# An RI trigger PostgreSQL adds on a referenced table: allowed when its foreign key lives in an allowed schema.
_RI_TRIGGER = ("r.tgisinternal AND r.tgconstraint <> 0 AND (SELECT k.connamespace FROM pg_constraint k"
               " WHERE k.oid = r.tgconstraint) = ANY(%(allowed)s::oid[])"
               " AND (SELECT t.relnamespace FROM pg_class t WHERE t.oid = r.tgrelid) = 'public'::regnamespace")


@dataclass(frozen=True)
class Violation:
    """One object outside the allowed schemas that the transaction changed."""

    what: str  # e.g. "table public.customers_client"
    how: str  # "rows changed", "created or changed", "dropped or changed", ...

    def sentence(self) -> str:
        return f"{self.what} ({self.how})"


def find_violations(
    conn: psycopg.Connection, observer: psycopg.Connection, allowed: set[int]
) -> list[Violation]:
    """Everything this transaction changed outside the namespaces `allowed` (oids); empty when isolated.

    `observer` is a second, autocommit connection to the same database: it sees
    the committed state, including rows this transaction has deleted.
    """
    params = {"allowed": sorted(allowed)}
    for session in (conn, observer):  # objects are named schema-qualified, whatever the caller's search_path
        session.execute("SELECT set_config('search_path', '', %s)", [session is conn])
    found: list[Violation] = []
    found += _subtransactions(conn)
    found += _rows_outside(conn, params)
    found += _sequences_outside(conn, params)
    written, removed = _catalogs_written(conn)
    found += _shared_catalogs(conn)
    exempt = _exempt_relations(conn, observer, written, params)
    xid = conn.execute("SELECT pg_current_xact_id()::xid::text").fetchone()[0]  # type: ignore[index]
    for catalog in sorted(written):
        found += _catalog_rows(conn, catalog, "r.xmin = pg_current_xact_id()::xid", params, exempt,
                               "created or changed")
    for catalog in sorted(removed):
        found += _catalog_rows(observer, catalog, "r.xmax = %(xid)s::xid", {**params, "xid": xid}, exempt,
                               "dropped or changed")
    unique: dict[str, Violation] = {}
    for violation in found:
        unique.setdefault(violation.what, violation)
    return sorted(unique.values(), key=_weight)


def _weight(violation: Violation) -> int:
    """Whole objects first, their parts (columns, TOAST, constraints) after: the message names the first few."""
    what = violation.what
    if what.startswith(("column ", "toast ", "index pg_toast.", "type ")) or what.endswith("[]"):
        return 2
    return 1 if what.startswith(("constraint ", "index ", "default ", "trigger ", "rule ")) else 0


def prove_isolation(
    conn: psycopg.Connection, observer: psycopg.Connection, allowed: set[int], *, action: str = "The archive"
) -> None:
    """Raise RestoreFailed naming what was changed outside `allowed`; the caller then rolls back."""
    violations = find_violations(conn, observer, allowed)
    if violations:
        names = "; ".join(v.sentence() for v in violations[:5])
        more = f" and {len(violations) - 5} more" if len(violations) > 5 else ""
        raise RestoreFailed(
            f"{action} changed {names}{more}, outside the tenant; it was rolled back and nothing was changed.",
            "\n".join(v.sentence() for v in violations),
        )


def _subtransactions(conn: psycopg.Connection) -> list[Violation]:
    if conn.info.server_version < 160000:  # pg_stat_get_backend_subxact is PostgreSQL 16+
        return []
    conn.execute("SELECT pg_stat_clear_snapshot()")
    row = conn.execute(
        "SELECT s.subxact_count, s.subxact_overflowed FROM pg_stat_get_backend_idset() AS b(id),"
        " pg_stat_get_backend_subxact(b.id) AS s WHERE pg_stat_get_backend_pid(b.id) = pg_backend_pid()"
    ).fetchone()
    if row and (row[0] or row[1]):
        return [Violation("a sub-transaction (e.g. a PL/pgSQL EXCEPTION block)",
                          "its changes cannot be proven to stay inside the tenant")]
    return []


def _rows_outside(conn: psycopg.Connection, params: dict[str, object]) -> list[Violation]:
    rows = conn.execute(
        """SELECT format('table %%I.%%I', s.schemaname, s.relname), s.n_tup_ins, s.n_tup_upd, s.n_tup_del
           FROM pg_stat_xact_all_tables s JOIN pg_class c ON c.oid = s.relid
           WHERE s.n_tup_ins + s.n_tup_upd + s.n_tup_del > 0
             AND s.schemaname NOT IN ('pg_catalog', 'pg_toast') AND s.schemaname !~ '^pg_(toast_)?temp_'
             AND c.relnamespace <> ALL(%(allowed)s::oid[])""",
        params,
    ).fetchall()
    return [Violation(name, f"{ins} rows inserted, {upd} updated, {dele} deleted") for name, ins, upd, dele in rows]


def _sequences_outside(conn: psycopg.Connection, params: dict[str, object]) -> list[Violation]:
    rows = conn.execute(
        """SELECT format('sequence %%I.%%I', n.nspname, c.relname) FROM pg_locks l
           JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.mode = 'RowExclusiveLock'
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
             AND c.relkind = 'S' AND c.relnamespace <> ALL(%(allowed)s::oid[])
             AND n.nspname !~ '^pg_(toast_)?temp_'""",
        params,
    ).fetchall()
    return [Violation(name, "value taken or set") for (name,) in rows]


def _catalogs_written(conn: psycopg.Connection) -> tuple[set[str], set[str]]:
    """Database catalogs with rows created/updated, and with rows deleted/updated, by this transaction."""
    rows = conn.execute(
        """SELECT s.relname, s.n_tup_ins + s.n_tup_upd > 0, s.n_tup_upd + s.n_tup_del > 0
           FROM pg_stat_xact_sys_tables s JOIN pg_class c ON c.oid = s.relid
           WHERE s.schemaname = 'pg_catalog' AND NOT c.relisshared
             AND s.n_tup_ins + s.n_tup_upd + s.n_tup_del > 0"""
    ).fetchall()
    written = {name for name, wrote, _ in rows if wrote and name not in _IGNORED}
    removed = {name for name, _, removed in rows if removed and name not in _IGNORED}
    return written, removed


def _shared_catalogs(conn: psycopg.Connection) -> list[Violation]:
    rows = conn.execute(
        """SELECT s.relname FROM pg_stat_xact_sys_tables s JOIN pg_class c ON c.oid = s.relid
           WHERE c.relisshared AND s.n_tup_ins + s.n_tup_upd + s.n_tup_del > 0"""
    ).fetchall()
    return [Violation(f"the server-wide catalog {name}", "roles, databases or settings changed")
            for (name,) in rows if name not in _IGNORED]


def _exempt_relations(
    conn: psycopg.Connection, observer: psycopg.Connection, written: set[str], params: dict[str, object]
) -> set[int]:
    """Other schemas' tables whose only change is `relhastriggers`, set by an allowed foreign key to them."""
    if "pg_class" not in written or "pg_trigger" not in written:
        return set()
    candidates = conn.execute(
        f"""SELECT c.oid, (to_jsonb(c) - 'relhastriggers')::text FROM pg_class c
            WHERE c.xmin = pg_current_xact_id()::xid AND c.relnamespace <> ALL(%(allowed)s::oid[])
              AND EXISTS (SELECT 1 FROM pg_trigger r WHERE r.tgrelid = c.oid
                          AND r.xmin = pg_current_xact_id()::xid AND {_RI_TRIGGER})""",
        params,
    ).fetchall()
    exempt: set[int] = set()
    for oid, mine in candidates:
        before = observer.execute(
            "SELECT (to_jsonb(c) - 'relhastriggers')::text FROM pg_class c WHERE c.oid = %s", [oid]
        ).fetchone()
        if before is not None and before[0] == mine:
            exempt.add(int(oid))
    return exempt


def _catalog_rows(
    conn: psycopg.Connection, catalog: str, condition: str, params: dict[str, object], exempt: set[int], how: str
) -> list[Violation]:
    home, describe = _HOMES.get(catalog, ("NULL::oid", f"'a row of the catalog {catalog}'"))
    extra = f" AND NOT ({_RI_TRIGGER})" if catalog == "pg_trigger" else ""
    if catalog == "pg_class" and exempt:
        extra = " AND r.oid <> ALL(%(exempt)s::oid[])"
    query = sql.SQL(
        "SELECT DISTINCT {describe} FROM pg_catalog.{catalog} r, LATERAL (SELECT {home} AS home) h"
        " WHERE {condition}{extra} AND (h.home IS NULL OR (h.home <> ALL(%(allowed)s::oid[])"
        " AND (SELECT nspname FROM pg_namespace WHERE oid = h.home) !~ '^pg_(toast_)?temp_'))"
    ).format(
        describe=sql.SQL(describe), home=sql.SQL(home), catalog=sql.Identifier(catalog),
        condition=sql.SQL(condition), extra=sql.SQL(extra),
    )
    rows = conn.execute(query, {**params, "exempt": sorted(exempt)}).fetchall()
    return [Violation(str(name or f"a row of the catalog {catalog}"), how) for (name,) in rows]

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

Sub-transactions (a PL/pgSQL EXCEPTION block) write under transaction ids of
their own; the ones that committed into this transaction still hold their lock on
their id, so `pg_locks` gives the full set of ids to look for. (An aborted one's
changes are gone with it.)
The one change PostgreSQL itself makes outside: a foreign key from a tenant
table to a `public` table adds RI triggers on that table (and may set its
`relhastriggers`); those are allowed when their constraint lives in an allowed
schema and the referenced table in `public` (a foreign key into another tenant is not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg
from psycopg import sql

from app.engine.errors import RestoreFailed

# Rows that only follow other catalog changes (the rows they follow are checked); the statistics
# catalogs are also unreadable to a non-superuser, who may restore its own tenant too.
_IGNORED = {"pg_depend", "pg_shdepend", "pg_init_privs", "pg_statistic", "pg_statistic_ext_data"}

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
_RI_TRIGGER = (
    "r.tgisinternal AND r.tgconstraint <> 0 AND (SELECT k.connamespace FROM pg_constraint k"
    " WHERE k.oid = r.tgconstraint) = ANY(%(allowed)s::oid[])"
    " AND (SELECT t.relnamespace FROM pg_class t WHERE t.oid = r.tgrelid) = 'public'::regnamespace"
)


@dataclass(frozen=True)
class Violation:
    """One object outside the allowed schemas that the transaction changed."""

    what: str  # e.g. "table public.customers_client"
    how: str  # "rows changed", "created or changed", "dropped or changed", ...

    def sentence(self) -> str:
        return f"{self.what} ({self.how})"


Counts = dict[int, tuple[int, int, int]]  # relation oid -> rows inserted, updated, deleted


def write_counts(conn: psycopg.Connection) -> Counts:
    """Rows this session has written, per relation, and not yet handed to the server's statistics.

    That is this transaction's work *plus* whatever earlier transactions of the session wrote since the
    last hand-over (a second or so): so a step takes these counts when it starts, and the proof looks at
    what grew since (no hand-over happens inside a transaction). Only two kinds of relation can have
    grown, so only they are read, whatever the size of the database: the system catalogs (whose locks
    PostgreSQL releases as soon as a catalog row is written), and the relations this transaction holds a
    lock on (a table written keeps its lock until the transaction ends; one written in a sub-transaction
    that was rolled back has lost it, and so has its rows).
    """
    rows = conn.execute(
        "SELECT x.oid, x.i, x.u, x.d FROM (SELECT r.oid, pg_stat_get_xact_tuples_inserted(r.oid) AS i,"
        " pg_stat_get_xact_tuples_updated(r.oid) AS u, pg_stat_get_xact_tuples_deleted(r.oid) AS d"
        " FROM (SELECT c.oid FROM pg_class c WHERE c.oid < 16384 AND c.relkind = 'r'"
        "  UNION SELECT l.relation FROM pg_locks l WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation'"
        "  AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())) r) x"
        " WHERE x.i + x.u + x.d > 0"
    ).fetchall()
    return {int(oid): (int(i), int(u), int(d)) for oid, i, u, d in rows}


def find_violations(
    conn: psycopg.Connection, observer: psycopg.Connection, allowed: set[int], before: Counts
) -> list[Violation]:
    """Everything this transaction changed outside the namespaces `allowed` (oids); empty when isolated.

    `observer` is a second, autocommit connection to the same database: it sees
    the committed state, including rows this transaction has deleted. `before`:
    `write_counts` taken when the transaction started.
    """
    conn.execute("SELECT set_config('search_path', 'pg_catalog, pg_temp', true)")  # whatever the step set
    top = int(conn.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()[0])  # type: ignore[index]
    grown = {
        oid: tuple(n - b for n, b in zip(now, before.get(oid, (0, 0, 0)), strict=True))
        for oid, now in write_counts(conn).items()
    }
    changed = {oid: counts for oid, counts in grown.items() if any(counts)}
    params = {"allowed": sorted(allowed), "changed": sorted(changed), "top": top}
    found: list[Violation] = []
    relations = conn.execute(
        "SELECT c.oid, n.nspname, c.relname, c.relisshared, c.relnamespace = ANY(%(allowed)s::oid[]),"
        " format('%%I.%%I', n.nspname, c.relname)"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY(%(changed)s::oid[])",
        params,
    ).fetchall()
    written: set[str] = set()
    removed: set[str] = set()
    for oid, nspname, relname, shared, inside, qualified in relations:
        ins, upd, dele = changed[int(oid)]
        if nspname == "pg_catalog":
            if relname in _IGNORED:
                continue
            if shared:
                found.append(Violation(f"the server-wide catalog {relname}", "roles, databases or settings changed"))
                continue
            if ins or upd:
                written.add(relname)
            if upd or dele:
                removed.add(relname)
        elif not inside and nspname != "pg_toast" and not _TEMP.match(nspname):
            found.append(Violation(f"table {qualified}", f"{ins} rows inserted, {upd} updated, {dele} deleted"))
    found += _sequences_outside(conn, params)
    exempt = _exempt_relations(conn, observer, written, params)
    attributes = changed.get(_ATTRIBUTE_OID, (0, 0, 0))
    for catalog in sorted(written):
        if catalog == "pg_attribute" and _columns_written_inside(conn, params) == attributes[0] + attributes[1]:
            continue
        found += _catalog_rows(conn, catalog, _ours("r.xmin"), params, exempt, "created or changed")
    for catalog in sorted(removed):
        if (
            catalog == "pg_attribute"
            and _columns_removed_inside(conn, observer, params) == attributes[1] + attributes[2]
        ):
            continue
        found += _removed_rows(conn, observer, catalog, params, exempt)
    unique: dict[str, Violation] = {}
    for violation in found:
        unique.setdefault(violation.what, violation)
    return sorted(unique.values(), key=_weight)


_TEMP = re.compile(r"^pg_(toast_)?temp_")


def _weight(violation: Violation) -> int:
    """Whole objects first, their parts (columns, TOAST, constraints) after: the message names the first few."""
    what = violation.what
    if what.startswith(("column ", "toast ", "index pg_toast.", "type ")) or what.endswith("[]"):
        return 2
    return 1 if what.startswith(("constraint ", "index ", "default ", "trigger ", "rule ")) else 0


def prove_isolation(
    conn: psycopg.Connection, observer: psycopg.Connection, allowed: set[int], before: Counts, *, action: str
) -> None:
    """Raise RestoreFailed naming what was changed outside `allowed`; the caller then rolls back."""
    violations = find_violations(conn, observer, allowed, before)
    if violations:
        names = "; ".join(v.sentence() for v in violations[:5])
        more = f" and {len(violations) - 5} more" if len(violations) > 5 else ""
        raise RestoreFailed(
            f"{action} changed {names}{more}, outside the tenant; it was rolled back.",
            "\n".join(v.sentence() for v in violations),
        )


def _ours(column: str) -> str:
    """SQL: the transaction id in `column` is this transaction's or one of its sub-transactions'.

    Ours are the ids given since this transaction started (`age` counts back from this transaction's own
    id, so they have an age of 0 or less) that are still in progress: any other transaction of that range
    has committed (or aborted), or its rows are invisible to us. A PL/pgSQL EXCEPTION block writes under a
    sub-transaction id of its own, released when it ends, so neither a fixed list of ids nor the locks held
    would find them all. `age` first, alone: it is cheap, and it leaves a handful of rows to look up."""
    return (
        f"CASE WHEN age({column}) <= 0 THEN pg_xact_status((%(top)s - age({column}))::text::xid8)"
        " = 'in progress' ELSE false END"
    )


def _deleted_by_us(column: str) -> str:
    """`_ours`, as the observer sees it: its `age` counts back from the next id to be given (the same for the
    whole statement), so our ids are those no older than our own."""
    window = "age(xid(%(top)s::text::xid8))"
    return (
        f"CASE WHEN age({column}) BETWEEN 1 AND {window} THEN"
        f" pg_xact_status((%(top)s + {window} - age({column}))::text::xid8) = 'in progress' ELSE false END"
    )


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


def _exempt_relations(
    conn: psycopg.Connection, observer: psycopg.Connection, written: set[str], params: dict[str, object]
) -> set[int]:
    """Other schemas' tables whose only change is `relhastriggers`, set by an allowed foreign key to them."""
    if "pg_class" not in written or "pg_trigger" not in written:
        return set()
    candidates = conn.execute(
        f"""SELECT c.oid, (to_jsonb(c) - 'relhastriggers')::text FROM pg_class c
            WHERE {_ours("c.xmin")} AND c.relnamespace <> ALL(%(allowed)s::oid[])
              AND EXISTS (SELECT 1 FROM pg_trigger r WHERE r.tgrelid = c.oid
                          AND {_ours("r.xmin")} AND {_RI_TRIGGER})""",
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


# Columns: the largest catalog by far (430,000 rows beside 1,000 tenants of 15 tables), scanned whole by the
# checks above. The rows of the allowed schemas' relations (their TOAST tables and indexes included) are reached
# by index instead (the relations through their dependency on their schema, then checked to be in it), and
# counted: if they account for every column row the transaction's own counters say it created (inserts +
# updates) or removed (updates + deletes), none can lie outside. Each counter is at least the number of rows it
# stands for (an aborted sub-transaction's attempts count too), so equality proves it; otherwise (a column made
# and then altered in the same step, a relation the lookup misses) the whole catalog is read as before.
_ATTRIBUTE_OID = 1249  # pg_attribute
_INSIDE_RELATIONS = """ARRAY(
WITH t AS MATERIALIZED (SELECT c.oid, c.reltoastrelid FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
  WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = ANY(%(allowed)s::oid[]) AND d.refobjsubid = 0
    AND d.classid = 'pg_class'::regclass AND c.relnamespace = ANY(%(allowed)s::oid[]))
SELECT t.oid FROM t UNION ALL SELECT t.reltoastrelid FROM t WHERE t.reltoastrelid <> 0
UNION ALL SELECT i.indexrelid FROM t JOIN pg_index i ON i.indrelid = t.oid JOIN pg_class x ON x.oid = i.indexrelid
 WHERE x.relnamespace = ANY(%(allowed)s::oid[])
UNION ALL SELECT i.indexrelid FROM t JOIN pg_index i ON i.indrelid = t.reltoastrelid WHERE t.reltoastrelid <> 0)"""


def _columns_written_inside(conn: psycopg.Connection, params: dict[str, object]) -> int:
    """Column rows of the allowed schemas' relations that this transaction created or changed."""
    row = conn.execute(
        f"SELECT count(*) FROM pg_attribute r WHERE r.attrelid = ANY({_INSIDE_RELATIONS}) AND {_ours('r.xmin')}", params
    ).fetchone()
    return int(row[0]) if row else -1


def _columns_removed_inside(conn: psycopg.Connection, observer: psycopg.Connection, params: dict[str, object]) -> int:
    """Column rows of the allowed schemas' relations (as committed) that this transaction deleted or replaced."""
    candidates = [
        str(r[0])
        for r in observer.execute(
            f"SELECT r.ctid::text FROM pg_attribute r WHERE r.attrelid = ANY({_INSIDE_RELATIONS})"
            f" AND {_deleted_by_us('r.xmax')}",
            params,
        ).fetchall()
    ]
    if not candidates:
        return 0
    visible = conn.execute("SELECT count(*) FROM pg_attribute r WHERE r.ctid = ANY(%s::tid[])", [candidates]).fetchone()
    return len(candidates) - int(visible[0]) if visible else -1


def _catalog_rows(
    conn: psycopg.Connection, catalog: str, condition: str, params: dict[str, object], exempt: set[int], how: str
) -> list[Violation]:
    return [Violation(name, how) for _, name in _described(conn, catalog, condition, params, exempt)]


def _removed_rows(
    conn: psycopg.Connection, observer: psycopg.Connection, catalog: str, params: dict[str, object], exempt: set[int]
) -> list[Violation]:
    """Rows the observer still sees, marked deleted or replaced by a transaction in progress, that this
    transaction no longer sees: it deleted or replaced them (another's change would still be visible)."""
    candidates = _described(observer, catalog, _deleted_by_us("r.xmax"), params, exempt)
    if not candidates:
        return []
    visible = {
        str(r[0])
        for r in conn.execute(
            sql.SQL("SELECT r.ctid::text FROM pg_catalog.{} r WHERE r.ctid = ANY(%s::tid[])").format(
                sql.Identifier(catalog)
            ),
            [[c for c, _ in candidates]],
        ).fetchall()
    }
    return [Violation(name, "dropped or changed") for ctid, name in candidates if ctid not in visible]


def _described(
    conn: psycopg.Connection, catalog: str, condition: str, params: dict[str, object], exempt: set[int]
) -> list[tuple[str, str]]:
    """(ctid, object named) of the catalog's rows matching `condition` that belong to no allowed schema."""
    home, describe = _HOMES.get(catalog, ("NULL::oid", f"'a row of the catalog {catalog}'"))
    extra = f" AND NOT ({_RI_TRIGGER})" if catalog == "pg_trigger" else ""
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

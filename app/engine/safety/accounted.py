"""The catalogs whose writes the proof accounts for through the allowed schemas' own rows, read by index.

A full read of a catalog costs what the database holds (3 million column rows beside 10,000 clinics); the rows
of the allowed schemas cost what the clinic holds. So, per catalog the transaction wrote: its rows reachable from
the allowed schemas (their relations, TOAST and indexes included, their types, and the objects of those) are
read through the catalog's indexes, each kept only if the catalog's own map (`catalog_homes`) puts it in an
allowed schema, and counted against the transaction's own counters:

- created or changed: the rows we see that this transaction wrote (`xmin` ours);
- removed: the rows the observer sees that this transaction deleted or replaced and we no longer see.

Every insert and every update makes one row version; each is either one we see now, or one this transaction
replaced or deleted later itself ("own"), or one a rolled-back sub-transaction made. Every update and delete
ends one version: a committed one (the observer sees it) or an own one. With `own` the own versions replaced:

    inserts + updates = seen + own + rolled back        updates + deletes = removed + own + rolled back

The counters count every attempt, so when `seen inside + credit = inserts + updates` and `removed inside + credit
= updates + deletes`, with a credit never above `own`, no version is left for any row outside: nothing outside
was written or removed. Otherwise the caller reads the whole catalog, as before: a shortcut may fall back,
never pass a change.

The credit: a row this transaction created (the observer does not see its key) whose value shows a field
PostgreSQL never sets when it inserts a row, only by a later update of that row, had that many own versions
replaced (one per such field: each is set by an update of its own). In `pg_class`: `reltoastrelid` (the TOAST
table is made after its table's row), `relhastriggers`, `relchecks`, `relhasrules`, `relrowsecurity`,
`relispartition`, `relhassubclass`; in `pg_attribute`: `atthasdef` (a column's default is stored after the
column); in `pg_sequence`: an identity column's sequence (its internal dependency on the column is made only by
the ALTER SEQUENCE ... OWNED BY that PostgreSQL runs after creating it, which rewrites its row). That is what a
CREATE TABLE with TOAST, triggers, checks, an inline DEFAULT or an identity column does to its own new rows. A
sequence owned by a column (`serial`, or ALTER SEQUENCE ... OWNED BY) is never credited: CREATE SEQUENCE ...
OWNED BY makes the same dependency without an update; nor is a field PostgreSQL sets in place (`relhasindex`).
Every credit is checked by tests/test_isolation_accounted.py: each kind of DDL is accounted for exactly, and a
change outside hidden behind it is still named.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from app.engine.safety.catalog_homes import RI_TRIGGER, home_of
from app.engine.safety.own_writes import deleted_by_us, ours

# The allowed schemas' objects, in the view of the connection that runs it: relations with a dependency on an
# allowed schema (tables, views, sequences...) or behind a standalone type (composite), their TOAST tables and
# indexes; standalone types (a dependency on the schema), the row types of relations, the multiranges of ranges,
# and their array types; the tables their foreign keys reference (whose `relhastriggers` an allowed foreign key
# changes) and the RI triggers those keys put there (through their dependency on the key: a `public` table
# referenced by every clinic holds two for each); the objects a comment can be on. Each found through an index.
_OBJECTS = """
WITH dep AS MATERIALIZED (
  SELECT d.classid, d.objid FROM pg_depend d WHERE d.refclassid = 'pg_namespace'::regclass
    AND d.refobjid = ANY(%(allowed)s::oid[]) AND d.refobjsubid = 0
), ty0 AS MATERIALIZED (
  SELECT y.oid, y.typrelid, y.typarray FROM dep JOIN pg_type y ON y.oid = dep.objid
  WHERE dep.classid = 'pg_type'::regclass AND y.typnamespace = ANY(%(allowed)s::oid[])
), base AS MATERIALIZED (
  SELECT c.oid, c.reltoastrelid, c.reltype FROM pg_class c
  WHERE c.oid = ANY(ARRAY(SELECT dep.objid FROM dep WHERE dep.classid = 'pg_class'::regclass
                          UNION SELECT ty0.typrelid FROM ty0 WHERE ty0.typrelid <> 0))
    AND c.relnamespace = ANY(%(allowed)s::oid[])
), heaps AS MATERIALIZED (
  SELECT base.oid FROM base UNION SELECT base.reltoastrelid FROM base WHERE base.reltoastrelid <> 0
), rels AS MATERIALIZED (
  SELECT heaps.oid FROM heaps
  UNION SELECT i.indexrelid FROM pg_index i WHERE i.indrelid = ANY(ARRAY(SELECT oid FROM heaps))
), ty1 AS MATERIALIZED (
  SELECT ty0.oid FROM ty0 UNION SELECT base.reltype FROM base WHERE base.reltype <> 0
  UNION SELECT g.rngmultitypid FROM pg_range g WHERE g.rngtypid = ANY(ARRAY(SELECT oid FROM ty0))
), types AS MATERIALIZED (
  SELECT ty1.oid FROM ty1 UNION SELECT y.typarray FROM pg_type y WHERE y.oid = ANY(ARRAY(SELECT oid FROM ty1))
    AND y.typarray <> 0
), parts AS MATERIALIZED (
  SELECT k.oid, k.confrelid FROM pg_constraint k WHERE k.conrelid = ANY(ARRAY(SELECT oid FROM rels))
  UNION SELECT k.oid, k.confrelid FROM pg_constraint k WHERE k.contypid = ANY(ARRAY(SELECT oid FROM types))
  UNION SELECT g.oid, 0 FROM pg_trigger g WHERE g.tgrelid = ANY(ARRAY(SELECT oid FROM rels))
  UNION SELECT w.oid, 0 FROM pg_rewrite w WHERE w.ev_class = ANY(ARRAY(SELECT oid FROM rels))
  UNION SELECT p.oid, 0 FROM pg_policy p WHERE p.polrelid = ANY(ARRAY(SELECT oid FROM rels))
)
SELECT ARRAY(SELECT oid FROM rels), ARRAY(SELECT oid FROM types),
       ARRAY(SELECT DISTINCT confrelid FROM parts WHERE confrelid <> 0),
       ARRAY(SELECT d.objid FROM pg_depend d WHERE d.refclassid = 'pg_constraint'::regclass
             AND d.refobjid = ANY(ARRAY(SELECT oid FROM parts WHERE confrelid <> 0)) AND d.refobjsubid = 0
             AND d.classid = 'pg_trigger'::regclass AND d.deptype = 'i'),
       ARRAY(SELECT oid FROM rels UNION SELECT oid FROM types UNION SELECT oid FROM parts
             UNION SELECT unnest(%(allowed)s::oid[]))
"""

# catalog -> the conditions (each answered by one of its indexes) that reach its rows of the allowed schemas;
# `ri` adds the allowed foreign keys' RI triggers on the tables they reference, `exempt` those tables' rows.
_REACH: dict[str, tuple[str, ...]] = {
    "pg_namespace": ("r.oid = ANY(%(allowed)s::oid[])",),
    "pg_class": ("r.oid = ANY(%(rels)s::oid[])", "r.oid = ANY(%(exempt)s::oid[])"),
    "pg_attribute": ("r.attrelid = ANY(%(rels)s::oid[])",),
    "pg_attrdef": ("r.adrelid = ANY(%(rels)s::oid[])",),
    "pg_index": ("r.indexrelid = ANY(%(rels)s::oid[])",),
    "pg_type": ("r.oid = ANY(%(types)s::oid[])",),
    "pg_constraint": ("r.conrelid = ANY(%(rels)s::oid[])", "r.contypid = ANY(%(types)s::oid[])"),
    "pg_trigger": ("r.tgrelid = ANY(%(rels)s::oid[])", "r.oid = ANY(%(ri)s::oid[])"),
    "pg_rewrite": ("r.ev_class = ANY(%(rels)s::oid[])",),
    "pg_policy": ("r.polrelid = ANY(%(rels)s::oid[])",),
    "pg_sequence": ("r.seqrelid = ANY(%(rels)s::oid[])",),
    "pg_inherits": ("r.inhrelid = ANY(%(rels)s::oid[])",),
    "pg_partitioned_table": ("r.partrelid = ANY(%(rels)s::oid[])",),
    "pg_statistic_ext": ("r.stxrelid = ANY(%(rels)s::oid[])",),
    "pg_description": ("r.objoid = ANY(%(objects)s::oid[])",),
}

# catalog -> (the row's key, the column the observer looks keys up by, the SQL of its credit: the fields only an
# update sets, one each)
_CREDITS: dict[str, tuple[str, str, str]] = {
    "pg_class": (
        "r.oid::text",
        "r.oid",
        "(r.reltoastrelid <> 0)::int + r.relhastriggers::int + (r.relchecks > 0)::int + r.relhasrules::int"
        " + r.relrowsecurity::int + r.relispartition::int + r.relhassubclass::int",
    ),
    "pg_attribute": ("r.attrelid::text || '.' || r.attnum::text", "r.attrelid", "r.atthasdef::int"),
    "pg_sequence": (
        "r.seqrelid::text",
        "r.seqrelid",
        "(EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = r.seqrelid"
        " AND d.objsubid = 0 AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 AND d.deptype = 'i'))::int",
    ),
}


def accountable(catalog: str) -> bool:
    return catalog in _REACH


def objects(conn: psycopg.Connection, allowed: list[int]) -> dict[str, list[int]]:
    """The allowed schemas' relations, types, referenced tables and commentable objects, as `conn` sees them."""
    row = conn.execute(_OBJECTS, {"allowed": allowed}).fetchone()
    assert row is not None
    rels, types, referenced, ri, objs = ([int(o) for o in column] for column in row)
    return {"rels": rels, "types": types, "referenced": referenced, "ri": ri, "objects": objs}


def _rows(catalog: str, condition: str, columns: str) -> sql.SQL:
    """`columns` of the catalog's reachable rows matching `condition` that an allowed schema holds (or that an
    allowed foreign key may change: RI triggers, and the `exempt` tables), each row once."""
    allowed_too = ""
    if catalog == "pg_trigger":
        allowed_too = f" OR ({RI_TRIGGER})"
    elif catalog == "pg_class":
        allowed_too = " OR r.oid = ANY(%(exempt)s::oid[])"
    reach = " UNION ALL ".join(
        "SELECT r.*, r.tableoid AS tableoid, r.ctid AS ctid, r.xmin AS xmin, r.xmax AS xmax"
        f" FROM pg_catalog.{catalog} r WHERE {where}"
        for where in _REACH[catalog]
    )
    return sql.SQL(
        f"SELECT DISTINCT ON (r.ctid) r.ctid::text, {columns} FROM ({reach}) r"
        f" WHERE ({condition}) AND (({home_of(catalog)}) = ANY(%(allowed)s::oid[]){allowed_too})"
    )


def accounted(
    conn: psycopg.Connection,
    observer: psycopg.Connection,
    catalog: str,
    counts: tuple[int, int, int],
    params: dict[str, object],
    seen: dict[str, list[int]],
    committed: dict[str, list[int]],
) -> bool:
    """Whether every row of `catalog` this transaction wrote or removed is proven to be an allowed schema's (see
    the module's docstring); False means: read the whole catalog. `counts`: its inserts, updates and deletes in
    this transaction; `seen` and `committed`: `objects` as this transaction and the observer see them."""
    inserted, updated, deleted = counts
    key, lookup, credit_sql = _CREDITS.get(catalog, ("NULL::text", "", "0"))
    written = conn.execute(
        _rows(catalog, ours("r.xmin"), f"{key}, {lookup or 'NULL::oid'}, {credit_sql}"), {**params, **seen}
    ).fetchall()
    credit = 0
    flipped = [(str(k), int(rel), int(c)) for _, k, rel, c in written if int(c) > 0]
    if flipped:
        # Only rows this transaction created: a committed row it changed may have had the field already.
        committed_keys = {
            str(r[0])
            for r in observer.execute(
                sql.SQL(f"SELECT {key} FROM pg_catalog.{catalog} r WHERE {lookup} = ANY(%s::oid[])"),
                [sorted({rel for _, rel, _ in flipped})],
            ).fetchall()
        }
        credit = sum(c for k, _, c in flipped if k not in committed_keys)
    if len(written) + credit != inserted + updated:
        return False
    if updated + deleted == 0:
        return credit == 0
    candidates = [
        str(r[0]) for r in observer.execute(_rows(catalog, deleted_by_us("r.xmax"), "1"), {**params, **committed})
    ]
    still = conn.execute(
        sql.SQL(f"SELECT count(*) FROM pg_catalog.{catalog} r WHERE r.ctid = ANY(%s::tid[])"), [candidates]
    ).fetchone()
    removed = len(candidates) - (int(still[0]) if still else len(candidates))
    return removed + credit == updated + deleted

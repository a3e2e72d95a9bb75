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

Which schema a catalog row belongs to is `catalog_homes`; the queries of what the transaction wrote, `own_writes`;
each written catalog is first accounted for through the allowed schemas' own rows, by index (`accounted`), and
read whole only when those do not account for every row its counters say the transaction wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg

from app.engine.errors import RestoreFailed
from app.engine.safety.accounted import accountable, accounted, objects
from app.engine.safety.catalog_homes import IGNORED_CATALOGS, described
from app.engine.safety.own_writes import exempt_relations, ours, removed_outside, sequences_outside


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
    allowed_oids = sorted(allowed)
    params = {"allowed": allowed_oids, "changed": sorted(changed), "top": top}
    found: list[Violation] = []
    relations = conn.execute(
        "SELECT c.oid, n.nspname, c.relname, c.relisshared, c.relnamespace = ANY(%(allowed)s::oid[]),"
        " format('%%I.%%I', n.nspname, c.relname)"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY(%(changed)s::oid[])",
        params,
    ).fetchall()
    written: dict[str, tuple[int, int, int]] = {}
    for oid, nspname, relname, shared, inside, qualified in relations:
        ins, upd, dele = changed[int(oid)]
        if nspname == "pg_catalog":
            if relname in IGNORED_CATALOGS:
                continue
            if shared:
                found.append(Violation(f"the server-wide catalog {relname}", "roles, databases or settings changed"))
                continue
            written[relname] = (ins, upd, dele)
        elif not inside and nspname != "pg_toast" and not _TEMP.match(nspname):
            found.append(Violation(f"table {qualified}", f"{ins} rows inserted, {upd} updated, {dele} deleted"))
    found += [Violation(name, "value taken or set") for name in sequences_outside(conn, params)]
    seen = objects(conn, allowed_oids) if any(accountable(c) for c in written) else {}
    exempt = exempt_relations(conn, observer, set(written), params, seen.get("referenced", []))
    committed = objects(observer, allowed_oids) if seen else {}
    counted = {**params, "exempt": sorted(exempt)}
    for catalog, (ins, upd, dele) in sorted(written.items()):
        if accountable(catalog) and accounted(conn, observer, catalog, (ins, upd, dele), counted, seen, committed):
            continue  # every row it wrote or removed is an allowed schema's, counted through its indexes
        if ins or upd:
            rows = described(conn, catalog, ours("r.xmin"), params, exempt)
            found += [Violation(name, "created or changed") for _, name in rows]
        if upd or dele:
            found += [
                Violation(name, "dropped or changed")
                for name in removed_outside(conn, observer, catalog, params, exempt)
            ]
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

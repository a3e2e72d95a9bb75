"""What the transaction being proven wrote, found from its own transaction ids, locks and counters.

Only rows this transaction touched are looked at, never the other tenants' data, so the proof costs what
the transaction did, not what the database holds.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from app.engine.safety.catalog_homes import RI_TRIGGER, described


def ours(column: str) -> str:
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


def deleted_by_us(column: str) -> str:
    """`ours`, as the observer sees it: its `age` counts back from the next id to be given (the same for the
    whole statement), so our ids are those no older than our own."""
    window = "age(xid(%(top)s::text::xid8))"
    return (
        f"CASE WHEN age({column}) BETWEEN 1 AND {window} THEN"
        f" pg_xact_status((%(top)s + {window} - age({column}))::text::xid8) = 'in progress' ELSE false END"
    )


def sequences_outside(conn: psycopg.Connection, params: dict[str, object]) -> list[str]:
    """Other schemas' sequences this transaction took or set a value of."""
    rows = conn.execute(
        """SELECT format('sequence %%I.%%I', n.nspname, c.relname) FROM pg_locks l
           JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.mode = 'RowExclusiveLock'
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
             AND c.relkind = 'S' AND c.relnamespace <> ALL(%(allowed)s::oid[])
             AND n.nspname !~ '^pg_(toast_)?temp_'""",
        params,
    ).fetchall()
    return [str(name) for (name,) in rows]


def exempt_relations(
    conn: psycopg.Connection,
    observer: psycopg.Connection,
    written: set[str],
    params: dict[str, object],
    referenced: list[int],
) -> set[int]:
    """Other schemas' tables whose only change is `relhastriggers`, set by an allowed foreign key to them.

    Only the tables the allowed schemas' foreign keys reference (`referenced`, `accounted.objects`) can be, so
    only they are read, by oid."""
    if "pg_class" not in written or "pg_trigger" not in written:
        return set()
    candidates = conn.execute(
        f"""SELECT c.oid, (to_jsonb(c) - 'relhastriggers')::text FROM pg_class c
            WHERE c.oid = ANY(%(referenced)s::oid[]) AND {ours("c.xmin")} AND c.relnamespace <> ALL(%(allowed)s::oid[])
              AND EXISTS (SELECT 1 FROM pg_trigger r WHERE r.tgrelid = c.oid
                          AND {ours("r.xmin")} AND {RI_TRIGGER})""",
        {**params, "referenced": referenced},
    ).fetchall()
    exempt: set[int] = set()
    for oid, mine in candidates:
        before = observer.execute(
            "SELECT (to_jsonb(c) - 'relhastriggers')::text FROM pg_class c WHERE c.oid = %s", [oid]
        ).fetchone()
        if before is not None and before[0] == mine:
            exempt.add(int(oid))
    return exempt


def removed_outside(
    conn: psycopg.Connection, observer: psycopg.Connection, catalog: str, params: dict[str, object], exempt: set[int]
) -> list[str]:
    """Rows the observer still sees, marked deleted or replaced by a transaction in progress, that this
    transaction no longer sees: it deleted or replaced them (another's change would still be visible)."""
    candidates = described(observer, catalog, deleted_by_us("r.xmax"), params, exempt)
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
    return [name for ctid, name in candidates if ctid not in visible]

"""Read a table someone else controls only once it is locked and proven to be the table that was listed.

A role that owns a table (the web application's role owns the tenants table and the clinics' tables) can
hold ACCESS EXCLUSIVE on it, watch `pg_locks` until Resguardo's LOCK waits, then rename the table and put a
view of the same name in its place, whose functions would run with the rights of whoever reads it.
PostgreSQL looks the name up again after the wait, so the LOCK ends up holding the view (CVE-2024-7348's
class). Hence: every such read is preceded, in the same transaction, by `lock_tables`: LOCK TABLE, then a
check that each name still resolves to the oid listed before the lock, and that this oid is a plain or
partitioned table now. Once locked, the table can be neither renamed nor turned into a view until the
transaction ends, so the reads that follow by name read that table.

The check works in a REPEATABLE READ transaction too, whose snapshot may predate the swap: the name is
resolved with `to_regclass` (the catalog as it is now, not as the snapshot saw it), and a table that became
a view in place (CREATE RULE "_RETURN", before PostgreSQL 16) has lost its storage, which
`pg_relation_filenode` also reads as it is now. Sessions with more rights than the owner also set
`restrict_nonsystem_relation_kind` where the server has it (app/engine/connection.py); this check is what
protects servers without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql

from app.engine.errors import PreflightError


@dataclass(frozen=True)
class Relation:
    """A table as the catalog listed it: its name, and the oid the name must still resolve to once locked."""

    schema: str
    name: str
    oid: int

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    def identifier(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.name)


# The first listed relation that is no longer what was listed: the name resolves elsewhere (or nowhere), or
# the oid is no longer a plain or partitioned table (a plain table without storage became a view in place).
_CHANGED = """
SELECT r.i, c.relkind::text
FROM ROWS FROM (pg_catalog.unnest({nsp}::text[]), pg_catalog.unnest({rel}::text[]),
                pg_catalog.unnest({oid}::pg_catalog.oid[])) WITH ORDINALITY AS r(nsp, rel, oid, i)
LEFT JOIN pg_catalog.pg_class c ON c.oid = r.oid
WHERE pg_catalog.to_regclass(pg_catalog.format('%I.%I', r.nsp, r.rel))::pg_catalog.oid IS DISTINCT FROM r.oid
   OR c.relkind IS NULL OR c.relkind NOT IN ('r', 'p')
   OR (c.relkind = 'r' AND pg_catalog.pg_relation_filenode(r.oid) IS NULL)
ORDER BY r.i LIMIT 1
"""

_SCHEMA_TABLES = """
SELECT c.relname, c.oid FROM pg_catalog.pg_class c
WHERE c.relnamespace = (SELECT n.oid FROM pg_catalog.pg_namespace n WHERE n.nspname = %s)
  AND c.relkind IN ('r', 'p') ORDER BY c.relname
"""

_PLAIN_TABLE = """
SELECT c.oid FROM pg_catalog.pg_class c
WHERE c.oid = pg_catalog.to_regclass(pg_catalog.format('%%I.%%I', %s::text, %s::text)) AND c.relkind IN ('r', 'p')
"""


def plain_table(conn: psycopg.Connection, schema: str, name: str) -> Relation | None:
    """The plain or partitioned table `schema.name` as the catalog names it now; None when it is none
    (missing, or a view, a foreign table...). Lock it with `lock_tables` before reading it."""
    row = conn.execute(_PLAIN_TABLE, [schema, name]).fetchone()
    return Relation(schema, name, int(row[0])) if row else None


def schema_tables(conn: psycopg.Connection, schema: str) -> list[Relation]:
    """Every plain and partitioned table of `schema` (partitions included), by name."""
    return [Relation(schema, str(name), int(oid)) for name, oid in conn.execute(_SCHEMA_TABLES, [schema])]


def lock_tables(conn: psycopg.Connection, relations: Sequence[Relation]) -> None:
    """ACCESS SHARE on `relations`, then the check `recheck` makes, in one round trip: inside the caller's
    transaction, which must read them before it ends. LockNotAvailable (lock_timeout) is the caller's to explain."""
    if not relations:
        return
    lock = sql.SQL("LOCK TABLE ONLY {} IN ACCESS SHARE MODE").format(
        sql.SQL(", ").join(r.identifier() for r in relations)
    )
    cursor = conn.execute(sql.Composed([lock, sql.SQL(";"), _check(relations)]))  # no parameters: two statements
    cursor.nextset()
    _refuse_changed(relations, cursor.fetchone())


def recheck(conn: psycopg.Connection, relations: Sequence[Relation]) -> None:
    """After the caller's own LOCK TABLE of `relations`: each name still resolves to its listed oid, a plain
    or partitioned table; else PreflightError naming the first that changed (nothing of it was read)."""
    if relations:
        _refuse_changed(relations, conn.execute(_check(relations)).fetchone())


def _check(relations: Sequence[Relation]) -> sql.Composed:
    return sql.SQL(_CHANGED).format(
        nsp=sql.Literal([r.schema for r in relations]),
        rel=sql.Literal([r.name for r in relations]),
        oid=sql.Literal([r.oid for r in relations]),
    )


def _refuse_changed(relations: Sequence[Relation], found: tuple[object, ...] | None) -> None:
    if found is None:
        return
    changed = relations[int(str(found[0])) - 1]
    raise PreflightError(
        f"The table {changed.qualified_name} was replaced while Resguardo waited to read it (another session "
        "renamed it or put something else in its place), so nothing was read from it. Try again; if this happens "
        "again, someone with the rights of the table's owner (for example the web application's role) may be "
        "tampering with the database.",
        f"{changed.qualified_name}: listed as oid {changed.oid}; once locked, the name resolved elsewhere or the "
        f"relation was no longer a plain or partitioned table (relkind {found[1]!r})",
    )

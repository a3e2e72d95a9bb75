"""The django-tenants tenants table and its domains table: found from the catalog (a table in `public` with a
`schema_name` column; when several, the one a domains table references) or named by a profile setting when that
guess is ambiguous; locked and checked before its rows are read (a tenant's row for a backup's manifest, the
clinics' schema names), with the server's own types only."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from app.engine.errors import PreflightError, ResguardoError, UsageError, first_line
from app.engine.safety.relation_guard import Relation, lock_tables

SCHEMA_COLUMN = "schema_name"
NAME_COLUMN = "name"
DOMAIN_COLUMN = "domain"
PRIMARY_COLUMN = "is_primary"
DEFAULT_SCHEMA = "public"


@dataclass(frozen=True)
class DomainsTable:
    """django-tenants' domains table: host names pointing at a tenant row."""

    schema: str
    table: str
    tenant_column: str  # the foreign key to the tenants table
    domain_column: str
    primary_column: str | None
    oid: int = field(default=0, compare=False)  # as listed; 0 (not listed) makes every read refuse


@dataclass(frozen=True)
class TenantsTable:
    """The table with one row per clinic; `schema_column` holds the clinic's schema name."""

    schema: str
    table: str
    schema_column: str
    name_column: str | None
    id_column: str | None  # the column the domains table references (else the primary key)
    domains: DomainsTable | None
    oid: int = field(default=0, compare=False)  # as listed; 0 (not listed) makes every read refuse

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.table}"

    def identifier(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.table)

    def relations(self) -> list[Relation]:
        """The tables its reads lock and check first: its own and its domains table's."""
        d = self.domains
        return [Relation(self.schema, self.table, self.oid), *([Relation(d.schema, d.table, d.oid)] if d else [])]


# One row per candidate tenants table, with the domains table referencing it (if any).
# Candidates are either every table of `public` with a schema_name column, or the one named. The tables of the
# schemas concerned are read once and serve both the candidates and their domains tables; they are found through
# their dependency on their schema (an index of pg_depend, then of pg_class: pg_class has no index by schema alone,
# and beside 10,000 tenants it holds 800,000 rows).
_CANDIDATES_SQL = """
WITH ns AS MATERIALIZED (
    SELECT n.oid, n.nspname FROM pg_namespace n WHERE n.nspname IN (%(default_schema)s, %(named_schema)s)
), t AS MATERIALIZED (
    SELECT c.oid, c.relname, c.relispartition, ns.nspname FROM ns JOIN pg_class c ON c.relnamespace = ns.oid
    WHERE c.relkind IN ('r', 'p') AND c.oid = ANY(ARRAY(
        SELECT d.objid FROM pg_depend d WHERE d.refclassid = 'pg_namespace'::regclass
          AND d.refobjid = ANY(ARRAY(SELECT ns.oid FROM ns)) AND d.refobjsubid = 0
          AND d.classid = 'pg_class'::regclass))
)
SELECT c.nspname, c.relname,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = %(schema_col)s
               AND a.attnum > 0 AND NOT a.attisdropped) AS has_schema_column,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = %(name_col)s
               AND a.attnum > 0 AND NOT a.attisdropped) AS has_name_column,
       (SELECT a.attname FROM pg_index i
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
         WHERE i.indrelid = c.oid AND i.indisprimary AND i.indnkeyatts = 1) AS pk_column,
       d.nspname, d.relname, d.tenant_column, d.referenced_column, d.primary_column, c.oid, d.oid
FROM t c
LEFT JOIN LATERAL (
    SELECT dc.oid, dc.nspname, dc.relname, fa.attname AS tenant_column, ra.attname AS referenced_column,
           (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = dc.oid AND a.attname = %(primary_col)s
              AND a.attnum > 0 AND NOT a.attisdropped) AS primary_column
    FROM t dc
    JOIN pg_constraint con ON con.conrelid = dc.oid
    JOIN pg_attribute fa ON fa.attrelid = con.conrelid AND fa.attnum = con.conkey[1]
    JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = con.confkey[1]
    WHERE con.contype = 'f' AND con.confrelid = c.oid AND cardinality(con.conkey) = 1
      AND dc.nspname IN (%(default_schema)s, c.nspname)
      AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = dc.oid AND a.attname = %(domain_col)s
                  AND a.attnum > 0 AND NOT a.attisdropped)
    ORDER BY dc.nspname, dc.relname
    LIMIT 1
) d ON true
WHERE NOT c.relispartition AND {where}
ORDER BY c.nspname, c.relname
"""


_NAME_PART = re.compile(r'\s*(?:"((?:[^"]|"")+)"|([^".\s]+))\s*')


def parse_table_name(text: str) -> tuple[str, str]:
    """Split "schema.table" or "table" (in public) as PostgreSQL would: quotes keep case and dots."""
    bad = UsageError(f"The tenants table name {text!r} is not a valid table name; use schema.table.")
    parts: list[str] = []
    pos = 0
    while True:
        match = _NAME_PART.match(text, pos)
        if match is None:
            raise bad
        quoted, plain = match.group(1), match.group(2)
        parts.append(quoted.replace('""', '"') if quoted is not None else _fold(plain))
        pos = match.end()
        if pos == len(text):
            break
        if text[pos] != ".":
            raise bad
        pos += 1
    if len(parts) == 1:
        return DEFAULT_SCHEMA, parts[0]
    if len(parts) == 2:
        return parts[0], parts[1]
    raise bad


def _fold(word: str) -> str:
    """PostgreSQL folds unquoted names to lower case, ASCII letters only."""
    return "".join(ch.lower() if ch.isascii() else ch for ch in word)


def _candidates(conn: psycopg.Connection, named: tuple[str, str] | None) -> list[tuple[Any, ...]]:
    params: dict[str, Any] = {
        "schema_col": SCHEMA_COLUMN,
        "name_col": NAME_COLUMN,
        "primary_col": PRIMARY_COLUMN,
        "domain_col": DOMAIN_COLUMN,
        "default_schema": DEFAULT_SCHEMA,
    }
    if named is None:
        where = (
            "c.nspname = %(default_schema)s AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid"
            " AND a.attname = %(schema_col)s AND a.attnum > 0 AND NOT a.attisdropped)"
        )
        params.update(named_schema=DEFAULT_SCHEMA)
    else:
        where = "c.nspname = %(named_schema)s AND c.relname = %(named_table)s"
        params.update(named_schema=named[0], named_table=named[1])
    return conn.execute(_CANDIDATES_SQL.format(where=where), params).fetchall()


def _tenants_table(row: tuple[Any, ...]) -> TenantsTable:
    schema, table, _, has_name, pk_column, d_schema, d_table, d_tenant_col, d_ref_col, d_primary, oid, d_oid = row
    domains = None
    if d_table is not None:
        domains = DomainsTable(d_schema, d_table, d_tenant_col, DOMAIN_COLUMN, d_primary, int(d_oid))
    return TenantsTable(
        schema=schema,
        table=table,
        schema_column=SCHEMA_COLUMN,
        name_column=NAME_COLUMN if has_name else None,
        id_column=d_ref_col if domains is not None else pk_column,
        domains=domains,
        oid=int(oid),
    )


def find_tenants_table(conn: psycopg.Connection, override: str | TenantsTable | None = None) -> TenantsTable | None:
    """The tenants table, or None when `public` has no table with a schema_name column; locked and checked for
    the rest of the transaction, in which its rows must be read (`tenant_record`, `clinic_schemas`...).

    `override` ("schema.table" or "table", from a profile setting) wins over
    detection. Several candidates: the one a domains table references; when
    that does not decide, UsageError asks for the profile setting rather than guess.
    A TenantsTable found in an earlier transaction (backup --all's listing) is only locked and checked again:
    detection scans pg_class, whose size grows with the number of tenants.
    """
    if isinstance(override, TenantsTable):
        return _server_types_only(conn, override)
    if override and override.strip():
        named = parse_table_name(override)
        rows = _candidates(conn, named)
        if not rows:
            raise UsageError(f"The tenants table {override.strip()!r} does not exist.")
        if not rows[0][2]:
            raise UsageError(f"The tenants table {override.strip()!r} has no {SCHEMA_COLUMN} column.")
        return _server_types_only(conn, _tenants_table(rows[0]))
    rows = _candidates(conn, None)
    if not rows:
        return None
    if len(rows) == 1:
        return _server_types_only(conn, _tenants_table(rows[0]))
    referenced = [row for row in rows if row[6] is not None]
    if len(referenced) == 1:
        return _server_types_only(conn, _tenants_table(referenced[0]))
    names = ", ".join(f"{row[0]}.{row[1]}" for row in (referenced or rows))
    raise UsageError(
        f"Several tables could be the tenants table ({names}); name one in the profile's tenants table setting."
    )


# A column whose type (or a domain's base type) a role other than a superuser made: that role may have given
# the type casts (to text, json, boolean...) that a cast or to_jsonb() would run with the reader's rights.
_UNTRUSTED_COLUMN = """
SELECT c.relname, a.attname, pg_catalog.format_type(a.atttypid, NULL)
FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid LEFT JOIN pg_catalog.pg_type b ON b.oid = t.typbasetype
WHERE a.attrelid = ANY(%s::pg_catalog.oid[]) AND a.attnum > 0 AND NOT a.attisdropped
  AND (NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.oid = t.typowner)
       OR NOT coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.oid = b.typowner), true))
ORDER BY a.attrelid, a.attnum LIMIT 1
"""


def _server_types_only(conn: psycopg.Connection, t: TenantsTable) -> TenantsTable:
    """The tenants table (and its domains table), locked, checked to be the tables listed, and checked to hold
    only types the server's superusers made: their rows are then read with casts and to_jsonb() that run nobody's
    code. The tables usually belong to the web application's role, which may be hostile (docs/security.md).
    Three statements, whatever the tenants."""
    _locked(conn, t)
    try:
        found = conn.execute(_UNTRUSTED_COLUMN, [[r.oid for r in t.relations()]]).fetchone()
    except psycopg.Error as exc:
        raise unreadable(t, exc) from None
    if found is not None:
        raise PreflightError(
            f"The table {found[0]} (the tenants table or its domains) has a column {found[1]} of the type {found[2]},"
            " which a role that is not a superuser made (and may have given casts that would run with your rights);"
            " Resguardo reads it only with the server's own types."
        )
    return t


def _locked(conn: psycopg.Connection, t: TenantsTable) -> None:
    """Lock the tenants and domains tables, then check they are still the tables listed: their owner may put a view
    of its functions in their place while the lock waits (app/engine/safety/relation_guard.py). The reads below
    take a TenantsTable that `find_tenants_table` returned in their own transaction, which holds this lock."""
    try:
        lock_tables(conn, t.relations())
    except psycopg.Error as exc:
        raise unreadable(t, exc) from None


def tenant_record(conn: psycopg.Connection, schema: str, tenants_table: TenantsTable | None) -> dict[str, Any] | None:
    """The tenant's row and domains as JSON values, for a backup's manifest; None without a row."""
    if tenants_table is None:
        return None
    t = tenants_table
    try:
        found = conn.execute(
            sql.SQL("SELECT to_jsonb(t) FROM {} AS t WHERE t.{}::text = %s LIMIT 1").format(
                t.identifier(), sql.Identifier(t.schema_column)
            ),
            [schema],
        ).fetchone()
        if found is None:
            return None
        domains: list[dict[str, Any]] = []
        d = t.domains
        if d is not None and t.id_column is not None:
            order = (
                sql.SQL("{} DESC NULLS LAST, ").format(sql.Identifier("d", d.primary_column))
                if d.primary_column
                else sql.SQL("")
            )
            domains = [
                r[0]
                for r in conn.execute(
                    sql.SQL(
                        "SELECT to_jsonb(d) FROM {} AS d JOIN {} AS t ON d.{} = t.{}"
                        " WHERE t.{}::text = %s ORDER BY {}d.{}"
                    ).format(
                        sql.Identifier(d.schema, d.table),
                        t.identifier(),
                        sql.Identifier(d.tenant_column),
                        sql.Identifier(t.id_column),
                        sql.Identifier(t.schema_column),
                        order,
                        sql.Identifier(d.domain_column),
                    ),
                    [schema],
                ).fetchall()
            ]
    except psycopg.Error as exc:
        raise unreadable(t, exc) from None
    return {"table": t.qualified_name, "row": found[0], "domains": domains}


def unreadable(t: TenantsTable, exc: psycopg.Error) -> Exception:
    """What to raise when the tenants table cannot be read; a statement cancelled by the job's cancel stays
    that (the job then says "Cancelled"), whichever query the cancel happened to hit."""
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return exc
    first = first_line(exc)
    return ResguardoError(f"Cannot read the tenants table {t.qualified_name}: {first}", str(exc))


def clinic_schemas(conn: psycopg.Connection, t: TenantsTable | None) -> frozenset[str]:
    """Schema names of the tenants table's rows: clinics, never taken for a copy or a staging schema."""
    if t is None:
        return frozenset()
    try:
        return frozenset(
            r[0]
            for r in conn.execute(
                sql.SQL("SELECT t.{}::text FROM {} AS t WHERE t.{} IS NOT NULL").format(
                    sql.Identifier(t.schema_column), t.identifier(), sql.Identifier(t.schema_column)
                )
            ).fetchall()
        )
    except psycopg.Error as exc:
        raise unreadable(t, exc) from None

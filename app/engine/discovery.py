"""Which clinics a database holds: the django-tenants tenants table, its domains, and every schema.

The tenants table is found from the catalog (a table in `public` with a
`schema_name` column; when several, the one a domains table references), or
named by a profile setting when that guess is ambiguous. Its rows and the
schemas' sizes are read with a fixed number of queries, whatever the number of
tenants, so that a database with a thousand clinics lists as fast as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from app.engine.errors import ResguardoError, UsageError

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


@dataclass(frozen=True)
class TenantsTable:
    """The table with one row per clinic; `schema_column` holds the clinic's schema name."""

    schema: str
    table: str
    schema_column: str
    name_column: str | None
    id_column: str | None  # the column the domains table references (else the primary key)
    domains: DomainsTable | None

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.table}"

    def identifier(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.table)


# One row per candidate tenants table, with the domains table referencing it (if any).
# Candidates are either every table of `public` with a schema_name column, or the one named.
_CANDIDATES_SQL = """
SELECT n.nspname, c.relname,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = %(schema_col)s
               AND a.attnum > 0 AND NOT a.attisdropped) AS has_schema_column,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = %(name_col)s
               AND a.attnum > 0 AND NOT a.attisdropped) AS has_name_column,
       (SELECT a.attname FROM pg_index i
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
         WHERE i.indrelid = c.oid AND i.indisprimary AND i.indnkeyatts = 1) AS pk_column,
       d.nspname, d.relname, d.tenant_column, d.referenced_column, d.primary_column
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
    SELECT dn.nspname, dc.relname, fa.attname AS tenant_column, ra.attname AS referenced_column,
           (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = dc.oid AND a.attname = %(primary_col)s
              AND a.attnum > 0 AND NOT a.attisdropped) AS primary_column
    FROM pg_constraint con
    JOIN pg_class dc ON dc.oid = con.conrelid
    JOIN pg_namespace dn ON dn.oid = dc.relnamespace
    JOIN pg_attribute fa ON fa.attrelid = con.conrelid AND fa.attnum = con.conkey[1]
    JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = con.confkey[1]
    WHERE con.contype = 'f' AND con.confrelid = c.oid AND cardinality(con.conkey) = 1
      AND dc.relkind IN ('r', 'p') AND dn.nspname IN (%(default_schema)s, n.nspname)
      AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = dc.oid AND a.attname = %(domain_col)s
                  AND a.attnum > 0 AND NOT a.attisdropped)
    ORDER BY dn.nspname, dc.relname
    LIMIT 1
) d ON true
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {where}
ORDER BY n.nspname, c.relname
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
        "schema_col": SCHEMA_COLUMN, "name_col": NAME_COLUMN, "primary_col": PRIMARY_COLUMN,
        "domain_col": DOMAIN_COLUMN, "default_schema": DEFAULT_SCHEMA,
    }
    if named is None:
        where = ("n.nspname = %(default_schema)s AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid"
                 " AND a.attname = %(schema_col)s AND a.attnum > 0 AND NOT a.attisdropped)")
    else:
        where = "n.nspname = %(named_schema)s AND c.relname = %(named_table)s"
        params.update(named_schema=named[0], named_table=named[1])
    return conn.execute(_CANDIDATES_SQL.format(where=where), params).fetchall()  # type: ignore[arg-type]


def _tenants_table(row: tuple[Any, ...]) -> TenantsTable:
    schema, table, _, has_name, pk_column, d_schema, d_table, d_tenant_col, d_ref_col, d_primary = row
    domains = None
    if d_table is not None:
        domains = DomainsTable(d_schema, d_table, d_tenant_col, DOMAIN_COLUMN, d_primary)
    return TenantsTable(
        schema=schema, table=table, schema_column=SCHEMA_COLUMN,
        name_column=NAME_COLUMN if has_name else None,
        id_column=d_ref_col if domains is not None else pk_column,
        domains=domains,
    )


def find_tenants_table(conn: psycopg.Connection, override: str | None = None) -> TenantsTable | None:
    """The tenants table, or None when `public` has no table with a schema_name column.

    `override` ("schema.table" or "table", from a profile setting) wins over
    detection. Several candidates: the one a domains table references; when
    that does not decide, UsageError asks for the profile setting rather than guess.
    """
    if override and override.strip():
        named = parse_table_name(override)
        rows = _candidates(conn, named)
        if not rows:
            raise UsageError(f"The tenants table {override.strip()!r} set in the profile does not exist.")
        if not rows[0][2]:
            raise UsageError(
                f"The tenants table {override.strip()!r} set in the profile has no {SCHEMA_COLUMN} column."
            )
        return _tenants_table(rows[0])
    rows = _candidates(conn, None)
    if not rows:
        return None
    if len(rows) == 1:
        return _tenants_table(rows[0])
    referenced = [row for row in rows if row[6] is not None]
    if len(referenced) == 1:
        return _tenants_table(referenced[0])
    names = ", ".join(f"{row[0]}.{row[1]}" for row in (referenced or rows))
    raise UsageError(
        f"Several tables could be the tenants table ({names}); name one in the profile's tenants table setting."
    )


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
            order = sql.SQL("{} DESC NULLS LAST, ").format(sql.Identifier("d", d.primary_column)) if d.primary_column \
                else sql.SQL("")
            domains = [
                r[0] for r in conn.execute(
                    sql.SQL(
                        "SELECT to_jsonb(d) FROM {} AS d JOIN {} AS t ON d.{} = t.{}"
                        " WHERE t.{}::text = %s ORDER BY {}d.{}"
                    ).format(
                        sql.Identifier(d.schema, d.table), t.identifier(), sql.Identifier(d.tenant_column),
                        sql.Identifier(t.id_column), sql.Identifier(t.schema_column), order,
                        sql.Identifier(d.domain_column),
                    ),
                    [schema],
                ).fetchall()
            ]
    except psycopg.Error as exc:
        raise _unreadable(t, exc) from None
    return {"table": t.qualified_name, "row": found[0], "domains": domains}


def _unreadable(t: TenantsTable, exc: psycopg.Error) -> ResguardoError:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return ResguardoError(f"Cannot read the tenants table {t.qualified_name}: {first}", str(exc))

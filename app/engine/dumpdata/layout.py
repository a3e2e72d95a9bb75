"""The live tenant as a Django JSON import sees it: tables, columns, keys, and the models Django knows.

Read from the catalog for the tenant's schema alone (cost follows the tenant), plus
`django_content_type` (which models the application has) and the names of `public`'s
tables the file's models might live in (django-tenants' shared apps).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from app.engine.safety.relation_guard import lock_tables, schema_tables

SHARED_SCHEMA = "public"


@dataclass(frozen=True)
class Column:
    name: str
    type_name: str  # pg_type.typname: int8, varchar, jsonb, _int4, citext...
    category: str  # pg_type.typcategory: B boolean, N numeric, A array, R range, U user-defined (json)...
    not_null: bool
    has_default: bool  # a default, an identity or a generation expression: COPY may leave it out
    generated: bool


@dataclass(frozen=True)
class ForeignKey:
    column: str
    schema: str
    table: str


@dataclass
class Table:
    name: str
    columns: dict[str, Column]  # in column order
    primary_key: tuple[str, ...] = ()
    uniques: list[tuple[str, ...]] = field(default_factory=list)  # unique constraints and indexes, no pk
    foreign_keys: dict[str, ForeignKey] = field(default_factory=dict)  # single-column ones, by column

    @property
    def pk(self) -> str | None:
        return self.primary_key[0] if len(self.primary_key) == 1 else None


@dataclass
class Layout:
    schema: str
    tables: dict[str, Table]
    content_types: set[tuple[str, str]] | None  # (app_label, model); None without django_content_type
    shared_tables: set[str]  # tables of public, by name

    def local_fk(self, table: str, column: str) -> ForeignKey | None:
        """The foreign key of `table.column` when it points at a table of this tenant."""
        fk = self.tables[table].foreign_keys.get(column)
        return fk if fk is not None and fk.schema == self.schema and fk.table in self.tables else None


_COLUMNS = """
SELECT c.relname, a.attname, t.typname, t.typcategory,
       a.attnotnull, a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '', a.attgenerated <> ''
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
WHERE c.relnamespace = %(nsp)s AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname, a.attnum
"""

# Primary keys, unique constraints and foreign keys; then unique indexes that are no constraint.
_KEYS = """
SELECT c.relname, k.contype::text, k.conkey::int[],
       (SELECT array_agg(a.attname::text ORDER BY o.n) FROM unnest(k.conkey) WITH ORDINALITY o(num, n)
          JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = o.num),
       fn.nspname, fc.relname,
       (SELECT array_agg(a.attname::text ORDER BY o.n) FROM unnest(k.confkey) WITH ORDINALITY o(num, n)
          JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = o.num)
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
LEFT JOIN pg_catalog.pg_class fc ON fc.oid = k.confrelid
LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
WHERE c.relnamespace = %(nsp)s AND k.contype IN ('p', 'u', 'f')
UNION ALL
SELECT c.relname, 'i', i.indkey::int2[]::int[],
       (SELECT array_agg(a.attname::text ORDER BY o.n) FROM unnest(i.indkey::int2[]) WITH ORDINALITY o(num, n)
          JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = o.num),
       NULL, NULL, NULL
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
WHERE c.relnamespace = %(nsp)s AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid)
ORDER BY 1, 2
"""


def as_text(alias: str, column: str) -> sql.Composable:
    """A column as text through its type's output function, never a cast: a cast to text may be a function
    the tenant's owner wrote (CREATE CAST on a type it owns), and this session may be a superuser's."""
    return sql.SQL("pg_catalog.concat({}.{})").format(sql.Identifier(alias), sql.Identifier(column))


def read_layout(conn: psycopg.Connection, schema: str, shared_names: Collection[str] = ()) -> Layout:
    """The tenant's tables as the import maps them; of `public`, only whether `shared_names` are tables there.

    Every table of the tenant is locked first and checked to be the table listed, for the rest of the caller's
    transaction: this reads django_content_type, and the conversion then reads live rows and copies the tables
    it keeps (app/engine/dumpdata/keys.py, source.py), all by name; the clinic's owner could otherwise put a view
    of its functions in a table's place while a lock waits (app/engine/safety/relation_guard.py)."""
    row = conn.execute("SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = %s", [schema]).fetchone()
    tables: dict[str, Table] = {}
    if row is not None:
        lock_tables(conn, schema_tables(conn, schema))
        for table, name, typname, category, not_null, has_default, generated in conn.execute(_COLUMNS, {"nsp": row[0]}):
            tables.setdefault(table, Table(table, {})).columns[name] = Column(
                name, typname, category, not_null, has_default, generated
            )
        for table, kind, _nums, columns, fschema, ftable, fcolumns in conn.execute(_KEYS, {"nsp": row[0]}):
            info = tables.get(table)
            if info is None or columns is None:
                continue
            if kind == "p":
                info.primary_key = tuple(columns)
            elif kind in ("u", "i"):
                info.uniques.append(tuple(columns))
            elif len(columns) == 1 and fcolumns and len(fcolumns) == 1:
                info.foreign_keys[columns[0]] = ForeignKey(columns[0], fschema, ftable)
    content_types = None
    if "django_content_type" in tables and {"app_label", "model"} <= set(tables["django_content_type"].columns):
        content_types = {
            (str(a), str(m))
            for a, m in conn.execute(
                sql.SQL("SELECT {}, {} FROM {} c").format(
                    as_text("c", "app_label"), as_text("c", "model"), sql.Identifier(schema, "django_content_type")
                )
            )
        }
    shared = {
        str(r[0])
        for r in conn.execute(
            "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND c.relname = ANY(%s)",
            [SHARED_SCHEMA, list(shared_names)],
        )
    }
    return Layout(schema, tables, content_types, shared)

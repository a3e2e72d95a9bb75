"""The DDL that recreates one schema's objects in a schema of any name.

Definitions are read with `search_path` set to the source schema alone, so
PostgreSQL's own deparsers (pg_get_viewdef, pg_get_constraintdef, pg_get_expr,
pg_get_triggerdef, format_type, ...) write in-schema names unqualified and
qualify everything else (`public.citext`, FKs to `public.customers_client`).
Replaying the statements with `SET search_path = <target>` then recreates the
objects in the target schema. The few deparsers that always qualify
(pg_get_functiondef, pg_get_indexdef) have the exact known prefix rebuilt.

Must be called inside the backup's transaction (REPEATABLE READ), so the DDL
and the rows come from the same moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from app.engine.archive import statement_block
from app.engine.errors import PreflightError

_NOT_EXTENSION = (
    "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = {cls}::regclass"
    " AND e.objid = {oid} AND e.deptype = 'e')"
)


def _own(cls: str, oid: str) -> str:
    return _NOT_EXTENSION.format(cls=f"'{cls}'", oid=oid)


@dataclass(frozen=True)
class TableCopy:
    """What the backup needs to COPY one table's rows."""

    name: str
    columns: list[dict[str, str]]  # COPY column list: {"name", "type"}; generated columns left out
    size_bytes: int  # heap size on disk: the weight of the table in the progress bar


@dataclass
class SchemaDDL:
    schema_owner: str
    pre_data: list[str] = field(default_factory=list)  # statement blocks
    post_data: list[str] = field(default_factory=list)
    tables: list[TableCopy] = field(default_factory=list)
    sequences: list[dict[str, Any]] = field(default_factory=list)
    privileges: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pre_data_sql(self) -> str:
        return "".join(self.pre_data)

    @property
    def post_data_sql(self) -> str:
        return "".join(self.post_data)


@dataclass
class _Rel:
    oid: int
    name: str
    q: str
    kind: str  # pg_class.relkind
    persistence: str
    options: list[str] | None
    owner: str
    qowner: str
    acl: list[str]
    custom_acl: bool
    size: int
    owned_by: tuple[str, str] | None = None  # sequences: (quoted table, quoted column) of an owning column
    identity: bool = False  # sequences behind an identity column


def extract_schema_ddl(conn: psycopg.Connection, schema: str) -> SchemaDDL:
    """Read every object of `schema` and return the statements that rebuild them."""
    conn.execute(sql.SQL("SET LOCAL search_path = {}").format(sql.Identifier(schema)))
    return _Extractor(conn, schema).run()


class _Extractor:
    def __init__(self, conn: psycopg.Connection, schema: str) -> None:
        self.conn = conn
        self.schema = schema
        row = conn.execute(
            "SELECT n.oid, pg_catalog.pg_get_userbyid(n.nspowner),"
            " coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))::text[], quote_ident(n.nspname)"
            " FROM pg_catalog.pg_namespace n WHERE n.nspname = %s",
            [schema],
        ).fetchone()
        if row is None:
            raise PreflightError(f"The schema {schema!r} does not exist.")
        self.nsp, owner, nspacl, self.qschema = row
        self.version = conn.info.server_version
        self.ddl = SchemaDDL(schema_owner=owner)
        self.ddl.privileges.append({"kind": "schema", "name": schema, "owner": owner, "acl": list(nspacl)})
        self.comments = self._comments()

    def q(self, query: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return self.conn.execute(query, {"nsp": self.nsp, **(params or {})}).fetchall()  # type: ignore[arg-type]

    def pre(self, label: str, statement: str) -> None:
        self.ddl.pre_data.append(statement_block(label, statement))

    def post(self, label: str, statement: str) -> None:
        self.ddl.post_data.append(statement_block(label, statement))

    def run(self) -> SchemaDDL:
        self._refuse_unsupported()
        rels = self._relations()
        self._types()
        seqs = [r for r in rels if r.kind == "S"]
        for s in seqs:
            if not s.identity:
                self._create_sequence(s)
        routines = self._routines()
        for label, text, atomic in routines:
            if not atomic:
                self.pre(label, text)
        tables = [r for r in rels if r.kind == "r"]
        columns = self._columns([t.oid for t in tables])
        for t in tables:
            self._create_table(t, columns.get(t.oid, []))
        for s in seqs:
            if s.owned_by and not s.identity:
                self.pre(f"sequence {s.name}", f"ALTER SEQUENCE {s.q} OWNED BY {s.owned_by[0]}.{s.owned_by[1]}")
        views = self._views([r for r in rels if r.kind in ("v", "m")])
        for label, text, atomic in routines:
            if atomic:
                self.pre(label, text)
        self._constraints(("p", "u", "c", "x"), "constraint")
        self._indexes()
        self._constraints(("f",), "foreign-key")
        self._triggers()
        for v in views:
            if v.kind == "m":
                self.post(f"refresh {v.name}", f"REFRESH MATERIALIZED VIEW {v.q}")
        self._sequence_values(seqs)
        self._relation_comments(rels)
        self._owners_and_grants(rels)
        self._default_privileges()
        return self.ddl

    # -- refusal of what the native format does not carry --------------------------------------

    def _refuse_unsupported(self) -> None:
        rows = self.q(
            "SELECT 'partitioned or foreign table', c.relname FROM pg_catalog.pg_class c"
            " WHERE c.relnamespace = %(nsp)s AND c.relkind IN ('p', 'f') AND " + _own("pg_class", "c.oid")
            + " UNION ALL SELECT 'inherited table', c.relname FROM pg_catalog.pg_inherits i"
            " JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid WHERE c.relnamespace = %(nsp)s"
            " UNION ALL SELECT 'rule', r.rulename FROM pg_catalog.pg_rewrite r JOIN pg_catalog.pg_class c"
            " ON c.oid = r.ev_class WHERE c.relnamespace = %(nsp)s AND r.rulename <> '_RETURN'"
            " UNION ALL SELECT 'row security policy', p.polname FROM pg_catalog.pg_policy p"
            " JOIN pg_catalog.pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = %(nsp)s"
            " UNION ALL SELECT 'aggregate', p.proname FROM pg_catalog.pg_proc p"
            " WHERE p.pronamespace = %(nsp)s AND p.prokind = 'a' AND " + _own("pg_proc", "p.oid")
            + " UNION ALL SELECT 'collation', o.collname FROM pg_catalog.pg_collation o"
            " WHERE o.collnamespace = %(nsp)s AND " + _own("pg_collation", "o.oid")
            + " UNION ALL SELECT 'operator', o.oprname FROM pg_catalog.pg_operator o"
            " WHERE o.oprnamespace = %(nsp)s AND " + _own("pg_operator", "o.oid")
            + " UNION ALL SELECT 'text search configuration', o.cfgname FROM pg_catalog.pg_ts_config o"
            " WHERE o.cfgnamespace = %(nsp)s AND " + _own("pg_ts_config", "o.oid")
            + " UNION ALL SELECT 'extended statistics', o.stxname FROM pg_catalog.pg_statistic_ext o"
            " WHERE o.stxnamespace = %(nsp)s"
            " LIMIT 1"
        )
        if rows:
            kind, name = rows[0]
            raise PreflightError(
                f"The schema {self.schema!r} holds a {kind} ({name}), which the native format does not "
                "back up yet; use the custom (pg_dump) format for this tenant."
            )

    # -- relations ----------------------------------------------------------------------------

    def _relations(self) -> list[_Rel]:
        rows = self.q(
            "SELECT c.oid, c.relname, quote_ident(c.relname), c.relkind, c.relpersistence, c.reloptions,"
            " pg_catalog.pg_get_userbyid(c.relowner), quote_ident(pg_catalog.pg_get_userbyid(c.relowner)),"
            " coalesce(c.relacl, pg_catalog.acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\","
            " c.relowner))::text[], c.relacl IS NOT NULL, pg_catalog.pg_relation_size(c.oid),"
            " (SELECT ARRAY[quote_ident(t.relname), quote_ident(a.attname), d.deptype::text]"
            "  FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class t ON t.oid = d.refobjid"
            "  JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
            "  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass"
            "  AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i') LIMIT 1)"
            " FROM pg_catalog.pg_class c WHERE c.relnamespace = %(nsp)s AND c.relkind IN ('r', 'v', 'm', 'S')"
            " AND " + _own("pg_class", "c.oid") + " ORDER BY c.relname COLLATE \"C\""
        )
        rels = []
        for oid, name, q, kind, pers, opts, owner, qowner, acl, custom, size, owned in rows:
            rel = _Rel(oid, name, q, kind, pers, opts, owner, qowner, list(acl), custom, size)
            if owned:
                rel.owned_by = (owned[0], owned[1])
                rel.identity = owned[2] == "i"
            rels.append(rel)
        return rels

    def _columns(self, oids: list[int]) -> dict[int, list[tuple[Any, ...]]]:
        rows = self.conn.execute(
            "SELECT a.attrelid, a.attname, quote_ident(a.attname), pg_catalog.format_type(a.atttypid, a.atttypmod),"
            " a.attnotnull, a.attidentity, a.attgenerated, pg_catalog.pg_get_expr(ad.adbin, ad.adrelid),"
            " CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN"
            "  (SELECT CASE WHEN o.collnamespace IN (%(nsp)s, 'pg_catalog'::regnamespace) THEN quote_ident(o.collname)"
            "   ELSE quote_ident(n.nspname) || '.' || quote_ident(o.collname) END"
            "   FROM pg_catalog.pg_collation o JOIN pg_catalog.pg_namespace n ON n.oid = o.collnamespace"
            "   WHERE o.oid = a.attcollation) END,"
            " (SELECT ARRAY[quote_ident(s.relname), q.seqstart::text, q.seqincrement::text, q.seqmin::text,"
            "   q.seqmax::text, q.seqcache::text, q.seqcycle::text]"
            "  FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class s ON s.oid = d.objid"
            "  JOIN pg_catalog.pg_sequence q ON q.seqrelid = s.oid"
            "  WHERE d.classid = 'pg_class'::regclass AND d.refobjid = a.attrelid AND d.refobjsubid = a.attnum"
            "  AND d.deptype = 'i' LIMIT 1)"
            " FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
            " LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum"
            " WHERE a.attrelid = ANY(%(oids)s) AND a.attnum > 0 AND NOT a.attisdropped"
            " ORDER BY a.attrelid, a.attnum",
            {"nsp": self.nsp, "oids": oids},
        ).fetchall()
        out: dict[int, list[tuple[Any, ...]]] = {}
        for row in rows:
            out.setdefault(row[0], []).append(row[1:])
        return out

    def _create_table(self, t: _Rel, columns: list[tuple[Any, ...]]) -> None:
        lines = []
        copy_columns = []
        for name, qname, typ, notnull, identity, generated, default, collation, seq in columns:
            parts = [qname, typ]
            if collation:
                parts.append(f"COLLATE {collation}")
            if generated:
                parts.append(f"GENERATED ALWAYS AS ({default}) {'STORED' if generated == 's' else 'VIRTUAL'}")
            elif identity:
                how = "ALWAYS" if identity == "a" else "BY DEFAULT"
                opts = ""
                if seq:
                    sname, start, inc, smin, smax, cache, cycle = seq
                    opts = (f" (SEQUENCE NAME {sname} START WITH {start} INCREMENT BY {inc} MINVALUE {smin}"
                            f" MAXVALUE {smax} CACHE {cache}{' CYCLE' if cycle == 'true' else ''})")
                parts.append(f"GENERATED {how} AS IDENTITY{opts}")
            elif default is not None:
                parts.append(f"DEFAULT {default}")
            if notnull:
                parts.append("NOT NULL")
            lines.append("    " + " ".join(parts))
            if not generated:
                copy_columns.append({"name": name, "type": typ})
        unlogged = "UNLOGGED " if t.persistence == "u" else ""
        with_opts = f" WITH ({', '.join(t.options)})" if t.options else ""
        body = ",\n".join(lines)
        self.pre(f"table {t.name}", f"CREATE {unlogged}TABLE {t.q} (\n{body}\n){with_opts}")
        self.ddl.tables.append(TableCopy(t.name, copy_columns, t.size))

    def _create_sequence(self, s: _Rel) -> None:
        row = self.conn.execute(
            "SELECT pg_catalog.format_type(seqtypid, NULL), seqstart, seqincrement, seqmin, seqmax, seqcache, seqcycle"
            " FROM pg_catalog.pg_sequence WHERE seqrelid = %s",
            [s.oid],
        ).fetchone()
        assert row is not None
        typ, start, inc, smin, smax, cache, cycle = row
        self.pre(
            f"sequence {s.name}",
            f"CREATE SEQUENCE {s.q} AS {typ} START WITH {start} INCREMENT BY {inc} MINVALUE {smin} "
            f"MAXVALUE {smax} CACHE {cache}{' CYCLE' if cycle else ''}",
        )

    def _views(self, views: list[_Rel]) -> list[_Rel]:
        """Views and materialized views, each after the ones it reads from."""
        by_oid = {v.oid: v for v in views}
        deps: dict[int, set[int]] = {v.oid: set() for v in views}
        if views:
            for view, ref in self.conn.execute(
                "SELECT DISTINCT r.ev_class, d.refobjid FROM pg_catalog.pg_rewrite r"
                " JOIN pg_catalog.pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid"
                " WHERE r.ev_class = ANY(%s) AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class",
                [list(by_oid)],
            ).fetchall():
                if ref in by_oid:
                    deps[view].add(ref)
        ordered: list[_Rel] = []
        done: set[int] = set()

        def visit(oid: int, path: frozenset[int]) -> None:
            if oid in done or oid in path:
                return
            for ref in sorted(deps[oid]):
                visit(ref, path | {oid})
            done.add(oid)
            ordered.append(by_oid[oid])

        for v in views:
            visit(v.oid, frozenset())
        for v in ordered:
            definition = self.conn.execute("SELECT pg_catalog.pg_get_viewdef(%s::oid, true)", [v.oid]).fetchone()
            text = (definition[0] if definition else "").strip().rstrip(";")
            with_opts = f" WITH ({', '.join(v.options)})" if v.options else ""
            if v.kind == "m":
                self.pre(f"materialized-view {v.name}",
                         f"CREATE MATERIALIZED VIEW {v.q}{with_opts} AS\n{text}\nWITH NO DATA")
            else:
                self.pre(f"view {v.name}", f"CREATE VIEW {v.q}{with_opts} AS\n{text}")
        return ordered

    # -- types --------------------------------------------------------------------------------

    def _types(self) -> None:
        rows = self.q(
            "SELECT t.oid, t.typname, quote_ident(t.typname), t.typtype, t.typrelid,"
            " pg_catalog.pg_get_userbyid(t.typowner), quote_ident(pg_catalog.pg_get_userbyid(t.typowner)),"
            " coalesce(t.typacl, pg_catalog.acldefault('T', t.typowner))::text[], t.typacl IS NOT NULL,"
            " pg_catalog.format_type(t.typbasetype, t.typtypmod), t.typnotnull,"
            " pg_catalog.pg_get_expr(t.typdefaultbin, 0),"
            " CASE WHEN t.typcollation <> 0 AND t.typcollation <> coalesce(b.typcollation, 0) THEN"
            "  (SELECT quote_ident(o.collname) FROM pg_catalog.pg_collation o WHERE o.oid = t.typcollation) END"
            " FROM pg_catalog.pg_type t LEFT JOIN pg_catalog.pg_type b ON b.oid = t.typbasetype"
            " WHERE t.typnamespace = %(nsp)s AND " + _own("pg_type", "t.oid")
            + " AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND"
            "  (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c'))"
            " ORDER BY CASE t.typtype WHEN 'e' THEN 0 WHEN 'r' THEN 1 WHEN 'd' THEN 2 ELSE 3 END, t.oid"
        )
        for oid, name, qname, typtype, relid, owner, qowner, acl, custom, base, notnull, default, coll in rows:
            label = f"type {name}"
            if typtype == "e":
                labels = [r[0] for r in self.conn.execute(
                    "SELECT quote_literal(enumlabel) FROM pg_catalog.pg_enum WHERE enumtypid = %s ORDER BY enumsortorder",
                    [oid]).fetchall()]
                self.pre(label, f"CREATE TYPE {qname} AS ENUM ({', '.join(labels)})")
            elif typtype == "r":
                sub = self.conn.execute(
                    "SELECT pg_catalog.format_type(rngsubtype, NULL) FROM pg_catalog.pg_range WHERE rngtypid = %s",
                    [oid]).fetchone()
                self.pre(label, f"CREATE TYPE {qname} AS RANGE (SUBTYPE = {sub[0] if sub else 'text'})")
            elif typtype == "d":
                text = f"CREATE DOMAIN {qname} AS {base}"
                if coll:
                    text += f" COLLATE {coll}"
                if default is not None:
                    text += f" DEFAULT {default}"
                checks = self.conn.execute(
                    "SELECT quote_ident(conname), pg_catalog.pg_get_constraintdef(oid, true), contype"
                    " FROM pg_catalog.pg_constraint WHERE contypid = %s ORDER BY conname", [oid]).fetchall()
                for cname, cdef, _ in checks:
                    text += f"\n    CONSTRAINT {cname} {cdef}"
                if notnull and not any(c[2] == "n" for c in checks):
                    text += " NOT NULL"
                self.pre(label, text)
            else:
                attrs = self._columns([relid]).get(relid, [])
                body = ",\n".join(
                    f"    {a[1]} {a[2]}" + (f" COLLATE {a[7]}" if a[7] else "") for a in attrs)
                self.pre(label, f"CREATE TYPE {qname} AS (\n{body}\n)")
            kind_word = "DOMAIN" if typtype == "d" else "TYPE"
            self._comment(("pg_type", oid, 0), f"{kind_word} {qname}")
            self._owner_grant("type", name, f"{kind_word} {qname}", "TYPE " + qname, owner, qowner, acl, custom)

    # -- routines -----------------------------------------------------------------------------

    def _routines(self) -> list[tuple[str, str, bool]]:
        has_sqlbody = self.version >= 140000
        rows = self.q(
            "SELECT p.oid, p.proname, quote_ident(p.proname), p.prokind,"
            " pg_catalog.pg_get_function_identity_arguments(p.oid), pg_catalog.pg_get_functiondef(p.oid),"
            " pg_catalog.pg_get_userbyid(p.proowner), quote_ident(pg_catalog.pg_get_userbyid(p.proowner)),"
            " coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))::text[], p.proacl IS NOT NULL, "
            + ("p.prosqlbody IS NOT NULL" if has_sqlbody else "false")
            + " FROM pg_catalog.pg_proc p WHERE p.pronamespace = %(nsp)s AND p.prokind IN ('f', 'p', 'w')"
            " AND " + _own("pg_proc", "p.oid") + " ORDER BY p.proname, p.oid"
        )
        out = []
        for oid, name, qname, kind, args, definition, owner, qowner, acl, custom, atomic in rows:
            word = "PROCEDURE" if kind == "p" else "FUNCTION"
            prefix = f"CREATE OR REPLACE {word} {self.qschema}.{qname}("
            if not definition.startswith(prefix):
                raise PreflightError(f"Cannot read the definition of the function {name!r} in {self.schema!r}.")
            text = f"CREATE {word} {qname}(" + definition[len(prefix):]
            kind_name = "procedure" if kind == "p" else "function"
            out.append((f"{kind_name} {name}({args})", text, bool(atomic)))
            ref = f"{word} {qname}({args})"
            self._comment(("pg_proc", oid, 0), ref)
            self._owner_grant(kind_name, f"{name}({args})", ref, ref, owner, qowner, acl, custom, args=args)
        return out

    # -- post-data ----------------------------------------------------------------------------

    def _constraints(self, kinds: tuple[str, ...], label: str) -> None:
        for oid, name, qname, qtable, definition in self.q(
            "SELECT o.oid, o.conname, quote_ident(o.conname), quote_ident(c.relname),"
            " pg_catalog.pg_get_constraintdef(o.oid, true)"
            " FROM pg_catalog.pg_constraint o JOIN pg_catalog.pg_class c ON c.oid = o.conrelid"
            " WHERE c.relnamespace = %(nsp)s AND c.relkind IN ('r', 'm') AND o.contype = ANY(%(kinds)s)"
            " AND o.conislocal ORDER BY c.relname COLLATE \"C\", o.conname COLLATE \"C\"",
            {"kinds": list(kinds)},
        ):
            self.post(f"{label} {name}", f"ALTER TABLE {qtable} ADD CONSTRAINT {qname} {definition}")
            self._comment(("pg_constraint", oid, 0), f"CONSTRAINT {qname} ON {qtable}")

    def _indexes(self) -> None:
        for oid, name, qname, qtable, definition in self.q(
            "SELECT i.indexrelid, x.relname, quote_ident(x.relname), quote_ident(c.relname),"
            " pg_catalog.pg_get_indexdef(i.indexrelid, 0, true)"
            " FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indrelid"
            " JOIN pg_catalog.pg_class x ON x.oid = i.indexrelid"
            " WHERE c.relnamespace = %(nsp)s AND c.relkind IN ('r', 'm')"
            " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint o WHERE o.conindid = i.indexrelid"
            "  AND o.conrelid = i.indrelid AND o.contype IN ('p', 'u', 'x'))"
            " ORDER BY c.relname COLLATE \"C\", x.relname COLLATE \"C\""
        ):
            qualified = f" ON {self.qschema}.{qtable} USING "
            if qualified in definition:  # the table is not visible under this search_path (should not happen)
                definition = definition.replace(qualified, f" ON {qtable} USING ", 1)
            self.post(f"index {name}", definition)
            self._comment(("pg_class", oid, 0), f"INDEX {qname}")

    def _triggers(self) -> None:
        for oid, name, qname, qtable, definition in self.q(
            "SELECT g.oid, g.tgname, quote_ident(g.tgname), quote_ident(c.relname), pg_catalog.pg_get_triggerdef(g.oid, true)"
            " FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid"
            " WHERE c.relnamespace = %(nsp)s AND NOT g.tgisinternal"
            " ORDER BY c.relname COLLATE \"C\", g.tgname COLLATE \"C\""
        ):
            self.post(f"trigger {name}", definition)
            self._comment(("pg_trigger", oid, 0), f"TRIGGER {qname} ON {qtable}")
        for name, qname, qtable, state in self.q(
            "SELECT g.tgname, quote_ident(g.tgname), quote_ident(c.relname), g.tgenabled"
            " FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid"
            " WHERE c.relnamespace = %(nsp)s AND NOT g.tgisinternal AND g.tgenabled <> 'O'"
        ):
            how = {"D": "DISABLE TRIGGER", "R": "ENABLE REPLICA TRIGGER", "A": "ENABLE ALWAYS TRIGGER"}[state]
            self.post(f"trigger {name}", f"ALTER TABLE {qtable} {how} {qname}")

    def _sequence_values(self, seqs: list[_Rel]) -> None:
        for s in seqs:
            row = self.conn.execute(
                sql.SQL("SELECT last_value, is_called FROM {}").format(sql.Identifier(self.schema, s.name))
            ).fetchone()
            assert row is not None
            last, called = row
            self.ddl.sequences.append({"name": s.name, "last_value": last, "is_called": called})
            self.post(f"sequence-value {s.name}",
                      f"SELECT pg_catalog.setval({_literal(s.q)}, {last}, {str(called).lower()})")

    # -- comments, owners, grants -------------------------------------------------------------

    def _comments(self) -> dict[tuple[str, int, int], str]:
        rows = self.q(
            "SELECT d.classoid::regclass::text, d.objoid, d.objsubid, quote_literal(d.description)"
            " FROM pg_catalog.pg_description d WHERE"
            " (d.classoid = 'pg_class'::regclass AND d.objoid IN"
            "   (SELECT oid FROM pg_catalog.pg_class WHERE relnamespace = %(nsp)s))"
            " OR (d.classoid = 'pg_proc'::regclass AND d.objoid IN"
            "   (SELECT oid FROM pg_catalog.pg_proc WHERE pronamespace = %(nsp)s))"
            " OR (d.classoid = 'pg_type'::regclass AND d.objoid IN"
            "   (SELECT oid FROM pg_catalog.pg_type WHERE typnamespace = %(nsp)s))"
            " OR (d.classoid = 'pg_constraint'::regclass AND d.objoid IN (SELECT o.oid FROM pg_catalog.pg_constraint o"
            "   JOIN pg_catalog.pg_class c ON c.oid = o.conrelid WHERE c.relnamespace = %(nsp)s))"
            " OR (d.classoid = 'pg_trigger'::regclass AND d.objoid IN (SELECT g.oid FROM pg_catalog.pg_trigger g"
            "   JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid WHERE c.relnamespace = %(nsp)s))"
        )
        return {(cls, oid, sub): text for cls, oid, sub, text in rows}

    def _comment(self, key: tuple[str, int, int], target: str) -> None:
        text = self.comments.get(key)
        if text is not None:
            self.post(f"comment {target}", f"COMMENT ON {target} IS {text}")

    def _relation_comments(self, rels: list[_Rel]) -> None:
        words = {"r": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
        columns = {(oid, sub): text for (cls, oid, sub), text in self.comments.items() if cls == "pg_class" and sub}
        names: dict[tuple[int, int], str] = {}
        if columns:
            for rel, num, qname in self.conn.execute(
                "SELECT attrelid, attnum, quote_ident(attname) FROM pg_catalog.pg_attribute"
                " WHERE attrelid = ANY(%s) AND attnum > 0", [list({k[0] for k in columns})]
            ).fetchall():
                names[(rel, num)] = qname
        for r in rels:
            self._comment(("pg_class", r.oid, 0), f"{words[r.kind]} {r.q}")
            for (oid, sub), _ in sorted(columns.items()):
                if oid == r.oid and (oid, sub) in names:
                    self._comment(("pg_class", oid, sub), f"COLUMN {r.q}.{names[(oid, sub)]}")

    def _owners_and_grants(self, rels: list[_Rel]) -> None:
        kinds = {"r": ("table", "TABLE"), "v": ("view", "VIEW"), "m": ("materialized-view", "MATERIALIZED VIEW"),
                 "S": ("sequence", "SEQUENCE")}
        for r in rels:
            if r.kind not in kinds:
                continue
            kind, word = kinds[r.kind]
            on = "SEQUENCE" if r.kind == "S" else "TABLE"
            owner_target = None if r.owned_by else f"{word} {r.q}"  # owned sequences follow their table
            self._owner_grant(kind, r.name, owner_target, f"{on} {r.q}", r.owner, r.qowner, r.acl, r.custom_acl)

    def _owner_grant(self, kind: str, name: str, alter_target: str | None, grant_target: str, owner: str,
                     qowner: str, acl: list[str], custom: bool, *, args: str | None = None) -> None:
        entry: dict[str, Any] = {"kind": kind, "name": name, "owner": owner, "acl": acl}
        if args is not None:
            entry["args"] = args
        self.ddl.privileges.append(entry)
        label = f"{kind} {name}"
        if alter_target:
            self.post(f"owner {label}", f"ALTER {alter_target} OWNER TO {qowner}")
        if not custom:
            return
        self.post(f"grant {label}", f"REVOKE ALL ON {grant_target} FROM PUBLIC")
        self.post(f"grant {label}", f"REVOKE ALL ON {grant_target} FROM {qowner}")
        for grantee, privileges, grantable in self._explode(acl, owner):
            option = " WITH GRANT OPTION" if grantable else ""
            self.post(f"grant {label}", f"GRANT {privileges} ON {grant_target} TO {grantee}{option}")

    def _explode(self, acl: Iterable[str], owner: str | None = None, *, quoted: bool = True) -> list[tuple[Any, str, bool]]:
        """(grantee, "privilege, ...", grantable); grantee PUBLIC is 'PUBLIC' quoted, None raw."""
        grantee = "quote_ident(pg_catalog.pg_get_userbyid(e.grantee))" if quoted else "pg_catalog.pg_get_userbyid(e.grantee)"
        public = "'PUBLIC'" if quoted else "NULL"
        return [tuple(r) for r in self.conn.execute(  # type: ignore[misc]
            f"SELECT CASE WHEN e.grantee = 0 THEN {public} ELSE {grantee} END,"
            " string_agg(e.privilege_type, ', ' ORDER BY e.privilege_type), e.is_grantable"
            " FROM pg_catalog.aclexplode(%s::aclitem[]) e GROUP BY e.grantee, e.is_grantable"
            " ORDER BY pg_catalog.pg_get_userbyid(e.grantee) IS DISTINCT FROM %s, 1, 3",  # the owner first
            [list(acl), owner],
        ).fetchall()]

    def _default_privileges(self) -> None:
        objects = {"r": "TABLES", "S": "SEQUENCES", "f": "FUNCTIONS", "T": "TYPES"}
        for role, objtype, acl in self.q(
            "SELECT pg_catalog.pg_get_userbyid(defaclrole), defaclobjtype, defaclacl::text[]"
            " FROM pg_catalog.pg_default_acl WHERE defaclnamespace = %(nsp)s ORDER BY 1, 2"
        ):
            if objtype not in objects:
                continue
            for grantee, privileges, grantable in self._explode(acl, role, quoted=False):
                option = " WITH GRANT OPTION" if grantable else ""
                to, args = ("PUBLIC", "") if grantee is None else ("%I", ", " + _literal(grantee))
                # The target schema's name is unknown until replay: there it is current_schema().
                self.post(
                    f"default-privileges {role} {objects[objtype].lower()}",
                    "DO $resguardo$ BEGIN EXECUTE pg_catalog.format("
                    f"'ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT {privileges} ON {objects[objtype]}"
                    f" TO {to}{option}', {_literal(role)}, pg_catalog.current_schema(){args}); END $resguardo$",
                )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"

"""The schema's relations and their columns as the catalog holds them (what the pre-data is written from:
app/engine/catalog/schema_ddl_tables.py), and their owners and access lists for the manifest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.engine.catalog.schema_ddl_base import Extraction, own

_STORAGE = {"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}
_COMPRESSION = {"p": "pglz", "l": "lz4"}
REL_KINDS = {
    "r": ("table", "TABLE"),
    "p": ("table", "TABLE"),
    "v": ("view", "VIEW"),
    "m": ("materialized-view", "MATERIALIZED VIEW"),
    "S": ("sequence", "SEQUENCE"),
}


@dataclass(frozen=True)
class TableCopy:
    """What the backup needs to COPY one table's rows."""

    name: str
    columns: list[dict[str, str]]  # COPY column list: {"name", "type"}; generated columns left out
    size_bytes: int  # size on disk, TOAST included: its weight in the progress bar, and who copies it


@dataclass
class Rel:
    oid: int
    name: str
    q: str
    kind: str  # pg_class.relkind
    persistence: str
    options: list[str]
    ispartition: bool
    oftype: int
    rowsecurity: bool
    forcerowsecurity: bool
    replident: str
    populated: bool
    method: str | None  # table access method, when not heap
    size: int
    parents: list[tuple[int, str]] = field(default_factory=list)  # (oid, quoted name), in inheritance order
    has_children: bool = False
    owned_by: tuple[int, str] | None = None  # sequences: (table oid, quoted column) of an owning column
    identity: bool = False  # sequences behind an identity column


@dataclass
class Column:
    num: int
    name: str
    q: str
    typ: str
    notnull: bool
    identity: str
    generated: str
    default_oid: int | None
    collation: str | None
    local: bool
    stattarget: int
    storage: str | None  # when not the type's own
    compression: str | None
    options: list[str]
    acl: list[str] | None
    sequence: list[str] | None  # identity sequence: name, start, increment, min, max, cache, cycle
    default: str | None = None
    not_null_name: str | None = None  # PostgreSQL 18: a not-null constraint's name, when not the usual one
    not_null_inherit: bool = True


def read_relations(x: Extraction) -> list[Rel]:
    """Tables, partitioned tables, views, materialized views and sequences of the schema, by name."""
    rows = x.q(
        "SELECT c.oid, c.relname, pg_catalog.quote_ident(c.relname), c.relkind, c.relpersistence,"
        " coalesce(c.reloptions, '{}') || coalesce((SELECT pg_catalog.array_agg('toast.' || o)"
        "  FROM pg_catalog.unnest(t.reloptions) o), '{}'), c.relispartition, c.reloftype, c.relrowsecurity,"
        " c.relforcerowsecurity, c.relreplident, c.relispopulated,"
        " CASE WHEN m.amname <> 'heap' THEN pg_catalog.quote_ident(m.amname) END,"
        " pg_catalog.pg_table_size(c.oid),"
        " EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhparent = c.oid),"
        " (SELECT ARRAY[d.refobjid::pg_catalog.text, pg_catalog.quote_ident(a.attname), d.deptype::pg_catalog.text]"
        "  FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid"
        "  AND a.attnum = d.refobjsubid WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
        "  AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass"
        "  AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i') LIMIT 1)"
        " FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_class t ON t.oid = c.reltoastrelid"
        " LEFT JOIN pg_catalog.pg_am m ON m.oid = c.relam"
        " WHERE c.oid = ANY(%(rels)s::pg_catalog.oid[]) AND c.relnamespace = %(nsp)s"
        " AND c.relkind IN ('r', 'p', 'v', 'm', 'S')"
        " AND " + own("pg_class", "c.oid") + ' ORDER BY c.relname COLLATE "C"'
    )
    rels = []
    for (
        oid,
        name,
        q,
        kind,
        pers,
        opts,
        ispart,
        oftype,
        rls,
        force,
        replident,
        populated,
        method,
        size,
        children,
        owned,
    ) in rows:
        rel = Rel(
            oid,
            name,
            q,
            kind,
            pers,
            list(opts),
            ispart,
            oftype,
            rls,
            force,
            replident,
            populated,
            method,
            size,
            has_children=children,
        )
        if owned:
            rel.owned_by = (int(owned[0]), owned[1])
            rel.identity = owned[2] == "i"
        rels.append(rel)
    by_oid = {r.oid: r for r in rels}
    for child, parent, qparent in x.q(
        "SELECT i.inhrelid, i.inhparent, pg_catalog.quote_ident(p.relname) FROM pg_catalog.pg_inherits i"
        " JOIN pg_catalog.pg_class p ON p.oid = i.inhparent"
        " WHERE p.oid = ANY(%(rels)s::pg_catalog.oid[]) AND p.relnamespace = %(nsp)s"
        " AND p.relkind IN ('r', 'p') ORDER BY i.inhrelid, i.inhseqno"
    ):
        if child in by_oid:
            by_oid[child].parents.append((parent, qparent))
    return rels


def relation_privileges(x: Extraction, rels: list[Rel]) -> None:
    """Owners and ACLs of the relations (and their columns) for the manifest; never statements."""
    acls = {
        oid: (owner, list(acl))
        for oid, owner, acl in x.q(
            "SELECT c.oid, pg_catalog.pg_get_userbyid(c.relowner), coalesce(c.relacl, pg_catalog.acldefault("
            " CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner))::pg_catalog.text[]"
            " FROM pg_catalog.pg_class c WHERE c.oid = ANY(%(oids)s)",
            {"oids": [r.oid for r in rels]},
        )
    }
    columns: dict[int, dict[str, list[str]]] = {}
    for rel, name, acl in x.q(
        "SELECT a.attrelid, a.attname, a.attacl::pg_catalog.text[] FROM pg_catalog.pg_attribute a"
        " WHERE a.attrelid = ANY(%(oids)s) AND a.attacl IS NOT NULL AND NOT a.attisdropped"
        " ORDER BY a.attrelid, a.attnum",
        {"oids": [r.oid for r in rels]},
    ):
        columns.setdefault(rel, {})[name] = list(acl)
    for r in rels:
        owner, acl = acls[r.oid]
        entry: dict[str, Any] = {"kind": REL_KINDS[r.kind][0], "name": r.name, "owner": owner, "acl": acl}
        if r.oid in columns:
            entry["columns"] = columns[r.oid]
        x.privileges.append(entry)


def read_columns(x: Extraction, oids: list[int]) -> dict[int, list[Column]]:
    if not oids:
        return {}
    stat = "coalesce(a.attstattarget, -1)" if x.version >= 170000 else "a.attstattarget"
    rows = x.q(
        "SELECT a.attrelid, a.attnum, a.attname, pg_catalog.quote_ident(a.attname), a.atttypid, a.atttypmod,"
        " a.attnotnull, a.attidentity, a.attgenerated, ad.oid, a.attcollation, t.typcollation, a.attislocal,"
        f" {stat}, CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage END, a.attcompression,"
        " coalesce(a.attoptions, '{}'), a.attacl::pg_catalog.text[],"
        " (SELECT ARRAY[pg_catalog.quote_ident(s.relname), q.seqstart::pg_catalog.text,"
        "   q.seqincrement::pg_catalog.text, q.seqmin::pg_catalog.text, q.seqmax::pg_catalog.text,"
        "   q.seqcache::pg_catalog.text, q.seqcycle::pg_catalog.text]"
        "  FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class s ON s.oid = d.objid"
        "  JOIN pg_catalog.pg_sequence q ON q.seqrelid = s.oid"
        "  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refobjid = a.attrelid"
        "  AND d.refobjsubid = a.attnum AND d.deptype = 'i' LIMIT 1)"
        " FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
        " LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum"
        " WHERE a.attrelid = ANY(%(oids)s) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum",
        {"oids": oids},
    )
    types = x.types([(r[4], r[5]) for r in rows])
    collations = x.refs("pg_collation", [r[10] for r in rows if r[10] and r[10] != r[11]])
    defaults = x.deparser.expressions("default", [r[9] for r in rows if r[9]])
    out: dict[int, list[Column]] = {}
    for row, typ in zip(rows, types, strict=True):
        (
            rel,
            num,
            name,
            q,
            _,
            _,
            notnull,
            identity,
            generated,
            default_oid,
            coll,
            typcoll,
            local,
            stattarget,
            storage,
            compression,
            options,
            acl,
            sequence,
        ) = row
        column = Column(
            num,
            name,
            q,
            typ,
            notnull,
            identity,
            generated,
            default_oid,
            collations[coll].text if coll and coll != typcoll else None,
            local,
            stattarget,
            _STORAGE.get(storage) if storage else None,
            _COMPRESSION.get(compression or ""),
            list(options),
            acl,
            sequence,
            defaults.get(default_oid) if default_oid else None,
        )
        out.setdefault(rel, []).append(column)
        if default_oid:
            x.parts[("pg_attrdef", default_oid)] = (("pg_class", rel), num)
    if x.version >= 180000:
        by_rel = {rel: {c.num: c for c in cols} for rel, cols in out.items()}
        for con, rel, num, conname, qconname, relname, qrelname, attname, noinherit in x.q(
            "SELECT o.oid, o.conrelid, o.conkey[1], o.conname, pg_catalog.quote_ident(o.conname), c.relname,"
            " pg_catalog.quote_ident(c.relname), a.attname, o.connoinherit"
            " FROM pg_catalog.pg_constraint o JOIN pg_catalog.pg_class c ON c.oid = o.conrelid"
            " JOIN pg_catalog.pg_attribute a ON a.attrelid = o.conrelid AND a.attnum = o.conkey[1]"
            " WHERE o.contype = 'n' AND o.convalidated AND o.conrelid = ANY(%(oids)s)",
            {"oids": oids},
        ):
            named = by_rel.get(rel, {}).get(num)
            x.comment_on(("pg_constraint", con, 0), f"CONSTRAINT {qconname} ON {qrelname}")
            if named is not None:
                named.not_null_name = None if conname == f"{relname}_{attname}_not_null" else qconname
                named.not_null_inherit = not noinherit
    return out

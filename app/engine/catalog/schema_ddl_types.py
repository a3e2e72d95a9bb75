"""The schema's collations and types (enums, ranges, domains with their checks, composites), as DDL."""

from __future__ import annotations

from typing import Any

from app.engine.catalog.schema_ddl_base import Extraction, literal, own, owner_acl
from app.engine.catalog.schema_ddl_order import Block, Separable
from app.engine.errors import PreflightError

_PROVIDERS = {"c": "libc", "i": "icu", "b": "builtin"}


# -- collations -------------------------------------------------------------------------------------


def write_collations(x: Extraction) -> None:
    v = x.version
    locale = "o.colllocale" if v >= 170000 else "o.colliculocale" if v >= 150000 else "NULL::pg_catalog.text"
    rules = "o.collicurules" if v >= 160000 else "NULL::pg_catalog.text"
    for oid, name, qname, provider, deterministic, collate, ctype, loc, icurules, owner in x.q(
        "SELECT o.oid, o.collname, pg_catalog.quote_ident(o.collname), o.collprovider, o.collisdeterministic,"
        f" o.collcollate, o.collctype, {locale}, {rules}, pg_catalog.pg_get_userbyid(o.collowner)"
        " FROM pg_catalog.pg_collation o WHERE o.collnamespace = %(nsp)s AND "
        + own("pg_collation", "o.oid")
        + " ORDER BY o.oid"
    ):
        if provider not in _PROVIDERS:
            raise PreflightError(
                f"The collation {name} of {x.schema!r} has a provider this program does not know "
                f"({provider!r}); use the custom (pg_dump) format."
            )
        parts = [f"provider = {_PROVIDERS[provider]}"]
        if not deterministic:
            parts.append("deterministic = false")
        if provider != "c":
            parts.append(f"locale = {literal(loc if loc is not None else collate)}")
        elif collate == ctype:
            parts.append(f"locale = {literal(collate)}")
        else:
            parts += [f"lc_collate = {literal(collate)}", f"lc_ctype = {literal(ctype)}"]
        if icurules:
            parts.append(f"rules = {literal(icurules)}")
        x.add(
            ("pg_collation", oid),
            "collation",
            name,
            [(f"collation {name}", f"CREATE COLLATION {qname} ({', '.join(parts)})")],
        )
        x.comment_on(("pg_collation", oid, 0), f"COLLATION {qname}")
        owner_acl(x, "collation", name, owner, None)


# -- types ------------------------------------------------------------------------------------------


def write_types(x: Extraction) -> None:
    rows = x.q(
        "SELECT t.oid, t.typname, pg_catalog.quote_ident(t.typname), t.typtype, t.typrelid, t.typbasetype,"
        " t.typtypmod, t.typnotnull, t.typcollation, coalesce(b.typcollation, 0),"
        " pg_catalog.pg_get_userbyid(t.typowner),"
        " coalesce(t.typacl, pg_catalog.acldefault('T', t.typowner))::pg_catalog.text[]"
        " FROM pg_catalog.pg_type t LEFT JOIN pg_catalog.pg_type b ON b.oid = t.typbasetype"
        " WHERE t.oid = ANY(%(types)s::pg_catalog.oid[]) AND t.typnamespace = %(nsp)s AND "
        + own("pg_type", "t.oid")
        + " AND (t.typtype IN ('e', 'd', 'r')"
        "  OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c'))"
        " ORDER BY t.oid"
    )
    by_kind: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_kind.setdefault(row[3], []).append(row)
    _enums(x, by_kind.get("e", []))
    _ranges(x, by_kind.get("r", []))
    _domains(x, by_kind.get("d", []))
    _composites(x, by_kind.get("c", []))
    for oid, name, qname, typtype, *_, owner, acl in rows:
        word = "DOMAIN" if typtype == "d" else "TYPE"
        x.comment_on(("pg_type", oid, 0), f"{word} {qname}")
        owner_acl(x, "type", name, owner, acl)


def _enums(x: Extraction, rows: list[tuple[Any, ...]]) -> None:
    labels: dict[int, list[str]] = {}
    for typ, label in x.q(
        "SELECT e.enumtypid, e.enumlabel FROM pg_catalog.pg_enum e"
        " WHERE e.enumtypid = ANY(%(oids)s) ORDER BY e.enumtypid, e.enumsortorder",
        {"oids": [r[0] for r in rows]},
    ):
        labels.setdefault(typ, []).append(literal(label))
    for oid, name, qname, *_ in rows:
        x.add(
            ("pg_type", oid),
            "type",
            name,
            [(f"type {name}", f"CREATE TYPE {qname} AS ENUM ({', '.join(labels.get(oid, []))})")],
        )


def _ranges(x: Extraction, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    info = x.q(
        "SELECT r.rngtypid, r.rngsubtype, r.rngcollation, s.typcollation, r.rngsubopc, c.opcdefault,"
        " r.rngsubdiff::pg_catalog.oid, r.rngcanonical::pg_catalog.oid, pg_catalog.quote_ident(m.typname)"
        " FROM pg_catalog.pg_range r JOIN pg_catalog.pg_type s ON s.oid = r.rngsubtype"
        " JOIN pg_catalog.pg_opclass c ON c.oid = r.rngsubopc"
        " LEFT JOIN pg_catalog.pg_type m ON m.oid = r.rngmultitypid WHERE r.rngtypid = ANY(%(oids)s)",
        {"oids": [r[0] for r in rows]},
    )
    subtypes = dict(zip([i[0] for i in info], x.types([(i[1], None) for i in info]), strict=True))
    procs = x.refs("pg_proc", [i[6] for i in info])
    classes = x.refs("pg_opclass", [i[4] for i in info if not i[5]])
    collations = x.refs("pg_collation", [i[2] for i in info])
    names = {r[0]: (r[1], r[2]) for r in rows}
    for typ, _, coll, subcoll, opc, opc_default, diff, canonical, multi in info:
        name, qname = names[typ]
        if canonical:
            raise PreflightError(
                f"The range type {name} of {x.schema!r} has a canonical function, which must be "
                "written in C; use the custom (pg_dump) format."
            )
        parts = [f"SUBTYPE = {subtypes[typ]}"]
        if not opc_default:
            parts.append(f"SUBTYPE_OPCLASS = {classes[opc].text}")
        if coll and coll != subcoll:
            parts.append(f"COLLATION = {collations[coll].text}")
        if diff:
            parts.append(f"SUBTYPE_DIFF = {procs[diff].text}")
        if multi:
            parts.append(f"MULTIRANGE_TYPE_NAME = {multi}")
        x.add(("pg_type", typ), "type", name, [(f"type {name}", f"CREATE TYPE {qname} AS RANGE ({', '.join(parts)})")])


def _domains(x: Extraction, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    oids = [r[0] for r in rows]
    bases = x.types([(r[5], r[6]) for r in rows])
    defaults = x.deparser.expressions("domain_default", oids)
    collations = x.refs("pg_collation", [r[8] for r in rows if r[8] and r[8] != r[9]])
    constraints: dict[int, list[tuple[Any, ...]]] = {}
    found = x.q(
        "SELECT o.oid, o.contypid, o.conname, pg_catalog.quote_ident(o.conname), o.contype, o.convalidated"
        ' FROM pg_catalog.pg_constraint o WHERE o.contypid = ANY(%(oids)s) ORDER BY o.conname COLLATE "C"',
        {"oids": oids},
    )
    definitions = x.deparser.definitions("constraint", [c[0] for c in found])
    for c in found:
        constraints.setdefault(c[1], []).append(c)
    for (oid, name, qname, _, _, _, _, notnull, coll, basecoll, *_), base in zip(rows, bases, strict=True):
        head = f"CREATE DOMAIN {qname} AS {base}"
        if coll and coll != basecoll:
            head += f" COLLATE {collations[coll].text}"
        if defaults.get(oid) is not None:
            head += f" DEFAULT {defaults[oid]}"
        named_not_null = False
        checks: dict[int, Separable] = {}
        clauses: dict[int, str] = {}
        for con, _, _cname, qcname, contype, validated in constraints.get(oid, []):
            x.comment_on(("pg_constraint", con, 0), f"CONSTRAINT {qcname} ON DOMAIN {qname}")
            clause = f"CONSTRAINT {qcname} {definitions[con]}"
            if contype == "n":
                head += f" {clause}"
                named_not_null = True
            elif not validated:  # NOT VALID: the rows are not checked, so it comes after them
                x.post_add("domain-constraint", f"type {name}", f"ALTER DOMAIN {qname} ADD {clause}")
            else:
                checks[con] = Separable(set(), (f"type {name}", f"ALTER DOMAIN {qname} ADD {clause}"))
                clauses[con] = clause
        if notnull and not named_not_null:
            head += " NOT NULL"

        def render(
            deferred: frozenset[int], head: str = head, clauses: dict[int, str] = clauses, name: str = name
        ) -> list[Block]:
            inline = "".join(f"\n    {clause}" for con, clause in clauses.items() if con not in deferred)
            return [(f"type {name}", head + inline)]

        x.add_rendered(("pg_type", oid), "type", name, render, set(), checks)
        for con in checks:  # the constraint's own dependencies make it separable (see schema_ddl.py)
            x.parts[("pg_constraint", con)] = (("pg_type", oid), con)


def _composites(x: Extraction, rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    attrs = x.q(
        "SELECT a.attrelid, a.attnum, pg_catalog.quote_ident(a.attname), a.atttypid, a.atttypmod, a.attcollation,"
        " t.typcollation FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
        " WHERE a.attrelid = ANY(%(oids)s) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum",
        {"oids": [r[4] for r in rows]},
    )
    types = x.types([(a[3], a[4]) for a in attrs])
    collations = x.refs("pg_collation", [a[5] for a in attrs if a[5] and a[5] != a[6]])
    lines: dict[int, list[str]] = {}
    names = {r[4]: r[2] for r in rows}
    for (rel, num, qattr, _, _, coll, typcoll), typ in zip(attrs, types, strict=True):
        suffix = f" COLLATE {collations[coll].text}" if coll and coll != typcoll else ""
        lines.setdefault(rel, []).append(f"    {qattr} {typ}{suffix}")
        x.comment_on(("pg_class", rel, num), f"COLUMN {names[rel]}.{qattr}")
    for oid, name, qname, _, relid, *_ in rows:
        body = ",\n".join(lines.get(relid, []))
        x.add(("pg_type", oid), "type", name, [(f"type {name}", f"CREATE TYPE {qname} AS (\n{body}\n)")])
        x.aliases[("pg_class", relid)] = ("pg_type", oid)

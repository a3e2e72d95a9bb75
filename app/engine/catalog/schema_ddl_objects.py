"""The schema's objects other than relations: types, collations, routines, aggregates, operators,
operator classes and families, text search dictionaries and configurations.

Each is written as PostgreSQL would accept it from its owner (operator classes and families need a
superuser; the restore runs those checked statements on its own session). Routines come from
pg_get_functiondef; a `SET search_path` that names the tenant's schema is taken out of the statement and
kept in the manifest (`search_paths`), so the restore can name the schema the tenant ends up in.
"""

from __future__ import annotations

import json
from typing import Any

from pglast.parser import parse_sql_json

from app.engine.catalog.schema_ddl_base import Extraction, literal, own
from app.engine.catalog.schema_ddl_order import Block, Separable
from app.engine.errors import PreflightError

_PROVIDERS = {"c": "libc", "i": "icu", "b": "builtin"}
_MODIFY = {"r": "READ_ONLY", "s": "SHAREABLE", "w": "READ_WRITE"}


def write_objects(x: Extraction) -> list[dict[str, Any]]:
    """Every non-relation object; returns the manifest's `search_paths` entries."""
    _collations(x)
    _types(x)
    search_paths = _routines(x)
    _aggregates(x)
    _operators(x)
    _operator_classes(x)
    _text_search(x)
    return search_paths


def _owner_acl(x: Extraction, kind: str, name: str, owner: str, acl: list[str] | None, **extra: str) -> None:
    entry: dict[str, Any] = {"kind": kind, "name": name, "owner": owner}
    if acl is not None:
        entry["acl"] = list(acl)
    entry.update(extra)
    x.privileges.append(entry)


# -- collations -------------------------------------------------------------------------------------


def _collations(x: Extraction) -> None:
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
        _owner_acl(x, "collation", name, owner, None)


# -- types ------------------------------------------------------------------------------------------


def _types(x: Extraction) -> None:
    rows = x.q(
        "SELECT t.oid, t.typname, pg_catalog.quote_ident(t.typname), t.typtype, t.typrelid, t.typbasetype,"
        " t.typtypmod, t.typnotnull, t.typcollation, coalesce(b.typcollation, 0),"
        " pg_catalog.pg_get_userbyid(t.typowner),"
        " coalesce(t.typacl, pg_catalog.acldefault('T', t.typowner))::pg_catalog.text[]"
        " FROM pg_catalog.pg_type t LEFT JOIN pg_catalog.pg_type b ON b.oid = t.typbasetype"
        " WHERE t.typnamespace = %(nsp)s AND " + own("pg_type", "t.oid") + " AND (t.typtype IN ('e', 'd', 'r')"
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
        _owner_acl(x, "type", name, owner, acl)


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


# -- routines ---------------------------------------------------------------------------------------


def _routines(x: Extraction) -> list[dict[str, Any]]:
    rows = x.q(
        "SELECT p.oid, p.proname, pg_catalog.quote_ident(p.proname), p.prokind, p.proconfig,"
        " pg_catalog.pg_get_userbyid(p.proowner),"
        " coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))::pg_catalog.text[]"
        " FROM pg_catalog.pg_proc p WHERE p.pronamespace = %(nsp)s AND p.prokind IN ('f', 'p', 'w')"
        " AND " + own("pg_proc", "p.oid") + " ORDER BY p.proname, p.oid"
    )
    oids = [r[0] for r in rows]
    definitions = x.deparser.definitions("function", oids)
    identities = x.deparser.definitions("identity_arguments", oids)
    search_paths: list[dict[str, Any]] = []
    for oid, name, qname, kind, config, owner, acl in rows:
        word, kind_name = ("PROCEDURE", "procedure") if kind == "p" else ("FUNCTION", "function")
        args = identities[oid]
        prefix = f"CREATE OR REPLACE {word} {x.qschema}.{qname}("
        definition = definitions[oid]
        if not definition.startswith(prefix):
            raise PreflightError(f"Cannot read the definition of the {kind_name} {name!r} in {x.schema!r}.")
        text = f"CREATE {word} {qname}(" + definition[len(prefix) :]
        path = _tenant_search_path(config or [], x.schema)
        if path is not None:
            text = _without_search_path(text, f"{kind_name} {name}({args})")
            search_paths.append({"kind": kind_name, "name": f"{name}({args})", "search_path": path})
        x.add(("pg_proc", oid), "function", f"{name}({args})", [(f"{kind_name} {name}({args})", text)])
        x.comment_on(("pg_proc", oid, 0), f"{word} {qname}({args})")
        _owner_acl(x, kind_name, f"{name}({args})", owner, acl, args=args)
    return search_paths


def _tenant_search_path(config: list[str], schema: str) -> list[str | None] | None:
    """The routine's `search_path` setting as a list with None for the tenant's schema, if it names it."""
    for item in config:
        setting, _, value = item.partition("=")
        if setting == "search_path":
            elements = split_search_path(value)
            return [None if e == schema else e for e in elements] if schema in elements else None
    return None


def split_search_path(value: str) -> list[str]:
    """`a, "B c", $user` (PostgreSQL's flattened list) -> ['a', 'B c', '$user']."""
    elements: list[str] = []
    i, n = 0, len(value)
    while i < n:
        while i < n and value[i] in " ,":
            i += 1
        if i >= n:
            break
        if value[i] == '"':
            j, part = i + 1, []
            while j < n:
                if value[j] == '"' and value[j + 1 : j + 2] == '"':
                    part.append('"')
                    j += 2
                elif value[j] == '"':
                    break
                else:
                    part.append(value[j])
                    j += 1
            elements.append("".join(part))
            i = j + 1
        else:
            j = value.find(",", i)
            j = n if j < 0 else j
            elements.append(value[i:j].strip())
            i = j
    return elements


def _without_search_path(text: str, what: str) -> str:
    """The routine's statement without its `SET search_path` line, checked by PostgreSQL's parser: the
    result must be the same statement, that setting aside."""
    lines = text.split("\n")
    found = [i for i, line in enumerate(lines) if line.startswith(" SET search_path TO ")]
    if len(found) == 1:
        shorter = "\n".join(lines[: found[0]] + lines[found[0] + 1 :])
        if _tree(shorter) == _tree(text, drop_search_path=True):
            return shorter
    raise PreflightError(
        f"Cannot write the search_path setting of the {what} so that it restores under another "
        "name; use the custom (pg_dump) format."
    )


def _tree(text: str, *, drop_search_path: bool = False) -> Any:
    tree = _strip_locations(json.loads(parse_sql_json(text)))
    if drop_search_path:
        stmt = tree["stmts"][0]["stmt"]["CreateFunctionStmt"]
        stmt["options"] = [
            o
            for o in stmt["options"]
            if not (
                o["DefElem"]["defname"] == "set"
                and o["DefElem"]["arg"].get("VariableSetStmt", {}).get("name") == "search_path"
            )
        ]
    return tree


def _strip_locations(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_locations(v) for k, v in node.items() if not k.endswith("location") and k != "stmt_len"}
    if isinstance(node, list):
        return [_strip_locations(v) for v in node]
    return node


# -- aggregates -------------------------------------------------------------------------------------


def _aggregates(x: Extraction) -> None:
    rows = x.q(
        "SELECT p.oid, p.proname, pg_catalog.quote_ident(p.proname), p.proparallel, a.aggkind,"
        " a.aggtransfn::pg_catalog.oid, a.aggfinalfn::pg_catalog.oid, a.aggcombinefn::pg_catalog.oid,"
        " a.aggserialfn::pg_catalog.oid, a.aggdeserialfn::pg_catalog.oid, a.aggmtransfn::pg_catalog.oid,"
        " a.aggminvtransfn::pg_catalog.oid, a.aggmfinalfn::pg_catalog.oid, a.aggfinalextra, a.aggmfinalextra,"
        " a.aggfinalmodify, a.aggmfinalmodify, a.aggsortop,"
        " a.aggtranstype, a.aggtransspace, a.aggmtranstype, a.aggmtransspace, a.agginitval, a.aggminitval,"
        " pg_catalog.pg_get_userbyid(p.proowner),"
        " coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))::pg_catalog.text[]"
        " FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid"
        " WHERE p.pronamespace = %(nsp)s AND p.prokind = 'a' AND "
        + own("pg_proc", "p.oid")
        + " ORDER BY p.proname, p.oid"
    )
    if not rows:
        return
    oids = [r[0] for r in rows]
    arguments = x.deparser.definitions("arguments", oids)
    identities = x.deparser.definitions("identity_arguments", oids)
    procs = x.refs("pg_proc", [f for r in rows for f in r[5:13]])
    operators = x.refs("pg_operator", [r[17] for r in rows])
    types = iter(x.types([(t, None) for r in rows for t in (r[18], r[20]) if t]))
    for (
        oid,
        name,
        qname,
        parallel,
        kind,
        transfn,
        finalfn,
        combinefn,
        serialfn,
        deserialfn,
        mtransfn,
        minvfn,
        mfinalfn,
        finalextra,
        mfinalextra,
        finalmodify,
        mfinalmodify,
        sortop,
        _transtype,
        transspace,
        _mtranstype,
        mtransspace,
        initval,
        minitval,
        owner,
        acl,
    ) in rows:
        default_modify = "r" if kind == "n" else "w"
        opts = [f"SFUNC = {procs[transfn].text}", f"STYPE = {next(types)}"]
        opts += [f"SSPACE = {transspace}"] if transspace else []
        opts += [f"FINALFUNC = {procs[finalfn].text}"] if finalfn else []
        opts += ["FINALFUNC_EXTRA"] if finalextra else []
        opts += [f"FINALFUNC_MODIFY = {_MODIFY[finalmodify]}"] if finalmodify != default_modify else []
        opts += [f"COMBINEFUNC = {procs[combinefn].text}"] if combinefn else []
        opts += [f"SERIALFUNC = {procs[serialfn].text}"] if serialfn else []
        opts += [f"DESERIALFUNC = {procs[deserialfn].text}"] if deserialfn else []
        opts += [f"INITCOND = {literal(initval)}"] if initval is not None else []
        if mtransfn:
            opts += [f"MSFUNC = {procs[mtransfn].text}", f"MINVFUNC = {procs[minvfn].text}", f"MSTYPE = {next(types)}"]
            opts += [f"MSSPACE = {mtransspace}"] if mtransspace else []
            opts += [f"MFINALFUNC = {procs[mfinalfn].text}"] if mfinalfn else []
            opts += ["MFINALFUNC_EXTRA"] if mfinalextra else []
            opts += [f"MFINALFUNC_MODIFY = {_MODIFY[mfinalmodify]}"] if mfinalmodify != default_modify else []
            opts += [f"MINITCOND = {literal(minitval)}"] if minitval is not None else []
        opts += [f"SORTOP = {operators[sortop].operator()}"] if sortop else []
        opts += [f"PARALLEL = {'SAFE' if parallel == 's' else 'RESTRICTED'}"] if parallel in ("s", "r") else []
        opts += ["HYPOTHETICAL"] if kind == "h" else []
        args, identity = arguments[oid] or "*", identities[oid] or "*"
        body = ",\n    ".join(opts)
        x.add(
            ("pg_proc", oid),
            "aggregate",
            f"{name}({identity})",
            [(f"aggregate {name}({identity})", f"CREATE AGGREGATE {qname}({args}) (\n    {body}\n)")],
        )
        x.comment_on(("pg_proc", oid, 0), f"AGGREGATE {qname}({identity})")
        _owner_acl(x, "aggregate", f"{name}({identities[oid]})", owner, acl, args=identities[oid])


# -- operators, operator classes and families -------------------------------------------------------


def _operators(x: Extraction) -> None:
    rows = x.q(
        "SELECT o.oid, o.oprname, o.oprleft, o.oprright, o.oprcode::pg_catalog.oid, o.oprrest::pg_catalog.oid,"
        " o.oprjoin::pg_catalog.oid, o.oprcom, o.oprnegate,"
        " o.oprcanhash, o.oprcanmerge, pg_catalog.pg_get_userbyid(o.oprowner)"
        " FROM pg_catalog.pg_operator o WHERE o.oprnamespace = %(nsp)s AND o.oprcode <> 0"
        " AND " + own("pg_operator", "o.oid") + " ORDER BY o.oprname, o.oid"
    )
    if not rows:
        return
    procs = x.refs("pg_proc", [f for r in rows for f in r[4:7]])
    operators = x.refs("pg_operator", [o for r in rows for o in r[7:9]])
    identities = x.deparser.definitions("operator", [r[0] for r in rows])
    types = iter(x.types([(t, None) for r in rows for t in r[2:4] if t]))
    for oid, name, left, right, code, rest, join, com, negate, hashes, merges, owner in rows:
        ltype = next(types) if left else None
        rtype = next(types) if right else None
        opts = [f"FUNCTION = {procs[code].text}"]
        opts += [f"LEFTARG = {ltype}"] if ltype else []
        opts += [f"RIGHTARG = {rtype}"] if rtype else []
        opts += [f"COMMUTATOR = {operators[com].operator()}"] if com else []
        opts += [f"NEGATOR = {operators[negate].operator()}"] if negate else []
        opts += [f"RESTRICT = {procs[rest].text}"] if rest else []
        opts += [f"JOIN = {procs[join].text}"] if join else []
        opts += ["HASHES"] if hashes else []
        opts += ["MERGES"] if merges else []
        identity = identities[oid]
        body = ",\n    ".join(opts)
        x.add(
            ("pg_operator", oid),
            "operator",
            identity,
            [(f"operator {identity}", f"CREATE OPERATOR {name} (\n    {body}\n)")],
        )
        x.comment_on(("pg_operator", oid, 0), f"OPERATOR {name} ({ltype or 'NONE'}, {rtype or 'NONE'})")
        _owner_acl(x, "operator", identity, owner, None)


def _operator_classes(x: Extraction) -> None:
    families = x.q(
        "SELECT f.oid, f.opfname, pg_catalog.quote_ident(f.opfname), m.amname, pg_catalog.quote_ident(m.amname),"
        " pg_catalog.pg_get_userbyid(f.opfowner) FROM pg_catalog.pg_opfamily f"
        " JOIN pg_catalog.pg_am m ON m.oid = f.opfmethod WHERE f.opfnamespace = %(nsp)s"
        " AND " + own("pg_opfamily", "f.oid") + " ORDER BY f.opfname, f.oid"
    )
    classes = x.q(
        "SELECT c.oid, c.opcname, pg_catalog.quote_ident(c.opcname), m.amname, pg_catalog.quote_ident(m.amname),"
        " c.opcfamily, c.opcintype, c.opcdefault, c.opckeytype, pg_catalog.pg_get_userbyid(c.opcowner)"
        " FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_am m ON m.oid = c.opcmethod"
        " WHERE c.opcnamespace = %(nsp)s AND " + own("pg_opclass", "c.oid") + " ORDER BY c.opcname, c.oid"
    )
    if not families and not classes:
        return
    owners = [f[0] for f in families] + [c[5] for c in classes]
    # Each member belongs to its class ('i') or, added by ALTER OPERATOR FAMILY, to the family itself ('a').
    members = x.q(
        "SELECT 'o', a.amopfamily, d.refclassid = 'pg_catalog.pg_opclass'::pg_catalog.regclass, d.refobjid,"
        " a.amopstrategy, a.amoplefttype, a.amoprighttype, a.amopopr, a.amoppurpose = 'o', a.amopsortfamily"
        " FROM pg_catalog.pg_amop a JOIN pg_catalog.pg_depend d"
        " ON d.classid = 'pg_catalog.pg_amop'::pg_catalog.regclass"
        " AND d.objid = a.oid AND d.deptype IN ('a', 'i') WHERE a.amopfamily = ANY(%(f)s)"
        " UNION ALL SELECT 'f', p.amprocfamily, d.refclassid = 'pg_catalog.pg_opclass'::pg_catalog.regclass,"
        " d.refobjid, p.amprocnum, p.amproclefttype, p.amprocrighttype, p.amproc::pg_catalog.oid, false,"
        " 0::pg_catalog.oid"
        " FROM pg_catalog.pg_amproc p JOIN pg_catalog.pg_depend d"
        " ON d.classid = 'pg_catalog.pg_amproc'::pg_catalog.regclass AND d.objid = p.oid AND d.deptype IN ('a', 'i')"
        " WHERE p.amprocfamily = ANY(%(f)s) ORDER BY 1 DESC, 5, 6, 7",
        {"f": owners},
    )
    procs = [m[7] for m in members if m[0] == "f"]
    arg_types = dict(
        x.q(
            "SELECT p.oid, p.proargtypes::pg_catalog.oid[] FROM pg_catalog.pg_proc p WHERE p.oid = ANY(%(p)s)",
            {"p": procs},
        )
    )
    type_oids = sorted(
        {t for m in members for t in m[5:7]}
        | {c[6] for c in classes}
        | {c[8] for c in classes}
        | {t for a in arg_types.values() for t in a} - {0}
    )
    type_names = dict(zip(type_oids, x.types([(t, None) for t in type_oids]), strict=True))
    ops = x.refs("pg_operator", [m[7] for m in members if m[0] == "o"])
    proc_refs = x.refs("pg_proc", procs)
    fams = x.refs("pg_opfamily", [c[5] for c in classes] + [m[9] for m in members if m[9]])
    items: dict[tuple[bool, int], list[str]] = {}
    deps: dict[tuple[bool, int], set[tuple[str, int]]] = {}
    for kind, _, by_class, owner_oid, number, left, right, obj, ordering, sortfam in members:
        types = f"{type_names[left]}, {type_names[right]}"
        if kind == "o":
            text = f"OPERATOR {number} {ops[obj].text}({types})"
            text += f" FOR ORDER BY {fams[sortfam].text}" if ordering else ""
            dep = ("pg_operator", obj)
        else:
            signature = ", ".join(type_names[t] for t in arg_types[obj])
            text = f"FUNCTION {number} ({types}) {proc_refs[obj].text}({signature})"
            dep = ("pg_proc", obj)
        items.setdefault((by_class, owner_oid), []).append(text)
        deps.setdefault((by_class, owner_oid), set()).update({dep, ("pg_type", left), ("pg_type", right)})
    for oid, name, qname, am, qam, owner in families:
        x.add(
            ("pg_opfamily", oid),
            "operator-family",
            name,
            [(f"operator-family {name}", f"CREATE OPERATOR FAMILY {qname} USING {qam}")],
        )
        loose = items.get((False, oid))
        if loose:
            x.add(
                ("opfamily-members", oid),
                "operator-family-members",
                name,
                [
                    (
                        f"operator-family {name}",
                        f"ALTER OPERATOR FAMILY {qname} USING {qam} ADD\n    " + ",\n    ".join(loose),
                    )
                ],
                deps[(False, oid)] | {("pg_opfamily", oid)},
            )
        x.comment_on(("pg_opfamily", oid, 0), f"OPERATOR FAMILY {qname} USING {qam}")
        _owner_acl(x, "operator-family", name, owner, None, method=am)
    for oid, name, qname, am, qam, family, intype, default, keytype, owner in classes:
        body = list(items.get((True, oid), []))
        if keytype:
            body.append(f"STORAGE {type_names[keytype]}")
        head = (
            f"CREATE OPERATOR CLASS {qname}{' DEFAULT' if default else ''} FOR TYPE {type_names[intype]}"
            f" USING {qam} FAMILY {fams[family].text} AS\n    "
        )
        x.add(
            ("pg_opclass", oid),
            "operator-class",
            name,
            [(f"operator-class {name}", head + ",\n    ".join(body or [f"STORAGE {type_names[intype]}"]))],
            deps.get((True, oid), set())
            | {("pg_opfamily", family), ("pg_type", intype), ("pg_type", keytype)} - {("pg_type", 0)},
        )
        x.comment_on(("pg_opclass", oid, 0), f"OPERATOR CLASS {qname} USING {qam}")
        _owner_acl(x, "operator-class", name, owner, None, method=am)


# -- text search ------------------------------------------------------------------------------------


def _text_search(x: Extraction) -> None:
    dicts = x.q(
        "SELECT d.oid, d.dictname, pg_catalog.quote_ident(d.dictname), d.dicttemplate, d.dictinitoption,"
        " pg_catalog.pg_get_userbyid(d.dictowner) FROM pg_catalog.pg_ts_dict d WHERE d.dictnamespace = %(nsp)s"
        " AND " + own("pg_ts_dict", "d.oid") + " ORDER BY d.dictname, d.oid"
    )
    templates = x.refs("pg_ts_template", [d[3] for d in dicts])
    for oid, name, qname, template, options, owner in dicts:
        body = f"TEMPLATE = {templates[template].text}" + (f", {options}" if options else "")
        x.add(
            ("pg_ts_dict", oid),
            "text-search-dictionary",
            name,
            [(f"text-search-dictionary {name}", f"CREATE TEXT SEARCH DICTIONARY {qname} ({body})")],
        )
        x.comment_on(("pg_ts_dict", oid, 0), f"TEXT SEARCH DICTIONARY {qname}")
        _owner_acl(x, "text-search-dictionary", name, owner, None)
    configs = x.q(
        "SELECT c.oid, c.cfgname, pg_catalog.quote_ident(c.cfgname), c.cfgparser,"
        " pg_catalog.pg_get_userbyid(c.cfgowner) FROM pg_catalog.pg_ts_config c WHERE c.cfgnamespace = %(nsp)s"
        " AND " + own("pg_ts_config", "c.oid") + " ORDER BY c.cfgname, c.oid"
    )
    if not configs:
        return
    maps = x.q(
        "SELECT m.mapcfg, m.maptokentype, pg_catalog.quote_ident(t.alias), m.mapdict"
        " FROM pg_catalog.pg_ts_config_map m JOIN pg_catalog.pg_ts_config c ON c.oid = m.mapcfg"
        " CROSS JOIN LATERAL pg_catalog.ts_token_type(c.cfgparser) t"
        " WHERE m.mapcfg = ANY(%(c)s) AND t.tokid = m.maptokentype ORDER BY m.mapcfg, m.maptokentype, m.mapseqno",
        {"c": [c[0] for c in configs]},
    )
    parsers = x.refs("pg_ts_parser", [c[3] for c in configs])
    dict_refs = x.refs("pg_ts_dict", [m[3] for m in maps])
    tokens: dict[int, dict[tuple[int, str], list[str]]] = {}
    for cfg, tokid, alias, dictionary in maps:
        tokens.setdefault(cfg, {}).setdefault((tokid, alias), []).append(dict_refs[dictionary].text)
    for oid, name, qname, parser, owner in configs:
        blocks = [
            (
                f"text-search-configuration {name}",
                f"CREATE TEXT SEARCH CONFIGURATION {qname} (PARSER = {parsers[parser].text})",
            )
        ]
        by_dicts: dict[tuple[str, ...], list[str]] = {}
        for (_, alias), dictionaries in tokens.get(oid, {}).items():
            by_dicts.setdefault(tuple(dictionaries), []).append(alias)
        for chain, aliases in by_dicts.items():
            blocks.append(
                (
                    f"text-search-configuration {name}",
                    f"ALTER TEXT SEARCH CONFIGURATION {qname} ADD MAPPING FOR {', '.join(aliases)}"
                    f" WITH {', '.join(chain)}",
                )
            )
        x.add(("pg_ts_config", oid), "text-search-configuration", name, blocks)
        x.comment_on(("pg_ts_config", oid, 0), f"TEXT SEARCH CONFIGURATION {qname}")
        _owner_acl(x, "text-search-configuration", name, owner, None)

"""The schema's operators, operator classes and operator families, as DDL (classes and families need a superuser)."""

from __future__ import annotations

from app.engine.catalog.schema_ddl_base import Extraction, own, owner_acl

# -- operators, operator classes and families -------------------------------------------------------


def write_operators(x: Extraction) -> None:
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
        owner_acl(x, "operator", identity, owner, None)


def write_operator_classes(x: Extraction) -> None:
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
        owner_acl(x, "operator-family", name, owner, None, method=am)
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
        owner_acl(x, "operator-class", name, owner, None, method=am)

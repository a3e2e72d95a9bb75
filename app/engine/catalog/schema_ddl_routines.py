"""The schema's functions, procedures and aggregates, as DDL; a `SET search_path` naming the tenant is kept apart."""

from __future__ import annotations

import json
from typing import Any

from pglast.parser import parse_sql_json

from app.engine.catalog.schema_ddl_base import Extraction, literal, own, owner_acl
from app.engine.errors import PreflightError

_MODIFY = {"r": "READ_ONLY", "s": "SHAREABLE", "w": "READ_WRITE"}


# -- routines ---------------------------------------------------------------------------------------


def write_routines(x: Extraction) -> list[dict[str, Any]]:
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
        owner_acl(x, kind_name, f"{name}({args})", owner, acl, args=args)
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


def write_aggregates(x: Extraction) -> None:
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
        owner_acl(x, "aggregate", f"{name}({identities[oid]})", owner, acl, args=identities[oid])

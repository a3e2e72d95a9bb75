"""The schema's post-data: what is built after the rows are in.

A `constraint` or `index` block names one table and touches no other, so the restore may build it with
that table's rows (two tables at once). On a partitioned table they are written `ON ONLY` / `ALTER TABLE
ONLY`, each partition gets its own, and `ALTER INDEX ... ATTACH PARTITION` joins them, as pg_dump does:
each partition's index is built with its own rows. Everything else (foreign keys, triggers, rules, row
security, statistics, ...) runs at the end, in the order of POST_PHASES.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

from app.engine.catalog.schema_ddl_base import Extraction, literal
from app.engine.catalog.schema_ddl_relations import Rel

_POLICY_COMMANDS = {"*": "ALL", "r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE"}
_TRIGGER_STATES = {"D": "DISABLE TRIGGER", "R": "ENABLE REPLICA TRIGGER", "A": "ENABLE ALWAYS TRIGGER"}
_RULE_STATES = {"D": "DISABLE RULE", "R": "ENABLE REPLICA RULE", "A": "ENABLE ALWAYS RULE"}


def write_post_data(x: Extraction, rels: list[Rel]) -> list[dict[str, Any]]:
    """Every post-data statement but the refreshes; returns the manifest's sequence values."""
    by_oid = {r.oid: r for r in rels}
    _constraints(x, by_oid)
    _indexes(x, by_oid)
    _triggers(x)
    _rules(x)
    _row_security(x, rels)
    _statistics(x)
    return _sequence_values(x, [r for r in rels if r.kind == "S"])


def _constraints(x: Extraction, rels: dict[int, Rel]) -> None:
    rows = x.q(
        "SELECT o.oid, o.conname, pg_catalog.quote_ident(o.conname), o.conrelid, o.contype,"
        " (SELECT pg_catalog.quote_ident(p.relname) FROM pg_catalog.pg_inherits i"
        "  JOIN pg_catalog.pg_class p ON p.oid = i.inhparent WHERE i.inhrelid = o.conindid),"
        " pg_catalog.quote_ident(x.relname)"
        " FROM pg_catalog.pg_constraint o JOIN pg_catalog.pg_class c ON c.oid = o.conrelid"
        " LEFT JOIN pg_catalog.pg_class x ON x.oid = o.conindid"
        " WHERE c.oid = ANY(%(rels)s::pg_catalog.oid[]) AND c.relnamespace = %(nsp)s AND c.relkind IN ('r', 'p')"
        " AND (o.contype IN ('p', 'u', 'x') OR (o.contype = 'f' AND o.conparentid = 0 AND o.conislocal))"
        ' ORDER BY c.relname COLLATE "C", o.conname COLLATE "C"'
    )
    definitions = x.deparser.definitions("constraint", [r[0] for r in rows])
    for oid, name, qname, rel, contype, parent_index, qindex in rows:
        table = rels[rel]
        x.comment_on(("pg_constraint", oid, 0), f"CONSTRAINT {qname} ON {table.q}")
        if contype == "f":  # recursing into partitions is how a partitioned table gets its foreign key
            x.post_add(
                "foreign-key", f"foreign-key {name}", f"ALTER TABLE {table.q} ADD CONSTRAINT {qname} {definitions[oid]}"
            )
            continue
        # ONLY: a key of a parent builds on the parent alone (without it, ALTER TABLE locks every child).
        only = "ONLY " if table.kind == "p" or table.has_children else ""
        x.post_add(
            "constraint", f"constraint {name}", f"ALTER TABLE {only}{table.q} ADD CONSTRAINT {qname} {definitions[oid]}"
        )
        if parent_index:
            x.post_add("attach-index", f"attach-index {name}", f"ALTER INDEX {parent_index} ATTACH PARTITION {qindex}")


def _indexes(x: Extraction, rels: dict[int, Rel]) -> None:
    rows = x.q(
        "SELECT i.indexrelid, x.relname, pg_catalog.quote_ident(x.relname), i.indrelid, i.indisclustered,"
        " i.indisreplident, EXISTS (SELECT 1 FROM pg_catalog.pg_constraint o WHERE o.conindid = i.indexrelid"
        "  AND o.conrelid = i.indrelid AND o.contype IN ('p', 'u', 'x')),"
        " (SELECT pg_catalog.quote_ident(p.relname) FROM pg_catalog.pg_inherits h"
        "  JOIN pg_catalog.pg_class p ON p.oid = h.inhparent WHERE h.inhrelid = i.indexrelid)"
        " FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indrelid"
        " JOIN pg_catalog.pg_class x ON x.oid = i.indexrelid"
        " WHERE c.oid = ANY(%(rels)s::pg_catalog.oid[]) AND c.relnamespace = %(nsp)s"
        " AND c.relkind IN ('r', 'p', 'm') AND (i.indisvalid OR x.relkind = 'I')"
        ' ORDER BY c.relname COLLATE "C", x.relname COLLATE "C"'
    )
    made = [r[0] for r in rows if not r[6]]
    definitions = x.deparser.definitions("index", made)
    stat = "coalesce(a.attstattarget, -1)" if x.version >= 170000 else "a.attstattarget"
    targets: dict[int, list[str]] = {}
    for index, num, target in x.q(
        f"SELECT a.attrelid, a.attnum, {stat} FROM pg_catalog.pg_attribute a"
        f" WHERE a.attrelid = ANY(%(oids)s) AND {stat} >= 0 ORDER BY 1, 2",
        {"oids": [r[0] for r in rows]},
    ):
        targets.setdefault(index, []).append(f"ALTER COLUMN {num} SET STATISTICS {target}")
    for oid, name, qname, rel, clustered, replident, by_constraint, parent in rows:
        table = rels[rel]
        if not by_constraint:
            x.post_add("index", f"index {name}", _unqualified_index(definitions[oid], x.qschema))
            x.comment_on(("pg_class", oid, 0), f"INDEX {qname}")
            if parent:
                x.post_add("attach-index", f"attach-index {name}", f"ALTER INDEX {parent} ATTACH PARTITION {qname}")
        if oid in targets:
            x.post_add("table-option", f"index {name}", f"ALTER INDEX {qname} {', '.join(targets[oid])}")
        if clustered:
            x.post_add("table-option", f"table {table.name}", f"ALTER TABLE {table.q} CLUSTER ON {qname}")
        if replident and table.replident == "i":
            x.post_add(
                "table-option",
                f"table {table.name}",
                f"ALTER TABLE ONLY {table.q} REPLICA IDENTITY USING INDEX {qname}",
            )


def _unqualified_index(definition: str, qschema: str) -> str:
    """pg_get_indexdef names the table unqualified when visible; older servers always qualify it."""
    for only in ("", "ONLY "):
        qualified = f" ON {only}{qschema}."
        if qualified in definition:
            return definition.replace(qualified, f" ON {only}", 1)
    return definition


def _triggers(x: Extraction) -> None:
    rows = x.q(
        "SELECT g.oid, g.tgname, pg_catalog.quote_ident(g.tgname), pg_catalog.quote_ident(c.relname), g.tgenabled,"
        " g.tgparentid <> 0, (SELECT p.tgenabled FROM pg_catalog.pg_trigger p WHERE p.oid = g.tgparentid)"
        " FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid"
        " WHERE c.oid = ANY(%(rels)s::pg_catalog.oid[]) AND c.relnamespace = %(nsp)s AND NOT g.tgisinternal"
        ' ORDER BY g.tgparentid <> 0, c.relname COLLATE "C", g.tgname COLLATE "C"'
    )
    roots = [r for r in rows if not r[5]]
    definitions = x.deparser.definitions("trigger", [r[0] for r in roots])
    for oid, name, qname, qtable, *_ in roots:
        x.post_add("trigger", f"trigger {name}", definitions[oid])
        x.comment_on(("pg_trigger", oid, 0), f"TRIGGER {qname} ON {qtable}")
    for _, name, qname, qtable, state, cloned, parent_state in rows:
        if state != (parent_state if cloned else "O"):  # a partition's copy may differ from its parent's
            how = _TRIGGER_STATES.get(state, "ENABLE TRIGGER")
            x.post_add("trigger", f"trigger {name}", f"ALTER TABLE {qtable} {how} {qname}")


def _rules(x: Extraction) -> None:
    rows = x.q(
        "SELECT r.oid, r.rulename, pg_catalog.quote_ident(r.rulename), pg_catalog.quote_ident(c.relname), r.ev_enabled"
        " FROM pg_catalog.pg_rewrite r, LATERAL (SELECT c.relname, c.relnamespace FROM pg_catalog.pg_class c"
        "  WHERE c.oid = r.ev_class OFFSET 0) c"  # from the rules, by index: never a pass over pg_class
        " WHERE r.ev_class = ANY(%(rels)s::pg_catalog.oid[]) AND c.relnamespace = %(nsp)s"
        " AND r.rulename <> '_RETURN' ORDER BY c.relname COLLATE \"C\", r.rulename"
    )
    definitions = x.deparser.definitions("rule", [r[0] for r in rows])
    for oid, name, qname, qtable, state in rows:
        x.post_add("rule", f"rule {name}", definitions[oid].strip().rstrip(";"))
        if state != "O":
            x.post_add("rule", f"rule {name}", f"ALTER TABLE {qtable} {_RULE_STATES[state]} {qname}")
        x.comment_on(("pg_rewrite", oid, 0), f"RULE {qname} ON {qtable}")


def _row_security(x: Extraction, rels: list[Rel]) -> None:
    for r in rels:
        if r.rowsecurity:
            x.post_add("row-security", f"row-security {r.name}", f"ALTER TABLE {r.q} ENABLE ROW LEVEL SECURITY")
        if r.forcerowsecurity:
            x.post_add("row-security", f"row-security {r.name}", f"ALTER TABLE {r.q} FORCE ROW LEVEL SECURITY")
    rows = x.q(
        "SELECT p.oid, p.polname, pg_catalog.quote_ident(p.polname), pg_catalog.quote_ident(c.relname), p.polcmd,"
        " p.polpermissive, (SELECT pg_catalog.array_agg(CASE WHEN r.oid = 0 THEN 'PUBLIC'"
        "  ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r.oid)) END ORDER BY r.n)"
        "  FROM pg_catalog.unnest(p.polroles) WITH ORDINALITY AS r(oid, n))"
        " FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid"
        " WHERE c.oid = ANY(%(rels)s::pg_catalog.oid[]) AND c.relnamespace = %(nsp)s"
        ' ORDER BY c.relname COLLATE "C", p.polname'
    )
    oids = [r[0] for r in rows]
    using = x.deparser.expressions("policy_using", oids)
    checks = x.deparser.expressions("policy_check", oids)
    for oid, name, qname, qtable, command, permissive, roles in rows:
        text = f"CREATE POLICY {qname} ON {qtable}"
        text += "" if permissive else " AS RESTRICTIVE"
        text += f" FOR {_POLICY_COMMANDS[command]}"
        if roles and roles != ["PUBLIC"]:
            text += f" TO {', '.join(roles)}"
        if using.get(oid) is not None:
            text += f" USING ({using[oid]})"
        if checks.get(oid) is not None:
            text += f" WITH CHECK ({checks[oid]})"
        x.post_add("policy", f"policy {name}", text)
        x.comment_on(("pg_policy", oid, 0), f"POLICY {qname} ON {qtable}")


def _statistics(x: Extraction) -> None:
    target = "coalesce(s.stxstattarget, -1)" if x.version >= 170000 else "s.stxstattarget"
    rows = x.q(
        f"SELECT s.oid, s.stxname, pg_catalog.quote_ident(s.stxname), {target},"
        " pg_catalog.pg_get_userbyid(s.stxowner)"
        " FROM pg_catalog.pg_statistic_ext s WHERE s.stxnamespace = %(nsp)s ORDER BY s.stxname"
    )
    definitions = x.deparser.definitions("statistics", [r[0] for r in rows])
    for oid, name, qname, stattarget, owner in rows:
        definition = definitions[oid]
        qualified = f"CREATE STATISTICS {x.qschema}."
        if definition.startswith(qualified):  # pg_get_statisticsobjdef always qualifies the object's own name
            definition = "CREATE STATISTICS " + definition[len(qualified) :]
        x.post_add("statistics", f"statistics {name}", definition)
        if stattarget >= 0:
            x.post_add("statistics", f"statistics {name}", f"ALTER STATISTICS {qname} SET STATISTICS {stattarget}")
        x.comment_on(("pg_statistic_ext", oid, 0), f"STATISTICS {qname}")
        x.privileges.append({"kind": "statistics", "name": name, "owner": owner})


_SEQUENCES_PER_QUERY = 500


def _sequence_values(x: Extraction, seqs: list[Rel]) -> list[dict[str, Any]]:
    """Every sequence's state, a few hundred per query (a query each made a 300-table backup wait 0.3 s)."""
    states: dict[int, tuple[Any, Any]] = {}
    for start in range(0, len(seqs), _SEQUENCES_PER_QUERY):
        query = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT {}::pg_catalog.int4, last_value, is_called FROM {}").format(
                sql.Literal(n), sql.Identifier(x.schema, s.name)
            )
            for n, s in enumerate(seqs[start : start + _SEQUENCES_PER_QUERY], start=start)
        )
        states.update((n, (last, called)) for n, last, called in x.conn.execute(query).fetchall())
    values = []
    for n, s in enumerate(seqs):
        last, called = states[n]
        values.append({"name": s.name, "last_value": last, "is_called": called})
        x.post_add(
            "sequence-value",
            f"sequence-value {s.name}",
            f"SELECT pg_catalog.setval({literal(s.q)}, {last}, {str(called).lower()})",
        )
    return values


def write_comments(x: Extraction) -> None:
    """COMMENT ON every object that has one, after everything it could name exists."""
    for classoid, objoid, subid, text in x.q(
        "SELECT d.classoid::pg_catalog.regclass::pg_catalog.text, d.objoid, d.objsubid,"
        " d.description FROM pg_catalog.pg_description d"
        " WHERE d.objoid = ANY(%(oids)s) ORDER BY 1, 2, 3",
        {"oids": sorted({oid for _, oid, _ in x.comment_targets})},
    ):
        target = x.comment_targets.get((classoid, objoid, subid))
        if target is not None:
            x.post_add("comment", f"comment {target}", f"COMMENT ON {target} IS {literal(text)}")

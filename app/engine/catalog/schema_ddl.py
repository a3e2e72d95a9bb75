"""The DDL that recreates one schema's objects in a schema of any name, as `pg_dump -n` would cover them.

Objects of the schema are written unqualified and everything else qualified, by PostgreSQL's own
deparsers run with the schema alone on the search path (app/engine/catalog/tenant_deparse.py: the only
statements run under that path, made of schema-qualified names so a tenant's own operators and
functions are never picked). Replaying the statements with `search_path` = a staging schema of any name
recreates the objects there; every statement is read back with pglast (PostgreSQL's parser), and one that
still names the source schema is refused, as it could not restore elsewhere. Then the parts are read exactly as
the restore reads them (split at their `-- object:` lines, each statement through the SQL gate): a backup never
writes a file its own restore refuses; it names the object instead, and the format that carries it.

Owners and grants are never statements: they are data for the manifest (`privileges`,
`default_privileges`), which the restore maps to the roles it finds. So is a routine's `SET search_path`
naming the schema (`search_paths`): only the restore knows the schema's final name.

Must be called inside the backup's transaction (REPEATABLE READ), so the DDL and the rows come from the
same moment. Module map: schema_ddl_objects (the objects other than relations, in order: schema_ddl_types,
schema_ddl_routines, schema_ddl_operators, schema_ddl_text_search), schema_ddl_tables (relations),
schema_ddl_post (post-data), schema_ddl_order (pre-data order), schema_ddl_base (shared).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from app.engine.archive.container import split_statements, statement_block
from app.engine.catalog.schema_ddl_base import Extraction, own
from app.engine.catalog.schema_ddl_objects import write_objects
from app.engine.catalog.schema_ddl_order import Key, ordered_blocks
from app.engine.catalog.schema_ddl_post import write_comments, write_post_data
from app.engine.catalog.schema_ddl_relations import TableCopy, read_relations, relation_privileges
from app.engine.catalog.schema_ddl_tables import write_relations
from app.engine.catalog.schema_oids import ALL_RELATIONS, ALL_TYPES, by_name
from app.engine.catalog.tenant_deparse import TenantDeparser, source_schema_references
from app.engine.errors import Choice, PreflightError
from app.engine.safety.sql_gate.native import check_native
from app.engine.safety.sql_gate.rules import Rules
from app.engine.safety.sql_gate.verdict import RefusedStatement

__all__ = ["SchemaDDL", "TableCopy", "extract_schema_ddl"]

_DEFAULT_ACL_OBJECTS = {"r": "tables", "S": "sequences", "f": "functions", "T": "types"}


@dataclass
class SchemaDDL:
    schema_owner: str
    pre_data: list[str] = field(default_factory=list)  # statement blocks
    post_data: list[str] = field(default_factory=list)
    tables: list[TableCopy] = field(default_factory=list)
    sequences: list[dict[str, Any]] = field(default_factory=list)
    privileges: list[dict[str, Any]] = field(default_factory=list)
    default_privileges: list[dict[str, Any]] = field(default_factory=list)
    search_paths: list[dict[str, Any]] = field(default_factory=list)

    def manifest_fields(self) -> dict[str, Any]:
        """What a native archive's manifest says about the schema besides its tables (docs/archive-format.md)."""
        return {
            "schema_owner": self.schema_owner,
            "sequences": self.sequences,
            "privileges": self.privileges,
            "default_privileges": self.default_privileges,
            "search_paths": self.search_paths,
        }

    @property
    def pre_data_sql(self) -> str:
        return "".join(self.pre_data)

    @property
    def post_data_sql(self) -> str:
        return "".join(self.post_data)


def extract_schema_ddl(conn: psycopg.Connection, schema: str, *, rel_oids: Sequence[int] | None = None) -> SchemaDDL:
    """Read every object of `schema` and return the statements that rebuild them. `rel_oids`: the oids of every
    pg_class row of the schema, when the caller read them in this same transaction (its snapshot), which spares
    a second pass over pg_class; None: read here."""
    # Resguardo's sessions start so (connection.py); whatever the caller's path was, the tenant leaves it.
    conn.execute("SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true)")
    row = conn.execute(
        "SELECT n.oid, pg_catalog.pg_get_userbyid(n.nspowner), pg_catalog.quote_ident(n.nspname),"
        " coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))::pg_catalog.text[],"
        f" CASE WHEN %(read_rels)s THEN {by_name(ALL_RELATIONS)} END, {by_name(ALL_TYPES)}"
        " FROM pg_catalog.pg_namespace n WHERE n.nspname = %(schema)s",
        {"schema": schema, "read_rels": rel_oids is None},
    ).fetchone()
    if row is None:
        raise PreflightError(f"The schema {schema!r} does not exist.")
    nsp, owner, qschema, nspacl, read_oids, type_oids = row  # one pass over each catalog (schema_ddl_base)
    x = Extraction(conn, schema, nsp, qschema, TenantDeparser(conn, schema), conn.info.server_version)
    x.rel_oids, x.type_oids = list(read_oids if rel_oids is None else rel_oids), list(type_oids)
    x.privileges.append({"kind": "schema", "name": schema, "owner": owner, "acl": list(nspacl)})
    _refuse_what_cannot_be_carried(x)
    ddl = SchemaDDL(schema_owner=owner)
    rels = read_relations(x)
    ddl.search_paths = write_objects(x)
    ddl.tables = write_relations(x, rels)
    relation_privileges(x, rels)
    _dependencies(x, rels)
    pre = ordered_blocks(x.items, lambda key: x.names.get(key, str(key)))
    ddl.sequences = write_post_data(x, rels)
    _refreshes(x, rels, [label for label, _ in pre])
    write_comments(x)
    ddl.default_privileges = _default_privileges(x)
    ddl.pre_data = _restorable(x, pre)
    ddl.post_data = _restorable(x, [block for phase in x.post.values() for block in phase])
    _restorable_search_paths(x, ddl.search_paths)
    ddl.privileges = x.privileges
    return ddl


def _restorable(x: Extraction, blocks: list[tuple[str, str]]) -> list[str]:
    """The part's statement blocks, once the restore's own reading of them gives back each statement as written
    (split_statements) and its gate lets each one through (check_native): a backup never writes what its restore
    would refuse. Refused: PreflightError naming the object, and the format that carries it."""
    written = [_checked(x, label, statement) for label, statement in blocks]
    read = split_statements("".join(written))
    expected = [(one_line(label), (statement.rstrip().rstrip(";") + ";").strip()) for label, statement in blocks]
    for index, (label, statement) in enumerate(expected):
        if index >= len(read) or read[index][1:] != (label, statement):
            raise _not_restorable(
                x, label, "holds a line that begins with '-- object: ', which the native format keeps for its own use"
            )
        line, _, text = read[index]
        try:
            check_native(text, line=line, label=label)
        except RefusedStatement as exc:
            named = exc.outside
            if named is not None and named.catalog is None and named.schema == x.schema:
                raise _not_restorable(
                    x,
                    label,
                    f"names {named.shown()} with its own schema's name, in text that PostgreSQL reads only when it "
                    "runs (a function's body, a name in a string), which a restore cannot follow to the schema's new "
                    f"name; write {named.name} without the schema (a function: with SET search_path = {x.qschema})",
                ) from None
            raise _not_restorable(x, label, exc.cause) from None
    return written


def _restorable_search_paths(x: Extraction, entries: list[dict[str, Any]]) -> None:
    """A routine's search_path naming the tenant is data for the restore; the gate's rule decides what else it
    may name, as the restore checks it (app/engine/archive/manifest.py)."""
    for entry in entries:
        outside = Rules(None).path_outside(entry["search_path"])
        if outside is not None:
            what = f"{entry['kind']} {entry['name']}"
            raise _not_restorable(x, one_line(what), f"has a search_path naming {outside}, outside the tenant")


def _not_restorable(x: Extraction, label: str, cause: str) -> PreflightError:
    return PreflightError(
        f"The {label} of {x.schema!r} could not be restored from a native backup: it {cause}. Change it, or back "
        f"up this clinic in {Choice.CUSTOM_FORMAT} and restore that file with pg_restore.",
        choices=(Choice.CUSTOM_FORMAT,),
    )


def one_line(label: str) -> str:
    """A label as the archive's `-- object:` line holds it: every character that is not printable (a newline in a
    table's name, a bidi control) written as an escape, so the name can never end the line and become SQL."""
    if label.isprintable():  # the usual case, one C call; the same text the loop below would give
        return label
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in label)


def _checked(x: Extraction, label: str, statement: str) -> str:
    """The statement block, once PostgreSQL's parser has read it back and found no name of the source schema."""
    try:
        found = source_schema_references(statement.rstrip().rstrip(";"), x.schema)
    except ValueError as exc:
        raise PreflightError(
            f"Cannot write the {label} of {x.schema!r} as a statement PostgreSQL's parser reads "
            f"back ({exc}); use the custom (pg_dump) format."
        ) from None
    if found:
        raise PreflightError(
            f"The {label} of {x.schema!r} names {', '.join(sorted(set(found)))}, an object of the schema that "
            "PostgreSQL's own objects of the same name hide, so it could not be restored under another name; "
            "rename that object, or use the custom (pg_dump) format."
        )
    return statement_block(one_line(label), statement)


_REFUSED = """
SELECT 'foreign table', c.relname::pg_catalog.text,
       'it is bound to the foreign server ' || pg_catalog.quote_ident(s.srvname) || ', which is not part of the tenant'
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_foreign_table f ON f.ftrelid = c.oid
  JOIN pg_catalog.pg_foreign_server s ON s.oid = f.ftserver
 WHERE c.oid = ANY(%(rels)s::pg_catalog.oid[]) AND c.relnamespace = %(nsp)s AND {own_class}
UNION ALL
SELECT 'function', p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',
       'it is written in ' || l.lanname || ', which only a superuser may create'
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = %(nsp)s AND p.prokind <> 'a' AND NOT l.lanpltrusted AND {own_proc}
UNION ALL
SELECT 'function', p.proname::pg_catalog.text,
       'the event trigger ' || pg_catalog.quote_ident(e.evtname) || ' of the whole database runs it'
  FROM pg_catalog.pg_event_trigger e JOIN pg_catalog.pg_proc p ON p.oid = e.evtfoid WHERE p.pronamespace = %(nsp)s
UNION ALL
SELECT 'base type', t.typname::pg_catalog.text, 'its input and output functions are written in C'
  FROM pg_catalog.pg_type t WHERE t.oid = ANY(%(types)s::pg_catalog.oid[]) AND t.typnamespace = %(nsp)s
   AND t.typtype = 'b' AND {own_type}
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.oid = t.typelem AND e.typarray = t.oid)
UNION ALL
SELECT 'type', t.typname::pg_catalog.text, 'it is only declared (a shell type), which only a superuser may do'
  FROM pg_catalog.pg_type t WHERE t.oid = ANY(%(types)s::pg_catalog.oid[]) AND t.typnamespace = %(nsp)s
   AND t.typtype = 'p' AND NOT t.typisdefined AND {own_type}
UNION ALL
SELECT 'text search parser', o.prsname::pg_catalog.text, 'its functions are written in C'
  FROM pg_catalog.pg_ts_parser o WHERE o.prsnamespace = %(nsp)s AND {own_parser}
UNION ALL
SELECT 'text search template', o.tmplname::pg_catalog.text, 'its functions are written in C'
  FROM pg_catalog.pg_ts_template o WHERE o.tmplnamespace = %(nsp)s AND {own_template}
UNION ALL
SELECT 'conversion', o.conname::pg_catalog.text, 'its function is written in C'
  FROM pg_catalog.pg_conversion o WHERE o.connamespace = %(nsp)s AND {own_conversion}
UNION ALL
SELECT 'operator class', o.opcname::pg_catalog.text,
       'it is the DEFAULT for its type, so queries anywhere in the database would use it'
  FROM pg_catalog.pg_opclass o WHERE o.opcnamespace = %(nsp)s AND o.opcdefault
UNION ALL
SELECT 'table', c.relname::pg_catalog.text,
       'it inherits from (or is a partition of) ' || p.oid::pg_catalog.regclass::pg_catalog.text
       || ', outside the tenant'
  FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
  JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
 WHERE c.oid = ANY(%(rels)s::pg_catalog.oid[]) AND c.relnamespace = %(nsp)s
  AND p.relnamespace <> %(nsp)s AND c.relkind IN ('r', 'p', 'f')
UNION ALL
SELECT 'table', p.relname::pg_catalog.text,
       c.oid::pg_catalog.regclass::pg_catalog.text
       || ', outside the tenant, inherits from it (or is one of its partitions)'
  FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
  JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
 WHERE p.oid = ANY(%(rels)s::pg_catalog.oid[]) AND p.relnamespace = %(nsp)s
  AND c.relnamespace <> %(nsp)s AND c.relkind IN ('r', 'p', 'f')
UNION ALL
SELECT 'extended statistics', s.stxname::pg_catalog.text,
       'they are on ' || c.oid::pg_catalog.regclass::pg_catalog.text || ', outside the tenant'
  FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_class c ON c.oid = s.stxrelid
 WHERE s.stxnamespace = %(nsp)s AND c.relnamespace <> %(nsp)s
UNION ALL
SELECT 'sequence', s.relname::pg_catalog.text,
       'it belongs to a column of ' || t.oid::pg_catalog.regclass::pg_catalog.text || ', outside the tenant'
  FROM pg_catalog.pg_class s JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
   AND d.objid = s.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'a'
  JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
 WHERE s.oid = ANY(%(rels)s::pg_catalog.oid[]) AND s.relnamespace = %(nsp)s
  AND s.relkind = 'S' AND t.relnamespace <> %(nsp)s
LIMIT 1
"""


def _refuse_what_cannot_be_carried(x: Extraction) -> None:
    """Objects that cannot live in one tenant's backup are refused, named, with the reason."""
    rows = x.q(
        _REFUSED.format(
            own_class=own("pg_class", "c.oid"),
            own_proc=own("pg_proc", "p.oid"),
            own_type=own("pg_type", "t.oid"),
            own_parser=own("pg_ts_parser", "o.oid"),
            own_template=own("pg_ts_template", "o.oid"),
            own_conversion=own("pg_conversion", "o.oid"),
        )
    )
    if rows:
        kind, name, reason = rows[0]
        raise PreflightError(
            f"The schema {x.schema!r} holds the {kind} {name}, which a tenant's backup cannot "
            f"carry: {reason}. Move it out of the schema, or use the custom (pg_dump) format."
        )


def _dependencies(x: Extraction, rels: list[Any]) -> None:
    """Each pre-data object's dependencies on the others, from pg_depend (and the writer's own knowledge)."""
    for rule, view in x.q(
        "SELECT r.oid, r.ev_class FROM pg_catalog.pg_rewrite r WHERE r.ev_class = ANY(%(rels)s::pg_catalog.oid[])"
        " AND r.rulename = '_RETURN'"
        " AND (SELECT c.relnamespace FROM pg_catalog.pg_class c WHERE c.oid = r.ev_class) = %(nsp)s"
    ):
        x.aliases[("pg_rewrite", rule)] = ("pg_class", view)
    for typ, relid, element, range_type in x.q(
        "SELECT t.oid, t.typrelid, CASE WHEN e.oid IS NOT NULL THEN t.typelem END, r.rngtypid"
        " FROM pg_catalog.pg_type t LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem AND e.typarray = t.oid"
        " LEFT JOIN pg_catalog.pg_range r ON r.rngmultitypid = t.oid"
        " WHERE t.oid = ANY(%(types)s::pg_catalog.oid[]) AND t.typnamespace = %(nsp)s"
        ""
    ):
        if ("pg_type", typ) in x.items:
            continue
        target = (
            ("pg_class", relid)
            if relid
            else ("pg_type", element)
            if element
            else ("pg_type", range_type)
            if range_type
            else None
        )
        if target is not None:
            x.aliases[("pg_type", typ)] = target

    def item(key: Key) -> Key | None:
        for _ in range(4):  # array of a row type of a composite type: a few hops at most
            if key in x.items:
                return key
            if key in x.parts:
                return x.parts[key][0]
            if key not in x.aliases:
                return None
            key = x.aliases[key]
        return None

    sequences = {("pg_class", r.oid) for r in rels if r.kind == "S"}
    known = sorted({k[1] for k in (*x.items, *x.aliases, *x.parts)})
    for cls, objid, refcls, refobjid, deptype in x.q(
        "SELECT d.classid::pg_catalog.regclass::pg_catalog.text, d.objid,"
        " d.refclassid::pg_catalog.regclass::pg_catalog.text, d.refobjid, d.deptype FROM pg_catalog.pg_depend d"
        " WHERE d.deptype IN ('n', 'a') AND d.objid = ANY(%(oids)s) AND d.refobjid = ANY(%(oids)s)",
        {"oids": known},
    ):
        source, target = (cls, objid), item((refcls, refobjid))
        owner = item(source)
        if owner is None or target is None or owner == target:
            continue
        if source in sequences and deptype == "a":  # OWNED BY: the sequence comes first, then its table
            continue
        part = x.parts.get(source)
        if part is not None and part[1] in x.items[owner].separable:
            x.items[owner].separable[part[1]].deps.add(target)
        else:
            x.items[owner].deps.add(target)
    for entry in x.items.values():
        entry.deps = {t for t in (item(d) for d in entry.deps) if t is not None and t != entry.key}


def _refreshes(x: Extraction, rels: list[Any], labels: list[str]) -> None:
    """REFRESH each materialized view that had rows, in pre-data order (one may read another)."""
    populated = {f"materialized-view {r.name}": r for r in rels if r.kind == "m" and r.populated}
    for label in dict.fromkeys(labels):
        if label in populated:
            view = populated[label]
            x.post_add("refresh", f"refresh {view.name}", f"REFRESH MATERIALIZED VIEW {view.q}")


def _default_privileges(x: Extraction) -> list[dict[str, Any]]:
    """The schema's ALTER DEFAULT PRIVILEGES, as data: the restore applies them to the schema it creates."""
    return [
        {"role": role, "objects": _DEFAULT_ACL_OBJECTS[objtype], "acl": list(acl)}
        for role, objtype, acl in x.q(
            "SELECT pg_catalog.pg_get_userbyid(a.defaclrole), a.defaclobjtype, a.defaclacl::pg_catalog.text[]"
            " FROM pg_catalog.pg_default_acl a WHERE a.defaclnamespace = %(nsp)s ORDER BY 1, 2"
        )
        if objtype in _DEFAULT_ACL_OBJECTS
    ]

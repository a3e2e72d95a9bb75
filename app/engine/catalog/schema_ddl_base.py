"""What the parts of a schema's extraction share: catalog reads, names, and the statements being written.

Catalog queries run with the session's `search_path = pg_catalog, pg_temp`, so a tenant's own
operators and functions are never picked; the deparsers run through `TenantDeparser`, the only place
the tenant's schema is on the path. Objects of the schema are written unqualified, everything else
qualified, so the statements replay into a staging schema of any name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import psycopg

from app.engine.catalog.schema_ddl_order import Block, Key, PreItem, Separable
from app.engine.catalog.tenant_deparse import TenantDeparser
from app.engine.errors import PreflightError

NOT_EXTENSION = (
    "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e WHERE e.classid = '{cls}'::pg_catalog.regclass"
    " AND e.objid = {oid} AND e.deptype IN ({types}))"
)

# Post-data phases, in the order they run. Only `constraint` and `index` blocks are tied to one table's
# rows (the restore builds them with that table's load); every other kind runs at the end.
POST_PHASES = (
    "constraint",
    "index",
    "attach-index",
    "table-option",
    "foreign-key",
    "trigger",
    "rule",
    "refresh",
    "statistics",
    "domain-constraint",
    "row-security",
    "policy",
    "sequence-value",
    "comment",
)

# Ranks of pre-data kinds, for objects with no dependency between them.
RANKS = {
    kind: rank
    for rank, kind in enumerate(
        (
            "collation",
            "type",
            "sequence",
            "function",
            "aggregate",
            "operator",
            "operator-family",
            "operator-class",
            "operator-family-members",
            "text-search-dictionary",
            "text-search-configuration",
            "table",
            "owned-by",
            "view",
        )
    )
}

# catalog -> (name column, namespace column, word for messages, quote the name)
_NAMED = {
    "pg_proc": ("proname", "pronamespace", "function", True),
    "pg_operator": ("oprname", "oprnamespace", "operator", False),
    "pg_collation": ("collname", "collnamespace", "collation", True),
    "pg_opclass": ("opcname", "opcnamespace", "operator class", True),
    "pg_opfamily": ("opfname", "opfnamespace", "operator family", True),
    "pg_ts_dict": ("dictname", "dictnamespace", "text search dictionary", True),
    "pg_ts_config": ("cfgname", "cfgnamespace", "text search configuration", True),
    "pg_ts_template": ("tmplname", "tmplnamespace", "text search template", True),
    "pg_ts_parser": ("prsname", "prsnamespace", "text search parser", True),
    "pg_class": ("relname", "relnamespace", "relation", True),
}


def literal(text: str) -> str:
    """An SQL string literal, as quote_literal writes it (E'' when it holds a backslash), with control characters
    written as escapes: a statement's text never holds a line break the text itself did not put there (a line
    `-- object: ...` inside a literal would end the statement when the restore reads the archive)."""
    quoted = "'" + text.replace("'", "''") + "'"
    if "\\" not in text and not any(c < " " or c == "\x7f" for c in text):
        return quoted
    return "E" + "".join(_ESCAPES.get(c) or (f"\\x{ord(c):02x}" if c < " " or c == "\x7f" else c) for c in quoted)


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def own(cls: str, oid: str) -> str:
    """SQL condition: the object stands on its own: not a member of an extension (those are left out, as
    pg_dump does), nor made by PostgreSQL as part of another object (a range type's constructors)."""
    return NOT_EXTENSION.format(cls=cls, oid=oid, types="'e', 'i'" if cls != "pg_class" else "'e'")


class Ref(NamedTuple):
    """How a statement names an object: bare for the tenant's own, `schema.name` for any other."""

    text: str
    qualified: bool

    def operator(self) -> str:
        """In an expression or option: `===`, or `OPERATOR(pg_catalog.=)`."""
        return f"OPERATOR({self.text})" if self.qualified else self.text


@dataclass
class Extraction:
    """The schema being read and the statements written so far."""

    conn: psycopg.Connection
    schema: str
    nsp: int
    qschema: str  # the schema's name as quote_ident writes it (deparsers that always qualify)
    deparser: TenantDeparser
    version: int
    # Every pg_class and pg_type row of the schema, read once in the extraction's snapshot: the queries filter on
    # `oid = ANY(%(rels)s)` / `ANY(%(types)s)` besides the namespace, an index path (neither catalog has an
    # index by namespace, and a pass over pg_class beside 1,000 clinics of 15 tables reads 80,000 rows).
    rel_oids: list[int] = field(default_factory=list)
    type_oids: list[int] = field(default_factory=list)
    _oid_lists: tuple[list[int], list[int], str, str] | None = field(default=None, repr=False)
    items: dict[Key, PreItem] = field(default_factory=dict)
    post: dict[str, list[Block]] = field(default_factory=lambda: {phase: [] for phase in POST_PHASES})
    comment_targets: dict[tuple[str, int, int], str] = field(default_factory=dict)
    privileges: list[dict[str, Any]] = field(default_factory=list)
    names: dict[Key, str] = field(default_factory=dict)  # what errors call an object
    aliases: dict[Key, Key] = field(default_factory=dict)  # a catalog object -> the item that creates it
    parts: dict[Key, tuple[Key, int]] = field(default_factory=dict)  # a catalog object -> (item, separable part)

    def q(self, query: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """A catalog query, with `%(nsp)s` the schema's oid and `%(rels)s` / `%(types)s` the oids of its pg_class
        and pg_type rows (the same snapshot: `c.oid = ANY(%(rels)s) AND c.relnamespace = %(nsp)s` selects exactly
        the rows `c.relnamespace = %(nsp)s` does, through the oid index); search_path is pg_catalog, pg_temp."""
        lists = self._oid_lists
        if lists is None or lists[0] is not self.rel_oids or lists[1] is not self.type_oids:
            # as array literals, written once: psycopg would adapt each list, element by element, for every query
            lists = self._oid_lists = (self.rel_oids, self.type_oids, _array(self.rel_oids), _array(self.type_oids))
        return self.conn.execute(
            query, {"nsp": self.nsp, "rels": lists[2], "types": lists[3], **(params or {})}
        ).fetchall()

    def add(self, key: Key, kind: str, name: str, blocks: list[Block], deps: set[Key] | None = None) -> PreItem:
        """A pre-data object with fixed statements."""
        item = PreItem(key, RANKS[kind], name, lambda _deferred: blocks, set(deps or ()))
        self.items[key] = item
        self.names[key] = f"{kind} {name}"
        return item

    def add_rendered(
        self, key: Key, kind: str, name: str, render: Any, deps: set[Key], separable: dict[int, Separable] | None = None
    ) -> PreItem:
        """A pre-data object whose statements depend on which parts were written apart (see schema_ddl_order)."""
        item = PreItem(key, RANKS[kind], name, render, set(deps), dict(separable or {}))
        self.items[key] = item
        self.names[key] = f"{kind} {name}"
        return item

    def post_add(self, phase: str, label: str, statement: str) -> None:
        self.post[phase].append((label, statement))

    def comment_on(self, key: tuple[str, int, int], target: str) -> None:
        """`target` is what COMMENT ON names the object with, e.g. `CONSTRAINT c ON DOMAIN d`."""
        self.comment_targets[key] = target

    def refs(self, catalog: str, oids: Sequence[int]) -> dict[int, Ref]:
        """How to name objects of `catalog` from the restored schema (see Ref); a tenant's object hidden by
        a built-in of the same name is refused, as it would not restore under another name."""
        wanted = sorted({o for o in oids if o})
        if not wanted:
            return {}
        name_col, nsp_col, word, quote = _NAMED[catalog]
        name = f"pg_catalog.quote_ident(o.{name_col})" if quote else f"o.{name_col}::pg_catalog.text"
        rows = self.q(
            f"SELECT o.oid, o.{nsp_col} = %(nsp)s, pg_catalog.quote_ident(n.nspname), {name}"
            f" FROM pg_catalog.{catalog} o JOIN pg_catalog.pg_namespace n ON n.oid = o.{nsp_col}"
            " WHERE o.oid = ANY(%(oids)s)",
            {"oids": wanted},
        )
        own_oids = [oid for oid, mine, _, _ in rows if mine]
        visible = self.deparser.definitions(f"visible:{catalog}", own_oids)
        out: dict[int, Ref] = {}
        for oid, mine, nspname, text in rows:
            if mine and not visible.get(oid):
                raise hidden_error(word, text, self.schema)
            out[oid] = Ref(text, False) if mine else Ref(f"{nspname}.{text}", True)
        return out

    def ref(self, catalog: str, oid: int) -> Ref:
        return self.refs(catalog, [oid])[oid]

    def types(self, pairs: Sequence[tuple[int, int | None]]) -> list[str]:
        """Type names as format_type writes them from the tenant's schema (`integer`, `mood`, `public.citext`);
        typmod None names the type itself (`bpchar`), as in a function's signature."""
        return self.deparser.types(pairs)


def _array(oids: list[int]) -> str:
    """`{1,2,3}`: the text of an oid[] (the queries cast it: `%(rels)s::pg_catalog.oid[]`)."""
    return "{" + ",".join(str(int(oid)) for oid in oids) + "}"


def hidden_error(word: str, name: str, schema: str) -> PreflightError:
    return PreflightError(
        f"The {word} {name} of {schema!r} has the name of one of PostgreSQL's own, which hides it from "
        "statements that do not name the schema, so it cannot be backed up to restore under any name; "
        "rename it, or use the custom (pg_dump) format."
    )


def owner_acl(x: Extraction, kind: str, name: str, owner: str, acl: list[str] | None, **extra: str) -> None:
    entry: dict[str, Any] = {"kind": kind, "name": name, "owner": owner}
    if acl is not None:
        entry["acl"] = list(acl)
    entry.update(extra)
    x.privileges.append(entry)

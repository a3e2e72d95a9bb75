"""Every name a parse tree qualifies (or could), wherever it appears, with a way to replace its schema."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pglast import ast

from app.engine.safety.sql_gate.tree import child_slots


@dataclass
class Name:
    """A name as the statement writes it: `schema` is None when unqualified."""

    schema: str | None
    name: str
    catalog: str | None = None
    setter: Callable[[str], None] | None = None  # replaces the schema where the tree holds it

    def shown(self) -> str:
        return ".".join(p for p in (self.catalog, self.schema, self.name) if p is not None)


def from_strings(parts: tuple[Any, ...], schema_at: int | None = None) -> Name:
    """[catalog.][schema.]name from String nodes; `schema_at` when the name carries more (table.column)."""
    words = [str(p.sval or "") if isinstance(p, ast.String) else "*" for p in parts]
    at = schema_at if schema_at is not None else len(words) - 2
    if at < 0:
        return Name(None, ".".join(words))
    node = parts[at]

    def setter(value: str) -> None:
        node.sval = value

    return Name(words[at], ".".join(words[at + 1 :]), ".".join(words[:at]) or None, setter)


def relation_name(rv: Any) -> Name:
    def setter(value: str) -> None:
        rv.schemaname = value

    return Name(rv.schemaname, rv.relname, rv.catalogname, setter)


# Lists of String nodes that hold a qualified name, by (node, field); other String lists are column names.
_NAME_LISTS = frozenset(
    {
        ("FuncCall", "funcname"),
        ("TypeName", "names"),
        ("A_Expr", "name"),
        ("CollateClause", "collname"),
        ("ObjectWithArgs", "objname"),
        ("CreateFunctionStmt", "funcname"),
        ("DefineStmt", "defnames"),
        ("CreateEnumStmt", "typeName"),
        ("CreateRangeStmt", "typeName"),
        ("CreateDomainStmt", "domainname"),
        ("AlterDomainStmt", "typeName"),
        ("CreateOpClassStmt", "opclassname"),
        ("CreateOpClassStmt", "opfamilyname"),
        ("CreateOpClassItem", "order_family"),
        ("CreateOpFamilyStmt", "opfamilyname"),
        ("AlterOpFamilyStmt", "opfamilyname"),
        ("CreateStatsStmt", "defnames"),
        ("CreateTrigStmt", "funcname"),
        ("AlterTSConfigurationStmt", "cfgname"),
        ("AlterTSConfigurationStmt", "dicts"),
        ("IndexElem", "opclass"),
        ("IndexElem", "collation"),
        ("PartitionElem", "opclass"),
        ("PartitionElem", "collation"),
        ("SubLink", "operName"),
        ("Constraint", "exclusions"),
        ("IndexStmt", "excludeOpNames"),
    }
)
_COLUMN_LISTS = frozenset(
    {
        ("CopyStmt", "attlist"),
        ("CreateTrigStmt", "columns"),
        ("Constraint", "keys"),
        ("Constraint", "fk_attrs"),
        ("Constraint", "pk_attrs"),
        ("Constraint", "including"),
        ("Constraint", "fk_del_set_cols"),
        ("ViewStmt", "aliases"),
        ("IntoClause", "colNames"),
        ("Alias", "colnames"),
        ("CommonTableExpr", "aliascolnames"),
        ("CTESearchClause", "search_col_list"),
        ("CTECycleClause", "cycle_col_list"),
        ("AlterTSConfigurationStmt", "tokentype"),
        ("CreateStatsStmt", "stat_types"),
        ("JoinExpr", "usingClause"),
        ("AccessPriv", "cols"),
        ("CreateEnumStmt", "vals"),
    }
)
# DefElem arguments written as a list of names: by option name.
_NAME_OPTIONS = frozenset(
    {
        "sequence_name",
        "commutator",
        "negator",
        "from",
        "template",
        "parser",
        "copy",
        "multirange_type_name",
        "collation",
        "sortop",
        "subtype_opclass",
    }
)
_REG_TYPES = frozenset(
    {
        "regclass",
        "regtype",
        "regproc",
        "regprocedure",
        "regoper",
        "regoperator",
        "regconfig",
        "regdictionary",
        "regcollation",
        "regnamespace",
    }
)
# Functions that act on (or read) the relation their first argument names: a name computed while they run (a
# concatenation, a function's result, a variable) could be any relation, so it must be a literal the gate reads.
_ACTS_ON_RELATION = frozenset(
    {
        "nextval",
        "setval",
        "currval",
        "pg_sequence_last_value",
        "pg_get_sequence_data",
        "brin_summarize_new_values",
        "brin_summarize_range",
        "brin_desummarize_range",
        "gin_clean_pending_list",
    }
)
# Functions that only report on the relation their first argument names (sizes, partitions, properties): a
# literal name is checked like any other; an oid computed while they run reveals no more than the catalog does.
_REPORTS_ON_RELATION = frozenset(
    {
        "pg_relation_size",
        "pg_total_relation_size",
        "pg_table_size",
        "pg_indexes_size",
        "pg_relation_filenode",
        "pg_relation_filepath",
        "pg_partition_tree",
        "pg_partition_root",
        "pg_partition_ancestors",
        "pg_index_has_property",
        "pg_index_column_has_property",
        "pg_relation_is_updatable",
        "pg_column_is_updatable",
        "pg_get_replica_identity_index",
        "pg_relation_is_publishable",
    }
)
# Functions that read a type's name from their second argument and run its input function (a domain's CHECK).
_TYPE_FROM_TEXT = frozenset({"pg_input_is_valid", "pg_input_error_info"})
# Casts that keep a string's text as it is: PostgreSQL reads the name from the same characters at run time.
_TEXT_TYPES = frozenset({"text", "varchar", "bpchar", "name", "unknown"})
_LITERAL_PART = re.compile(r'"((?:[^"]|"")+)"|([A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*)')


class Unreadable(Exception):
    """A construct the walk does not know how to read names from (fail closed)."""


def names_in(tree: Any) -> Iterator[Name]:
    """Every name the tree qualifies (or could), wherever it appears; raises Unreadable on a construct
    whose names it cannot tell from column names."""
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        kind = type(node).__name__
        if kind == "RangeVar":
            yield relation_name(node)
        elif kind == "ColumnRef":
            if len(node.fields) >= 3:
                yield from_strings(node.fields, len(node.fields) - 3)
        elif kind == "TypeCast":
            yield from literal_name(node.arg, _last(node.typeName.names))
        elif kind == "FuncCall" and node.args:
            function = _last(node.funcname)
            if function in _ACTS_ON_RELATION or function in _REPORTS_ON_RELATION:
                yield from _named_by(node.args[0], "regclass", function, strict=function in _ACTS_ON_RELATION)
            elif function in _TYPE_FROM_TEXT and len(node.args) >= 2:
                yield from _named_by(node.args[1], "regtype", function, strict=True)
        elif kind in ("CommentStmt", "DropStmt", "SecLabelStmt"):
            objtype = node.removeType if kind == "DropStmt" else node.objtype
            for obj in (node.objects or ()) if kind == "DropStmt" else (node.object,):
                if isinstance(obj, tuple):  # a name whose layout depends on the object's kind
                    found = object_name(objtype, obj)
                    if found is not None:
                        yield found
                elif isinstance(obj, ast.Node):
                    stack.append(obj)
            continue
        for slot in child_slots(node):
            value = getattr(node, slot)
            if isinstance(value, ast.Node):
                stack.append(value)
            elif isinstance(value, tuple):
                yield from _in_tuple(node, kind, slot, value, stack)


def _in_tuple(node: Any, kind: str, slot: str, value: tuple[Any, ...], stack: list[Any]) -> Iterator[Name]:
    if value and all(isinstance(v, ast.String) for v in value):
        if len(value) < 2 or (kind, slot) in _COLUMN_LISTS or kind == "ColumnRef":
            return
        if kind == "DefElem":
            if node.defname == "as":  # a function's body (or a C function's file and symbol)
                return
            if node.defname == "owned_by":  # [schema.]table.column
                yield from_strings(value, len(value) - 3)
                return
            if node.defname not in _NAME_OPTIONS:
                raise Unreadable(f"the option {node.defname}")
        elif (kind, slot) not in _NAME_LISTS:
            raise Unreadable(f"{kind}.{slot}")
        yield from_strings(value)
        return
    for item in value:
        if isinstance(item, tuple):
            yield from _in_tuple(node, kind, slot, item, stack)
        elif isinstance(item, ast.Node):
            stack.append(item)


def _last(parts: tuple[Any, ...] | None) -> str:
    return str(parts[-1].sval or "") if parts and isinstance(parts[-1], ast.String) else ""


def _named_by(arg: Any, regtype: str, function: str, *, strict: bool) -> Iterator[Name]:
    """The object a function's argument names when PostgreSQL reads it as `regtype`: a string, possibly cast
    to text or to a reg type first (`'s.seq'::text`, `CAST('s.seq' AS regclass)`), is read as the name it holds.
    Anything else is computed while the function runs: Unreadable when `strict` (it could name any object)."""
    node: Any = arg
    while isinstance(node, ast.TypeCast) and node.typeName is not None and not node.typeName.arrayBounds:
        target = _last(node.typeName.names)
        if target not in _TEXT_TYPES and target not in _REG_TYPES:
            break
        node = node.arg
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.String):
        yield from literal_name(node, regtype)
    elif strict:
        raise Unreadable(f"{function}'s object, named by a value computed while it runs")


def literal_name(arg: Any, regtype: str) -> Iterator[Name]:
    """The object a string names when it is read as `regtype` ('s.seq'::regclass, nextval('s.seq'))."""
    if regtype not in _REG_TYPES or not isinstance(arg, ast.A_Const) or not isinstance(arg.val, ast.String):
        return
    const: Any = arg
    text = str(const.val.sval or "")
    if regtype == "regnamespace":
        parts = _split_literal(text)
        if parts is None or len(parts) != 1:
            raise Unreadable(f"the schema name {text!r}")

        def whole(value: str) -> None:
            const.val.sval = quote_ident(value)

        yield Name(parts[0][0], "", None, whole)  # the schema itself is what it names
        return
    head = re.split(r"[(\[]", text, maxsplit=1)[0] if regtype != "regclass" else text
    parts = _split_literal(head)
    if parts is None or len(parts) > 3:
        raise Unreadable(f"the name {text!r}")
    if len(parts) == 1:
        yield Name(None, parts[0][0])
        return
    schema, schema_end = parts[-2]
    rest = text[schema_end:]

    def setter(value: str) -> None:
        const.val.sval = quote_ident(value) + rest

    yield Name(schema, ".".join(p[0] for p in parts[-1:]), parts[0][0] if len(parts) == 3 else None, setter)


def _split_literal(text: str) -> list[tuple[str, int]] | None:
    """[(part, end offset)] of a literal like 'a.b' or '"A"."b"', the way regclass input reads it."""
    parts: list[tuple[str, int]] = []
    pos = 0
    while True:
        m = _LITERAL_PART.match(text, pos)
        if m is None:
            return None
        quoted, plain = m.groups()
        parts.append((quoted.replace('""', '"') if quoted is not None else plain.lower(), m.end()))
        pos = m.end()
        if pos == len(text):
            return parts
        if text[pos] != ".":
            return None
        pos += 1


def object_name(objtype: Any, obj: Any) -> Name | None:
    """The schema-qualified name of the object that COMMENT/DROP/SECURITY LABEL `objtype obj` acts on."""
    kind = objtype.name if isinstance(objtype, enum.Enum) else str(objtype)
    if isinstance(obj, ast.ObjectWithArgs):
        return from_strings(obj.objname or ())
    if isinstance(obj, ast.TypeName):
        return from_strings(obj.names or ())
    if not isinstance(obj, tuple):
        return None  # a String: a schema, role, database... (handled by the statement's kind)
    if kind == "OBJECT_COLUMN" or kind in _ON_TABLE_OBJECTS:
        return from_strings(obj, len(obj) - 3)
    if kind in ("OBJECT_OPCLASS", "OBJECT_OPFAMILY"):  # [access method, [schema,] name]
        return from_strings(obj[1:])
    if kind == "OBJECT_DOMCONSTRAINT" and isinstance(obj[0], ast.TypeName):  # (domain, constraint name)
        return from_strings(obj[0].names or ())
    return from_strings(obj)


_ON_TABLE_OBJECTS = frozenset({"OBJECT_TABCONSTRAINT", "OBJECT_TRIGGER", "OBJECT_POLICY", "OBJECT_RULE"})


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def nodes_in(value: tuple[Any, ...]) -> Iterator[Any]:
    for item in value:
        if isinstance(item, tuple):
            yield from nodes_in(item)
        elif isinstance(item, ast.Node):
            yield item

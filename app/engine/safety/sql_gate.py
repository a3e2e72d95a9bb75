"""The SQL gate: no statement of a backup file reaches the server unparsed or unchecked.

Every statement is parsed with PostgreSQL's own parser (pglast, libpg_query) and
decided on its parse tree, before anything runs:

- an allow-list of statement kinds (what `pg_dump --schema` writes for one schema,
  and what Resguardo's own archives hold); transaction control, roles, settings,
  server files and programs, extensions, the database and the server are refused
  with a sentence that names the cause and the line;
- every name the statement creates or alters lies in the file's own schema (which
  becomes the staging schema); every qualified name it references lies there, in
  `pg_catalog` or in `public`; functions that reach outside the tenant (server
  files, large objects, advisory locks, signals, settings, queries from text) are
  refused wherever they appear;
- a pg_dump statement is rewritten on its tree (its schema, wherever it qualifies
  a name, becomes the staging schema), printed back with pglast, parsed again and
  compared with the tree that was checked: what is sent means exactly what was checked;
- `execute_checked` sends one statement through the extended query protocol, so the
  server itself refuses a text holding a second command.

Statements are parsed through libpg_query's JSON output, turned into pglast's AST
here: pglast's own `parse_sql` maps every node's location from UTF-8 bytes to
characters with a per-character table whose cost grows with the non-ASCII text
times the nodes (a 4 MB literal of 'é' took 12 s and 500 MB); the JSON route is
linear. Locations are dropped (statements are reported by their line).

Function bodies written as strings (`sql`, `plpgsql`) run with the rights of
whoever calls them, the restore among them (a CHECK, a default, an index, a
trigger): they are parsed too and may only query and change rows, with the same
name checks; dynamic SQL (`EXECUTE`) is refused. Names in them are not rewritten.

Limits: what a body does through functions of `public` is not seen (the session's
rights and the isolation proof bound it); expressions nested deeper than Python's
recursion limit allows are refused.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
from pglast import ast, enums
from pglast.parser import ParseError, parse_plpgsql_json, parse_sql_json
from pglast.printers import node_printer
from pglast.stream import RawStream

from app.engine.errors import ArchiveError

MAX_STATEMENT_BYTES = 64 * 1024 * 1024
REFERENCE_SCHEMAS = frozenset({"pg_catalog", "public"})
_EXCERPT = 80


class RefusedStatement(ArchiveError):
    """A statement of the file is not one Resguardo runs; nothing of the file has run. `cause` is the sentence's
    middle, e.g. "runs an anonymous code block (DO)" (a backup says it of the object it would write)."""

    cause: str = ""
    outside: Name | None = None  # the name refused for lying outside the tenant, when that is the cause


def refusal(cause: str, line: int, text: str) -> RefusedStatement:
    """'The file <cause> (line N: <statement>).' (the CLI and the window add that nothing was changed)"""
    refused = RefusedStatement(f"The file {cause} (line {line}: {excerpt(text)}).")
    refused.cause = cause
    return refused


def excerpt(text: str) -> str:
    """The statement on one short printable line, for messages."""
    flat = " ".join(text[: 4 * _EXCERPT].split())
    flat = "".join(c if c.isprintable() else "?" for c in flat)
    return flat if len(flat) <= _EXCERPT else flat[: _EXCERPT - 3] + "..."


@dataclass(frozen=True)
class CheckedStatement:
    """A statement that passed the gate: `text` parses as exactly this one statement."""

    text: str
    line: int
    kind: str  # the pglast node name, e.g. "CreateStmt"
    table: str | None = None  # the table a key (not a foreign key) or index builds on: load it with its rows
    needs_superuser: bool = False  # DDL only a superuser may run (operator classes and families)


# ---------------------------------------------------------------- parsing

_LOCATION = "ParseLoc"
_ZERO_INTS = frozenset(
    {
        "int",
        "long",
        "int16",
        "int32",
        "AttrNumber",
        "Index",
        "bits32",
        "Cost",
        "AclMode",
        "SubTransactionId",
        "RelFileNumber",
        "Cardinality",
    }
)
_CONST_KINDS = (
    ("ival", "Integer"),
    ("fval", "Float"),
    ("sval", "String"),
    ("boolval", "Boolean"),
    ("bsval", "BitString"),
)


@dataclass(frozen=True)
class Parsed:
    """One statement of a text: its tree and its own text (from its first token to before its `;`)."""

    node: Any  # a pglast AST node; the checks read its fields by kind
    text: str
    line: int

    @property
    def kind(self) -> str:
        return type(self.node).__name__


def parse_one(text: str, line: int) -> Parsed | None:
    """The one statement `text` holds, None when it holds none (comments only); refused when it is not SQL
    PostgreSQL reads, or holds more than one statement."""
    if "\0" in text:
        raise refusal("holds a NUL character, which is not SQL", line, text)
    try:
        raws = json.loads(parse_sql_json(text)).get("stmts", [])
        if len(raws) > 1:
            raise refusal("holds more than one statement where one was expected", line, text)
        if not raws:
            return None
        (raw,) = raws
        node = _node("RawStmt", raw)
    except ParseError as exc:
        raise refusal(f"holds text that is not SQL PostgreSQL reads ({exc.args[0]})", line, text) from None
    except RecursionError:
        raise refusal("nests expressions too deeply to be checked", line, text) from None
    start, length = int(raw.get("stmt_location", 0)), int(raw.get("stmt_len", 0))  # in UTF-8 bytes
    if text.isascii():
        return Parsed(node.stmt, text[start : start + length] if length else text[start:], line)
    utf8 = text.encode()
    return Parsed(node.stmt, utf8[start : start + length if length else None].decode(), line)


def _default(ctype: str) -> Any:
    if ctype == "bool":
        return False
    if ctype == "char":
        return "\0"
    if ctype in _ZERO_INTS:
        return 0
    kind = getattr(enums, ctype, None)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(0)
    return None


_LOCATED, _NODE, _LIST, _CHILD, _ENUM, _VALUE = range(6)


def _lazy_default(ctype: str) -> Any:
    """`_default(ctype)`, or a function that raises as it would (an enum without 0), for when the slot is missing."""
    try:
        return _default(ctype)
    except ValueError:
        return lambda: _default(ctype)


_PLANS: dict[type, list[tuple[str, str, int, Any, Any]]] = {}


def _plan(cls: type) -> list[tuple[str, str, int, Any, Any]]:
    """How each slot of a node class is filled: (slot, JSON key, how, default, enum class or child name or
    pglast's own adaptor). Worked out once per class: per node, this was 90 % of the gate's time."""
    plan: list[tuple[str, str, int, Any, Any]] = []
    for slot, info in cls.__slots__.items():  # type: ignore[attr-defined]
        ctype = info.c_type
        key, default = slot.rstrip("_"), _lazy_default(ctype)  # `def` is `def_` in pglast
        kind = getattr(enums, ctype, None)
        if ctype == _LOCATION:
            plan.append((slot, key, _LOCATED, None, None))
        elif ctype in ("Node*", "Expr*"):
            plan.append((slot, key, _NODE, default, None))
        elif ctype == "List*":
            plan.append((slot, key, _LIST, default, None))
        elif ctype.endswith("*") and ctype != "char*":
            plan.append((slot, key, _CHILD, default, ctype[:-1]))
        elif isinstance(kind, type) and issubclass(kind, enum.Enum):
            plan.append((slot, key, _ENUM, default, kind))
        else:
            plan.append((slot, key, _VALUE, default, info.adaptor))
    return plan


def _node(name: str, fields: dict[str, Any]) -> Any:
    """A pglast AST node from libpg_query's JSON, the same tree pglast's parse_sql builds (less locations).
    Slots are set as pglast's own `__setattr__` would convert them (enum names, its adaptors), without its
    per-value type checks, which libpg_query's output always passes."""
    cls = getattr(ast, name)
    if name == "A_Const":
        value = next((_node(kind, fields[key]) for key, kind in _CONST_KINDS if key in fields), None)
        return cls(isnull=bool(fields.get("isnull", False)), val=value)
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _plan(cls)
    node = object.__new__(cls)
    for slot, key, how, default, extra in plan:
        raw = fields.get(key)
        if how == _LOCATED:
            value = None
        elif raw is None:
            value = default() if callable(default) else default
        elif how == _NODE:
            value = _wrapped(raw)
        elif how == _LIST:
            value = tuple(_wrapped(item) for item in raw)
        elif how == _CHILD:
            value = _node(extra, raw)
        elif how == _ENUM:
            value = extra[raw] if isinstance(raw, str) and len(raw) > 1 else extra(raw)
        else:
            value = raw if extra is None else extra(raw)
        object.__setattr__(node, slot, value)
    return node


def _wrapped(raw: dict[str, Any]) -> Any:
    if not raw:  # an absent node inside a list: `{}` (a RangeFunction's missing column definitions), None in pglast
        return None
    ((name, fields),) = raw.items()
    if name == "List":
        return tuple(_wrapped(item) for item in fields.get("items", ()))
    return _node(name, fields)


# ---------------------------------------------------------------- names in a tree


@dataclass
class Name:
    """A name as the statement writes it: `schema` is None when unqualified."""

    schema: str | None
    name: str
    catalog: str | None = None
    setter: Callable[[str], None] | None = None  # replaces the schema where the tree holds it

    def shown(self) -> str:
        return ".".join(p for p in (self.catalog, self.schema, self.name) if p is not None)


def _from_strings(parts: tuple[Any, ...], schema_at: int | None = None) -> Name:
    """[catalog.][schema.]name from String nodes; `schema_at` when the name carries more (table.column)."""
    words = [str(p.sval or "") if isinstance(p, ast.String) else "*" for p in parts]
    at = schema_at if schema_at is not None else len(words) - 2
    if at < 0:
        return Name(None, ".".join(words))
    node = parts[at]

    def setter(value: str) -> None:
        node.sval = value

    return Name(words[at], ".".join(words[at + 1 :]), ".".join(words[:at]) or None, setter)


def _relation(rv: Any) -> Name:
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
            yield _relation(node)
        elif kind == "ColumnRef":
            if len(node.fields) >= 3:
                yield _from_strings(node.fields, len(node.fields) - 3)
        elif kind == "TypeCast":
            yield from _literal_name(node.arg, _last(node.typeName.names))
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
        for slot in node:
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
                yield _from_strings(value, len(value) - 3)
                return
            if node.defname not in _NAME_OPTIONS:
                raise Unreadable(f"the option {node.defname}")
        elif (kind, slot) not in _NAME_LISTS:
            raise Unreadable(f"{kind}.{slot}")
        yield _from_strings(value)
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
        yield from _literal_name(node, regtype)
    elif strict:
        raise Unreadable(f"{function}'s object, named by a value computed while it runs")


def _literal_name(arg: Any, regtype: str) -> Iterator[Name]:
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
        return _from_strings(obj.objname or ())
    if isinstance(obj, ast.TypeName):
        return _from_strings(obj.names or ())
    if not isinstance(obj, tuple):
        return None  # a String: a schema, role, database... (handled by the statement's kind)
    if kind == "OBJECT_COLUMN" or kind in _ON_TABLE_OBJECTS:
        return _from_strings(obj, len(obj) - 3)
    if kind in ("OBJECT_OPCLASS", "OBJECT_OPFAMILY"):  # [access method, [schema,] name]
        return _from_strings(obj[1:])
    if kind == "OBJECT_DOMCONSTRAINT" and isinstance(obj[0], ast.TypeName):  # (domain, constraint name)
        return _from_strings(obj[0].names or ())
    return _from_strings(obj)


_ON_TABLE_OBJECTS = frozenset({"OBJECT_TABCONSTRAINT", "OBJECT_TRIGGER", "OBJECT_POLICY", "OBJECT_RULE"})


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------- functions that reach outside

_OUTSIDE_FUNCTIONS = frozenset(
    {
        "set_config",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_promote",
        "pg_switch_wal",
        "pg_create_restore_point",
        "pg_backup_start",
        "pg_backup_stop",
        "pg_log_backend_memory_contexts",
        "pg_import_system_collations",
        "pg_stat_file",
        "loread",
        "lowrite",
        "pg_sleep",
        "pg_sleep_for",
        "pg_sleep_until",
    }
)
_OUTSIDE_PREFIXES = (
    "lo_",
    "pg_read_",
    "pg_ls_",
    "pg_file_",
    "pg_advisory",
    "pg_try_advisory",
    "dblink",
    "pg_stat_reset",
    "pg_replication_",
    "pg_logical_",
    "pg_create_",
    "pg_drop_replication",
    "pg_copy_",
    "pg_wal_",
)
# Functions that run a query they are given as text (or build one from the names they are given), with the
# caller's rights and out of the gate's sight: query_to_xml, cursor_to_xml, table_to_xml, schema_to_xml and
# database_to_xml with their ..._xmlschema forms, ts_stat, the two-argument ts_rewrite(tsquery, text), and
# tablefunc's and xml2's crosstab, connectby and xpath_table (in public when installed there).
_OUTSIDE_PARTS = ("_to_xml",)
_QUERY_TEXT_FUNCTIONS = frozenset({"ts_stat", "connectby", "xpath_table"})
_QUERY_TEXT_PREFIXES = ("crosstab",)
_QUERY_TEXT_BY_ARITY = frozenset({("ts_rewrite", 2)})  # ts_rewrite(tsquery, tsquery, tsquery) runs none


def reaches_outside(name: str, arity: int | None = None) -> bool:
    """Whether calling `name` (with `arity` arguments, None when unknown) reaches outside the tenant: server
    files and programs, settings, signals, locks, replication, or a query given as text."""
    return (
        name in _OUTSIDE_FUNCTIONS
        or name in _QUERY_TEXT_FUNCTIONS
        or name.startswith(_OUTSIDE_PREFIXES + _QUERY_TEXT_PREFIXES)
        or any(p in name for p in _OUTSIDE_PARTS)
        or any(name == f and arity in (n, None) for f, n in _QUERY_TEXT_BY_ARITY)
    )


def _called_functions(tree: Any) -> Iterator[tuple[Name, int | None]]:
    """Functions the tree calls or names as a function (FuncCall, and operator/aggregate support functions),
    each with the number of arguments it is called with (None when it is only named)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FuncCall):
            yield _from_strings(node.funcname or ()), len(node.args or ())
        elif isinstance(node, ast.DefElem) and isinstance(node.arg, ast.TypeName):
            yield _from_strings(node.arg.names or ()), None
        for slot in node:
            value = getattr(node, slot)
            if isinstance(value, ast.Node):
                stack.append(value)
            elif isinstance(value, tuple):
                stack.extend(_nodes_in(value))


def _nodes_in(value: tuple[Any, ...]) -> Iterator[Any]:
    for item in value:
        if isinstance(item, tuple):
            yield from _nodes_in(item)
        elif isinstance(item, ast.Node):
            yield item


# ---------------------------------------------------------------- statement kinds

# Refused kinds, with the cause named to the user.
_REFUSED: dict[str, str] = {
    "TransactionStmt": "ends or changes the transaction (BEGIN, COMMIT, ROLLBACK, SAVEPOINT...)",
    "DiscardStmt": "discards the session's state (DISCARD)",
    "DoStmt": "runs an anonymous code block (DO)",
    "CallStmt": "calls a procedure (CALL)",
    "LoadStmt": "loads a server library (LOAD)",
    "AlterSystemStmt": "changes the server configuration (ALTER SYSTEM)",
    "CreateExtensionStmt": "changes an extension",
    "AlterExtensionStmt": "changes an extension",
    "AlterExtensionContentsStmt": "changes an extension",
    "CreateRoleStmt": "changes a role",
    "AlterRoleStmt": "changes a role",
    "AlterRoleSetStmt": "changes a role",
    "DropRoleStmt": "changes a role",
    "GrantRoleStmt": "changes a role's membership",
    "ReassignOwnedStmt": "changes a role's objects",
    "DropOwnedStmt": "changes a role's objects",
    "CreatedbStmt": "changes a database",
    "AlterDatabaseStmt": "changes a database",
    "AlterDatabaseSetStmt": "changes a database",
    "AlterDatabaseRefreshCollStmt": "changes a database",
    "DropdbStmt": "changes a database",
    "CreateTableSpaceStmt": "changes a tablespace",
    "DropTableSpaceStmt": "changes a tablespace",
    "AlterTableSpaceOptionsStmt": "changes a tablespace",
    "AlterTableMoveAllStmt": "changes a tablespace",
    "CreateForeignServerStmt": "uses a foreign server",
    "AlterForeignServerStmt": "uses a foreign server",
    "CreateFdwStmt": "uses a foreign-data wrapper",
    "AlterFdwStmt": "uses a foreign-data wrapper",
    "CreateUserMappingStmt": "uses a foreign server",
    "AlterUserMappingStmt": "uses a foreign server",
    "DropUserMappingStmt": "uses a foreign server",
    "CreateForeignTableStmt": "uses a foreign server",
    "ImportForeignSchemaStmt": "uses a foreign server",
    "CreatePublicationStmt": "changes replication (a publication)",
    "AlterPublicationStmt": "changes replication (a publication)",
    "CreateSubscriptionStmt": "changes replication (a subscription)",
    "AlterSubscriptionStmt": "changes replication (a subscription)",
    "DropSubscriptionStmt": "changes replication (a subscription)",
    "CreateEventTrigStmt": "changes an event trigger",
    "AlterEventTrigStmt": "changes an event trigger",
    "CreateCastStmt": "changes a cast",
    "CreatePLangStmt": "changes a procedural language",
    "CreateTransformStmt": "changes a transform",
    "CreateAmStmt": "changes an access method",
    "CreateConversionStmt": "changes an encoding conversion",
    "VacuumStmt": "runs maintenance (VACUUM or ANALYZE)",
    "ClusterStmt": "runs maintenance (CLUSTER)",
    "ReindexStmt": "runs maintenance (REINDEX)",
    "CheckPointStmt": "runs maintenance (CHECKPOINT)",
    "ListenStmt": "listens for notifications (LISTEN)",
    "UnlistenStmt": "listens for notifications (UNLISTEN)",
    "NotifyStmt": "sends a notification (NOTIFY)",
    "PrepareStmt": "prepares a statement (PREPARE)",
    "ExecuteStmt": "executes a prepared statement (EXECUTE)",
    "DeallocateStmt": "deallocates a prepared statement",
    "LockStmt": "locks tables (LOCK)",
    "TruncateStmt": "empties tables (TRUNCATE)",
    "UpdateStmt": "changes rows (UPDATE)",
    "DeleteStmt": "deletes rows (DELETE)",
    "MergeStmt": "changes rows (MERGE)",
    "ExplainStmt": "runs a query (EXPLAIN)",
    "DeclareCursorStmt": "opens a cursor",
    "FetchStmt": "reads a cursor",
    "ClosePortalStmt": "closes a cursor",
    "AlterObjectSchemaStmt": "moves an object to another schema",
    "RenameStmt": "renames an object",
    "VariableShowStmt": "runs SHOW",
    "ConstraintsSetStmt": "changes the transaction's settings",
}
# Kinds that never run: owners and privileges come from the live database, never from the file.
SKIPPED_KINDS = frozenset({"GrantStmt", "AlterOwnerStmt", "AlterDefaultPrivilegesStmt", "SecLabelStmt"})
NEEDS_SUPERUSER = frozenset({"CreateOpClassStmt", "CreateOpFamilyStmt", "AlterOpFamilyStmt"})
_LANGUAGES = frozenset({"sql", "plpgsql"})
_DEFINE_KINDS = frozenset(
    {
        "OBJECT_AGGREGATE",
        "OBJECT_OPERATOR",
        "OBJECT_TYPE",
        "OBJECT_COLLATION",
        "OBJECT_TSDICTIONARY",
        "OBJECT_TSCONFIGURATION",
    }
)
_TABLE_COMMANDS = frozenset(
    {
        "AT_AddConstraint",
        "AT_AttachPartition",
        "AT_ColumnDefault",
        "AT_SetStatistics",
        "AT_SetStorage",
        "AT_SetCompression",
        "AT_SetOptions",
        "AT_AddIdentity",
        "AT_SetNotNull",
        "AT_EnableTrig",
        "AT_EnableAlwaysTrig",
        "AT_EnableReplicaTrig",
        "AT_DisableTrig",
        "AT_EnableRule",
        "AT_EnableAlwaysRule",
        "AT_EnableReplicaRule",
        "AT_DisableRule",
        "AT_EnableRowSecurity",
        "AT_DisableRowSecurity",
        "AT_ForceRowSecurity",
        "AT_NoForceRowSecurity",
        "AT_ClusterOn",
        "AT_ReplicaIdentity",
        "AT_SetRelOptions",
        "AT_AddInherit",
    }
)
_CLEANUP_COMMANDS = frozenset({"AT_DropConstraint", "AT_ColumnDefault", "AT_DropIdentity"})
_TS_KINDS = frozenset({"ALTER_TSCONFIG_ADD_MAPPING", "ALTER_TSCONFIG_ALTER_MAPPING_FOR_TOKEN"})
_TEMP_SCHEMA = re.compile(r"pg_temp(_\d+)?$")
# Objects outside any schema: a file never comments on, drops or labels them.
GLOBAL_OBJECTS = {
    "OBJECT_ACCESS_METHOD": "an access method",
    "OBJECT_CAST": "a cast",
    "OBJECT_DATABASE": "a database",
    "OBJECT_EVENT_TRIGGER": "an event trigger",
    "OBJECT_EXTENSION": "an extension",
    "OBJECT_FDW": "a foreign-data wrapper",
    "OBJECT_FOREIGN_SERVER": "a foreign server",
    "OBJECT_FOREIGN_TABLE": "a foreign table",
    "OBJECT_LANGUAGE": "a procedural language",
    "OBJECT_LARGEOBJECT": "a large object",
    "OBJECT_PUBLICATION": "a publication",
    "OBJECT_ROLE": "a role",
    "OBJECT_SUBSCRIPTION": "a subscription",
    "OBJECT_TABLESPACE": "a tablespace",
    "OBJECT_TRANSFORM": "a transform",
    "OBJECT_USER_MAPPING": "a user mapping",
    "OBJECT_PARAMETER_ACL": "a server setting",
    "OBJECT_SCHEMA": "a schema",
    "OBJECT_TSPARSER": "a text search parser",
    "OBJECT_TSTEMPLATE": "a text search template",
    "OBJECT_CONVERSION": "an encoding conversion",
}


def enum_name(value: Any) -> str:
    return value.name if isinstance(value, enum.Enum) else str(value)


def _commands(stmt: Any) -> list[str]:
    return [enum_name(cmd.subtype) for cmd in stmt.cmds or ()]


def is_owner_change(stmt: Any) -> bool:
    return isinstance(stmt, ast.AlterTableStmt) and set(_commands(stmt)) == {"AT_ChangeOwner"}


def is_cleanup(stmt: Any) -> bool:
    """What pg_dump --clean writes before the schema: DROP, ALTER TABLE ... DROP CONSTRAINT/DEFAULT."""
    if isinstance(stmt, ast.DropStmt):
        return True
    if isinstance(stmt, ast.AlterTableStmt):
        cmds = stmt.cmds or ()
        return bool(cmds) and all(enum_name(c.subtype) in _CLEANUP_COMMANDS and c.def_ is None for c in cmds)
    return isinstance(stmt, ast.AlterDomainStmt) and stmt.subtype == "X"


def targets(stmt: Any) -> list[Name]:
    """The names a statement creates or alters (a schema's own objects must be these)."""
    kind = type(stmt).__name__
    found: list[Name] = []
    if kind in (
        "CreateStmt",
        "IndexStmt",
        "CreateTrigStmt",
        "RuleStmt",
        "RefreshMatViewStmt",
        "AlterTableStmt",
        "InsertStmt",
        "CopyStmt",
    ):
        found.append(_relation(stmt.relation))
    if kind == "CreateStmt":  # INHERITS and PARTITION OF parents change too
        found.extend(_relation(parent) for parent in stmt.inhRelations or ())
    if kind == "AlterTableStmt":
        for cmd in stmt.cmds or ():
            if isinstance(cmd.def_, ast.PartitionCmd):
                found.append(_relation(cmd.def_.name))
            elif isinstance(cmd.def_, ast.RangeVar):
                found.append(_relation(cmd.def_))
    single = {
        "CreateSeqStmt": "sequence",
        "AlterSeqStmt": "sequence",
        "ViewStmt": "view",
        "CompositeTypeStmt": "typevar",
        "CreatePolicyStmt": "table",
    }
    if kind in single:
        found.append(_relation(getattr(stmt, single[kind])))
    if kind == "CreateTableAsStmt":
        found.append(_relation(stmt.into.rel))
    lists = {
        "CreateFunctionStmt": "funcname",
        "DefineStmt": "defnames",
        "CreateEnumStmt": "typeName",
        "CreateRangeStmt": "typeName",
        "CreateDomainStmt": "domainname",
        "AlterDomainStmt": "typeName",
        "CreateOpClassStmt": "opclassname",
        "CreateOpFamilyStmt": "opfamilyname",
        "AlterOpFamilyStmt": "opfamilyname",
        "CreateStatsStmt": "defnames",
        "AlterTSConfigurationStmt": "cfgname",
        "AlterStatsStmt": "defnames",
    }
    if kind in lists:
        found.append(_from_strings(getattr(stmt, lists[kind])))
    if kind == "CreateOpClassStmt" and stmt.opfamilyname:
        found.append(_from_strings(stmt.opfamilyname))
    if kind == "CreateStatsStmt":
        found.extend(_relation(rel) for rel in stmt.relations or () if isinstance(rel, ast.RangeVar))
    if kind in ("CommentStmt", "DropStmt"):
        objects = (stmt.object,) if kind == "CommentStmt" else stmt.objects or ()
        objtype = stmt.objtype if kind == "CommentStmt" else stmt.removeType
        found.extend(n for n in (object_name(objtype, obj) for obj in objects) if n is not None)
    found.extend(_created_by_options(stmt))
    return found


def _created_by_options(stmt: Any) -> Iterator[Name]:
    """Names created through an option: an identity's SEQUENCE NAME, a range's multirange type."""
    stack = [stmt]
    while stack:
        node = stack.pop()
        if (
            isinstance(node, ast.DefElem)
            and node.defname in ("sequence_name", "multirange_type_name")
            and isinstance(node.arg, tuple)
        ):
            yield _from_strings(node.arg)
        for slot in node:
            value = getattr(node, slot)
            if isinstance(value, ast.Node):
                stack.append(value)
            elif isinstance(value, tuple):
                stack.extend(_nodes_in(value))


def table_built_on(stmt: Any) -> str | None:
    """The table an `ALTER TABLE t ADD CONSTRAINT` (not a foreign key) or a `CREATE INDEX ON t` builds on."""
    kind = type(stmt).__name__
    if kind == "AlterTableStmt" and (
        enum_name(stmt.objtype) != "OBJECT_TABLE"
        or not stmt.cmds
        or any(
            enum_name(c.subtype) != "AT_AddConstraint"
            or not isinstance(c.def_, ast.Constraint)
            or enum_name(c.def_.contype) == "CONSTR_FOREIGN"
            for c in stmt.cmds
        )
    ):
        return None
    return str(stmt.relation.relname) if kind in ("IndexStmt", "AlterTableStmt") else None


# ---------------------------------------------------------------- the checks


class Rules:
    """Which schemas a statement may create in and reference: the shared part of both formats."""

    def __init__(self, own: str | None) -> None:
        self.own = own  # the file's schema (pg_dump); None: names must be unqualified (native)

    def creatable(self, name: Name) -> bool:
        return name.catalog is None and (name.schema is None or name.schema == self.own)

    def referable(self, name: Name) -> bool:
        return name.catalog is None and (
            name.schema is None or name.schema == self.own or name.schema in REFERENCE_SCHEMAS
        )

    def check(self, parsed: Parsed) -> None:
        """Refuse the statement unless its kind is allowed and every name lies where it may."""
        stmt, kind = parsed.node, parsed.kind
        cause = _refused_kind(stmt, kind)
        if cause is not None:
            raise refusal(cause, parsed.line, parsed.text)
        try:
            for name in targets(stmt):
                if not self.creatable(name):
                    raise refusal(
                        f"creates or changes {name.shown()}, outside its own schema", parsed.line, parsed.text
                    )
            self._names(stmt, parsed, "")
            if kind == "CreateFunctionStmt":
                outside = self.path_outside(function_search_path(stmt))
                if outside is not None:
                    raise refusal(
                        f"creates a function whose search_path names {outside}, outside the tenant",
                        parsed.line,
                        parsed.text,
                    )
                for body in function_body(stmt, parsed.text):
                    what = type(body).__name__
                    if what not in _BODY_KINDS:
                        cause = (
                            _REFUSED.get(what)
                            or (_copy_cause(body) if what == "CopyStmt" else None)
                            or (setting_cause(body) if what == "VariableSetStmt" else None)
                            or f"runs a statement a function body may not ({what})"
                        )
                        raise refusal(f"creates a function whose body {cause}", parsed.line, parsed.text)
                    self._names(body, parsed, "creates a function whose body ")
        except _Unchecked as exc:
            raise refusal(f"creates a function whose body {exc.args[0]}", parsed.line, parsed.text) from None
        except Unreadable as exc:
            raise refusal(
                f"holds a construct Resguardo cannot check ({exc.args[0]})", parsed.line, parsed.text
            ) from None
        except RecursionError:
            raise refusal("nests expressions too deeply to be checked", parsed.line, parsed.text) from None

    def path_outside(self, elements: Iterable[str | None]) -> str | None:
        """The first schema of a routine's search_path that lies outside what a file may name (None: the
        tenant's own, as the native format writes it), or None. Unqualified names in the routine's body resolve
        there, out of the name checks' sight."""
        for element in elements:
            if element is not None and element != self.own and element not in _PATH_SCHEMAS:
                return element
        return None

    def _names(self, tree: Any, parsed: Parsed, prefix: str) -> None:
        try:
            for name in names_in(tree):
                if name.schema is not None and _TEMP_SCHEMA.match(name.schema):
                    raise refusal(f"{prefix}uses the temporary schema ({name.shown()})", parsed.line, parsed.text)
                if not self.referable(name):
                    refused = refusal(f"{prefix}names {name.shown()}, outside the tenant", parsed.line, parsed.text)
                    refused.outside = name
                    raise refused
        except Unreadable as exc:
            cause = f"{prefix}holds a construct Resguardo cannot check ({exc.args[0]})"
            raise refusal(cause, parsed.line, parsed.text) from None
        for name, arity in _called_functions(tree):
            if name.schema in (None, "pg_catalog", "public") and reaches_outside(name.name, arity):
                raise refusal(f"{prefix}calls {name.name}, which reaches outside the tenant", parsed.line, parsed.text)


# What a routine's search_path may list besides the tenant: the schemas a file may name; pg_temp (placed last, as
# PostgreSQL advises for SECURITY DEFINER functions; names in it are refused anyway); '' (no schema at all); and
# `$user`, PostgreSQL's default, the schema named after whoever calls the routine (its own, if any).
_PATH_SCHEMAS = REFERENCE_SCHEMAS | {"pg_temp", "", "$user"}


def function_search_path(stmt: Any) -> list[str]:
    """The schemas a CREATE FUNCTION's `SET search_path` lists ([] without one): each value is one schema's
    exact name (PostgreSQL quotes each as an identifier when it stores the setting)."""
    return [_string_value(value) or "" for value in _search_path_args(stmt)]


def _search_path_args(stmt: Any) -> tuple[Any, ...]:
    for option in stmt.options or ():
        arg = option.arg
        if (
            option.defname == "set"
            and isinstance(arg, ast.VariableSetStmt)
            and (arg.name or "").lower() == "search_path"
        ):
            return tuple(arg.args or ())
    return ()


def _string_value(node: Any) -> str | None:
    return str(node.val.sval) if isinstance(node, ast.A_Const) and isinstance(node.val, ast.String) else None


# What a function body written as a string may run: queries and row changes (names checked like the file's).
_BODY_KINDS = frozenset({"SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "CallStmt", "NotifyStmt"})
_DYNAMIC = frozenset({"PLpgSQL_stmt_dynexecute", "PLpgSQL_stmt_dynfors"})
_PLPGSQL_TRANSACTION = frozenset({"PLpgSQL_stmt_commit", "PLpgSQL_stmt_rollback"})


class _Unchecked(Exception):
    """A function body whose statements cannot be known before it runs."""


def function_body(stmt: Any, text: str) -> Iterator[Any]:
    """The statements a sql or plpgsql function's string body runs, parsed; _Unchecked when they cannot be
    known before it runs (SQL built at run time). The body runs with the rights of whoever calls it, the
    restore itself among them (a CHECK, a default, an index expression, a trigger)."""
    options = {str(o.defname): o.arg for o in stmt.options or ()}
    language = options.get("language")
    body = options.get("as")
    if stmt.sql_body is not None or not isinstance(body, tuple) or len(body) != 1:
        return  # a BEGIN ATOMIC body is part of the tree, already checked
    source = str(body[0].sval or "")
    if language is None or (isinstance(language, ast.String) and language.sval == "sql"):
        yield from _statements(source)
    elif isinstance(language, ast.String) and language.sval == "plpgsql":
        try:
            tree = json.loads(parse_plpgsql_json(text))
        except ParseError as exc:
            raise _Unchecked(f"is not plpgsql PostgreSQL reads ({exc.args[0]})") from None
        for query in _plpgsql_queries(tree):
            yield from _statements(query)


def _statements(text: str) -> Iterator[Any]:
    try:
        data = json.loads(parse_sql_json(text))
    except ParseError as exc:
        raise _Unchecked(f"holds text that is not SQL PostgreSQL reads ({exc.args[0]})") from None
    for raw in data.get("stmts", ()):
        yield _node("RawStmt", raw).stmt


def _plpgsql_queries(tree: Any) -> Iterator[str]:
    """Every SQL text a plpgsql function holds, as a statement (expressions become SELECTs)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            if key in _DYNAMIC or (key in ("PLpgSQL_stmt_open", "PLpgSQL_stmt_return_query") and "dynquery" in value):
                raise _Unchecked("runs SQL built while it runs (EXECUTE), which Resguardo cannot check")
            if key in _PLPGSQL_TRANSACTION:
                raise _Unchecked("ends or changes the transaction (COMMIT, ROLLBACK)")
            if key == "PLpgSQL_expr":
                query, mode = str(value.get("query", "")), int(value.get("parseMode", 0))
                if mode == 0:
                    yield query
                elif mode == 2:
                    yield "SELECT " + query
                else:  # an assignment `target := expression`
                    yield "SELECT " + query.split(":=", 1)[-1]
            stack.append(value)


def _refused_kind(stmt: Any, kind: str) -> str | None:
    """Why a statement of this kind (and shape) is refused, or None when its kind may run."""
    if kind in _REFUSED:
        return _REFUSED[kind]
    if kind == "CopyStmt":
        return _copy_cause(stmt)
    if kind == "CreateFunctionStmt":
        return _function_cause(stmt)
    if kind == "CreateOpClassStmt" and stmt.isDefault:
        # PostgreSQL looks for a type's default operator class in every schema: sorting or grouping a
        # built-in type anywhere in the database would call the clinic's functions, with the caller's rights.
        return "creates a DEFAULT operator class, which queries outside the tenant would use"
    if kind == "DefineStmt":
        what = enum_name(stmt.kind)
        if what not in _DEFINE_KINDS:
            return "defines a text search parser or template, which needs C functions"
        if what == "OBJECT_TYPE" and stmt.definition:
            return "defines a base type, which needs C functions"
        return None
    if kind == "AlterTableStmt":
        for cmd in _commands(stmt):
            if cmd not in _TABLE_COMMANDS:
                return f"alters a table in a way a schema dump does not ({cmd.removeprefix('AT_')})"
        return None
    if kind == "AlterSeqStmt":
        if any(o.defname != "owned_by" for o in stmt.options or ()):
            return "alters a sequence in a way a schema dump does not"
        return None
    if kind == "AlterDomainStmt":
        return None if stmt.subtype == "C" else "alters a domain in a way a schema dump does not"
    if kind == "AlterOpFamilyStmt":
        return "removes operators from an operator family" if stmt.isDrop else None
    if kind == "AlterTSConfigurationStmt":
        return None if enum_name(stmt.kind) in _TS_KINDS else "changes a text search configuration's mappings"
    if kind in ("CreateStmt", "ViewStmt", "CreateSeqStmt"):
        rel = stmt.view if kind == "ViewStmt" else stmt.sequence if kind == "CreateSeqStmt" else stmt.relation
        if rel.relpersistence == "t":
            return "creates a temporary object"
        if kind == "CreateStmt" and stmt.tablespacename:
            return f"places a table in the tablespace {stmt.tablespacename}"
        return None
    if kind == "IndexStmt":
        return f"places an index in the tablespace {stmt.tableSpace}" if stmt.tableSpace else None
    if kind == "CreateTableAsStmt":
        if enum_name(stmt.objtype) != "OBJECT_MATVIEW" or not stmt.into.skipData:
            return "runs a query into a new table (CREATE TABLE AS, or a materialized view filled at once)"
        return "creates a temporary object" if stmt.into.rel.relpersistence == "t" else None
    if kind == "CommentStmt":
        comment_on = GLOBAL_OBJECTS.get(enum_name(stmt.objtype))
        return f"changes the comment of {comment_on}" if comment_on else None
    if kind == "InsertStmt":
        return _insert_cause(stmt)
    if (
        kind
        in (
            "CompositeTypeStmt",
            "CreateEnumStmt",
            "CreateRangeStmt",
            "CreateDomainStmt",
            "CreateOpClassStmt",
            "CreateOpFamilyStmt",
            "CreateStatsStmt",
            "AlterStatsStmt",
            "CreateTrigStmt",
            "RuleStmt",
            "CreatePolicyStmt",
            "RefreshMatViewStmt",
            "CreateSchemaStmt",
            "VariableSetStmt",
            "SelectStmt",
            "DropStmt",
        )
        or kind in SKIPPED_KINDS
    ):
        return None  # decided by the format (schemas, settings, queries) or by names alone
    return f"holds a statement Resguardo does not run ({kind})"


def _copy_cause(stmt: Any) -> str | None:
    if stmt.is_program:
        return "runs an operating-system program (COPY ... PROGRAM)"
    if stmt.filename is not None:
        return "reads or writes a file on the server (COPY ... FILE)"
    if not stmt.is_from or stmt.query is not None:
        return "reads tables out (COPY ... TO)"
    if stmt.options or stmt.whereClause is not None:
        return "loads rows with COPY options a dump does not use"
    return None


def _function_cause(stmt: Any) -> str | None:
    for option in stmt.options or ():
        name, arg = str(option.defname), option.arg
        if name == "language" and isinstance(arg, ast.String) and arg.sval not in _LANGUAGES:
            return f"creates a function in the language {arg.sval}, which a restore does not run"
        if name == "as" and isinstance(arg, tuple) and len(arg) > 1:
            return "creates a function from a server library file"
        if name in ("leakproof", "support", "transform"):
            return f"creates a function with {name.upper()}, which only a superuser may"
        if (
            name == "set"
            and isinstance(arg, ast.VariableSetStmt)
            and (arg.name or "").lower() in ("role", "session_authorization")
        ):
            return "creates a function that changes the session's role"
    return None


def _insert_cause(stmt: Any) -> str | None:
    """pg_dump --inserts writes INSERT ... VALUES of constants (DEFAULT for generated columns), nothing else."""
    select = stmt.selectStmt
    if (
        stmt.withClause is not None
        or stmt.returningClause is not None
        or not isinstance(select, ast.SelectStmt)
        or not select.valuesLists
        or select.targetList
        or select.fromClause
    ):
        return "runs a query in an INSERT"
    conflict = stmt.onConflictClause
    if conflict is not None and (enum_name(conflict.action) != "ONCONFLICT_NOTHING" or conflict.infer is not None):
        return "runs an INSERT with ON CONFLICT ... DO UPDATE"
    for row in select.valuesLists:
        for value in row:
            if not isinstance(value, (ast.A_Const, ast.SetToDefault)):
                return "computes a value in an INSERT (only constants are loaded)"
    return None


# ---------------------------------------------------------------- printing back


@node_printer(ast.CreateOpClassStmt, override=True)
def _create_opclass_stmt(node: Any, output: Any) -> None:
    """pglast 8.8 leaves out FAMILY (and the round trip would refuse every pg_dump operator class)."""
    output.write("CREATE OPERATOR CLASS ")
    output.print_name(node.opclassname)
    if node.isDefault:
        output.write("DEFAULT ")
    output.write("FOR TYPE ")
    output.print_name(node.datatype)
    output.write("USING ")
    output.print_name(node.amname)
    if node.opfamilyname:
        output.write("FAMILY ")
        output.print_name(node.opfamilyname)
    output.write("AS ")
    output.print_list(node.items, ",")


@node_printer(ast.AlterTSConfigurationStmt, override=True)
def _alter_ts_configuration_stmt(node: Any, output: Any) -> None:
    """pglast 8.8 prints only the first part of a qualified dictionary name (and quotes none)."""
    words = {
        "ALTER_TSCONFIG_ADD_MAPPING": "ADD MAPPING FOR ",
        "ALTER_TSCONFIG_ALTER_MAPPING_FOR_TOKEN": "ALTER MAPPING FOR ",
    }
    output.write("ALTER TEXT SEARCH CONFIGURATION ")
    output.print_name(node.cfgname)
    output.write(" " + words[enum_name(node.kind)])
    for i, token in enumerate(node.tokentype):
        output.write(", " if i else "")
        output.print_name(token)
    output.write(" WITH ")
    for i, dictionary in enumerate(node.dicts):
        output.write(", " if i else "")
        output.print_name(dictionary)


def rewritten(parsed: Parsed, source: str, target: str) -> str:
    """The statement with `source` replaced by `target` wherever it qualifies a name, and in a routine's
    `SET search_path` (the restore names the tenant there again before the swap), printed back exactly."""
    try:
        for name in names_in(parsed.node):
            if name.schema == source and name.setter is not None:
                name.setter(target)
    except Unreadable as exc:  # Rules.check walked the same tree already
        raise refusal(f"holds a construct Resguardo cannot check ({exc.args[0]})", parsed.line, parsed.text) from None
    if isinstance(parsed.node, ast.CreateFunctionStmt):
        for value in _search_path_args(parsed.node):
            if _string_value(value) == source:
                value.val.sval = target
    return printed(parsed)


def printed(parsed: Parsed) -> str:
    """The (rewritten) tree as SQL text that parses back to exactly the same tree; refused otherwise."""
    cause = "holds a statement Resguardo cannot write back exactly"
    try:
        text = RawStream()(parsed.node)
        again = parse_one(text, parsed.line)
        same = again is not None and again.node == parsed.node
    except RefusedStatement:
        raise refusal(cause, parsed.line, parsed.text) from None
    except RecursionError:
        raise refusal("nests expressions too deeply to be checked", parsed.line, parsed.text) from None
    except Exception as exc:
        raise refusal(f"{cause} ({type(exc).__name__})", parsed.line, parsed.text) from None
    if not same:
        raise refusal(cause, parsed.line, parsed.text)
    return text


# ---------------------------------------------------------------- native archives


def check_native(text: str, *, line: int, label: str) -> CheckedStatement | None:
    """Check one statement of a native archive's pre-data or post-data (written with unqualified names,
    replayed with search_path set to the staging schema). None: skip it (owners, grants and sequence
    values are applied by the restore itself); RefusedStatement when it may not run."""
    parsed = parse_one(text, line)
    if parsed is None:
        return None
    stmt, kind = parsed.node, parsed.kind
    if kind == "DoStmt" and label.startswith("default-privileges"):
        return None  # archives of the previous version: default privileges come from the live tenant now
    if kind in SKIPPED_KINDS or is_owner_change(stmt) or is_setval(stmt, parsed, None):
        return None
    if kind in (
        "VariableSetStmt",
        "SelectStmt",
        "CreateSchemaStmt",
        "DropStmt",
        "InsertStmt",
        "CopyStmt",
    ) or is_cleanup(stmt):
        raise refusal(_native_cause(stmt, kind), line, parsed.text)
    Rules(None).check(parsed)
    return CheckedStatement(parsed.text, line, kind, table_built_on(stmt), kind in NEEDS_SUPERUSER)


def _native_cause(stmt: Any, kind: str) -> str:
    if kind == "VariableSetStmt":
        return setting_cause(stmt) or f"changes the setting {stmt.name}"
    if kind == "CopyStmt":
        return _copy_cause(stmt) or "loads rows outside the archive's table data"
    return {
        "SelectStmt": "runs a query (SELECT)",
        "CreateSchemaStmt": "creates a schema",
        "InsertStmt": "inserts rows outside the archive's table data",
    }.get(kind, "drops objects")


def setting_cause(stmt: Any) -> str | None:
    """The refusal of a SET that touches the session's identity or transaction, if it is one."""
    name = (stmt.name or "").lower()
    kind = enum_name(stmt.kind)
    if kind in ("VAR_RESET", "VAR_RESET_ALL"):
        return "resets the session's settings or role (RESET)"
    if name in ("role", "session_authorization"):
        return "changes the session's role"
    if kind == "VAR_SET_MULTI" or name in ("transaction", "session_characteristics", "transaction_isolation"):
        return "changes the transaction's settings"
    if stmt.is_local:
        return f"changes the setting {name} (SET LOCAL)"
    return None


def is_setval(stmt: Any, parsed: Parsed, rules: Rules | None) -> bool:
    """`SELECT pg_catalog.setval('<seq>', n, bool)` exactly, as pg_dump and the native format write it."""
    call = only_call(stmt)
    if call is None or [p.sval for p in call.funcname] not in (["pg_catalog", "setval"], ["setval"]):
        return False
    args: tuple[Any, ...] = tuple(call.args or ())
    if (
        not 2 <= len(args) <= 3
        or not all(isinstance(a, ast.A_Const) for a in args)
        or not isinstance(args[0].val, ast.String)
        or not isinstance(args[1].val, (ast.Integer, ast.Float))
        or (len(args) == 3 and not isinstance(args[2].val, ast.Boolean))
    ):
        raise refusal("sets a sequence in a form pg_dump does not write", parsed.line, parsed.text)
    try:
        (name,) = list(_literal_name(args[0], "regclass"))
    except Unreadable:
        raise refusal("sets a sequence whose name cannot be read", parsed.line, parsed.text) from None
    own = rules.own if rules is not None else None
    if name.catalog is not None or name.schema != own:
        raise refusal(f"sets the sequence {name.shown()}, outside its own schema", parsed.line, parsed.text)
    return True


def only_call(stmt: Any) -> Any:
    """The function call of `SELECT f(...)` with nothing else around it, or None."""
    if not isinstance(stmt, ast.SelectStmt) or not stmt.targetList or len(stmt.targetList) != 1:
        return None
    if any(
        getattr(stmt, s)
        for s in (
            "fromClause",
            "whereClause",
            "groupClause",
            "havingClause",
            "withClause",
            "valuesLists",
            "sortClause",
            "limitCount",
            "limitOffset",
            "distinctClause",
            "lockingClause",
            "windowClause",
            "larg",
            "rarg",
            "intoClause",
        )
    ):
        return None
    target = stmt.targetList[0]
    if target.name is not None or not isinstance(target.val, ast.FuncCall):
        return None
    call = target.val
    if call.agg_order or call.agg_filter or call.over or call.agg_star or call.agg_distinct or call.func_variadic:
        return None
    return call


# ---------------------------------------------------------------- sending


def prepare_session(conn: psycopg.Connection[Any]) -> None:
    """Make the server read strings as pglast did when it checked them (a database or role may default
    standard_conforming_strings to off); for the transaction only."""
    conn.execute("SET LOCAL standard_conforming_strings = on")


def execute_checked(conn: psycopg.Connection[Any], statement: CheckedStatement) -> psycopg.Cursor[Any]:
    """Run one checked statement through the extended query protocol: the server refuses a second command
    in the text, whatever the gate thought (psycopg uses the simple protocol, which runs several, when a
    query has no parameters; binary results force the extended one). Returns the (closed) cursor: in a
    pipeline, its `pgresult` arrives once the statement has run."""
    with conn.cursor() as cur:
        cur.execute(statement.text.encode(conn.info.encoding), prepare=False, binary=True)
    return cur

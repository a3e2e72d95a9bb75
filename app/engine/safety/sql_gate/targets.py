"""What a statement creates or alters (it must lie in the file's schema); the table a key or index builds on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pglast import ast

from app.engine.safety.sql_gate.kinds import enum_name
from app.engine.safety.sql_gate.names import Name, from_strings, nodes_in, object_name, relation_name
from app.engine.safety.sql_gate.tree import child_slots


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
        found.append(relation_name(stmt.relation))
    if kind == "CreateStmt":  # INHERITS and PARTITION OF parents change too
        found.extend(relation_name(parent) for parent in stmt.inhRelations or ())
    if kind == "AlterTableStmt":
        for cmd in stmt.cmds or ():
            if isinstance(cmd.def_, ast.PartitionCmd):
                found.append(relation_name(cmd.def_.name))
            elif isinstance(cmd.def_, ast.RangeVar):
                found.append(relation_name(cmd.def_))
    single = {
        "CreateSeqStmt": "sequence",
        "AlterSeqStmt": "sequence",
        "ViewStmt": "view",
        "CompositeTypeStmt": "typevar",
        "CreatePolicyStmt": "table",
    }
    if kind in single:
        found.append(relation_name(getattr(stmt, single[kind])))
    if kind == "CreateTableAsStmt":
        found.append(relation_name(stmt.into.rel))
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
        found.append(from_strings(getattr(stmt, lists[kind])))
    if kind == "CreateOpClassStmt" and stmt.opfamilyname:
        found.append(from_strings(stmt.opfamilyname))
    if kind == "CreateStatsStmt":
        found.extend(relation_name(rel) for rel in stmt.relations or () if isinstance(rel, ast.RangeVar))
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
            yield from_strings(node.arg)
        for slot in child_slots(node):
            value = getattr(node, slot)
            if isinstance(value, ast.Node):
                stack.append(value)
            elif isinstance(value, tuple):
                stack.extend(nodes_in(value))


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

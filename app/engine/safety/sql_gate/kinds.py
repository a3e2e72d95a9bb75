"""The allow-list of statement kinds: the kinds and shapes a file may hold, and the cause named for the rest."""

from __future__ import annotations

import enum
from typing import Any

from pglast import ast

# Refused kinds, with the cause named to the user.
REFUSED_KINDS: dict[str, str] = {
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


def refused_kind(stmt: Any, kind: str) -> str | None:
    """Why a statement of this kind (and shape) is refused, or None when its kind may run."""
    if kind in REFUSED_KINDS:
        return REFUSED_KINDS[kind]
    if kind == "CopyStmt":
        return copy_cause(stmt)
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


def copy_cause(stmt: Any) -> str | None:
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

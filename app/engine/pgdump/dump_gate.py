"""What a pg_dump file of one schema may do: each statement run rewritten into the staging schema, skipped, or refused.

The reader decides nothing. Every piece is parsed by pglast (app/engine/safety/sql_gate/)
and a piece that is not exactly one statement is refused, so a wrong boundary can
only cause a refusal, never a hidden statement. `DumpGate` then decides each
statement: run it rewritten into the staging schema, skip it (settings, owners,
grants: the restore's own business), or refuse the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pglast import ast

from app.engine.pgdump.script_lexer import MetaCommand
from app.engine.safety.sql_gate.kinds import (
    GLOBAL_OBJECTS,
    NEEDS_SUPERUSER,
    SKIPPED_KINDS,
    enum_name,
    is_cleanup,
    is_owner_change,
    setting_cause,
)
from app.engine.safety.sql_gate.names import Name, quote_ident
from app.engine.safety.sql_gate.parse import Parsed, parse_one
from app.engine.safety.sql_gate.printing import rewritten
from app.engine.safety.sql_gate.rules import Rules
from app.engine.safety.sql_gate.setval import is_setval, only_call
from app.engine.safety.sql_gate.targets import table_built_on, targets
from app.engine.safety.sql_gate.verdict import CheckedStatement, refusal

_SKIPPED_SETTINGS = frozenset(
    {
        "statement_timeout",
        "lock_timeout",
        "idle_in_transaction_session_timeout",
        "transaction_timeout",
        "client_min_messages",
        "escape_string_warning",
    }
)
_BOOLEANS = {"on": "on", "true": "on", "yes": "on", "1": "on", "off": "off", "false": "off", "no": "off", "0": "off"}
_LOCAL_SETTINGS: dict[str, Callable[[str], str | None]] = {  # value as written -> value sent with SET LOCAL
    "check_function_bodies": _BOOLEANS.get,
    "row_security": _BOOLEANS.get,
    "xmloption": {"content": "content", "document": "document"}.get,
    "default_table_access_method": lambda v: quote_ident(v) if re.fullmatch(r"[a-z_][a-z0-9_]*", v) else None,
}
CHECK_TARGET = "rg_check"  # the staging schema's stand-in when a file is only checked (preview, verify)


@dataclass(frozen=True)
class Decision:
    """What to do with one statement of a pg_dump file."""

    action: str  # "run", "copy" (COPY ... FROM stdin: the rows follow) or "skip"
    statement: CheckedStatement | None = None
    table: str | None = None  # the table a CREATE TABLE creates, or an INSERT/COPY fills (for the preview)
    encoding: str | None = None  # SET client_encoding: how the rest of the file is written


class DumpGate:
    """Decides, statement by statement, what a pg_dump of one schema does in the staging schema `target`.

    The file's schema is learned from its CREATE SCHEMA; before it only settings and what
    `pg_dump --clean` writes (DROP ..., checked once the schema is known) may come. A file that
    is only checked is rewritten into a stand-in schema, so it meets every check a restore would.
    """

    def __init__(self, target: str = CHECK_TARGET) -> None:
        self.target = target
        self.source: str | None = None
        self._cleanup: dict[str, tuple[int, str]] = {}  # schema named by a clean-up statement -> where

    def decide(self, text: str, line: int) -> Decision:
        parsed = parse_one(text, line)
        if parsed is None:
            return Decision("skip")
        stmt, kind = parsed.node, parsed.kind
        if kind == "VariableSetStmt":
            return self._setting(parsed)
        if kind == "SelectStmt":
            return self._select(parsed)
        if kind == "CreateSchemaStmt":
            return self._schema(parsed)
        if kind in SKIPPED_KINDS or is_owner_change(stmt):
            return Decision("skip")  # owners and privileges come from the live tenant
        if is_cleanup(stmt):
            return self._cleanup_statement(parsed)
        if self.source is None:
            raise refusal(
                "is not a pg_dump of one schema: an object comes before its CREATE SCHEMA "
                "(was it made with pg_dump --schema=<tenant>?)",
                line,
                parsed.text,
            )
        if kind == "CommentStmt" and enum_name(stmt.objtype) == "OBJECT_SCHEMA":
            return self._comment_on_schema(parsed)
        Rules(self.source).check(parsed)
        table = str(stmt.relation.relname) if kind in ("CreateStmt", "InsertStmt", "CopyStmt") else None
        return Decision("copy" if kind == "CopyStmt" else "run", self._checked(parsed, table_built_on(stmt)), table)

    def _checked(self, parsed: Parsed, table: str | None) -> CheckedStatement:
        assert self.source is not None
        return CheckedStatement(
            rewritten(parsed, self.source, self.target), parsed.line, parsed.kind, table, parsed.kind in NEEDS_SUPERUSER
        )

    def _schema(self, parsed: Parsed) -> Decision:
        stmt = parsed.node
        if stmt.schemaElts:
            raise refusal(
                "creates objects inside CREATE SCHEMA, which pg_dump does not write", parsed.line, parsed.text
            )
        name = str(stmt.schemaname)
        if self.source is None:
            self.source = name
            for other, (line, text) in self._cleanup.items():
                if other != name:
                    raise refusal(f"drops objects of the schema {other}, outside the tenant", line, text)
            return Decision("skip")  # the restore creates the staging schema itself
        if name != self.source:
            raise refusal(f"creates another schema ({name}); a tenant file holds one", parsed.line, parsed.text)
        return Decision("skip")

    def _comment_on_schema(self, parsed: Parsed) -> Decision:
        obj = parsed.node.object
        name = obj.sval if isinstance(obj, ast.String) else ""
        if name != self.source:
            raise refusal(f"changes the schema {name}, outside the tenant", parsed.line, parsed.text)
        return Decision("skip")  # the staging schema's comment is the restore's own

    def _cleanup_statement(self, parsed: Parsed) -> Decision:
        """pg_dump --clean's drops come before the schema exists; the staging schema starts empty: skipped."""
        stmt = parsed.node
        dropped = enum_name(stmt.removeType) if isinstance(stmt, ast.DropStmt) else ""
        if dropped in GLOBAL_OBJECTS and dropped != "OBJECT_SCHEMA":
            raise refusal(f"drops {GLOBAL_OBJECTS[dropped]}, outside any schema", parsed.line, parsed.text)
        if dropped == "OBJECT_SCHEMA":
            names = [(str(o.sval), f"the schema {o.sval}") for o in stmt.objects or () if isinstance(o, ast.String)]
        else:
            found: list[Name] = targets(stmt)
            if any(n.catalog is not None for n in found):
                raise refusal("drops an object of another database", parsed.line, parsed.text)
            names = [(n.schema, n.shown()) for n in found if n.schema is not None]
        for schema, shown in names:
            if self.source is not None:
                where = (
                    "outside the tenant"
                    if schema != self.source
                    else "after creating its schema, which pg_dump does not write"
                )
                raise refusal(f"drops {shown}, {where}", parsed.line, parsed.text)
            if schema not in self._cleanup:
                if self._cleanup:
                    raise refusal(f"drops objects of more than one schema ({schema})", parsed.line, parsed.text)
                self._cleanup[schema] = (parsed.line, parsed.text)
        if self.source is not None:
            raise refusal(
                "drops objects after creating its schema, which pg_dump does not write", parsed.line, parsed.text
            )
        return Decision("skip")

    def _setting(self, parsed: Parsed) -> Decision:
        """pg_dump's SETs are interpreted, never sent as written: a few go on as SET LOCAL with a sane value."""
        stmt = parsed.node
        cause = setting_cause(stmt)
        if cause is not None:
            raise refusal(cause, parsed.line, parsed.text)
        name = (stmt.name or "").lower()
        args = stmt.args or ()
        if not all(isinstance(a, ast.A_Const) for a in args):
            raise refusal(f"sets {name} to an expression", parsed.line, parsed.text)
        words = [_constant_text(a.val) for a in args]
        value = words[0].lower() if len(words) == 1 else ""
        if name in _SKIPPED_SETTINGS:
            return Decision("skip")  # Resguardo's own timeouts and messages govern
        if name == "client_encoding" and len(words) == 1:
            return Decision("skip", encoding=words[0])
        if name == "standard_conforming_strings":
            if _BOOLEANS.get(value) == "on":
                return Decision("skip")
            raise refusal(
                "turns standard_conforming_strings off, so its strings would not be read as they were checked",
                parsed.line,
                parsed.text,
            )
        if name == "default_tablespace":
            if value == "":
                return Decision("skip")
            raise refusal(f"places objects in the tablespace {words[0]}", parsed.line, parsed.text)
        if name == "default_with_oids" and _BOOLEANS.get(value) == "off":
            return Decision("skip")
        if name == "search_path":
            allowed = {"", "pg_catalog", "public"} | ({self.source} if self.source else set())
            if all(w in allowed for w in words):
                return Decision("skip")  # the restore's search_path stays: the staging schema
            raise refusal(f"sets search_path to {', '.join(words)}, outside the tenant", parsed.line, parsed.text)
        sane = _LOCAL_SETTINGS.get(name)
        sent = sane(value) if sane is not None and len(words) == 1 else None
        if sent is None:
            raise refusal(
                f"changes the setting {name}, which a restore does not take from a file", parsed.line, parsed.text
            )
        return Decision("run", CheckedStatement(f"SET LOCAL {name} = {sent}", parsed.line, "VariableSetStmt"))

    def _select(self, parsed: Parsed) -> Decision:
        """Only pg_dump's two SELECTs: the empty search_path (skipped) and setval into its own schema."""
        stmt = parsed.node
        call = only_call(stmt)
        words = [getattr(p, "sval", "") for p in call.funcname] if call is not None else []
        if words in (["pg_catalog", "set_config"], ["set_config"]):
            args = [getattr(a, "val", None) for a in call.args or ()]
            if (
                len(args) == 3
                and isinstance(args[0], ast.String)
                and args[0].sval == "search_path"
                and isinstance(args[1], ast.String)
                and not args[1].sval
                and isinstance(args[2], ast.Boolean)
                and not args[2].boolval
            ):
                return Decision("skip")  # pg_dump's empty search_path: its names are qualified, ours stays
            raise refusal("changes a setting with set_config", parsed.line, parsed.text)
        if words and words[-1].startswith(("lo_", "lowrite")):
            raise refusal("uses a large object, which lives outside any schema", parsed.line, parsed.text)
        if self.source is not None and is_setval(stmt, parsed, Rules(self.source)):
            return Decision("run", self._checked(parsed, None))
        raise refusal("runs a query (SELECT), which a schema dump does not need", parsed.line, parsed.text)


def _constant_text(value: Any) -> str:
    if isinstance(value, ast.String):
        return str(value.sval or "")
    if isinstance(value, ast.Integer):
        return str(value.ival)
    if isinstance(value, ast.Float):
        return str(value.fval)
    if isinstance(value, ast.Boolean):
        return "on" if value.boolval else "off"
    return str(getattr(value, "bsval", ""))


_META_ALLOWED = frozenset({"\\restrict", "\\unrestrict"})  # pg_dump 17.6+, 16.10+, 15.14+: psql's own guard


def check_meta(meta: MetaCommand) -> None:
    """psql commands are never run: pg_dump's \\restrict lines are skipped, any other refuses the file."""
    if meta.command in _META_ALLOWED:
        return
    if meta.command in ("\\c", "\\connect"):
        raise refusal("switches to another database", meta.line, meta.text)
    if meta.command == "\\.":
        raise refusal("has table data without a COPY statement", meta.line, meta.text)
    raise refusal(f"holds the psql command {meta.command}, which Resguardo does not run", meta.line, meta.text)

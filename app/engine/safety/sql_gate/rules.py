"""The checks a statement passes: its kind allowed, every name it creates, references or calls where it may lie."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pglast import ast

from app.engine.safety.sql_gate.function_bodies import BODY_KINDS, Unchecked, function_body
from app.engine.safety.sql_gate.kinds import REFUSED_KINDS, copy_cause, refused_kind, setting_cause
from app.engine.safety.sql_gate.names import Name, Unreadable, names_in
from app.engine.safety.sql_gate.outside import called_functions, reaches_outside
from app.engine.safety.sql_gate.parse import Parsed
from app.engine.safety.sql_gate.targets import targets
from app.engine.safety.sql_gate.verdict import refusal

REFERENCE_SCHEMAS = frozenset({"pg_catalog", "public"})
_TEMP_SCHEMA = re.compile(r"pg_temp(_\d+)?$")


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
        cause = refused_kind(stmt, kind)
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
                    if what not in BODY_KINDS:
                        cause = (
                            REFUSED_KINDS.get(what)
                            or (copy_cause(body) if what == "CopyStmt" else None)
                            or (setting_cause(body) if what == "VariableSetStmt" else None)
                            or f"runs a statement a function body may not ({what})"
                        )
                        raise refusal(f"creates a function whose body {cause}", parsed.line, parsed.text)
                    self._names(body, parsed, "creates a function whose body ")
        except Unchecked as exc:
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
        for name, arity in called_functions(tree):
            if name.schema in (None, "pg_catalog", "public") and reaches_outside(name.name, arity):
                raise refusal(f"{prefix}calls {name.name}, which reaches outside the tenant", parsed.line, parsed.text)


# What a routine's search_path may list besides the tenant: the schemas a file may name; pg_temp (placed last, as
# PostgreSQL advises for SECURITY DEFINER functions; names in it are refused anyway); '' (no schema at all); and
# `$user`, PostgreSQL's default, the schema named after whoever calls the routine (its own, if any).
_PATH_SCHEMAS = REFERENCE_SCHEMAS | {"pg_temp", "", "$user"}


def function_search_path(stmt: Any) -> list[str]:
    """The schemas a CREATE FUNCTION's `SET search_path` lists ([] without one): each value is one schema's
    exact name (PostgreSQL quotes each as an identifier when it stores the setting)."""
    return [string_value(value) or "" for value in search_path_args(stmt)]


def search_path_args(stmt: Any) -> tuple[Any, ...]:
    for option in stmt.options or ():
        arg = option.arg
        if (
            option.defname == "set"
            and isinstance(arg, ast.VariableSetStmt)
            and (arg.name or "").lower() == "search_path"
        ):
            return tuple(arg.args or ())
    return ()


def string_value(node: Any) -> str | None:
    return str(node.val.sval) if isinstance(node, ast.A_Const) and isinstance(node.val, ast.String) else None

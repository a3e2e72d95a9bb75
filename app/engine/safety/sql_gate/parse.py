"""PostgreSQL's parser, made linear: one statement's text into pglast's AST through libpg_query's JSON."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any

from pglast import ast, enums
from pglast.parser import ParseError, parse_sql_json

from app.engine.safety.sql_gate.verdict import refusal

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
        node = node_from_json("RawStmt", raw)
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


def node_from_json(name: str, fields: dict[str, Any]) -> Any:
    """A pglast AST node from libpg_query's JSON, the same tree pglast's parse_sql builds (less locations).
    Slots are set as pglast's own `__setattr__` would convert them (enum names, its adaptors), without its
    per-value type checks, which libpg_query's output always passes."""
    cls = getattr(ast, name)
    if name == "A_Const":
        value = next((node_from_json(kind, fields[key]) for key, kind in _CONST_KINDS if key in fields), None)
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
            value = node_from_json(extra, raw)
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
    return node_from_json(name, fields)

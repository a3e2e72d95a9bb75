"""Printing a (rewritten) tree back as SQL, proven to parse back to exactly the tree that was checked."""

from __future__ import annotations

from typing import Any

from pglast import ast
from pglast.printers import node_printer
from pglast.stream import RawStream

from app.engine.safety.sql_gate.kinds import enum_name
from app.engine.safety.sql_gate.names import Unreadable, names_in
from app.engine.safety.sql_gate.parse import Parsed, parse_one
from app.engine.safety.sql_gate.rules import search_path_args, string_value
from app.engine.safety.sql_gate.verdict import RefusedStatement, refusal


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
        for value in search_path_args(parsed.node):
            if string_value(value) == source:
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

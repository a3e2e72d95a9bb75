"""The foreign keys the backup's own DDL declares, to cross-check the live ones the plan follows.

The live catalog decides what comes along (app/engine/recovery/catalog.py): the inserts must satisfy the live
keys, and the file may have been changed. But a key the backup had and the clinic no longer has means rows
that referred to the chosen ones in the backup are not brought along; the plan says so instead of leaving it
unsaid. The schema parts are parsed by PostgreSQL's own parser (pglast), never run; a statement the parser
refuses is skipped here (the restore's gate is what judges the file's SQL).
"""

from __future__ import annotations

from collections.abc import Iterator

import pglast
from pglast import ast, enums

from app.engine.archive.container import POST_DATA_MEMBER, PRE_DATA_MEMBER, ArchiveReader, split_statements
from app.engine.recovery.catalog import ForeignKey

Declared = tuple[str, tuple[str, ...], str, tuple[str, ...]]  # child, its columns, parent, the parent's columns


def declared_keys(reader: ArchiveReader) -> set[Declared]:
    """(child, columns, parent, columns) of each foreign key between the backup's own tables; the parent's
    columns are () when the DDL leaves them to its primary key."""
    source = reader.manifest.source_schema
    found: set[Declared] = set()
    for member in (PRE_DATA_MEMBER, POST_DATA_MEMBER):
        if not reader.has(member):
            continue
        for _, _, text in split_statements(reader.read_text(member)):
            if "REFERENCES" not in text.upper():
                continue
            try:
                statements = pglast.parse_sql(text)
            except pglast.parser.ParseError:
                continue
            for raw in statements:
                found.update(_keys(raw.stmt, source))
    return found


def _keys(statement: ast.Node | None, source: str) -> Iterator[Declared]:
    if isinstance(statement, ast.AlterTableStmt):
        child = _own(statement.relation, source)
        for cmd in statement.cmds or ():
            if child and isinstance(cmd, ast.AlterTableCmd) and isinstance(cmd.def_, ast.Constraint):
                yield from _constraint(child, None, cmd.def_, source)
    elif isinstance(statement, ast.CreateStmt):
        child = _own(statement.relation, source)
        for element in statement.tableElts or () if child else ():
            if isinstance(element, ast.Constraint):
                yield from _constraint(child, None, element, source)
            elif isinstance(element, ast.ColumnDef) and element.colname:
                for constraint in element.constraints or ():
                    if isinstance(constraint, ast.Constraint):
                        yield from _constraint(child, element.colname, constraint, source)


def _constraint(child: str, column: str | None, c: ast.Constraint, source: str) -> Iterator[Declared]:
    parent = _own(c.pktable, source)
    if c.contype != enums.ConstrType.CONSTR_FOREIGN or not parent:
        return
    columns = (column,) if column is not None else tuple(_names(c.fk_attrs))
    yield child, columns, parent, tuple(_names(c.pk_attrs))


def _names(nodes: object) -> Iterator[str]:
    for node in nodes or ():  # type: ignore[attr-defined]
        if isinstance(node, ast.String) and node.sval:
            yield node.sval


def _own(relation: ast.RangeVar | None, source: str) -> str:
    """The table's name when it is one of the backup's own (unqualified, or in its schema); else ''."""
    if relation is None or relation.schemaname not in (None, source):
        return ""
    return relation.relname or ""


def missing_live(declared: set[Declared], live: list[ForeignKey], tables: set[str]) -> list[str]:
    """Sentences for the backup's keys between tables the clinic has that the clinic's tables no longer have."""
    have = {(k.child, k.child_columns, k.parent) for k in live}
    said = []
    for child, columns, parent, _ in sorted(declared):
        if child in tables and parent in tables and (child, columns, parent) not in have:
            said.append(
                f"In the backup, {child} ({', '.join(columns)}) referred to {parent}; the clinic's table no longer "
                "does, so its rows are not brought along through it."
            )
    return said

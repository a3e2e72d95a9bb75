"""The rows of a dumpdata export as COPY text, one spool file per table: memory stays flat.

Django serialises each field with `value_to_string` unless the value is a number, a date or None, so a
field reaches the file as what PostgreSQL's input function for the column reads, except for a few types
rendered here: JSON columns (the value itself), bytea (base64), arrays (a JSON list in a string), hstore
(a JSON object in a string) and ranges (`{"lower", "upper", "bounds"}`). PostgreSQL checks every value
when the rows are loaded.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from app.engine.dumpdata.json_window import MAX_DEPTH, depth
from app.engine.dumpdata.keys import NaturalKeys
from app.engine.dumpdata.layout import Column, Layout
from app.engine.dumpdata.plan import EMPTY, DumpPlan, FieldPlan, ModelPlan
from app.engine.dumpdata.reader import DumpObject, DumpScan, reread
from app.engine.errors import PreflightError
from app.engine.jobs import CancelToken

NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_BUFFER = 64 << 10  # per table: a tenant has dozens of spools open at once


class BadValue(ValueError):
    """A value PostgreSQL cannot take for its column; the caller names the object and the field."""


def copy_text(value: str) -> str:
    return value.translate(_ESCAPES)


def _scalar(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is bool:
        return "t" if value else "f"
    if kind is int or kind is float:
        return str(value)
    raise BadValue(f"a {kind.__name__} where a single value belongs")


def _plain(value: Any) -> str:
    """Most columns: the value as Django wrote it (numbers need no escaping)."""
    if type(value) is str:
        return value.translate(_ESCAPES)
    return copy_text(_scalar(value))


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _bytea(value: Any) -> str:
    try:
        return "\\x" + base64.b64decode(_scalar(value), validate=True).hex()
    except (binascii.Error, ValueError):
        raise BadValue("binary data that is not base64") from None


def _decoded(value: Any) -> Any:
    """Arrays, hstore and ranges arrive as JSON text inside a string."""
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except (ValueError, RecursionError):
            raise BadValue("text that is not the JSON Django writes for this type") from None
        if depth(decoded) > MAX_DEPTH:
            raise BadValue(f"JSON nested more than {MAX_DEPTH} levels deep")
        return decoded
    return value


def _quoted(item: str) -> str:
    return '"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _array(value: Any) -> str:
    items = _decoded(value)
    if not isinstance(items, list):
        raise BadValue("an array field whose value is not a list")
    return (
        "{"
        + ",".join("NULL" if v is None else _array(v) if isinstance(v, list) else _quoted(_scalar(v)) for v in items)
        + "}"
    )


def _hstore(value: Any) -> str:
    pairs = _decoded(value)
    if not isinstance(pairs, dict):
        raise BadValue("an hstore field whose value is not an object")
    return ", ".join(f"{_quoted(str(k))}=>{'NULL' if v is None else _quoted(_scalar(v))}" for k, v in pairs.items())


def _range(value: Any) -> str:
    bounds = _decoded(value)
    if not isinstance(bounds, dict):
        raise BadValue("a range field whose value is not an object")
    if bounds.get("empty"):
        return "empty"
    ends = str(bounds.get("bounds", "[)"))
    if len(ends) != 2:
        raise BadValue("a range with bounds that are not two characters")
    lower, upper = (("" if bounds.get(k) is None else _quoted(_scalar(bounds[k]))) for k in ("lower", "upper"))
    return f"{ends[0]}{lower},{upper}{ends[1]}"


def converter(column: Column) -> Callable[[Any], str]:
    """Value -> COPY text (escaped) for one column; None is handled by the caller."""
    if column.type_name in ("json", "jsonb"):
        return lambda v: copy_text(_json_text(v))
    if column.type_name == "bytea":
        return lambda v: copy_text(_bytea(v))
    if column.category == "A":
        return lambda v: copy_text(_array(v))
    if column.type_name == "hstore":
        return lambda v: copy_text(_hstore(v))
    if column.category == "R":
        return lambda v: copy_text(_range(v))
    return _plain


@dataclass
class Spool:
    """One table's rows, as COPY text in a temporary file."""

    table: str
    columns: list[str]
    path: Path
    rows: int = 0
    handle: IO[bytes] | None = field(default=None, repr=False)

    def write(self, cells: list[str]) -> None:
        assert self.handle is not None
        self.handle.write(("\t".join(cells) + "\n").encode("utf-8"))
        self.rows += 1


@dataclass
class _ModelWriter:
    plan: ModelPlan
    spool: Spool
    cells: list[tuple[str, Callable[[Any], str], FieldPlan]]  # (field, converter, plan) per COPY column after pk
    m2m: list[tuple[str, FieldPlan, Spool]]
    without_pk: int = 0


class Spooler:
    """Writes each table's rows from the export into its spool, resolving natural keys on the way."""

    def __init__(self, scan: DumpScan, plan: DumpPlan, layout: Layout, keys: NaturalKeys | None, folder: Path) -> None:
        self.scan, self.plan, self.layout, self.keys = scan, plan, layout, keys
        self.spools: dict[str, Spool] = {}
        self._writers: dict[str, _ModelWriter] = {}
        for model, mplan in plan.models.items():
            table = layout.tables[mplan.table]
            cells = [
                (f.name, converter(table.columns[f.column]), f) for f in mplan.fields.values() if f.column is not None
            ]
            m2m = []
            for f in mplan.fields.values():
                if f.through is not None:
                    m2m.append((f.name, f, self._spool(f.through.table, [f.through.source, f.through.target], folder)))
            self._writers[model] = _ModelWriter(mplan, self._spool(mplan.table, mplan.columns, folder), cells, m2m)
        self._pk_text = {m: converter(layout.tables[p.table].columns[p.pk]) for m, p in plan.models.items()}

    def _spool(self, table: str, columns: list[str], folder: Path) -> Spool:
        fd, name = tempfile.mkstemp(prefix="table-", suffix=".copy", dir=folder)
        spool = Spool(table, columns, Path(name), handle=os.fdopen(fd, "wb", buffering=_BUFFER))
        self.spools[table] = spool
        return spool

    def run(self, cancel: CancelToken, progress: Callable[[int], None] | None = None) -> None:
        """One pass over the export; PreflightError naming the first object that cannot become a row."""
        try:
            for obj in reread(self.scan, cancel):
                writer = self._writers.get(obj.model)
                if writer is not None:
                    self._write(obj, writer)
                if progress is not None and obj.index % 8192 == 0:
                    progress(obj.index)
        finally:
            self.close()

    def close(self) -> None:
        for spool in self.spools.values():
            if spool.handle is not None:
                spool.handle.close()
                spool.handle = None

    def _write(self, obj: DumpObject, writer: _ModelWriter) -> None:
        if not obj.has_pk:
            writer.without_pk += 1
        if self.keys is not None:
            pk = self.keys.pk_of(obj, writer.without_pk)
        elif obj.has_pk:
            pk = obj.pk
        else:
            raise PreflightError(
                f"{self.scan.path.name}: {obj.describe()} has no primary key, and table "
                f"{writer.plan.table} has no natural key to find it by."
            )
        if pk is None:
            raise PreflightError(f"{self.scan.path.name}: {obj.describe()} has a null primary key.")
        fields = obj.fields
        row = [self._pk_text[obj.model](pk)]
        for name, convert, fplan in writer.cells:
            if name not in fields:
                raise PreflightError(
                    f"{self.scan.path.name}: {obj.describe()} has no field {name!r}, which other "
                    f"{obj.model} objects have: the file was edited or is damaged."
                )
            value = fields[name]
            if type(value) is list and fplan.fk_table is not None and self.keys is not None:
                value = self.keys.lookup(fplan.fk_table, value, obj, name)
            elif value is not None and fplan.fk_table is not None and self.plan.actions.get(fplan.fk_table) == EMPTY:
                raise self._points_at_emptied(obj, name, fplan.fk_table)
            try:
                row.append(NULL if value is None else convert(value))
            except BadValue as exc:
                raise PreflightError(
                    f"{self.scan.path.name}: {obj.describe()} has, in its field {name!r}, {exc}."
                ) from None
        writer.spool.write(row)
        for name, fplan, spool in writer.m2m:
            self._write_m2m(obj, pk, name, fplan, spool)

    def _write_m2m(self, obj: DumpObject, pk: Any, name: str, fplan: FieldPlan, spool: Spool) -> None:
        related = obj.fields.get(name)
        if related is None:
            return
        if type(related) is not list:
            raise PreflightError(
                f"{self.scan.path.name}: {obj.describe()} has, in its many-to-many field {name!r}, "
                "something other than a list."
            )
        assert fplan.through is not None
        source = copy_text(_scalar(pk))
        for item in related:
            if type(item) is list:
                if self.keys is None or fplan.through.target_table is None:
                    raise PreflightError(
                        f"{self.scan.path.name}: {obj.describe()} refers, in {name!r}, to {item!r} "
                        "by natural key, and its table has none."
                    )
                target = self.keys.lookup(fplan.through.target_table, item, obj, name)
            else:
                target = item
            try:
                spool.write([source, copy_text(_scalar(target))])
            except BadValue as exc:
                raise PreflightError(
                    f"{self.scan.path.name}: {obj.describe()} has, in its field {name!r}, {exc}."
                ) from None

    def _points_at_emptied(self, obj: DumpObject, name: str, table: str) -> PreflightError:
        return PreflightError(
            f"{self.scan.path.name}: {obj.describe()} points, in its field {name!r}, at a row of table {table}, whose "
            "model the file does not hold (so the restore would leave that table empty): export the related models "
            "too."
        )


def index_keys(keys: NaturalKeys, cancel: CancelToken) -> None:
    """The pass over the export that learns its natural keys (only when it uses them)."""
    ordinals: dict[str, int] = {}
    for obj in reread(keys.scan, cancel):
        ordinal = 0
        if not obj.has_pk:
            ordinal = ordinals[obj.model] = ordinals.get(obj.model, 0) + 1
        keys.add(obj, ordinal)

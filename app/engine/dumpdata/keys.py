"""Natural keys of a dumpdata export, resolved against the file itself or the live tenant's rows.

`dumpdata --natural-foreign` writes a reference to a model that has `natural_key()` as that key (a list:
`["admin@gmail.com"]`, `["auth", "user"]`); `--natural-primary` leaves out the `pk` of such objects. The
key's columns are known for Django's own models (content types, permissions) and taken, for the others,
from the table's unique constraints whose columns hold plain values (a user's email, a group's name...).
A reference resolves to the file's object with that key, else to the live row with that key; an object
without `pk` keeps the live row's id when its key is there (as `loaddata` does), else takes a new id past
the largest in use. A reference that resolves to nothing, or to two rows, is refused, naming the object.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from app.engine.dumpdata.layout import Layout, as_text
from app.engine.dumpdata.plan import DumpPlan, ModelPlan
from app.engine.dumpdata.reader import DumpObject, DumpScan
from app.engine.errors import PreflightError


@dataclass(frozen=True)
class KeyPart:
    column: str
    via: str | None = None  # the table this foreign key column points at: the part is that row's natural key


# Django's own natural keys that are not one unique constraint of plain columns.
_BUILT_IN = {
    "django_content_type": ((KeyPart("app_label"), KeyPart("model")),),
    "auth_permission": ((KeyPart("codename"), KeyPart("content_type_id", "django_content_type")),),
}
_AMBIGUOUS = object()
MAX_KEYS = 1_000_000  # natural keys held in memory: keys of the file's objects plus the references to resolve


def key_specs(layout: Layout, table: str) -> tuple[tuple[KeyPart, ...], ...]:
    """The column tuples a natural key of `table` may stand for, in order of preference."""
    if table in _BUILT_IN:
        return _BUILT_IN[table]
    info = layout.tables[table]
    return tuple(
        tuple(KeyPart(c) for c in unique)
        for unique in info.uniques
        if not any(layout.local_fk(table, c) for c in unique)
    )


def _arity(layout: Layout, spec: tuple[KeyPart, ...]) -> int:
    return sum(1 if p.via is None else _arity(layout, key_specs(layout, p.via)[0]) for p in spec)


def _hashable(value: Any) -> Any:
    """A natural key as a dict key: lists become tuples; an object (no key holds one) its items, so that it
    matches nothing and the reference is refused by name, not by a TypeError."""
    if type(value) is dict:
        return tuple((k, _hashable(v)) for k, v in value.items())
    if type(value) is not list:
        return value
    if not any(type(v) in (list, dict) for v in value):
        return tuple(value)  # a natural key is flat: the usual case, fast
    return tuple(_hashable(v) for v in value)


def _as_text(value: Any) -> str | None:
    """A key value as PostgreSQL writes it (`as_text`), to compare with live rows."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class NaturalKeys:
    """The file's natural keys and how each resolves: built by `index` (a pass over the file) and `resolve`."""

    plan: DumpPlan
    layout: Layout
    scan: DumpScan
    targets: set[str] = field(default_factory=set)  # tables referred to by natural keys
    index: dict[str, dict[tuple[int, tuple[Any, ...]], Any]] = field(default_factory=dict)
    refs: dict[str, set[tuple[Any, ...]]] = field(default_factory=dict)
    live: dict[str, dict[tuple[Any, ...], Any]] = field(default_factory=dict)
    assigned: dict[str, array[int]] = field(default_factory=dict)  # model -> new pk of its n-th object without pk
    held: int = 0  # keys held in `index` and `refs`
    _resolved: dict[str, dict[tuple[Any, ...], Any]] = field(default_factory=dict)  # lookups already answered

    @classmethod
    def needed(cls, plan: DumpPlan, layout: Layout, scan: DumpScan) -> NaturalKeys | None:
        """None when the export uses no natural key (no pass over the file needed)."""
        keys = cls(plan, layout, scan)
        for model, mplan in plan.models.items():
            facts = scan.models[model]
            if facts.without_pk:
                keys.targets.add(mplan.table)
            for name, fplan in mplan.fields.items():
                if fplan.through is not None and name in facts.nested_list_fields and fplan.through.target_table:
                    keys.targets.add(fplan.through.target_table)
                elif fplan.fk_table is not None and name in facts.list_fields:
                    keys.targets.add(fplan.fk_table)
        return keys if keys.targets else None

    def _columns_to_fields(self, mplan: ModelPlan) -> dict[str, str]:
        return {f.column: f.name for f in mplan.fields.values() if f.column is not None}

    def add(self, obj: DumpObject, ordinal: int) -> None:
        """Index one object (first pass): its keys, and the natural keys it refers to."""
        mplan = self.plan.models.get(obj.model)
        if mplan is None:
            return
        if mplan.table in self.targets:
            by_column = self._columns_to_fields(mplan)
            table_index = self.index.setdefault(mplan.table, {})
            value = obj.pk if obj.has_pk else ("new", ordinal)
            for i, spec in enumerate(key_specs(self.layout, mplan.table)):
                key = _object_key(spec, obj, by_column)
                if key is not None:
                    slot = (i, key)
                    if slot not in table_index:
                        self._hold()
                    if table_index.setdefault(slot, value) != value:
                        table_index[slot] = _AMBIGUOUS
        for name, fplan in mplan.fields.items():
            value = obj.fields.get(name)
            if type(value) is not list:
                continue
            if fplan.through is not None and fplan.through.target_table in self.targets:
                for item in value:
                    if type(item) is list:
                        self._refer(fplan.through.target_table, _hashable(item))
            elif fplan.fk_table is not None and fplan.fk_table in self.targets:
                self._refer(fplan.fk_table, _hashable(value))

    def _refer(self, table: str, key: tuple[Any, ...]) -> None:
        refs = self.refs.setdefault(table, set())
        if key not in refs:
            self._hold()
            refs.add(key)

    def _hold(self) -> None:
        self.held += 1
        if self.held > MAX_KEYS:
            raise PreflightError(
                f"{self.scan.path.name} uses more than {MAX_KEYS:,} different natural keys, more "
                "than a restore holds in memory: export it without --natural-foreign and "
                "--natural-primary."
            )

    def resolve(self, conn: psycopg.Connection) -> None:
        """Give objects without pk their ids and find the live rows of keys the file does not hold."""
        for model, mplan in self.plan.models.items():
            count = self.scan.models[model].without_pk
            if count:
                self._assign(conn, model, mplan, count)
        for table, refs in self.refs.items():
            missing = [r for r in refs if self._in_file(table, r) is None]
            if missing:
                self.live.setdefault(table, {}).update(self._live_rows(conn, table, missing))

    def _assign(self, conn: psycopg.Connection, model: str, mplan: ModelPlan, count: int) -> None:
        table_index = self.index.get(mplan.table, {})
        new = {slot: v for slot, v in table_index.items() if isinstance(v, tuple) and v[:1] == ("new",)}
        by_ordinal: dict[int, tuple[Any, ...]] = {}  # the object's key of the first spec it has
        for (_, key), (_, ordinal) in sorted(new.items(), key=lambda item: item[0][0]):
            by_ordinal.setdefault(ordinal, key)
        found = self._live_rows(conn, mplan.table, list(set(by_ordinal.values()))) if by_ordinal else {}
        if self.layout.tables[mplan.table].columns[mplan.pk].category != "N":
            raise PreflightError(
                f"{self.scan.path.name}: the {model} objects have no primary key in the file, and "
                f"table {mplan.table} does not number its rows; export it without "
                "--natural-primary."
            )
        top = conn.execute(
            sql.SQL("SELECT max({})::bigint FROM {}").format(
                sql.Identifier(mplan.pk), sql.Identifier(self.layout.schema, mplan.table)
            )
        ).fetchone()
        next_id = max(int(top[0] or 0) if top else 0, self.scan.models[model].max_int_pk) + 1
        ids = array("q")
        for ordinal in range(1, count + 1):
            live_id = found.get(by_ordinal[ordinal]) if ordinal in by_ordinal else None
            if live_id is not None and live_id is not _AMBIGUOUS:
                ids.append(int(live_id))
            else:  # past every live id: no clash with a live row kept by its key
                ids.append(next_id)
                next_id += 1
        self.assigned[model] = ids
        for slot, (_, ordinal) in new.items():
            table_index[slot] = ids[ordinal - 1]

    def _in_file(self, table: str, ref: tuple[Any, ...]) -> Any:
        table_index = self.index.get(table, {})
        found = {
            table_index.get((i, ref))
            for i, spec in enumerate(key_specs(self.layout, table))
            if _arity(self.layout, spec) == len(ref)
        } - {None}
        if len(found) > 1:
            return _AMBIGUOUS
        return next(iter(found), None)

    def _live_rows(
        self, conn: psycopg.Connection, table: str, keys: list[tuple[Any, ...]]
    ) -> dict[tuple[Any, ...], Any]:
        """The live rows with these natural keys: key -> pk (or _AMBIGUOUS when two specs disagree)."""
        found: dict[tuple[Any, ...], Any] = {}
        for spec in key_specs(self.layout, table):
            arity = _arity(self.layout, spec)
            wanted = [k for k in keys if len(k) == arity]
            if not wanted:
                continue
            for row in _query_keys(conn, self.layout, table, spec, wanted):
                key, pk = tuple(row[1:]), row[0]
                found[key] = pk if found.setdefault(key, pk) == pk else _AMBIGUOUS
        texts = {tuple(_as_text(v) for v in k): k for k in keys}
        return {texts[k]: v for k, v in found.items() if k in texts}

    def pk_of(self, obj: DumpObject, ordinal: int) -> Any:
        return obj.pk if obj.has_pk else self.assigned[obj.model][ordinal - 1]

    def lookup(self, table: str, ref: list[Any], obj: DumpObject, field_name: str) -> Any:
        """The id a natural key stands for; PreflightError naming the object when none or two."""
        key = _hashable(ref)
        resolved = self._resolved.setdefault(table, {})
        found = resolved.get(key)
        if found is None:
            found = self._in_file(table, key)
            if found is None:
                found = self.live.get(table, {}).get(key)
            resolved[key] = found
        if found is None or found is _AMBIGUOUS:
            what = "matches no row" if found is None else "matches more than one row"
            raise PreflightError(
                f"{self.scan.path.name}: {obj.describe()} refers, in its field {field_name!r}, to {ref!r} by natural "
                f"key, which {what} of table {table} in the file or in tenant {self.layout.schema!r}."
            )  # the restore adds that nothing was changed
        return found


def _object_key(spec: tuple[KeyPart, ...], obj: DumpObject, by_column: dict[str, str]) -> tuple[Any, ...] | None:
    key: list[Any] = []
    for part in spec:
        name = by_column.get(part.column)
        if name is None or name not in obj.fields:
            return None
        value = obj.fields[name]
        if part.via is not None:
            if type(value) is not list:
                return None  # a pk here: the file does not use natural keys for it
            key.extend(_hashable(value))
        elif isinstance(value, (list, dict)) or value is None:
            return None
        else:
            key.append(value)
    return tuple(key)


def _query_keys(
    conn: psycopg.Connection, layout: Layout, table: str, spec: tuple[KeyPart, ...], keys: list[tuple[Any, ...]]
) -> Iterator[tuple[Any, ...]]:
    """(pk, key as text...) of the live rows whose natural key is one of `keys`."""
    exprs: list[sql.Composable] = []
    joins: list[sql.Composable] = []
    _key_exprs(layout, table, spec, "t", exprs, joins)
    columns = [[_as_text(v) for v in k] for k in keys]
    unnest = sql.SQL(", ").join(sql.SQL("%s::text[]") for _ in exprs)
    query = sql.SQL(
        "SELECT t.{pk}, {exprs} FROM {table} t {joins} WHERE ({exprs}) IN (SELECT * FROM unnest({u}))"
    ).format(
        pk=sql.Identifier(layout.tables[table].pk or "id"),
        exprs=sql.SQL(", ").join(exprs),
        table=sql.Identifier(layout.schema, table),
        joins=sql.SQL(" ").join(joins),
        u=unnest,
    )
    yield from conn.execute(query, [list(col) for col in zip(*columns, strict=True)])


def _key_exprs(
    layout: Layout,
    table: str,
    spec: Iterable[KeyPart],
    alias: str,
    exprs: list[sql.Composable],
    joins: list[sql.Composable],
) -> None:
    for part in spec:
        if part.via is None:
            exprs.append(as_text(alias, part.column))
            continue
        inner = f"{alias}_{len(joins)}"
        joins.append(
            sql.SQL("JOIN {} {} ON {}.{} = {}.{}").format(
                sql.Identifier(layout.schema, part.via),
                sql.Identifier(inner),
                sql.Identifier(inner),
                sql.Identifier(layout.tables[part.via].pk or "id"),
                sql.Identifier(alias),
                sql.Identifier(part.column),
            )
        )
        _key_exprs(layout, part.via, key_specs(layout, part.via)[0], inner, exprs, joins)

"""What must come with the chosen rows, found by streaming the backup's tables with bounded memory.

- Dependents: the backup's rows that refer to a row coming back through a live foreign key (a profile, the
  appointments, the messages, the many-to-many rows), and the rows that refer to those, until nothing new is
  found. Each table is read once the tables it refers to are settled, so once (tables referring to each other:
  pass after pass); the plan is the one a walk pass by pass gives.
- Parents: for every row coming back, each row it refers to must exist live or come back too; one missing
  live is taken from the backup (and its own parents, recursively). Parents bring no dependents of their own:
  that would be a bigger recovery than the one asked for.
The rows held are bounded (`RecoveryLimits`): past the bound the plan is refused with a sentence, never
truncated. Two rows of one key in the backup are refused: the table's key forbids that (a crafted file).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import psycopg

from app.engine.archive.container import ArchiveReader
from app.engine.archive.manifest import TableEntry
from app.engine.comparison.copy_text import NULL, unescape
from app.engine.comparison.live import LiveTable
from app.engine.errors import ArchiveError, PreflightError
from app.engine.jobs import CancelToken
from app.engine.recovery.archive_rows import Fields, candidate_rows
from app.engine.recovery.catalog import ForeignKey
from app.engine.recovery.live_rows import Values, copy_field, lookup
from app.engine.recovery.model import RecoveryLimits, Why
from app.engine.recovery.walk_order import dependent_groups

_WHOLE_NUMBERS = (20, 21, 23)


@dataclass
class Picked:
    """The rows of one table the plan holds, by key."""

    entry: TableEntry
    live: LiveTable
    key_at: list[int]  # positions of the key's columns among the entry's
    rows: dict[Values, tuple[Fields, Why]] = field(default_factory=dict)

    def key(self, fields: Fields) -> Values:
        return tuple(fields[i] for i in self.key_at)

    def values(self, columns: Sequence[str], fields: Fields) -> Values | None:
        """The row's values of `columns`, or None when one is NULL (a NULL refers to nothing)."""
        found = tuple(fields[self.entry.columns.index(c)] for c in columns)
        return None if NULL in found else found


class Closure:
    def __init__(
        self,
        reader: ArchiveReader,
        live: dict[str, LiveTable],
        keys: list[ForeignKey],
        limits: RecoveryLimits,
        cancel: CancelToken,
        advance: Callable[[str], None],
    ) -> None:
        self.reader, self.live, self.keys, self.limits, self.cancel = reader, live, keys, limits, cancel
        self.advance = advance
        self.entries = {e.name: e for e in reader.manifest.tables}
        self.picked: dict[str, Picked] = {}
        self.rows = 0
        self.bytes = 0
        self.passes = 0

    # -- the tables ---------------------------------------------------------------------------------

    def table(self, name: str) -> Picked:
        if name in self.picked:
            return self.picked[name]
        entry, live = self.entries[name], self.live[name]
        if not live.key:
            raise PreflightError(
                f"The table {name} has no primary key nor unique key, so its rows cannot be told apart: Resguardo "
                "cannot recover them one by one, nor undo exactly them. A whole restore can bring it back."
            )
        missing = [c for c in live.key if c not in entry.columns]
        extra = [c for c in entry.columns if c not in {c.name for c in live.columns}]
        if missing or extra:
            what = (
                f"lacks the key column {missing[0]}"
                if missing
                else f"has the column {extra[0]}, which the clinic no longer has"
            )
            raise PreflightError(
                f"The backup's table {name} {what}: its rows do not fit the clinic's table as it is now, "
                "so they cannot be recovered one by one."
            )
        picked = Picked(entry, live, [entry.columns.index(c) for c in live.key])
        self.picked[name] = picked
        return picked

    def _read(
        self, name: str, wanted: Callable[[Fields], bool], why: Why, hints: dict[int, set[bytes]] | None = None
    ) -> list[Values]:
        """One pass over a backup table: the rows `wanted` keeps that the plan does not hold yet, added. `hints`:
        per column position, the COPY fields one of which every wanted row holds there (candidate_rows)."""
        self.cancel.raise_if_cancelled()
        self.advance(name)
        picked = self.table(name)
        seen: set[Values] = set()
        found: list[Fields] = []
        for fields in candidate_rows(self.reader, picked.entry, self.cancel, hints):
            if wanted(fields):
                key = picked.key(fields)
                if key in seen:
                    raise ArchiveError(
                        f"{self.reader.path.name} cannot be used: it holds two rows of table {name} with the same "
                        f"key, which the table's key forbids (the file was changed after Resguardo wrote it, or made "
                        "by something else)."
                    )
                seen.add(key)
                found.append(fields)
        added = []
        for fields in found:  # only now: the table has passed its checksum
            key = picked.key(fields)
            if key not in picked.rows:
                self._hold(fields)
                picked.rows[key] = (fields, why)
                added.append(key)
        return added

    def _hold(self, fields: Fields) -> None:
        self.rows += 1
        self.bytes += sum(len(f) for f in fields) + 64
        if self.rows > self.limits.max_rows or self.bytes > self.limits.max_bytes:
            raise PreflightError(
                f"The rows to recover pass Resguardo's limit ({self.limits.max_rows:,} rows or "
                f"{self.limits.max_bytes >> 20} MB of data held at once); choose fewer rows (--only, or a narrower "
                "--match), or restore the whole clinic."
            )

    # -- the chosen rows ----------------------------------------------------------------------------

    def choose(self, name: str, match: Sequence[tuple[str, str | None]]) -> int:
        entry = self.entries[name]
        self.table(name)
        tests = []
        for column, value in match:
            if column not in entry.columns:
                raise PreflightError(
                    f"The backup's table {name} has no column {column!r}; its columns are {', '.join(entry.columns)}."
                )
            tests.append((entry.columns.index(column), self._matcher(self.live[name], column, value)))

        def wanted(fields: Fields) -> bool:
            return all(test(fields[at]) for at, test in tests)

        column, value = next(((c, v) for c, v in match if v is not None), match[0])  # a value finds fewer rows
        number = value is not None and self.live[name].column(column).type_oid in _WHOLE_NUMBERS
        hint = str(int(value)).encode() if number and value is not None else copy_field(value)
        return len(self._read(name, wanted, Why.CHOSEN, {entry.columns.index(column): {hint}}))

    @staticmethod
    def _matcher(live: LiveTable, column: str, value: str | None) -> Callable[[bytes], bool]:
        if value is None:
            return lambda f: f == NULL
        if live.column(column).type_oid in _WHOLE_NUMBERS:
            try:
                number = int(value)
            except ValueError:
                raise PreflightError(f"The column {column} holds whole numbers; {value!r} is not one.") from None
            return lambda f: f != NULL and f.lstrip(b"-").isdigit() and int(f) == number
        text = value.encode()
        return lambda f: f != NULL and unescape(f) == text

    # -- what comes along ---------------------------------------------------------------------------

    def dependents(self, start: str, new: list[Values]) -> None:
        """The rows referring to the new ones, recursively. Each table is read once every table it refers to
        is settled (walk_order.py), so once; tables referring to each other are read pass after pass. The plan
        is the one a walk pass by pass gives: each row keeps the pass it would have been found in (`depth`),
        the tables are held in the order that walk reads them and their rows by pass, then as stored."""
        self._pass()
        depth: dict[str, dict[Values, int]] = {start: dict.fromkeys(new, 0)}
        edges = [fk for fk in self.keys if fk.child in self.entries]
        for tables, cyclic in dependent_groups(start, edges):
            if cyclic:
                self._in_passes(tables, depth, edges)
            elif tables != [start]:
                self._once(tables[0], depth, edges)
        self._as_walked(start, depth, edges)

    def _tests(
        self, child: str, depth: dict[str, dict[Values, int]], edges: list[ForeignKey], at_depth: int | None = None
    ) -> list[tuple[list[int], dict[Values, int]]]:
        """Per foreign key into `child`: its columns' positions and the held parents' values (of `at_depth`,
        else all), each with the least depth of a parent holding it."""
        entry = self.entries[child]
        where = []
        for fk in edges:
            if fk.child != child or not depth.get(fk.parent):
                continue
            picked = self.picked[fk.parent]
            least: dict[Values, int] = {}
            for k, d in depth[fk.parent].items():
                if at_depth is not None and d != at_depth:
                    continue
                v = picked.values(fk.parent_columns, picked.rows[k][0])
                if v is not None and d < least.get(v, d + 1):
                    least[v] = d
            if least:
                where.append(([entry.columns.index(c) for c in fk.child_columns], least))
        return where

    def _read_referring(self, child: str, where: list[tuple[list[int], dict[Values, int]]]) -> dict[Values, int]:
        """One read of `child` for the rows referring to `where`'s values: the rows added, with their depth."""

        def refers(fields: Fields) -> bool:
            return any(tuple(fields[i] for i in at) in values for at, values in where)

        hints: dict[int, set[bytes]] = {}
        for at, values in where:
            hints.setdefault(at[0], set()).update(v[0] for v in values)
        picked = self.table(child)
        added = self._read(child, refers, Why.DEPENDENT, hints)
        found = {}
        for k in added:
            fields = picked.rows[k][0]
            found[k] = 1 + min(d[v] for at, d in where if (v := tuple(fields[i] for i in at)) in d)
        return found

    def _once(self, child: str, depth: dict[str, dict[Values, int]], edges: list[ForeignKey]) -> None:
        where = self._tests(child, depth, edges)
        depth[child] = self._read_referring(child, where) if where else {}

    def _in_passes(self, tables: list[str], depth: dict[str, dict[Values, int]], edges: list[ForeignKey]) -> None:
        """Tables referring to each other: pass p reads those referring to rows found by pass p - 1."""
        for t in tables:
            depth.setdefault(t, {})
        parents = {fk.parent for fk in edges if fk.child in tables and fk.parent in depth}
        first, p = True, 1
        while p - 1 <= max((d for t in parents for d in depth[t].values()), default=-1):
            wanted = {t: w for t in tables if (w := self._tests(t, depth, edges, p - 1))}
            if wanted and not first:
                self._pass()
            for t, where in wanted.items():
                depth[t].update(self._read_referring(t, where))
            first = first and not wanted
            p += 1

    def _as_walked(self, start: str, depth: dict[str, dict[Values, int]], edges: list[ForeignKey]) -> None:
        """The tables held in the order a walk pass by pass first reads them, their rows by pass (a stable
        sort: rows of one pass as stored), as the plan has always listed them."""
        order, frontier, p = [start], [start], 1
        while frontier:
            wanted: list[str] = []
            for parent in frontier:
                picked = self.picked[parent]
                last = [picked.rows[k][0] for k, d in depth[parent].items() if d == p - 1]
                for fk in edges:
                    if (
                        fk.parent == parent
                        and fk.child not in wanted
                        and any(picked.values(fk.parent_columns, fields) is not None for fields in last)
                    ):
                        wanted.append(fk.child)
            order += [t for t in wanted if t not in order]
            frontier = [t for t in wanted if p in depth.get(t, {}).values()]
            p += 1
        order += [t for t in self.picked if t not in order]
        self.picked = {t: self.picked[t] for t in order if t in self.picked}
        for t, picked in self.picked.items():
            rows = depth.get(t, {})
            picked.rows = dict(sorted(picked.rows.items(), key=lambda item: rows.get(item[0], 0)))

    def parents(self, conn: psycopg.Connection) -> None:
        """Every row referred to by a row of the plan exists live or comes back; missing ones from the backup."""
        checked: set[tuple[str, Values]] = set()  # (parent table, values) known to exist live or in the plan
        while True:
            self._pass()
            missing: dict[tuple[str, tuple[str, ...]], set[Values]] = {}
            for fk in self.keys:
                child = self.picked.get(fk.child)
                if child is None or fk.parent not in self.live:
                    continue
                held = self._held_values(fk.parent, fk.parent_columns)
                for fields, _ in child.rows.values():
                    values = child.values(fk.child_columns, fields)
                    if values is None or values in held or (fk.parent, values) in checked:
                        continue
                    missing.setdefault((fk.parent, fk.parent_columns), set()).add(values)
            if not missing:
                return
            added_any = False
            for (parent, columns), sought in missing.items():
                added_any = self._missing_parents(conn, parent, columns, sought, checked) or added_any
            if not added_any:
                return

    def _missing_parents(
        self,
        conn: psycopg.Connection,
        parent: str,
        columns: tuple[str, ...],
        sought: set[Values],
        checked: set[tuple[str, Values]],
    ) -> bool:
        """The parents not live, taken from the backup; True when some were."""
        present = {tuple(line.split(b"\t")) for line in lookup(conn, self.live[parent], columns, sought, columns)}
        checked.update((parent, v) for v in sought & present)
        absent = sought - present
        if not absent:
            return False
        entry = self.entries.get(parent)
        if entry is None:
            raise self._orphan(parent, columns, absent)
        at = [entry.columns.index(c) for c in columns]

        def wanted(fields: Fields) -> bool:
            return tuple(fields[i] for i in at) in absent

        self._read(parent, wanted, Why.PARENT, {at[0]: {v[0] for v in absent}})
        still = absent - self._held_values(parent, columns)
        if still:
            raise self._orphan(parent, columns, still)
        return True

    def _held_values(self, table: str, columns: Sequence[str]) -> set[Values]:
        picked = self.picked.get(table)
        if picked is None:
            return set()
        return {v for fields, _ in picked.rows.values() if (v := picked.values(columns, fields)) is not None}

    def _orphan(self, parent: str, columns: Sequence[str], values: set[Values]) -> PreflightError:
        shown = ", ".join(b"/".join(v).decode("utf-8", "replace") for v in sorted(values)[:5])
        return PreflightError(
            f"Rows to recover refer to rows of {parent} ({', '.join(columns)} = {shown}) that neither the clinic "
            "nor the backup holds; they cannot be recovered."
        )

    def _pass(self) -> None:
        self.passes += 1
        if self.passes > self.limits.max_passes:
            raise PreflightError(
                f"Finding what comes with the chosen rows took more than {self.limits.max_passes} passes over the "
                "backup (a very long chain of rows referring to each other); choose fewer rows, or restore the "
                "whole clinic."
            )

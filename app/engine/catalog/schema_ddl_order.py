"""The order of a schema's pre-data: each object after what it needs, as pg_dump orders them.

Objects are placed after the objects they depend on (pg_depend, and what the writer knows besides),
then by kind and name, so the output is the same from one backup to the next. A cycle that
PostgreSQL allows (a column default calling a function that takes the table's row type) is broken
the way pg_dump breaks it: the part that closes the cycle (the default) becomes a statement of its
own, after both.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

from app.engine.errors import PreflightError

Key = tuple[str, int]  # (catalog, oid) of the object
Block = tuple[str, str]  # (label, statement)
Part = tuple[Key, int]  # a separable part written apart: (its object, part number)
Node = Key | Part


@dataclass
class Separable:
    """A part of an object that may be written after it, as its own statement, to break a cycle."""

    deps: set[Key]
    block: Block


@dataclass
class PreItem:
    key: Key
    rank: int  # kind order, for objects with no dependency between them
    name: str
    render: Callable[[frozenset[int]], list[Block]]  # the statements, without the separated parts
    deps: set[Key] = field(default_factory=set)
    separable: dict[int, Separable] = field(default_factory=dict)


def ordered_blocks(items: dict[Key, PreItem], what: Callable[[Key], str]) -> list[Block]:
    """Every item's statements, each item after those it depends on; `what` names an item in errors."""
    deferred: dict[Key, set[int]] = {key: set() for key in items}
    extra: dict[Part, tuple[set[Key], Block]] = {}
    while True:
        order, stuck = _sort(items, deferred, extra)
        if not stuck:
            break
        if not _break_cycle(items, deferred, extra, stuck):
            names = ", ".join(sorted(what(k) for k in stuck))
            raise PreflightError(
                f"These objects depend on each other in a cycle the native format cannot write: {names}; "
                "use the custom (pg_dump) format for this tenant."
            )
    blocks: list[Block] = []
    for node in order:
        if isinstance(node[0], str):
            key = (node[0], node[1])
            blocks += items[key].render(frozenset(deferred[key]))
        else:
            blocks.append(extra[(node[0], node[1])][1])
    return blocks


def _sort(
    items: dict[Key, PreItem], deferred: dict[Key, set[int]], extra: dict[Part, tuple[set[Key], Block]]
) -> tuple[list[Node], set[Key]]:
    """A topological order of items and separated parts, and the items left waiting in a cycle."""
    needs: dict[Node, set[Node]] = {}
    for key, item in items.items():
        deps = set(item.deps)
        for number, sep in item.separable.items():
            if number not in deferred[key]:
                deps |= sep.deps
        needs[key] = {d for d in deps if d in items and d != key}
    for written_apart, (part_deps, _) in extra.items():
        after: set[Node] = {d for d in part_deps if d in items}
        needs[written_apart] = after | {written_apart[0]}
    users: dict[Node, list[Node]] = {node: [] for node in needs}
    for node, required in needs.items():
        for dep in required:
            users[dep].append(node)
    waiting = {node: len(required) for node, required in needs.items()}

    def priority(node: Node) -> tuple[int, str, str]:
        owner = items[(node[0], node[1])] if isinstance(node[0], str) else items[node[0]]
        return owner.rank, owner.name, repr(node)

    ready = [(priority(n), n) for n, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[Node] = []
    while ready:
        _, node = heapq.heappop(ready)
        order.append(node)
        for user in users[node]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, (priority(user), user))
    return order, {(n[0], n[1]) for n, count in waiting.items() if count > 0 and isinstance(n[0], str)}


def _break_cycle(
    items: dict[Key, PreItem], deferred: dict[Key, set[int]], extra: dict[Part, tuple[set[Key], Block]], stuck: set[Key]
) -> bool:
    """Write, apart, one separable part that depends on an object still waiting; False if there is none."""
    for key in sorted(stuck, key=lambda k: (items[k].rank, items[k].name)):
        for part, sep in sorted(items[key].separable.items()):
            if part not in deferred[key] and sep.deps & stuck:
                deferred[key].add(part)
                extra[(key, part)] = (sep.deps, sep.block)
                return True
    return False

"""The order in which the dependents' tables are read: each after every table it refers to, from the foreign keys.

Reading a table only once the tables it refers to are settled reads it once (the 3.8 M-row messages of issue
23's bench were read twice, once for the user's messages and again for the appointments'). Tables referring to
each other (a cycle, a self-reference) form one group, read pass by pass as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.engine.recovery.catalog import ForeignKey


def dependent_groups(start: str, keys: Sequence[ForeignKey]) -> list[tuple[list[str], bool]]:
    """The tables reachable from `start` by referring to it, in groups (a group: tables that refer to each
    other), parents' groups first; each with whether it refers to itself (then it needs pass after pass)."""
    children: dict[str, list[str]] = {}
    for fk in keys:
        below = children.setdefault(fk.parent, [])
        if fk.child not in below:
            below.append(fk.child)
    reachable = _below(start, children)
    if start not in reachable:
        reachable.insert(0, start)
    reach = {t: set(_below(t, children)) for t in reachable}
    group_of: dict[str, int] = {}
    groups: list[list[str]] = []
    for t in reachable:
        if t not in group_of:
            members = [u for u in reachable if u == t or (u in reach[t] and t in reach[u])]
            for u in members:
                group_of[u] = len(groups)
            groups.append(members)
    after: dict[int, set[int]] = {i: set() for i in range(len(groups))}  # group -> groups it must follow
    for parent in reachable:
        for child in children.get(parent, []):
            if child in group_of and group_of[child] != group_of[parent]:
                after[group_of[child]].add(group_of[parent])
    ordered: list[int] = []
    while len(ordered) < len(groups):
        ordered += [i for i in range(len(groups)) if i not in ordered and after[i] <= set(ordered)]
    return [(groups[i], any(g in reach[g] for g in groups[i])) for i in ordered]


def _below(start: str, children: dict[str, list[str]]) -> list[str]:
    """Every table reachable from `start` through one or more references to it, in the order first found."""
    found: list[str] = []
    todo = list(children.get(start, []))
    while todo:
        t = todo.pop(0)
        if t not in found:
            found.append(t)
            todo += children.get(t, [])
    return found

"""Keep rules with borg prune's semantics: per rule, the newest backup of each of the N newest periods.

Rules are applied in borg's order (last, daily, weekly, monthly, yearly). A rule walks the backups newest
first; each new period's newest backup is kept unless an earlier rule kept it already (then the period is
used up without counting). When a rule finds fewer periods than it may keep, it also keeps the oldest
backup (borg's "[oldest]"), so a young series is not thinned before it is long enough. `--keep-last` is
borg's `--keep-secondly`: two backups in the same second are one. Periods are counted in the time zone
given (by default this computer's, with its daylight saving rules at each backup's instant); weeks are ISO
weeks (Monday first), as in borg.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, tzinfo
from typing import TypeVar

from app.engine.errors import UsageError

UNLIMITED = -1  # as in borg: every period

_PERIODS: dict[str, Callable[[datetime], str]] = {
    "last": lambda t: t.strftime("%Y-%m-%d %H:%M:%S"),
    "daily": lambda t: t.strftime("%Y-%m-%d"),
    "weekly": lambda t: f"{t.isocalendar().year}-W{t.isocalendar().week:02d}",
    "monthly": lambda t: t.strftime("%Y-%m"),
    "yearly": lambda t: t.strftime("%Y"),
}


@dataclass(frozen=True)
class KeepRules:
    """How many periods of each kind to keep (0: the rule is off; -1: every period)."""

    last: int = 0
    daily: int = 0
    weekly: int = 0
    monthly: int = 0
    yearly: int = 0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < UNLIMITED:
                raise UsageError(f"--keep-{f.name} must be a whole number of 0 or more (or -1 for all); not {value!r}.")

    @property
    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def describe(self) -> str:
        """`daily 7, weekly 4`: the rules that are on."""
        on = [(f.name, getattr(self, f.name)) for f in fields(self) if getattr(self, f.name)]
        return ", ".join(f"{name} {'all' if n == UNLIMITED else n}" for name, n in on) or "none"

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


Item = TypeVar("Item")


def kept_by_rules(
    items: Sequence[Item], when: Callable[[Item], datetime], rules: KeepRules, zone: tzinfo | None = None
) -> dict[int, str]:
    """Index in `items` -> the rule that keeps it (`daily #3`, `weekly #2 [oldest]`); the rest are removable.
    `when` gives each item's aware time; `zone` None means this computer's local time zone."""
    order = sorted(range(len(items)), key=lambda i: when(items[i]), reverse=True)
    local = {i: when(items[i]).astimezone(zone) for i in order}
    kept: dict[int, str] = {}
    for rule, period_of in _PERIODS.items():
        wanted = getattr(rules, rule)
        if wanted == 0:
            continue
        count, last_period = 0, None
        for i in order:
            period = period_of(local[i])
            if period == last_period:
                continue
            last_period = period
            if i not in kept:
                count += 1
                kept[i] = f"{rule} #{count}"
                if count == wanted:
                    break
        else:
            if order and count < wanted and order[-1] not in kept:
                kept[order[-1]] = f"{rule} #{count + 1} [oldest]"
    return kept

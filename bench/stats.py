"""Repeated measurements of one side, summarised as median and min–max."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

MB = 1024 * 1024


@dataclass
class Series:
    """Every run of one side; `error` says why it has none (never a made-up number)."""

    label: str
    seconds: list[float] = field(default_factory=list)
    peak_rss: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    error: str | None = None

    @property
    def measured(self) -> bool:
        return bool(self.seconds)

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds)

    @property
    def max_rss(self) -> int:
        return max(self.peak_rss) if self.peak_rss else 0

    @property
    def median_size(self) -> int:
        return int(statistics.median(self.sizes)) if self.sizes else 0

    def time_text(self) -> str:
        if not self.measured:
            return "—"
        if len(self.seconds) == 1:
            return f"{self.seconds[0]:.2f} s"
        return f"{self.median_seconds:.2f} s ({min(self.seconds):.2f}–{max(self.seconds):.2f})"

    def rss_text(self) -> str:
        if not self.peak_rss:
            return "—"
        return f"{statistics.median(self.peak_rss) / MB:.0f} MB (max {self.max_rss / MB:.0f})"

    def size_text(self) -> str:
        return human_bytes(self.median_size) if self.sizes else "—"


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")

"""Repeated measurements of one side, summarised as median and min–max."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path

from app.formatting import human_size

MB = 1024 * 1024


@dataclass
class Series:
    """Every run of one side; `error` says why it has none (never a made-up number)."""

    label: str
    seconds: list[float] = field(default_factory=list)
    peak_rss: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    error: str | None = None
    millis: bool = False  # shown in ms (UI gaps)
    argv: list[str] = field(default_factory=list)  # the side's command line, for reproducing it by hand
    setup: str = ""  # what is done, untimed, before each run (shown with the command)
    output: Path | None = None  # the file or folder the side writes, removed before each run

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
        scale, unit, digits = (1000, "ms", 0) if self.millis else (1, "s", 2)
        low, mid, high = (
            f"{v * scale:.{digits}f}" for v in (min(self.seconds), self.median_seconds, max(self.seconds))
        )
        return f"{mid} {unit}" if len(self.seconds) == 1 else f"{mid} {unit} ({low}–{high})"

    def rss_text(self) -> str:
        if not self.peak_rss:
            return "—"
        return f"{statistics.median(self.peak_rss) / MB:.0f} MB (max {self.max_rss / MB:.0f})"

    def size_text(self) -> str:
        return human_size(self.median_size) if self.sizes else "—"

"""bench/RESULTS.md, one section per case: the machine, the command, the ratios against the targets,
every measurement, and the command line that reproduces each side."""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from app.formatting import human_size
from bench.harness import shell_words
from bench.stats import MB, Series

RSS_LIMIT = 150 * MB


@dataclass(frozen=True)
class Verdict:
    """One row of the targets table."""

    figure: str
    resguardo: str
    reference: str
    ratio: str
    target: str
    result: str


@dataclass
class Report:
    """One section of RESULTS.md: one case (a shape of tenant) as one command measured it."""

    key: str  # the section's marker, e.g. "bytea"
    title: str
    command: str
    server: str  # PostgreSQL version and where it runs
    tools: str
    dataset: str  # the measured tenant: schema, database, size, generation
    notes: list[str] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # value -> $NAME in the commands shown
    legend: list[str] = field(default_factory=list)  # what each $NAME stands for


def _unmeasured(ours: Series, *references: Series) -> str | None:
    """Why a figure has no number: our side's reason as is (a refusal's sentence is under Every measurement),
    a reference's with its name."""
    if ours.error:
        return "refused (why: under Every measurement)" if ours.error.startswith("refused:") else ours.error
    if not ours.measured:
        return "not measured: no run"
    for ref in references:
        if ref.error or not ref.measured:
            return f"{ref.label}: {ref.error or 'not measured: no run'}"
    return None


def _judge(value: float, limit: float, *, strict: bool) -> str:
    ok = value < limit if strict else value <= limit
    return "met" if ok else f"missed by {(value / limit - 1) * 100:.0f}%"


def ratio_row(
    figure: str, ours: Series, ref: Series, *, limit: float | None, size: bool = False, strict: bool = False
) -> Verdict:
    """Ours / reference, on median wall time (or median output size); no limit means informational."""
    target = "—" if limit is None else (f"< {limit:.2f}×" if strict else f"≤ {limit:.2f}×")
    missing = _unmeasured(ours, ref)
    if missing:
        return Verdict(figure, "—", "—", "—", target, missing)
    if size:
        a, b = float(ours.median_size), float(ref.median_size)
        texts = ours.size_text(), ref.size_text()
    else:
        a, b = ours.median_seconds, ref.median_seconds
        texts = ours.time_text(), ref.time_text()
    if b <= 0:
        return Verdict(figure, texts[0], texts[1], "—", target, "not measured: reference is zero")
    ratio = a / b
    result = "info (no target)" if limit is None else _judge(ratio, limit, strict=strict)
    return Verdict(figure, texts[0], texts[1], f"{ratio:.2f}×", target, result)


def rss_row(figure: str, ours: Series, ref: Series | None) -> Verdict:
    missing = _unmeasured(ours)
    if missing:
        return Verdict(figure, "—", "—", "—", "< 150 MB", missing)
    reference = ref.rss_text() if ref is not None and ref.peak_rss else "—"
    return Verdict(
        figure, f"{ours.max_rss / MB:.0f} MB", reference, "—", "< 150 MB", _judge(ours.max_rss, RSS_LIMIT, strict=True)
    )


def absolute_row(figure: str, ours: Series, *, limit: float, unit: str, scale: float, statistic: str) -> Verdict:
    """A figure with an absolute limit (`statistic`: median or max over the runs)."""
    target = f"< {limit:g} {unit}"
    missing = _unmeasured(ours)
    if missing:
        return Verdict(figure, "—", "—", "—", target, missing)
    value = ours.median_seconds if statistic == "median" else max(ours.seconds)
    shown = f"{value * scale:.0f} {unit}" if unit == "ms" else f"{value * scale:.3f} {unit}"
    if len(ours.seconds) > 1:
        shown += f" ({statistic} of {len(ours.seconds)})"
    return Verdict(figure, shown, "—", "—", target, _judge(value * scale, limit, strict=True))


def _machine() -> list[str]:
    model = ""
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = human_size(int(line.split()[1]) * 1024)
                break
    except OSError:
        pass
    return [
        f"- CPU: {os.cpu_count()} cores{f' ({model})' if model else ''}",
        f"- Memory: {memory or 'unknown'}",
        f"- OS: {platform.platform()}",
        f"- Python: {platform.python_version()}",
    ]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


HEADER = """# Benchmark results

Each section below is written by the command it shows, on the machine it names; a run rewrites
only the sections of the cases it measured. See [README.md](README.md) for what each figure
means and how to reproduce it.
"""


def _marker(key: str) -> tuple[str, str]:
    return f"<!-- bench:{key} -->", f"<!-- /bench:{key} -->"


def render_section(report: Report) -> str:
    begin, end = _marker(report.key)
    lines = [
        begin,
        f"## {report.title}",
        "",
        f"Written by `{report.command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        *_machine(),
        f"- PostgreSQL: {report.server}",
        f"- Client tools: {report.tools}",
        f"- Measured tenant: {report.dataset}",
        "",
        "### Targets",
        "",
        "Ratios are Resguardo ÷ reference, on medians; times are median (min–max) over the runs.",
        "",
        *_table(
            ["Figure", "Resguardo", "Reference", "Ratio", "Target", "Result"],
            [[v.figure, v.resguardo, v.reference, v.ratio, v.target, v.result] for v in report.verdicts],
        ),
        "",
        "### Every measurement",
        "",
        *_table(
            ["Side", "Runs", "Wall time", "Peak RSS (process tree)", "Output size"],
            [
                [s.label, str(len(s.seconds)), s.error or s.time_text(), s.rss_text(), s.size_text()]
                for s in report.series
            ],
        ),
    ]
    shown = [s for s in report.series if s.argv]
    if shown:
        lines += ["", "### Reproduce one side", "", *report.legend, ""]
        for s in shown:
            setup = f" ({s.setup})" if s.setup else ""
            lines.append(f"- {s.label}{setup}: `{shell_words(s.argv, report.names)}`")
    if report.notes:
        lines += ["", "### Notes", "", *(f"- {note}" for note in report.notes)]
    lines.append(end)
    return "\n".join(lines) + "\n"


def _section(text: str, key: str) -> re.Match[str] | None:
    begin, end = _marker(key)
    return re.search(rf"^{re.escape(begin)}$.*?^{re.escape(end)}$\n?", text, re.M | re.S)


def write(report: Report, path: Path, order: list[str]) -> None:
    """Replace this report's section in `path`, or add it after the sections that come before it in `order`;
    everything else in the file (other sections, text written by hand) stays as it is. Temporary name, then
    rename: a reader never sees half a file."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    new = render_section(report)
    found = _section(text, report.key)
    if found:
        text = text[: found.start()] + new + text[found.end() :]
    else:
        index = order.index(report.key) if report.key in order else len(order)
        before = [m for k in order[:index] if (m := _section(text, k))]
        after = [m for k in order[index + 1 :] if (m := _section(text, k))]
        if before:
            at = max(m.end() for m in before)
            text = text[:at] + "\n" + new + text[at:]
        elif after:
            at = min(m.start() for m in after)
            text = text[:at] + new + "\n" + text[at:]
        else:
            text = text.rstrip("\n") + "\n\n" + new
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)

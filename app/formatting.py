"""Numbers as the IT person reads them, in the window and on the command line: sizes, durations, dates."""

from __future__ import annotations

from datetime import UTC, datetime


def human_size(n: int | float | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def human_duration(seconds: float) -> str:
    """`4.2 s` under a minute, then `m:ss` or `h:mm:ss`."""
    if seconds < 59.95:
        return f"{max(0.0, seconds):.1f} s"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def local_time(utc_iso: str) -> str:
    """An ISO UTC stamp as local `YYYY-MM-DD HH:MM`; the input unchanged if it is not one."""
    if not utc_iso:
        return ""
    try:
        when = datetime.fromisoformat(utc_iso.replace("Z", "+00:00"))
    except ValueError:
        return utc_iso
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def remaining_estimate(fraction: float, elapsed: float) -> str:
    """'about 0:42 left' once enough is done to guess; empty before."""
    if fraction <= 0.02 or fraction >= 1 or elapsed < 1:
        return ""
    return f"about {human_duration(elapsed * (1 - fraction) / fraction)} left"

"""Numbers, sizes, dates and durations in the window's language (the CLI keeps app/formatting.py)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale, Qt

translate = QCoreApplication.translate
DATE_TIME = "d MMM yyyy HH:mm"  # "30 nov 2026 09:35": unambiguous in both languages, month in words


def number(n: int | None) -> str:
    return QLocale().toString(int(n or 0))


def size(n: int | float | None) -> str:
    """1024-based, as Qt's file dialog shows it ("61,00 KiB"): the window's file dialog shows its sizes through
    this too (backup_dialog.SizesInTheWindowsWords), so a file reads the same in both."""
    if n is None:
        return ""
    return QLocale().formattedDataSize(int(n))


def when(utc_iso: str | None) -> str:
    """An ISO UTC stamp as local date and time; empty when there is none, the input when it is not one."""
    if not utc_iso:
        return ""
    stamp = QDateTime.fromString(utc_iso.replace("Z", "+00:00"), Qt.DateFormat.ISODate)
    if not stamp.isValid():
        return utc_iso
    return QLocale().toString(stamp.toLocalTime(), DATE_TIME)


def duration(seconds: float) -> str:
    """`4,2 s` under a minute, then `m:ss` or `h:mm:ss`."""
    if seconds < 59.95:
        return translate("Format", "{seconds} s").format(seconds=QLocale().toString(max(0.0, seconds), "f", 1))
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def times(elapsed: float, fraction: float, running: bool) -> str:
    """A panel's clock: elapsed and what is left while it runs; only the time taken once it has ended."""
    if not running:
        return translate("Format", "took {time}").format(time=duration(elapsed))
    text = translate("Format", "{time} elapsed").format(time=duration(elapsed))
    if 0.02 < fraction < 1 and elapsed >= 1:
        left = duration(elapsed * (1 - fraction) / fraction)
        text += " · " + translate("Format", "about {time} left").format(time=left)
    return text

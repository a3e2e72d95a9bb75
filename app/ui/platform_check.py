"""Whether Qt can open a window here, asked before Qt is: a platform plugin Qt cannot load makes it abort the whole
process (qFatal), with a message that may name the wrong library ("xcb-cursor0 is needed" when it was installed
and two others were missing). Reads the plugins' files and, on Linux, `ldd`'s answer; imports no Qt module."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from app.engine.errors import ResguardoError

# What Qt's xcb plugin needs beyond a desktop's usual libraries (packaging/linux.md#system-libraries), as one line.
XCB_PACKAGES = (
    "libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxkbcommon-x11-0 "
    "libxcb-shape0 libxcb-randr0 libxcb-xinerama0"
)
INSTALL_LINE = f"sudo apt install {XCB_PACKAGES}"


class WindowCannotOpen(ResguardoError):
    """Qt has no platform it can load here; the message says what to install or set."""


def plugins_dir() -> Path | None:
    """PySide6's folder of platform plugins, or None when PySide6 is not where it is usually (a bundle)."""
    try:
        import PySide6  # the package alone: no Qt library is loaded
    except ImportError:
        return None
    folder = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms"
    return folder if folder.is_dir() else None


def missing_libraries(ldd_output: str) -> list[str]:
    """The libraries `ldd` says it could not find, each once, in its order."""
    found = re.findall(r"^\s*(\S+)\s+=>\s+not found", ldd_output, re.M)
    return list(dict.fromkeys(found))


def debian_package(library: str) -> str:
    """The Debian package of a shared library by Debian's naming rule: libxcb-icccm.so.4 is in libxcb-icccm4,
    libxkbcommon-x11.so.0 in libxkbcommon-x11-0."""
    match = re.fullmatch(r"(lib[\w+.-]*?)\.so\.(\d+).*", library)
    if match is None:
        return library
    name, major = match.groups()
    return f"{name}-{major}" if name[-1].isdigit() else f"{name}{major}"


def _requested() -> list[str]:
    """The platforms Qt will try: QT_QPA_PLATFORM's (a list separated by ;), else Linux's default."""
    given = os.environ.get("QT_QPA_PLATFORM", "").strip()
    if given:
        return [p.split(":", 1)[0].strip() for p in given.split(";") if p.strip()]
    if os.environ.get("WAYLAND_DISPLAY"):
        return ["wayland", "xcb"]
    return ["xcb"]


def check_platform() -> None:
    """Raise WindowCannotOpen, with what to do, when no platform Qt would try can load; on Windows and macOS,
    and where the plugins are not found, assume Qt can (it has a single platform there)."""
    folder = plugins_dir()
    if not sys.platform.startswith("linux") or folder is None:
        return
    available = sorted(p.name[len("libq") : -len(".so")] for p in folder.glob("libq*.so"))
    problems: list[str] = []
    for platform in _requested():
        plugin = folder / f"libq{platform}.so"
        if not plugin.is_file():
            problems.append(f"Qt has no platform plugin named {platform!r} (it has: {', '.join(available)}).")
            continue
        missing = _missing_for(plugin)
        display = {"xcb": "DISPLAY", "wayland": "WAYLAND_DISPLAY"}.get(platform)
        if missing:
            packages = " ".join(dict.fromkeys(debian_package(lib) for lib in missing))
            problems.append(
                f"Qt's {platform} platform plugin needs libraries this computer lacks: {', '.join(missing)} "
                f"(Debian/Ubuntu: sudo apt install {packages}; all that the window may need: {INSTALL_LINE})."
            )
        elif display and not os.environ.get(display):
            problems.append(f"There is no display for Qt's {platform} platform ({display} is not set).")
        else:
            return  # this one loads (as far as its libraries go): Qt will use it
    raise WindowCannotOpen(
        "The window cannot open. " + " ".join(problems),
        "QT_QPA_PLATFORM=offscreen opens no window but shows that the rest works; see packaging/linux.md.",
    )


def _missing_for(plugin: Path) -> list[str]:
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        done = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return missing_libraries(done.stdout)

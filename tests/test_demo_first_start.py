"""`resguardo demo` on a desktop where the window cannot open: it says why (which libraries to install), and it
leaves no PostgreSQL of its own running."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.commands import demo
from app.ui import launch
from app.ui.platform_check import INSTALL_LINE, debian_package, missing_libraries, plugins_dir
from tests.support import REPO


def _postgres_of(home: Path) -> list[str]:
    """The command lines of running processes that name `home` (the demo's server lives under it)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(home) in cmdline and "postgres" in cmdline:
            found.append(cmdline)
    return found


def _demo(home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "RESGUARDO_HOME": str(home), **env},
        check=False,
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_platform_qt_cannot_load_is_said_and_no_server_remains(tmp_path: Path) -> None:
    done = _demo(tmp_path, QT_QPA_PLATFORM="nosuchplatform")
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        "resguardo: The window cannot open. Qt has no platform plugin named 'nosuchplatform' "
        f"(it has: {', '.join(sorted(p.name[4:-3] for p in (plugins_dir() or Path()).glob('libq*.so')))})."
    ]
    assert _postgres_of(tmp_path) == []


def _xcb_missing() -> list[str]:
    folder = plugins_dir()
    if folder is None or not (folder / "libqxcb.so").is_file():
        return []
    out = subprocess.run(["ldd", str(folder / "libqxcb.so")], capture_output=True, text=True, check=False).stdout
    return missing_libraries(out)


@pytest.mark.skipif(not _xcb_missing(), reason="Qt's xcb plugin has every library it needs here")
def test_missing_xcb_libraries_are_named_with_the_install_line(tmp_path: Path) -> None:
    """The machine the tests run on may lack some of them (as a bare desktop does): Qt would name the wrong one."""
    done = _demo(tmp_path, QT_QPA_PLATFORM="xcb", DISPLAY=":99")
    assert done.returncode == 1
    said = done.stderr.strip()
    assert said.startswith("resguardo: The window cannot open. Qt's xcb platform plugin needs libraries")
    for library in _xcb_missing():
        assert library in said and debian_package(library) in said
    assert INSTALL_LINE in said
    assert _postgres_of(tmp_path) == []


def test_ldd_answers_become_debian_packages() -> None:
    ldd = (
        "\tlinux-vdso.so.1 (0x00007ffd)\n"
        "\tlibxcb-icccm.so.4 => not found\n"
        "\tlibQt6Gui.so.6 => /x/libQt6Gui.so.6 (0x7f)\n"
        "\tlibxcb-keysyms.so.1 => not found\n"
        "\tlibxcb-icccm.so.4 => not found\n"
    )
    assert missing_libraries(ldd) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    assert [debian_package(n) for n in ("libxcb-icccm.so.4", "libxkbcommon-x11.so.0", "libxcb-cursor.so.0")] == [
        "libxcb-icccm4",
        "libxkbcommon-x11-0",
        "libxcb-cursor0",
    ]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_server_stops_when_the_window_fails_after_it_started(
    private_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(target: object) -> int:
        assert _postgres_of(private_home), "the demo's server should be running while the window opens"
        raise RuntimeError("the window could not be built")

    monkeypatch.setattr(launch, "application", lambda: None)
    monkeypatch.setattr(launch, "open_window", fails)
    with pytest.raises(RuntimeError, match="could not be built"):
        demo.run(argparse.Namespace(serve=False, reset=False, scale=1))
    assert _postgres_of(private_home) == []

"""Screenshots of Resguardo as a Linux user installs it: the bundle's tarball installed by its install.sh, its menu
entry found by a real launcher (rofi's application menu, which reads the installed .desktop file and the hicolor
icon), and the window started from that entry's Exec, on the demo clinics, and as a double-click on a backup
starts it (the Exec's %f the file).

    python scripts/build_bundle.py && python scripts/screenshot_installed.py [--tarball dist/resguardo-….tar.gz]
                                                                              [--out docs/screens]

Writes installed-launcher-{en,es}.png, installed-window-{es,en}-1366x768.png, installed-restore-file-es-1366x768.png
(Restore…'s file dialog on a backup the installed command line made) and installed-open-file-{es,en}-1366x768.png
(that backup double-clicked: its restore's confirmation, then cancelled). Needs Xvfb, rofi, openbox (the
window manager that maximizes the window and draws its title bar and icon), ImageMagick's `import` and xdotool
(Debian: apt-get install xvfb rofi openbox imagemagick xdotool) and the X libraries of packaging/linux.md. Nothing
of the user's is read or changed: the install's HOME, the connection profile and the demo server (this checkout's
embedded PostgreSQL, the demo extra) live in a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.engine.server.pgserver import EmbeddedServer

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SIZE = (1366, 768)
TOOLS = {"Xvfb": "xvfb", "rofi": "rofi", "openbox": "openbox", "import": "imagemagick", "xdotool": "xdotool"}
LANGUAGES = {"en": "en_US.UTF-8", "es": "es_ES.UTF-8"}
# rofi's own theme, larger: the entry's icon and words legible in the gallery.
THEME = (
    "window { width: 44%; } listview { lines: 6; } element-icon { size: 2.2em; } element-text { vertical-align: 0.5; }"
)


def install(tarball: Path, root: Path) -> Path:
    """Unpack the tarball and run its install.sh as a user would, with HOME in `root`; the new HOME."""
    home = root / "home"
    home.mkdir()
    with tarfile.open(tarball) as tar:
        tar.extractall(root / "unpacked", filter="data")
    (folder,) = (root / "unpacked").iterdir()
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    subprocess.run(["sh", str(folder / "install.sh")], env=env, check=True)
    for placed in (
        ".local/bin/resguardo",
        ".local/share/applications/resguardo.desktop",
        ".local/share/icons/hicolor/48x48/apps/resguardo.png",
        ".local/share/mime/packages/resguardo.xml",
    ):
        if not (home / placed).exists():
            raise SystemExit(f"install.sh did not place ~/{placed}")
    return home


def desktop_entry(home: Path) -> dict[str, str]:
    """The installed [Desktop Entry]'s keys."""
    entry: dict[str, str] = {}
    section = ""
    text = (home / ".local/share/applications/resguardo.desktop").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("["):
            section = line.strip()
        elif section == "[Desktop Entry]" and "=" in line:
            key, value = line.split("=", 1)
            entry[key.strip()] = value.strip()
    return entry


def demo_profile(home: Path, root: Path) -> EmbeddedServer:
    """A private demo server and a connection profile to it, last used, in the installed program's settings (its
    platformdirs under `home`); the server, to stop at the end."""
    from app.engine.server.demo import create_demo_database
    from app.engine.server.pgserver import EmbeddedServer

    server = EmbeddedServer(root / "pgdata", fast=True)
    admin = server.start()
    demo = create_demo_database(admin)
    params = demo.params
    for name in ("RESGUARDO_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ.pop(name, None)
    os.environ["HOME"] = str(home)  # where the installed program, started with this HOME, reads its settings
    from app.engine.stores.profiles import Profile, ProfileStore

    store = ProfileStore()
    store.save(
        Profile(
            name="Clínicas",
            host=params.get("host", ""),
            port=int(params.get("port", "5432")),
            dbname=params.get("dbname", ""),
            user=params.get("user", ""),
            sslmode="disable",
        )
    )
    store.last_used = "Clínicas"
    # A backup in the folder the window's file dialog opens first (~/Documents/Resguardo), made by the installed
    # command line as a clinic's script would: the dialog names its type by the installed file type.
    (home / "Documents" / "Resguardo").mkdir(parents=True)  # a backup's folder must exist
    backup = subprocess.run(
        [
            str(home / ".local/bin/resguardo"),
            "backup",
            "--tenant",
            "bienestar",
            "--out",
            f"{home}/Documents/Resguardo/",
        ],
        env={"HOME": str(home), "PATH": "/usr/bin:/bin", "RESGUARDO_DSN": demo.conninfo},
        check=False,
        capture_output=True,
        text=True,
    )
    if backup.returncode != 0:
        raise SystemExit(f"the installed resguardo backup failed: {backup.stderr}")
    return server


@contextmanager
def x_server(root: Path) -> Iterator[dict[str, str]]:
    """Xvfb of SIZE with openbox on it; the environment of a desktop session there."""
    display = next(n for n in range(90, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    xvfb = subprocess.Popen(
        ["Xvfb", f":{display}", "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    runtime = root / "runtime"
    runtime.mkdir(mode=0o700)
    home = root / "home"
    env = {
        "DISPLAY": f":{display}",
        "HOME": str(home),
        "PATH": "/usr/local/bin:/usr/bin:/bin",  # without ~/.local/bin, as on the day of a first install
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_DATA_DIRS": "/usr/local/share:/usr/share",
    }
    children: list[subprocess.Popen[bytes]] = []
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{display}").exists():
            if time.monotonic() > deadline or xvfb.poll() is not None:
                raise SystemExit(f"Xvfb did not start on :{display}")
            time.sleep(0.1)
        children.append(subprocess.Popen(["openbox"], env=env, stderr=subprocess.DEVNULL))
        time.sleep(1)
        yield env
    finally:
        for child in children:
            child.terminate()
        xvfb.terminate()
        xvfb.wait(timeout=10)


def language(env: dict[str, str], code: str, *, glibc: bool = False) -> dict[str, str]:
    """The session's language: Qt reads it from LANG whatever locales are installed; a GLib program (rofi) quits
    when setlocale fails, so it gets C.UTF-8 and reads the language from LANGUAGE alone."""
    if glibc:
        return {**env, "LANG": "C.UTF-8", "LANGUAGE": code}
    return {**env, "LANG": LANGUAGES[code], "LC_ALL": LANGUAGES[code], "LANGUAGE": code}


def grab(env: dict[str, str], path: Path) -> None:
    subprocess.run(["import", "-window", "root", str(path)], env=env, check=True)
    print(f"wrote {path}")


def launcher(env: dict[str, str], code: str, out: Path) -> None:
    """rofi's application menu, searched for the program as a user types it."""
    menu = subprocess.Popen(
        ["rofi", "-show", "drun", "-show-icons", "-filter", "resg", "-font", "DejaVu Sans 15", "-theme-str", THEME],
        env=language(env, code, glibc=True),
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)
        if menu.poll() is not None:
            raise SystemExit("rofi did not stay up")
        grab(env, out / f"installed-launcher-{code}.png")
    finally:
        menu.terminate()
        menu.wait(timeout=10)


def window(
    env: dict[str, str], entry: dict[str, str], code: str, out: Path, *, restore_dialog: bool, file: Path | None = None
) -> None:
    """The program as its menu entry starts it (Exec, field codes dropped), once its clinics are listed; with
    `restore_dialog`, also Restore…'s file dialog, which names a backup's type by the installed file type. With
    `file`, as a file manager starts it on that double-clicked file (%f): the restore's confirmation, cancelled."""
    argv = [
        str(file) if word == "%f" and file is not None else word
        for word in shlex.split(entry["Exec"])
        if not (word.startswith("%") and len(word) == 2) or (word == "%f" and file is not None)
    ]
    found = shutil.which(argv[0], path=env["PATH"])
    if found is None:
        raise SystemExit(f"the entry's Exec={entry['Exec']} is not on the installed PATH")
    program = subprocess.Popen([found, *argv[1:]], env=language(env, code), stderr=subprocess.PIPE, text=True)
    try:
        search = subprocess.run(
            ["xdotool", "search", "--sync", "--onlyvisible", "--class", entry.get("StartupWMClass", "")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if search.returncode != 0:  # a launcher or task bar could not tie the window to its entry (WM_CLASS)
            raise SystemExit(f"no window of class {entry.get('StartupWMClass')}: {search.stderr}")
        wid = search.stdout.split()[0]
        subprocess.run(["xdotool", "windowactivate", "--sync", wid], env=env, check=False, timeout=10)
        time.sleep(8)  # the clinics' list and sizes, read on the window's workers
        if program.poll() is not None:
            raise SystemExit(f"the installed program stopped: {program.stderr.read() if program.stderr else ''}")
        if file is not None:  # the file verified and compared with its clinic: the confirmation is up
            grab(env, out / f"installed-open-file-{code}-{SIZE[0]}x{SIZE[1]}.png")
            subprocess.run(["xdotool", "key", "Escape"], env=env, check=True)  # cancelled: nothing restored
            time.sleep(1)
            return
        grab(env, out / f"installed-window-{code}-{SIZE[0]}x{SIZE[1]}.png")
        if restore_dialog:  # Bienestar selected (its row in the maximized window), then Restore… (Ctrl+R)
            subprocess.run(["xdotool", "mousemove", "300", "136", "click", "1"], env=env, check=True)
            time.sleep(1)
            subprocess.run(["xdotool", "mousemove", "1300", "700", "key", "ctrl+r"], env=env, check=True)
            time.sleep(4)
            grab(env, out / f"installed-restore-file-{code}-{SIZE[0]}x{SIZE[1]}.png")
            subprocess.run(["xdotool", "key", "Escape"], env=env, check=True)
    finally:
        program.terminate()
        try:
            program.wait(timeout=20)
        except subprocess.TimeoutExpired:
            program.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tarball", type=Path, help="default: the newest dist/resguardo-*-linux-*.tar.gz")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screens")
    args = parser.parse_args()
    missing = [package for tool, package in TOOLS.items() if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"needed: apt-get install {' '.join(missing)}")
    tarballs = sorted((REPO / "dist").glob("resguardo-*-linux-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    tarball = args.tarball or (tarballs[-1] if tarballs else None)
    if tarball is None or not tarball.is_file():
        raise SystemExit("no tarball: run scripts/build_bundle.py first, or give --tarball")
    args.out.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="resguardo-installed-"))
    server = None
    try:
        home = install(tarball, root)
        entry = desktop_entry(home)
        server = demo_profile(home, root)
        with x_server(root) as env:
            for code in ("en", "es"):
                launcher(env, code, args.out)
            for code in ("es", "en"):
                window(env, entry, code, args.out, restore_dialog=code == "es")
            (backup,) = (home / "Documents" / "Resguardo").glob("*.resguardo")
            for code in ("es", "en"):
                window(env, entry, code, args.out, restore_dialog=False, file=backup)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

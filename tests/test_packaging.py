"""An installed wheel holds what a checkout has: the window's icons and translations and the demo's SQL are
package data, found beside the `app` package (a file left out would vanish only for users)."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_every_resource_file_is_package_data() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["app"]
    app = REPO / "app"
    shipped = {path for pattern in patterns for path in app.glob(pattern) if path.is_file()}
    needed = {
        path
        for folder in (app / "resources", app / "engine" / "server" / "sql")
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert {p.relative_to(app).as_posix() for p in needed - shipped} == set()
    assert {"resources/translations/resguardo_es.ts", "resources/icons/restore.svg"} <= {
        p.relative_to(app).as_posix() for p in shipped
    }


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
    path = REPO / "app" / "resources" / name
    run = subprocess.run([tool, *arguments, str(path)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_file_type_names_the_backup_and_its_icon() -> None:
    """A file manager (and a GTK file dialog) calls a .resguardo file a Resguardo backup, not a tar archive."""
    root = ET.parse(REPO / "app" / "resources" / "resguardo-mime.xml").getroot()
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    kind = root.find("m:mime-type", ns)
    assert kind is not None and kind.get("type") == "application/x-resguardo-backup"
    assert [g.get("pattern") for g in kind.findall("m:glob", ns)] == ["*.resguardo"]
    assert {c.text for c in kind.findall("m:comment", ns)} == {"Resguardo backup", "Copia de seguridad de Resguardo"}
    metainfo = (REPO / "app" / "resources" / "org.resguardo.Resguardo.metainfo.xml").read_text(encoding="utf-8")
    assert "<mediatype>application/x-resguardo-backup</mediatype>" in metainfo

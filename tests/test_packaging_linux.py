"""The Linux tarball as a user installs it: its install.sh, run with a HOME (or a PREFIX) of its own, places the
program, the menu entry, the icon and the file type, and the menu entry starts the program even when the desktop
session's PATH lacks the install's bin folder (Debian's ~/.profile adds ~/.local/bin only when it existed at
login). The bundle itself is a stub here: .ci/run builds the real one and smoke-tests it (tests/test_installed.py)."""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

from tests.support import REPO


def _build_bundle(dist: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_bundle", REPO / "scripts" / "build_bundle.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.__dict__["DIST"] = dist  # the tarball is made here, from a stub bundle
    return module


def _entry(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


@pytest.mark.parametrize("prefix", [None, "opt dir/resguardo"], ids=["home", "prefix-with-a-space"])
def test_install_sh_places_everything_and_the_menu_entry_starts_the_program(tmp_path: Path, prefix: str | None) -> None:
    dist = tmp_path / "dist"
    (dist / "resguardo").mkdir(parents=True)
    for program in ("resguardo", "resguardo-gui"):
        stub = dist / "resguardo" / program
        stub.write_text(f'#!/bin/sh\necho "stub {program} $*"\n', encoding="utf-8")
        stub.chmod(0o755)
    icon = tmp_path / "icon.png"
    icon.write_bytes((REPO / "resources" / "icons" / "restore.svg").read_bytes())  # any file: its place is checked
    archive = _build_bundle(dist).linux_tarball({48: icon}, "9.9.9")
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    (folder,) = (tmp_path / "unpacked").iterdir()
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    if prefix is not None:
        env["PREFIX"] = str(tmp_path / prefix)
    run = subprocess.run(["sh", str(folder / "install.sh")], env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    root = Path(env.get("PREFIX", home / ".local"))
    for placed in (
        "bin/resguardo",
        "bin/resguardo-gui",
        "lib/resguardo/resguardo",
        "share/icons/hicolor/48x48/apps/resguardo.png",
        "share/icons/hicolor/scalable/apps/resguardo.svg",
        "share/mime/packages/resguardo.xml",
        "share/metainfo/org.resguardo.Resguardo.metainfo.xml",
    ):
        assert (root / placed).exists(), placed
    installed = root / "share" / "applications" / "resguardo.desktop"
    entry, source = _entry(installed), _entry(REPO / "resources" / "resguardo.desktop")
    assert {k: v for k, v in entry.items() if k != "Exec"} == {k: v for k, v in source.items() if k != "Exec"}
    argv = shlex.split(entry["Exec"])
    assert argv == [str(root / "bin" / "resguardo-gui"), "%f"]  # the window alone, given the file opened
    assert entry["MimeType"] == "application/x-resguardo-backup;application/x-resguardo-encrypted-backup;"
    # Started as a file manager starts it on a double-clicked backup, with a PATH that does not hold the
    # install's bin folder.
    backup = tmp_path / "a backup.resguardo"
    argv = [str(backup) if word == "%f" else word for word in argv]
    started = subprocess.run(argv, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=True)
    assert started.stdout.strip() == f"stub resguardo-gui {backup}"
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(installed)], capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stdout + check.stderr
    assert os.access(root / "bin" / "resguardo", os.X_OK)

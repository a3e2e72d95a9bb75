"""One native restore with one of the restore's speed levers set another way (bench/levers.py).

    python -m bench.lever_side VARIANT --conninfo C --schema S --path FILE

The engine's levers are named constants (app/engine/restore/load_step.py, parallel_load.py) or one method of the
native source; a variant sets one of them back before the restore runs, in this process only, so each lever's
effect is measured alone against today's engine (`all`, every lever as shipped).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from app.engine.connection import ConnectionTarget
from app.engine.jobs import CancelToken, ignore_progress


def _set(module: str, name: str, value: object) -> Callable[[], None]:
    def apply() -> None:
        import importlib

        setattr(importlib.import_module(module), name, value)

    return apply


def _no_freeze() -> None:
    """COPY without FREEZE, and every CREATE TABLE in the schema step (no table created in its own load)."""
    from app.engine.sources.native import NativeArchiveSource

    NativeArchiveSource._tables_nothing_else_names = lambda self: {}  # type: ignore[method-assign]
    NativeArchiveSource._plain_tables = lambda self, conn, staging: frozenset()  # type: ignore[method-assign]


def _manifest_order() -> None:
    """Tables in the manifest's order instead of largest first."""
    from app.engine.sources.native import NativeArchiveSource
    from app.engine.sources.source import TableLoad

    def table_loads(self: NativeArchiveSource) -> list[TableLoad]:
        return [TableLoad(e.name, e.bytes, self._table_runner(e)) for e in self.manifest.tables]

    NativeArchiveSource.table_loads = table_loads  # type: ignore[method-assign]


def _autovacuum_wait() -> None:
    """The swap waits for an autovacuum worker holding a live table instead of cancelling it."""
    from app.engine.restore.table_locks import LockAttempts

    LockAttempts._stop_autovacuum = lambda self, oids: None  # type: ignore[method-assign]


VARIANTS: dict[str, Callable[[], None]] = {
    "all": lambda: None,
    "sync-commit-on": _set("app.engine.restore.load_step", "STAGING_SYNCHRONOUS_COMMIT", "on"),
    "mwm-64MB": _set("app.engine.restore.load_step", "LOAD_MAINTENANCE_MEM", "64MB"),
    "mwm-1GB": _set("app.engine.restore.load_step", "LOAD_MAINTENANCE_MEM", "1GB"),
    "mwm-2GB": _set("app.engine.restore.load_step", "LOAD_MAINTENANCE_MEM", "2GB"),
    "parallel-never": _set("app.engine.restore.parallel_load", "PARALLEL_BUILDS", "never"),
    "parallel-always": _set("app.engine.restore.parallel_load", "PARALLEL_BUILDS", "always"),
    "no-freeze": _no_freeze,
    "manifest-order": _manifest_order,
    "autovacuum-wait": _autovacuum_wait,
    "gin-load-mem": _set("app.engine.sources.native", "GIN_MAINTENANCE_MEM", None),
    "one-step-off": _set("app.engine.restore.parallel_load", "ONE_STEP_TABLES", -1),
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.lever_side")
    parser.add_argument("variant", choices=sorted(VARIANTS))
    parser.add_argument("--conninfo", required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--path", required=True)
    args = parser.parse_args()
    VARIANTS[args.variant]()
    from app.engine.restore.restore import restore_tenant

    restore_tenant(
        ConnectionTarget(args.conninfo), args.schema, Path(args.path), progress=ignore_progress, cancel=CancelToken()
    )
    print(json.dumps({}))


if __name__ == "__main__":
    main()

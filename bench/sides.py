"""Resguardo's side of each pair, run as `python -m bench.sides KIND ...` in a fresh process.

Each side is one engine call, as the CLI or the window would make it, so the
wall time and peak RSS the harness reads are those of the whole program.
The connection comes as a password-free conninfo; a password, if any,
reaches libpq through PGPASSWORD in the environment.
It prints one JSON object on stdout. When the engine fails, it prints the
engine's own sentence as its last stderr line and exits non-zero; a refusal (a
PreflightError or UsageError: the tenant holds something the format does not
carry, say) exits with REFUSED, so the harness reports "refused: <reason>".
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from app.engine.connection import ConnectionTarget
from app.engine.errors import PreflightError, ResguardoError, UsageError
from app.engine.jobs import CancelToken, ignore_progress

REFUSED = 3  # exit status of a side the engine refused to run


def native_backup(target: ConnectionTarget, args: argparse.Namespace) -> dict[str, Any]:
    from app.engine.backup.native import backup_tenant

    result = backup_tenant(target, args.schema, Path(args.path), progress=ignore_progress, cancel=CancelToken())
    return {"size": result.size_bytes, "rows": result.rows}


def pgdump_backup(target: ConnectionTarget, args: argparse.Namespace) -> dict[str, Any]:
    from app.engine.backup.pgdump import pgdump_tenant

    result = pgdump_tenant(
        target, args.schema, Path(args.path), fmt=args.format, progress=ignore_progress, cancel=CancelToken()
    )
    return {"size": result.size_bytes, "tool": result.tool}


def native_restore(target: ConnectionTarget, args: argparse.Namespace) -> dict[str, Any]:
    """The safe restore; it takes native archives and pg_dump files alike."""
    from app.engine.restore.restore import restore_tenant

    restore_tenant(target, args.schema, Path(args.path), progress=ignore_progress, cancel=CancelToken())
    return {}


def list_tenants(target: ConnectionTarget, args: argparse.Namespace) -> dict[str, Any]:
    """Time the listing alone, on an open connection, `args.repeat` times."""
    from app.engine.catalog.discovery import list_tenants as listing

    seconds: list[float] = []
    count = 0
    for _ in range(args.repeat):
        with target.connect() as conn:
            start = time.perf_counter()
            result = listing(conn)
            seconds.append(time.perf_counter() - start)
        count = sum(1 for t in result.tenants if getattr(t, "kind", "tenant") == "tenant")
    return {"seconds": seconds, "tenants": count}


SIDES = {
    "native-backup": native_backup,
    "pgdump-backup": pgdump_backup,
    "native-restore": native_restore,
    "list-tenants": list_tenants,
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sides")
    parser.add_argument("side", choices=sorted(SIDES))
    parser.add_argument("--conninfo", required=True)
    parser.add_argument("--schema", default="")
    parser.add_argument("--path", default="")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--format", choices=("custom", "sql"), default="custom")
    args = parser.parse_args()
    try:
        result = SIDES[args.side](ConnectionTarget(args.conninfo), args)
    except ResguardoError as exc:
        print(" ".join(exc.message.split()), file=sys.stderr)
        sys.exit(REFUSED if isinstance(exc, (PreflightError, UsageError)) else 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

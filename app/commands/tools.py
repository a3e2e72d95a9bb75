"""`resguardo tools`: which pg_dump, pg_restore and psql are installed, and which would be used."""

from __future__ import annotations

import argparse
import os

from app.commands.common import resolve_target
from app.engine.pgdump.pgtools import ENV_DIRS, TOOL_NAMES, find_tools, newest, search_dirs, server_major


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pg-bin",
        action="append",
        default=None,
        metavar="DIR",
        help=f"a folder to search first (repeatable; default: the {ENV_DIRS} variable)",
    )


def run(args: argparse.Namespace) -> int:
    extra = args.pg_bin
    major: int | None = None
    if args.dsn or args.profile or os.environ.get("RESGUARDO_DSN"):
        with resolve_target(args).connect(autocommit=True) as conn:
            major = server_major(conn)
        print(f"Server: PostgreSQL {major}")
    else:
        print("No server given (--dsn/--profile): listing only.")
    print("Searched: " + os.pathsep.join(str(d) for d in search_dirs(extra)))
    for name in TOOL_NAMES:
        found = find_tools(name, extra)
        fitting = [t for t in found if major is None or t.major >= major]
        chosen = newest(fitting) if major is not None else None
        print(f"{name}:")
        if not found:
            print("  none found")
        for tool in found:
            mark = "*" if tool is chosen else " "
            print(f" {mark} {tool.major:>3}  {tool.version:<32} {tool.path}")
        if major is not None and chosen is None:
            best = newest(found)
            reason = f"the newest {name} found is {best.major} at {best.path}" if best else f"no {name} was found"
            print(
                f"  -> none fits: server is PostgreSQL {major}; {reason}; install PostgreSQL {major}+ "
                "client tools or use the native format."
            )
        elif chosen is not None:
            print(f"  -> would use {chosen.path}")
    return 0

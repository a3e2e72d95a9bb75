"""`resguardo demo`: the demo clinics on a private PostgreSQL server."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from app import paths
from app.engine.server.demo import DEMO_DBNAME, create_demo_database, database_exists
from app.engine.server.pgserver import EmbeddedServer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--serve",
        action="store_true",
        help="no window: print the connection URI on the first line and run until Ctrl-C",
    )
    parser.add_argument("--reset", action="store_true", help="recreate the demo database")
    parser.add_argument(
        "--scale",
        type=int,
        default=1,
        metavar="N",
        help="(re)create the demo database with N times the appointments and chat messages (sizes in docs/demo.md)",
    )


def demo_server() -> EmbeddedServer:
    return EmbeddedServer(paths.data_dir() / "demo-postgres")


def run(args: argparse.Namespace) -> int:
    if args.scale < 1:
        from app.engine.errors import CommandLineError

        raise CommandLineError("--scale must be 1 or more.")
    if not args.serve:  # the window's Qt first: a Qt that cannot open a window aborts, and must find no server
        from app.ui.launch import application

        application()
    server = demo_server()
    admin = server.start()
    try:
        if args.reset or args.scale != 1 or not database_exists(admin, DEMO_DBNAME):
            create_demo_database(admin, DEMO_DBNAME, scale=args.scale, reset=True)
        target = admin.with_dbname(DEMO_DBNAME)
        if args.serve:
            print(server.uri(DEMO_DBNAME), flush=True)
            print(f"Demo server running (data in {server.datadir}); press Ctrl-C to stop.", file=sys.stderr)
            _wait_for_interrupt()
            return 0
        from app.ui.launch import open_window

        return open_window(target)
    finally:
        if server.started_here:
            server.stop()


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass

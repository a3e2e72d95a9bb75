"""`resguardo open FILE`: the window, on a backup file (what a double-click on a `.resguardo` file runs, through
`resguardo-gui FILE`). The window checks the file, then offers its restore into the clinic it names; nothing is
restored without the usual confirmation."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="a backup file (.resguardo, .age, .dump, .sql, .json)")


def run(args: argparse.Namespace) -> int:
    from app.ui.launch import open_window

    return open_window(None, file=Path(args.file).absolute())

"""`resguardo-gui [FILE]`: the window alone, as a desktop starts it (the Start menu, a double-clicked backup,
Resguardo.app), beside `resguardo`, the console program of the CLI. With a FILE it is `resguardo open FILE`.

Windows and macOS start it with no console: its sys.stdout and sys.stderr are None, and anything written to
them (a warning, the CLI's one-line failure before the window exists) would raise. Output then goes to the null
device, and errors to `resguardo-gui.err` in the log folder, where whoever helps the user finds them."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from app import paths

ERRORS_NAME = "resguardo-gui.err"


def _without_console() -> None:
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (for the process's life)
    if sys.stderr is None:
        try:
            folder = paths.log_dir()
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(folder / ERRORS_NAME, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            sys.stderr = open(fd, "a", encoding="utf-8", errors="replace")  # noqa: SIM115
        except OSError:
            sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115


def main(argv: Sequence[str] | None = None) -> int:
    _without_console()
    words = list(sys.argv[1:] if argv is None else argv)
    options = [w for w in words if w.startswith("-") and not w.startswith("-psn_")]  # -psn_: an old macOS's
    files = [w for w in words if not w.startswith("-")]
    from app.cli import main as cli

    return cli([*options, "open", files[0]] if files else options)


if __name__ == "__main__":
    sys.exit(main())

"""The command line as a script runs it: a child process of this Python, in the repository."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support import REPO


def run_cli(
    *args: str, env: dict[str, str] | None = None, input: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `python -m app ARGS` in a child process, as a script would."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
        env={**os.environ, **(env or {})},
        cwd=REPO,
        check=False,  # the tests read the exit status
    )

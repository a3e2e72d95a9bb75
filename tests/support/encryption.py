"""For the encryption tests: Debian's `age` command, a terminal to type passphrases into, and test keys."""

from __future__ import annotations

import os
import pty
import select
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest
from pyrage import x25519

from app.engine.encryption.workspace import private_root
from tests.support import REPO

AGE = shutil.which("age")
needs_age = pytest.mark.skipif(
    AGE is None, reason="Debian's age command is not installed (.ci/run installs it, so CI never skips)"
)


def plain_identity(folder: Path, name: str = "key.txt") -> tuple[Path, str]:
    """An unprotected identity file as age-keygen writes it, and its public key."""
    identity = x25519.Identity.generate()
    public = str(identity.to_public())
    path = folder / name
    path.write_text(f"# public key: {public}\n{identity}\n")
    path.chmod(0o600)
    return path, public


def in_terminal(argv: list[str], answers: list[str], timeout: float = 60) -> tuple[int, str]:
    """Run `argv` with a terminal of its own (as a person would), typing the next of `answers` at each prompt that
    asks for a passphrase; its exit status and everything the terminal showed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: nothing but exec
        try:
            os.chdir(REPO)
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    shown, typed, deadline = b"", 0, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
            if typed < len(answers) and shown.lower().count(b"passphrase") > typed and shown.endswith(b": "):
                os.write(fd, answers[typed].encode() + b"\r")
                typed += 1
        else:
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


def resguardo_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "app", *args]


def job_folders() -> list[Path]:
    root = private_root()
    return [p for p in root.iterdir() if p.name.startswith("job-")] if root.is_dir() else []

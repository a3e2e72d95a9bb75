"""Run one measured side in a fresh child process: wall time and peak RSS of its whole tree.

Peak RSS is the larger of two readings taken from /proc while the side runs
(every 5 ms at first, then every 50 ms), over the child and all its descendants:
- the largest VmHWM of any one process: the kernel's own high-water mark of
  that process since its exec, exact even between samples;
- the largest sum of VmRSS over the live tree, which adds up parallel workers
  (pg_restore -j 2) but can miss a short spike.
The kernel's ru_maxrss from wait4() is not used: on Linux, exec() folds the
memory of the process that spawned the child (this Python harness) into the
child's ru_maxrss, so every side would read at least the harness's own size.
A fresh child per side keeps one side's peak out of another's reading.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.dataset import say
from bench.stats import MB, Series

FIRST_SAMPLE_SECONDS = 0.005
SAMPLE_SECONDS = 0.05


@dataclass(frozen=True)
class Run:
    """One execution of one side."""

    seconds: float
    peak_rss_bytes: int
    stdout: str
    stderr: bytes = b""


class SideFailed(Exception):
    """A measured command exited non-zero; the message is its last stderr line."""

    def __init__(self, message: str, returncode: int) -> None:
        super().__init__(message)
        self.returncode = returncode


def _parents() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name sits in parentheses and may hold spaces; ppid follows state.
        fields = stat[stat.rfind(b")") + 2 :].split()
        parents[int(entry)] = int(fields[1])
    return parents


def _memory(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of one process in bytes; zeros once it has gone."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith(b"VmHWM:"):
                    hwm = int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return rss, hwm


def tree(root: int) -> list[int]:
    """`root` and all its descendants right now."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _parents().items():
        children.setdefault(ppid, []).append(pid)
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


class _Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.stop = threading.Event()

    def sample(self) -> None:
        readings = [_memory(pid) for pid in tree(self.pid)]
        total = sum(rss for rss, _ in readings)
        highest = max((hwm for _, hwm in readings), default=0)
        self.peak = max(self.peak, total, highest)

    def run(self) -> None:
        interval = FIRST_SAMPLE_SECONDS
        self.sample()
        while not self.stop.wait(interval):
            self.sample()
            interval = min(interval * 2, SAMPLE_SECONDS)


def side_reason(stderr: bytes, argv: list[str], returncode: int) -> str:
    """The last "<tool>: error: ..." line of a PostgreSQL tool (pg_restore follows it with the failed command),
    else the last line (a Python side's exception)."""
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    if not lines:
        return f"{Path(argv[0]).name} exited with {returncode}"
    errors = [line for line in lines if re.match(r"^[\w.-]+: error: ", line)]
    return (errors or lines)[-1]


def run_measured(
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    stdout_path: Path | None = None,
    cwd: Path | None = None,
) -> Run:
    """Run `argv` to completion; raise SideFailed on a non-zero exit."""
    full_env = {**os.environ, **(env or {})}
    with contextlib.ExitStack() as files:
        out = files.enter_context(stdout_path.open("wb")) if stdout_path else subprocess.PIPE
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=full_env,
            cwd=cwd,
        )
        sampler = _Sampler(proc.pid)
        sampler.start()
        # Read the pipes on threads, so a chatty child never blocks on a full pipe.
        captured: dict[str, bytes] = {}
        readers = [
            threading.Thread(target=lambda n=name, s=stream: captured.__setitem__(n, s.read()), daemon=True)
            for name, stream in (("out", proc.stdout), ("err", proc.stderr))
            if stream is not None
        ]
        for reader in readers:
            reader.start()
        # Sample until the child has exited but before it is reaped: its /proc entry
        # stays while it is a zombie, and the sampler must not outlive it.
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        seconds = time.perf_counter() - start
        sampler.stop.set()
        sampler.join()
        _, status = os.waitpid(proc.pid, 0)
        for reader in readers:
            reader.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SideFailed(side_reason(captured.get("err", b""), argv, proc.returncode), proc.returncode)
    return Run(seconds, sampler.peak, captured.get("out", b"").decode(errors="replace"), captured.get("err", b""))


def measure_into(series: Series, argv: list[str], env: dict[str, str], cwd: Path) -> None:
    """One run of `argv` added to `series` (its time and peak memory), or the reason it has none."""
    series.argv = argv
    say(f"{series.label} ...")
    try:
        run = run_measured(argv, env=env, cwd=cwd)
    except SideFailed as exc:
        series.error = f"failed: {exc}"
        say(series.error)
        return
    series.seconds.append(run.seconds)
    series.peak_rss.append(run.peak_rss_bytes)
    say(f"{series.label}: {run.seconds:.2f} s, {run.peak_rss_bytes / MB:.0f} MB")

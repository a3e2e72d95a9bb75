"""The benchmark harness: the CI smoke run completes and writes every row; memory is measured right.

Never a timed assertion: the figures themselves are for bench/RESULTS.md, not for CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.probe import run_measured

REPO = Path(__file__).resolve().parent.parent
MB = 1024 * 1024

FIGURES = [
    "Backup wall time: native ÷ pg_dump -Fc",
    "Backup size: native ÷ pg_dump -Fc",
    "Backup peak RSS (native)",
    "Backup wall time: native ÷ COPY floor",
    "Restore wall time: native ÷ pg_restore -j 2",
    "Restore wall time: native ÷ pg_restore (1 job)",
    "Restore peak RSS (native)",
    "Custom backup: Resguardo ÷ pg_dump -Fc",
    ".sql backup: Resguardo ÷ pg_dump -Fp",
    "Custom restore: Resguardo ÷ pg_restore (1 job)",
    ".sql restore: Resguardo ÷ psql -f",
    "Listing 50 tenants with sizes",
    "UI gap during native backup",
    "UI gap during native restore",
]
BARE_SIDES = ["pg_dump -Fc -n", "pg_restore, 1 job", "pg_restore -j 2", "pg_dump -Fp -n", "psql -f of the .sql file"]
RESULT = re.compile(r"^(met|missed by \d+%|info \(no target\)|not measured: .+|.+: (not measured|failed): .+|failed: .+)$")


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """Outside pytest's own temp root: a concurrent pytest session resets that to mode 0700,
    and the embedded server's service user (when run as root) must traverse to its data."""
    path = Path(tempfile.mkdtemp(prefix="resguardo-bench-smoke-"))
    yield path / "data"
    shutil.rmtree(path, ignore_errors=True)


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], capture_output=True, text=True, cwd=REPO, timeout=240,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def _rows(markdown: str, heading: str) -> dict[str, list[str]]:
    section = markdown.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split(" | ") for line in section.splitlines() if line.startswith("| ")]
    return {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows[1:]}


def test_smoke_run_writes_every_row_to_the_given_path(tmp_path: Path, data_dir: Path) -> None:
    real_results = REPO / "bench" / "RESULTS.md"
    before = real_results.read_bytes() if real_results.exists() else None
    output = tmp_path / "out" / "RESULTS.md"

    done = _bench("--smoke", "--data-dir", str(data_dir), "--output", str(output))

    assert done.returncode == 0, done.stderr[-3000:]
    text = output.read_text(encoding="utf-8")
    assert "python -m bench --smoke" in text
    assert re.search(r"PostgreSQL: \d+\.\d+", text)
    assert re.search(r"CPU: \d+ cores", text)
    targets = _rows(text, "Targets")
    for figure in FIGURES:
        assert any(name.startswith(figure) for name in targets), f"missing row {figure!r}"
    for name, cells in targets.items():
        assert RESULT.match(cells[-1]), f"{name}: unexpected result {cells[-1]!r}"
        if cells[-1].startswith(("met", "missed", "info")):
            assert cells[0] != "—", f"{name} is judged without a measured value"
    measured = _rows(text, "Every measurement")
    for side in BARE_SIDES:  # the reference tools are always there, so always measured
        row = next(cells for label, cells in measured.items() if label.endswith(side))
        assert row[0] == "1" and re.match(r"\d+\.\d+ s", row[1]), (side, row)
    # The smoke run never overwrites the real results.
    assert (real_results.read_bytes() if real_results.exists() else None) == before


def test_a_bad_size_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    done = _bench("--size", "lots", "--output", str(output), "--data-dir", str(tmp_path / "data"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["bench: --size 'lots' is not a size such as 20MB or 1GB."]
    assert not output.exists()
    assert not (tmp_path / "data").exists()


def test_peak_rss_adds_up_parallel_children_and_ignores_the_harness() -> None:
    # Two children each holding 60 MB at once: the tree's peak is their sum, as for pg_restore -j 2.
    hold = "import time; b = b'x' * (60 * 2**20); time.sleep(1.5)"
    parent = (
        "import subprocess, sys;"
        f"ps = [subprocess.Popen([sys.executable, '-c', {hold!r}]) for _ in range(2)];"
        "[p.wait() for p in ps]"
    )
    ballast = b"y" * (200 * MB)  # the harness's own memory must not count for the side it runs
    run = run_measured([sys.executable, "-c", parent])
    assert 120 * MB <= run.peak_rss_bytes < 200 * MB
    small = run_measured(["/bin/sh", "-c", "sleep 0.3"])
    assert small.peak_rss_bytes < 50 * MB
    del ballast

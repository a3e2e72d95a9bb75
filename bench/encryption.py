"""Issue 22: what encryption costs a backup and a restore of the big tenant, side by side with the plain run.

    python -m bench.encryption --size 1GB --repeat 3

The tenant is the rows case's `bienestar` (bench/dataset.py, cached between runs). Each side is the whole CLI
command in a fresh process (bench/probe.py): `resguardo backup` plain and with `--encrypt-to` a key made for the
run, then `resguardo restore` of each file into a copy of the demo clinics (the encrypted one with
`--identity`). Plain and encrypted alternate within each round, which starts with the other one each time, so
the machine's drift falls on both. Target: each at most 10 % over the plain run. Writes its section of
RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
from pathlib import Path

from pyrage import x25519

from app.engine.connection import ConnectionTarget
from bench import dataset, tools
from bench.harness import REPO
from bench.probe import measure_into
from bench.report import Report, Verdict, write
from bench.stats import MB, Series

KEY = "encryption"
TARGET = 1.10  # issue 22: at most 10 % over the plain run
TENANT = "bienestar"


def _verdict(what: str, plain: Series, encrypted: Series) -> Verdict:
    if not (plain.measured and encrypted.measured):
        return Verdict(what, encrypted.error or "not measured", plain.error or "—", "—", f"≤ {TARGET:.2f}×", "missed")
    ratio = encrypted.median_seconds / plain.median_seconds
    return Verdict(
        what,
        encrypted.time_text(),
        plain.time_text(),
        f"{ratio:.2f}×",
        f"≤ {TARGET:.2f}×",
        "met" if ratio <= TARGET else f"missed by {(ratio / TARGET - 1) * 100:.0f}%",
    )


def _settle(admin: ConnectionTarget) -> None:
    """Before each measured side, untimed: the server's dirty buffers written and the OS's dirty pages flushed, so no
    side pays for the writes of the one before it: a restore leaves about 1 GB for the next checkpoint, which fell
    in whichever restore came next, the encrypted one in three rounds of five."""
    with admin.connect(autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    os.sync()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.encryption", description=__doc__)
    parser.add_argument("--size", default="1GB", help="the tenant's size (default 1GB, the rows case's)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=REPO / "bench" / ".data")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "RESULTS.md")
    args = parser.parse_args(argv)
    server = dataset.start_server(args.data_dir)
    work = args.data_dir / "work-encryption"
    try:
        admin = server.target()
        source = dataset.tenant_database(admin, dataset.scale_for(dataset.parse_size(args.size)))
        into = dataset.restore_database(admin)
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        identity = x25519.Identity.generate()
        key_file = work / "bench-key.txt"  # the bench's own throwaway key; a clinic's is passphrase-protected
        key_file.write_text(str(identity) + "\n", encoding="utf-8")
        key_file.chmod(0o600)
        env = {**admin.child_env(), "PYTHONPATH": str(REPO)}
        cli = [sys.executable, "-m", "app"]
        plain_file, encrypted_file = work / "plain.resguardo", work / "encrypted.resguardo.age"
        backups = {
            "plain": Series("resguardo backup, plain"),
            "encrypted": Series("resguardo backup --encrypt-to (age, X25519)"),
        }
        restores = {
            "plain": Series("resguardo restore of the plain file"),
            "encrypted": Series("resguardo restore --identity of the encrypted file"),
        }
        backup_argv = {
            "plain": [*cli, "backup", "--tenant", TENANT, "--out", str(plain_file), "--replace"],
            "encrypted": [
                *cli,
                "backup",
                "--tenant",
                TENANT,
                "--out",
                str(encrypted_file),
                "--replace",
                "--encrypt-to",
                str(identity.to_public()),
            ],
        }
        restore_argv = {
            "plain": [*cli, "restore", "--tenant", TENANT, "--file", str(plain_file), "--yes"],
            "encrypted": [
                *cli,
                "restore",
                "--tenant",
                TENANT,
                "--file",
                str(encrypted_file),
                "--identity",
                str(key_file),
                "--yes",
            ],
        }
        for round_number in range(args.repeat):
            order = ["plain", "encrypted"] if round_number % 2 == 0 else ["encrypted", "plain"]
            for side in order:
                _settle(admin)
                measure_into(backups[side], [*backup_argv[side], "--dsn", source.conninfo], env, REPO)
            for side in order:
                _settle(admin)
                measure_into(restores[side], [*restore_argv[side], "--dsn", into.conninfo], env, REPO)
        sizes = {side: path.stat().st_size for side, path in (("plain", plain_file), ("encrypted", encrypted_file))}
        verdicts = [
            _verdict("Backup wall time: encrypted ÷ plain", backups["plain"], backups["encrypted"]),
            _verdict("Restore wall time: encrypted ÷ plain", restores["plain"], restores["encrypted"]),
            Verdict(
                "File size: encrypted ÷ plain",
                f"{sizes['encrypted'] / MB:.1f} MB",
                f"{sizes['plain'] / MB:.1f} MB",
                f"{sizes['encrypted'] / sizes['plain']:.3f}×",
                "—",
                "info (no target)",
            ),
            Verdict(
                "Peak RSS, encrypted backup / restore",
                f"{backups['encrypted'].max_rss / MB:.0f} / {restores['encrypted'].max_rss / MB:.0f} MB",
                f"{backups['plain'].max_rss / MB:.0f} / {restores['plain'].max_rss / MB:.0f} MB",
                "—",
                "< 150 MB",
                "met" if max(backups["encrypted"].max_rss, restores["encrypted"].max_rss) < 150 * MB else "missed",
            ),
        ]
        report = Report(
            key=KEY,
            title=f"Encryption: the {args.size} tenant's backup and restore, encrypted ÷ plain",
            command=shlex.join(["python", "-m", "bench.encryption", *(argv if argv is not None else sys.argv[1:])]),
            server=f"{tools.server_version(admin)}, embedded, default configuration, fsync on",
            tools="— (Resguardo alone on both sides)",
            dataset=f"`{source.dbname}`: the rows case's `{TENANT}` ({args.size})",
            notes=[
                "Both sides are the whole command in a fresh process. The encrypted backup is made in full into the "
                "job's private folder, then encrypted, streaming, into the destination; the encrypted restore "
                "decrypts, streaming, into the job's private folder, then restores that copy as a plain file "
                "(docs/encryption.md): each costs one more sequential read and write of the file.",
                f"{args.repeat} rounds, plain and encrypted alternating, each round starting with the other.",
                "age adds 16 bytes to each 64 KiB chunk and a header of a few hundred bytes: the sizes differ by that.",
                f"Load average when written: {' / '.join(f'{v:.1f}' for v in os.getloadavg())} (1 / 5 / 15 min) on "
                f"{os.cpu_count()} cores.",
            ],
            verdicts=verdicts,
            series=[*backups.values(), *restores.values()],
        )
        write(report, args.output, ["backup-all", KEY])
    finally:
        shutil.rmtree(work, ignore_errors=True)
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

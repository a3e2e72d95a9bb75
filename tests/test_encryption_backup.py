"""Encrypted backups against a real server: written as age files, verified, previewed and restored with the key;
a wrong key, a cut or an altered file refused with the tenant unchanged; Debian's age reads them and writes them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pyrage
import pytest
from psycopg.conninfo import conninfo_to_dict

from app import paths
from app.cli import main
from app.engine.backup.backup import Backup
from app.engine.connection import ConnectionTarget
from app.engine.encryption.header import read_header
from app.engine.encryption.identities import load_identities
from app.engine.encryption.reading import plain_copy
from app.engine.errors import ArchiveError, KeyRefused
from app.engine.inspection.verify import verify_file
from app.engine.restore.preview import preview_restore
from app.engine.restore.restore import restore_tenant
from app.engine.routine.found import scan_folder
from app.engine.routine.run import run_schedule
from app.engine.routine.schedules import Schedule
from app.engine.server.pgserver import embedded_bin_dir
from app.engine.stores.profiles import Profile, ProfileStore
from app.engine.stores.secrets import SecretStore
from tests.support import pg
from tests.support.cli import run_cli
from tests.support.encryption import AGE, in_terminal, needs_age, plain_identity, resguardo_argv
from tests.support.memory_keyring import MemoryKeyring
from tests.support.restore import PATIENT, delete_patient, emails, fingerprint, other_schemas

pytestmark = pytest.mark.core
PASSPHRASE = "correct horse battery staple"


def _never(_: str) -> str:
    raise AssertionError("no passphrase should be asked")


def _no_plain_left(folder: Path) -> None:
    """The destination holds age files only, and the private folder under the cache holds no job's bytes."""
    for path in folder.iterdir() if folder.exists() else []:
        assert read_header(path) is not None, f"{path.name} is not encrypted"
    private = paths.cache_dir() / "private"
    assert not private.exists() or [p.name for p in private.iterdir()] == []


@pytest.fixture(scope="module")
def sealed(pg_server: pg.TestServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One encrypted native backup of bienestar (the demo clinics' template, as demo_db), and its key file."""
    folder = tmp_path_factory.mktemp("sealed")
    key, public = plain_identity(tmp_path_factory.mktemp("key"))
    target = pg_server.new_database()
    try:
        out = folder / "backups"
        out.mkdir()
        result = Backup(target, "bienestar", out, encrypt_to=[public]).run()
    finally:
        pg_server.drop_database(target)
    return result.path, key


def test_an_encrypted_backup_is_an_age_file_and_no_plain_bytes_are_left(sealed: tuple[Path, Path]) -> None:
    path, key = sealed
    assert path.name.startswith("bienestar_") and path.name.endswith(".resguardo.age")
    data = path.read_bytes()
    assert data.startswith(b"age-encryption.org/v1\n") and b"ustar" not in data and PATIENT.encode() not in data
    assert (path.stat().st_mode & 0o777) == 0o600
    _no_plain_left(path.parent)
    if AGE is None:
        pytest.skip("Debian's age is not installed (.ci/run installs it)")
    plain = path.parent.parent / "by-age.resguardo"  # age alone gives a backup that verify accepts
    subprocess.run([AGE, "-d", "-i", str(key), "-o", str(plain), str(path)], check=True)
    assert verify_file(plain).source_schema == "bienestar"


def test_verify_and_restore_an_encrypted_backup_with_the_key_through_the_cli(
    sealed: tuple[Path, Path], demo_db: ConnectionTarget
) -> None:
    path, key = sealed
    checked = run_cli("verify", "--file", str(path), "--identity", str(key))
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(f"OK: {path.name} holds tenant 'bienestar'")
    refused = run_cli("verify", "--file", str(path))
    assert (
        refused.returncode == 1
        and f"{path.name} is encrypted: give the key file that opens it (--identity FILE)." in refused.stderr
    )
    delete_patient(demo_db)
    others = other_schemas(demo_db, "bienestar")
    dsn = ("--dsn", demo_db.conninfo)
    done = run_cli("restore", "--tenant", "bienestar", "--file", str(path), "--identity", str(key), "--yes", *dsn)
    assert done.returncode == 0, done.stderr
    assert PATIENT in emails(demo_db, "bienestar")
    assert other_schemas(demo_db, "bienestar") == others
    _no_plain_left(path.parent)


@pytest.mark.parametrize("fmt", ["custom", "sql"])
@pytest.mark.usefixtures("embedded_tools_only")
def test_pg_dump_backups_encrypted_verify_preview_and_restore(
    fmt: str, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    if not (embedded_bin_dir() / "pg_dump").exists():
        pytest.skip("no pg_dump beside the test server")
    key, public = plain_identity(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    result = Backup(demo_db, "bienestar", out, fmt=fmt, encrypt_to=[public]).run()
    assert result.path.name.endswith({"custom": ".dump.age", "sql": ".sql.age"}[fmt])
    _no_plain_left(out)
    delete_patient(demo_db)
    others = other_schemas(demo_db, "bienestar")
    with plain_copy(result.path, key, _never) as plain:
        assert verify_file(plain).kind == fmt
        preview = preview_restore(demo_db, "bienestar", plain)
        assert any(t.name == "users_customuser" and t.rows_now == 8 for t in preview.tables)
        restore_tenant(demo_db, "bienestar", plain)
    assert PATIENT in emails(demo_db, "bienestar") and other_schemas(demo_db, "bienestar") == others
    _no_plain_left(out)


def test_a_wrong_key_a_cut_or_an_altered_file_is_refused_and_the_tenant_is_unchanged(
    sealed: tuple[Path, Path], demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    path, key = sealed
    wrong, _ = plain_identity(tmp_path, "wrong.txt")
    data = path.read_bytes()
    cut = tmp_path / "cut.resguardo.age"
    cut.write_bytes(data[: len(data) * 2 // 3])
    flipped = tmp_path / "flipped.resguardo.age"
    middle = len(data) // 2
    flipped.write_bytes(data[:middle] + bytes([data[middle] ^ 0x40]) + data[middle + 1 :])
    delete_patient(demo_db)
    before, others = fingerprint(demo_db, "bienestar"), other_schemas(demo_db, "bienestar")
    for bad, identity, error, sentence in (
        (path, wrong, KeyRefused, "The key given does not open"),
        (cut, key, ArchiveError, "is damaged or incomplete"),
        (flipped, key, ArchiveError, "is damaged or incomplete"),
    ):
        with pytest.raises(error, match=sentence), plain_copy(bad, identity, _never) as plain:
            restore_tenant(demo_db, "bienestar", plain)
        assert fingerprint(demo_db, "bienestar") == before and other_schemas(demo_db, "bienestar") == others
    refused = run_cli(
        "restore",
        "--tenant",
        "bienestar",
        "--file",
        str(cut),
        "--identity",
        str(key),
        "--yes",
        "--dsn",
        demo_db.conninfo,
    )
    assert refused.returncode == 1
    assert refused.stderr.strip().endswith("restore another copy of it. Nothing was changed.")
    assert fingerprint(demo_db, "bienestar") == before
    _no_plain_left(tmp_path / "none")


@needs_age
def test_a_backup_that_age_encrypted_restores(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    assert AGE is not None
    key, public = plain_identity(tmp_path)
    plain = tmp_path / "plain.resguardo"
    assert main(["backup", "--tenant", "bienestar", "--out", str(plain), "--dsn", demo_db.conninfo]) == 0
    by_age = tmp_path / "by-age.resguardo.age"
    subprocess.run([AGE, "-r", public, "-o", str(by_age), str(plain)], check=True)
    delete_patient(demo_db)
    with plain_copy(by_age, key, _never) as copy:
        restore_tenant(demo_db, "bienestar", copy)
    assert PATIENT in emails(demo_db, "bienestar")


def test_a_profile_with_keys_never_writes_a_plain_backup(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    key, public = plain_identity(tmp_path)
    parts = conninfo_to_dict(demo_db.conninfo)
    form = Profile(
        name="clinics",
        host=str(parts.get("host", "localhost")),
        port=int(str(parts.get("port", 5432))),
        dbname=str(parts["dbname"]),
        user=str(parts["user"]),
    )
    store = ProfileStore()
    store.save(form)
    assert main(["key", "set-profile", "clinics", public]) == 0
    store.save(form)  # the window's form, which shows no keys, saved again: they stay
    assert store.get("clinics").encrypt_to == [public]
    out = tmp_path / "out"
    out.mkdir()
    assert main(["backup", "--profile", "clinics", "--tenant", "bienestar", "--out", str(out)]) == 0
    (written,) = out.iterdir()
    assert written.name.endswith(".resguardo.age")
    _no_plain_left(out)
    with plain_copy(written, key, _never) as copy:
        assert verify_file(copy).source_schema == "bienestar"
    assert os.stat(written).st_size > 0


def test_a_scheduled_run_of_an_encrypted_profile_writes_verified_age_files_only(
    demo_db: ConnectionTarget, password_role: tuple[str, str], tmp_path: Path
) -> None:
    """The workstation holds only the public key: each file is checked in full before it is encrypted."""
    key, public = plain_identity(tmp_path)
    user, secret = password_role
    params = demo_db.params
    store = ProfileStore()
    store.save(
        Profile(
            name="clinics",
            host=params["host"],
            port=int(params["port"]),
            dbname=demo_db.dbname,
            user=user,
            sslmode="disable",
        )
    )
    store.set_encryption("clinics", [public])
    secrets = SecretStore(MemoryKeyring())
    secrets.remember("clinics", secret)
    folder = tmp_path / "backups"
    folder.mkdir()
    record, _ = run_schedule(Schedule("nightly", ("02:30",), str(folder), "clinics", ("bienestar",)), secrets=secrets)
    assert not record.failed, record.error
    ((clinic,),) = [record.clinics]
    assert clinic.verified and clinic.file.endswith(".resguardo.age")
    _no_plain_left(folder / "bienestar")
    (kept,) = scan_folder(folder).unreadable  # the keep rules cannot date it without the key: it is kept
    assert kept.path == Path(clinic.file) and kept.reason.startswith("an encrypted backup")
    with plain_copy(Path(clinic.file), key, _never) as copy:
        assert verify_file(copy).source_schema == "bienestar"


def test_backup_all_encrypts_every_clinic(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    _, public = plain_identity(tmp_path)
    out = tmp_path / "all"
    out.mkdir()
    assert main(["backup", "--all", "--out", str(out), "--encrypt-to", public, "--dsn", demo_db.conninfo]) == 0
    written = [p for p in out.rglob("*") if p.is_file()]
    assert len(written) >= 2 and all(p.name.endswith(".resguardo.age") for p in written)
    for clinic in out.iterdir():
        _no_plain_left(clinic)


def test_a_key_file_protected_by_a_passphrase_opens_the_backup_and_a_wrong_passphrase_changes_nothing(
    sealed: tuple[Path, Path], demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    path, plain_key = sealed
    (identity,) = load_identities(plain_key, _never)
    protected = tmp_path / "clinic.key.age"  # the same key, as `resguardo key create` keeps it
    protected.write_bytes(pyrage.passphrase.encrypt(f"{identity}\n".encode(), PASSPHRASE, armored=True))
    status, shown = in_terminal(
        resguardo_argv("verify", "--file", str(path), "--identity", str(protected)), [PASSPHRASE]
    )
    assert status == 0 and f"OK: {path.name} holds tenant 'bienestar'" in shown and PASSPHRASE not in shown
    delete_patient(demo_db)
    before = fingerprint(demo_db, "bienestar")
    argv = resguardo_argv(
        "restore",
        "--tenant",
        "bienestar",
        "--file",
        str(path),
        "--identity",
        str(protected),
        "--yes",
        "--dsn",
        demo_db.conninfo,
    )
    status, shown = in_terminal(argv, ["not the passphrase"])
    assert status == 1
    assert "The passphrase does not open the key file clinic.key.age. Nothing was changed." in shown
    assert fingerprint(demo_db, "bienestar") == before

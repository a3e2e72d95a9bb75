"""The attack corpus, encryption (issue 22): each attack and its one answer.

Plain bytes of an encrypted backup live only in the job's private folder (app/engine/encryption/workspace.py); a
decrypted file meets every check a plain file meets; whatever cannot be a key or a Resguardo age file is refused
before any costly work (no scrypt for a passphrase-encrypted backup, no read of a huge "key").
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyrage
import pytest
from pyrage import x25519

from app import paths
from app.engine.encryption.identities import load_identities
from app.engine.encryption.reading import plain_copy
from app.engine.encryption.recipients import parse_recipients
from app.engine.encryption.workspace import (
    LOCK_NAME,
    NEW_FOLDER_SECONDS,
    private_folder,
    private_root,
    remove_abandoned,
)
from app.engine.errors import ArchiveError, KeyRefused, PreflightError, ResguardoError, UsageError
from app.engine.inspection.verify import verify_file
from tests.support import REPO
from tests.support.encryption import plain_identity


def _never(_: str) -> str:
    raise AssertionError("no passphrase may be asked")


def _sealed(data: bytes, public: str, path: Path) -> Path:
    path.write_bytes(pyrage.encrypt(data, [x25519.Recipient.from_str(public)]))
    return path


def test_a_symlink_planted_as_the_private_folder_is_refused(tmp_path: Path) -> None:
    """Tries: make Resguardo decrypt a backup into a folder the attacker reads."""
    readable = tmp_path / "everyone"
    readable.mkdir(mode=0o777)
    paths.cache_dir().mkdir(parents=True, exist_ok=True)
    (paths.cache_dir() / "private").symlink_to(readable)
    with pytest.raises(PreflightError, match="is not a folder of this user's own"), private_folder():
        pass
    assert list(readable.iterdir()) == []


def test_a_private_folder_opened_to_others_is_closed_again() -> None:
    """Tries: a private folder left 0755 (by a restored home, a copy) so that others read the plain bytes."""
    root = paths.cache_dir() / "private"
    root.mkdir(parents=True, mode=0o755)
    os.chmod(root, 0o755)
    assert private_root() == root and (root.stat().st_mode & 0o777) == 0o700
    with private_folder() as folder:
        assert (folder.stat().st_mode & 0o777) == 0o700


def test_a_decrypted_copy_is_owner_only_and_gone_after(tmp_path: Path) -> None:
    """Tries: read the plain copy of a backup while a restore reads it, or after."""
    key, public = plain_identity(tmp_path)
    sealed = _sealed(b"patients' notes", public, tmp_path / "clinic.resguardo.age")
    with plain_copy(sealed, key, _never) as copy:
        assert copy.parent.parent == paths.cache_dir() / "private" and (copy.stat().st_mode & 0o777) == 0o600
        assert copy.read_bytes() == b"patients' notes"
    assert not copy.exists() and not copy.parent.exists()


def test_plain_bytes_of_a_killed_job_are_removed_by_the_next_and_a_live_job_is_left_alone(tmp_path: Path) -> None:
    """Tries: leave decrypted health records in the cache after the program is killed."""
    script = "from app.engine.encryption.workspace import private_folder\nimport os\nwith private_folder() as f:\n"
    script += "    (f / 'plain.resguardo').write_bytes(b'patients')\n    print(f, flush=True)\n    os._exit(9)\n"
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=False)
    abandoned = Path(killed.stdout.strip())
    assert (abandoned / "plain.resguardo").exists()
    with private_folder():
        assert abandoned.exists()  # a minute young: it may be a starting job's that has not taken its lock yet
    old = time.time() - 2 * NEW_FOLDER_SECONDS
    os.utime(abandoned, (old, old))
    with private_folder() as live, private_folder() as other:
        assert not abandoned.exists()
        assert live.exists() and other.exists()  # each job's folder survives the other's clean-up
    assert not live.exists() and not other.exists()


def test_a_job_starting_beside_another_keeps_its_folder(tmp_path: Path) -> None:
    """Seen in backup --all --jobs 2, encrypted: one job's clean-up took the other's folder, made but not yet
    locked, for abandoned and removed it; the other's backup then became a plain file in the cache."""
    starting = Path(tempfile.mkdtemp(prefix="job-", dir=private_root()))  # as private_folder makes it
    (starting / LOCK_NAME).touch()  # its lock file, not locked yet
    with private_folder():
        assert starting.exists()
    assert remove_abandoned(private_root()) == []
    shutil.rmtree(starting)


def test_a_plain_backup_left_as_a_file_in_the_cache_is_removed(tmp_path: Path) -> None:
    """What that race left before it was mended: the plain backup as a file named like a job's folder."""
    left = private_root() / "job-ke42vs5p"
    left.write_bytes(b"patients' notes")
    old = time.time() - 2 * NEW_FOLDER_SECONDS
    os.utime(left, (old, old))
    with private_folder():
        assert not left.exists()


def test_an_encrypted_file_meets_the_same_gates_as_the_plain_one(tmp_path: Path) -> None:
    """Tries: slip a file past the checks by encrypting it (a pg_dumpall of the whole server, here)."""
    key, public = plain_identity(tmp_path)
    plain = tmp_path / "server.sql"
    plain.write_bytes(b"--\n-- PostgreSQL database cluster dump\n--\n\nCREATE ROLE admin;\n")
    with pytest.raises(ArchiveError) as as_plain:
        verify_file(plain)
    sealed = _sealed(plain.read_bytes(), public, tmp_path / "server.sql.age")
    with pytest.raises(ArchiveError) as as_sealed, plain_copy(sealed, key, _never) as copy:
        verify_file(copy)
    assert as_sealed.value.message == as_plain.value.message


def test_a_passphrase_encrypted_backup_is_refused_before_any_scrypt_work(tmp_path: Path) -> None:
    """Tries: a file whose scrypt work factor makes the reader spin for hours (age allows up to 2^64)."""
    costly = tmp_path / "clinic.resguardo.age"
    costly.write_bytes(b"age-encryption.org/v1\n-> scrypt c2FsdHNhbHRzYWx0c2FsdA 60\nYm9keQ\n--- bWFj\n" + b"x" * 64)
    key, _ = plain_identity(tmp_path)
    with (
        pytest.raises(ArchiveError, match="is encrypted with a passphrase, not to a key"),
        plain_copy(costly, key, _never),
    ):
        pass


def test_what_is_not_a_key_is_refused_with_a_sentence(tmp_path: Path) -> None:
    """Tries: a huge file, a backup, another encrypted file or garbage given as the key."""
    _, public = plain_identity(tmp_path)
    huge = tmp_path / "huge.key"
    huge.write_bytes(b"A" * (1 << 20))
    sealed = _sealed(b"AGE-SECRET-KEY-1...", public, tmp_path / "sealed.age")
    garbage = tmp_path / "garbage.key"
    garbage.write_text("hello\n")
    for path, sentence in (
        (huge, "is too large to be a key file"),
        (sealed, "is an encrypted file, but not a key protected by a passphrase"),
        (garbage, "is not a key file"),
    ):
        with pytest.raises(KeyRefused, match=sentence):
            load_identities(path, _never)
    with pytest.raises(UsageError, match="does not exist"):
        load_identities(tmp_path / "missing.key", _never)


def test_encrypting_to_a_private_key_file_or_to_nothing_is_refused(tmp_path: Path) -> None:
    """Tries: write a backup whose only key sits beside it, or a backup encrypted to no one."""
    key, _ = plain_identity(tmp_path)
    for values, sentence in (([str(key)], "holds a private key"), ([], "No public key given")):
        with pytest.raises(UsageError, match=sentence):
            parse_recipients(values)


def test_a_cut_header_is_damage_and_never_an_unexpected_error(tmp_path: Path) -> None:
    """Tries: crash the reader with an age file cut inside its header."""
    key, public = plain_identity(tmp_path)
    whole = _sealed(b"x" * 1000, public, tmp_path / "whole.age").read_bytes()
    for cut in (22, 40, whole.index(b"\n---") + 2):
        bad = tmp_path / f"cut{cut}.resguardo.age"
        bad.write_bytes(whole[:cut])
        with pytest.raises(ResguardoError) as caught, plain_copy(bad, key, _never):
            pass
        assert isinstance(caught.value, ArchiveError | KeyRefused) and bad.name in caught.value.message

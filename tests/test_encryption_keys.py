"""Keys, streaming and the age format without a database: what Debian's `age` reads, Resguardo reads, and back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyrage
import pytest
from pyrage import x25519

from app.engine.encryption.header import parse_header, read_header
from app.engine.encryption.identities import create_key, load_identities
from app.engine.encryption.recipients import fingerprint, parse_recipients, recipient_lines
from app.engine.encryption.recovery_sheet import write_recovery_sheet
from app.engine.encryption.stream import decrypt_file, encrypt_file
from app.engine.errors import ArchiveError, Cancelled, KeyRefused, UsageError
from app.engine.jobs import CancelToken
from tests.support import REPO
from tests.support.encryption import AGE, in_terminal, needs_age, plain_identity, resguardo_argv

PASSPHRASE = "correct horse battery staple"


def _never(_: str) -> str:
    raise AssertionError("no passphrase should be asked")


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One passphrase-protected key, made once (scrypt is slow on purpose)."""
    path = tmp_path_factory.mktemp("key") / "clinic.key.age"
    return path, create_key(path, PASSPHRASE)


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.resguardo"
    path.write_bytes(os.urandom(300_000) + b"the end")
    return path


def test_the_key_file_is_owner_only_and_age_d_with_the_passphrase_gives_the_identity(
    key_file: tuple[Path, str],
) -> None:
    path, public = key_file
    assert public.startswith("age1") and (path.stat().st_mode & 0o777) == 0o600
    header = read_header(path)
    assert header is not None and header.passphrase and header.armored
    assert b"AGE-SECRET-KEY" not in path.read_bytes()
    (identity,) = load_identities(path, lambda name: PASSPHRASE)
    assert str(identity.to_public()) == public
    with pytest.raises(KeyRefused, match=r"The passphrase does not open the key file clinic\.key\.age") as wrong:
        load_identities(path, lambda name: "not the passphrase")
    assert wrong.value.reason == KeyRefused.WRONG_PASSPHRASE  # the window asks for the passphrase again by it
    if AGE is None:
        pytest.skip("Debian's age is not installed (.ci/run installs it); decrypted with pyrage above")
    status, shown = in_terminal([AGE, "-d", str(path)], [PASSPHRASE])  # age reads the passphrase from the terminal
    assert status == 0, shown
    secret = next(w for w in shown.split() if w.startswith("AGE-SECRET-KEY-1"))
    assert str(x25519.Identity.from_str(secret).to_public()) == public


def test_key_create_asks_twice_without_echo_and_refuses_a_mismatch_or_a_short_passphrase(tmp_path: Path) -> None:
    out = tmp_path / "k.age"
    status, shown = in_terminal(resguardo_argv("key", "create", "--out", str(out)), [PASSPHRASE, PASSPHRASE])
    assert status == 0, shown
    public = next(w for w in shown.split() if w.startswith("age1"))
    assert PASSPHRASE not in shown  # getpass: never echoed
    status, shown = in_terminal(resguardo_argv("key", "show-public", str(out)), [PASSPHRASE])
    assert (status, shown.split()[-1]) == (0, public)
    assert PASSPHRASE not in shown
    other = tmp_path / "other.age"
    status, shown = in_terminal(resguardo_argv("key", "create", "--out", str(other)), [PASSPHRASE, "something else"])
    assert status == 1 and "The two passphrases differ" in shown and not other.exists()  # a refusal, not a wrong line
    with pytest.raises(UsageError, match="already exists"):
        create_key(out, PASSPHRASE)
    with pytest.raises(UsageError, match="too short"):
        create_key(other, "short")


def test_the_recovery_sheet_holds_the_public_key_and_commands_that_really_recover_a_file(
    key_file: tuple[Path, str], plain: Path, tmp_path: Path
) -> None:
    path, public = key_file
    sheet = write_recovery_sheet(tmp_path / "sheet.html", public, path)
    text = sheet.read_text()
    assert public in text and fingerprint(public) in text and "AGE-SECRET-KEY" not in text
    assert "BEGIN AGE ENCRYPTED FILE" not in text  # the key file only when asked
    assert (
        "BEGIN AGE ENCRYPTED FILE"
        in write_recovery_sheet(tmp_path / "s2.html", public, path, include_key_file=True).read_text()
    )
    bare, bare_public = plain_identity(tmp_path)
    with pytest.raises(UsageError, match="not protected by a passphrase"):
        write_recovery_sheet(tmp_path / "s3.html", bare_public, bare, include_key_file=True)
    if AGE is None:
        pytest.skip("Debian's age is not installed (.ci/run installs it)")
    encrypted = encrypt_file(
        plain, tmp_path / "CLINIC_DATE.resguardo.age", parse_recipients([public]), cancel=CancelToken()
    )
    command = text.split("<pre>age -d -i ", 1)[1].split("</pre>", 1)[0].split()
    assert command == [path.name, "-o", "CLINIC_DATE.resguardo", "CLINIC_DATE.resguardo.age"]
    os.link(path, tmp_path / path.name)
    recovered = tmp_path / "CLINIC_DATE.resguardo"
    status, shown = in_terminal(
        ["sh", "-c", f'cd "{tmp_path}" && exec "{AGE}" -d -i {command[0]} -o {command[2]} {command[3]}'], [PASSPHRASE]
    )
    assert status == 0, shown
    assert recovered.read_bytes() == plain.read_bytes() and encrypted.exists()


def test_recipients_age_and_ssh_keys_and_files_of_them(tmp_path: Path) -> None:
    _, public = plain_identity(tmp_path)
    listed = tmp_path / "clinic.keys"
    listed.write_text(f"# the clinic's keys\n{public}\n\n")
    lines = recipient_lines([public, str(listed)])
    assert lines == [public]
    with pytest.raises(UsageError, match="is not a public key"):
        parse_recipients(["not-a-key"])
    with pytest.raises(UsageError, match="is not a valid public key"):
        parse_recipients(["age1qqqq"])
    with pytest.raises(UsageError, match="holds a private key"):
        parse_recipients([str(tmp_path / "key.txt")])
    if subprocess.run(["sh", "-c", "command -v ssh-keygen"], check=False, capture_output=True).returncode == 0:
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "id")], check=True)
        ssh_public = (tmp_path / "id.pub").read_text().strip()
        assert len(parse_recipients([str(tmp_path / "id.pub")])) == 1
        expected = subprocess.run(
            ["ssh-keygen", "-lf", str(tmp_path / "id.pub")], check=True, capture_output=True, text=True
        )
        assert fingerprint(ssh_public) in expected.stdout
        assert len(load_identities(tmp_path / "id", _never)) == 1


def test_the_header_names_binary_armored_and_passphrase_files() -> None:
    identity = x25519.Identity.generate()
    binary = parse_header(pyrage.encrypt(b"x", [identity.to_public()]))
    armored = parse_header(pyrage.encrypt(b"x", [identity.to_public()], armored=True))
    protected = parse_header(b"age-encryption.org/v1\n-> scrypt c2FsdHNhbHRzYWx0c2FsdA 18\nYm9keQ\n--- bWFj\n")
    assert binary is not None and not binary.armored and "X25519" in binary.stanzas and not binary.passphrase
    assert armored is not None and armored.armored and "X25519" in armored.stanzas
    assert protected is not None and protected.passphrase
    assert parse_header(b"PGDMP\x01") is None and parse_header(b"") is None


@needs_age
def test_age_reads_what_resguardo_encrypts_and_resguardo_reads_what_age_encrypts(plain: Path, tmp_path: Path) -> None:
    assert AGE is not None
    key, public = plain_identity(tmp_path)
    ours = encrypt_file(plain, tmp_path / "ours.age", parse_recipients([public]), cancel=CancelToken())
    theirs_plain = tmp_path / "by-age.resguardo"
    subprocess.run([AGE, "-d", "-i", str(key), "-o", str(theirs_plain), str(ours)], check=True)
    assert theirs_plain.read_bytes() == plain.read_bytes()
    for armor in ([], ["--armor"]):
        by_age = tmp_path / f"by-age{len(armor)}.age"
        subprocess.run([AGE, *armor, "-r", public, "-o", str(by_age), str(plain)], check=True)
        out = decrypt_file(by_age, tmp_path / f"back{len(armor)}", load_identities(key, _never), cancel=CancelToken())
        assert out.read_bytes() == plain.read_bytes()


def test_a_wrong_key_a_cut_or_a_flipped_file_is_refused_and_leaves_no_plain_bytes(plain: Path, tmp_path: Path) -> None:
    key, public = plain_identity(tmp_path)
    other, _ = plain_identity(tmp_path, "other.txt")
    encrypted = encrypt_file(plain, tmp_path / "c.resguardo.age", parse_recipients([public]), cancel=CancelToken())
    data = encrypted.read_bytes()
    out = tmp_path / "out"
    with pytest.raises(KeyRefused, match=r"The key given does not open c.resguardo.age") as refused:
        decrypt_file(encrypted, out, load_identities(other, _never), cancel=CancelToken())
    assert refused.value.reason == KeyRefused.OTHER_KEY
    assert not out.exists()
    cut = tmp_path / "cut.age"
    cut.write_bytes(data[: len(data) - 100])
    flipped = tmp_path / "flipped.age"
    flipped.write_bytes(data[:150_000] + bytes([data[150_000] ^ 1]) + data[150_001:])
    header = tmp_path / "header.age"
    mac = data.index(b"\n--- ") + 6  # the header's MAC
    header.write_bytes(data[:mac] + bytes([data[mac] ^ 1]) + data[mac + 1 :])
    for bad, sentence in ((cut, "damaged or incomplete"), (flipped, "damaged or incomplete"), (header, "damaged")):
        with pytest.raises(ArchiveError, match=f"{bad.name} is {sentence}"):
            decrypt_file(bad, out, load_identities(key, _never), cancel=CancelToken())
        assert not out.exists()


def test_cancel_while_encrypting_leaves_nothing_in_the_destination(plain: Path, tmp_path: Path) -> None:
    _, public = plain_identity(tmp_path)
    dest = tmp_path / "dest"
    dest.mkdir()
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        encrypt_file(plain, dest / "c.age", parse_recipients([public]), cancel=cancel)
    assert list(dest.iterdir()) == []


def test_memory_stays_flat_encrypting_and_decrypting_a_large_file(tmp_path: Path) -> None:
    big = tmp_path / "big.resguardo"
    with big.open("wb") as handle:
        for _ in range(160):
            handle.write(os.urandom(1 << 20))  # 160 MiB
    script = f"""
import resource, sys
from pathlib import Path
from pyrage import x25519
from app.engine.encryption.stream import decrypt_file, encrypt_file
from app.engine.jobs import CancelToken
key = x25519.Identity.generate()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = encrypt_file(Path({str(big)!r}), Path({str(big)!r} + ".age"), [key.to_public()], cancel=CancelToken())
back = decrypt_file(out, Path({str(big)!r} + ".back"), [key], cancel=CancelToken())
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True)
    assert int(done.stdout) < 16, f"peak memory grew by {done.stdout.strip()} MiB for a 160 MiB file"
    assert (tmp_path / "big.resguardo.back").stat().st_size == big.stat().st_size

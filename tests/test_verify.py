"""Verify needs no database and names what is wrong with a damaged or foreign file."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from app.engine.archive.container import FORMAT_VERSION, manifest_checksum
from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.errors import ArchiveError, Cancelled
from app.engine.inspection.verify import verify_archive
from app.engine.jobs import CancelToken
from tests.support import pg
from tests.support.cli import run_cli
from tests.support.restore import rewrite_archive, table_rows


@pytest.fixture(scope="module")
def archive(pg_server: pg.TestServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One good backup of bienestar, made once; tests corrupt copies of it."""
    target = pg_server.new_database()
    try:
        return backup_tenant(target, "bienestar", tmp_path_factory.mktemp("verify") / "good.resguardo").path
    finally:
        pg_server.drop_database(target)


def _members(path: Path) -> list[tarfile.TarInfo]:
    with tarfile.open(path) as tar:
        return tar.getmembers()


def _copy(archive: Path, tmp_path: Path, name: str = "bad.resguardo") -> Path:
    return Path(shutil.copy(archive, tmp_path / name))


def test_a_good_archive_verifies_and_the_cli_says_ok(archive: Path, demo_db: ConnectionTarget) -> None:
    result = verify_archive(archive)
    assert (result.source_schema, result.tables, result.format) == ("bienestar", 15, "native")
    assert result.rows == sum(table_rows(demo_db, "bienestar").values())  # the archive's source: the same clinics
    done = run_cli("verify", "--file", str(archive))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: good.resguardo holds tenant 'bienestar'") and done.stdout.count("\n") == 1


@pytest.mark.parametrize("index", range(19))  # resguardo.json, pre-data, 15 tables, post-data, manifest
def test_a_flipped_byte_in_any_part_is_named(archive: Path, tmp_path: Path, index: int) -> None:
    member = _members(archive)[index]
    bad = _copy(archive, tmp_path)
    with bad.open("r+b") as f:
        f.seek(member.offset_data + member.size // 2)
        byte = f.read(1)
        f.seek(-1, io.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0x55]))
    with pytest.raises(ArchiveError) as caught:
        verify_archive(bad)
    message = caught.value.message
    assert message.startswith("bad.resguardo ") and "\n" not in message
    if member.name.startswith("data/"):
        table = next(t for t in json.loads(_read(archive, "manifest.json"))["tables"] if t["member"] == member.name)
        # whatever the flipped byte decompresses into, the stored checksum says why: damage
        assert message == f"bad.resguardo is damaged: the rows of table {table['name']} do not match their checksum."
    elif member.name.startswith("schema/"):
        assert f"the part {member.name} does not match its checksum" in message
    elif member.name == "manifest.json":
        assert "manifest" in message
    else:  # resguardo.json: the flipped byte lands in the format's name
        assert member.name == "resguardo.json"
        assert message.startswith("bad.resguardo is not a Resguardo archive (format 'resguardo-na")


def _read(path: Path, name: str) -> bytes:
    with tarfile.open(path) as tar:
        handle = tar.extractfile(name)
        assert handle is not None
        return handle.read()


@pytest.mark.parametrize("keep", [0.25, 0.5, 0.9])
def test_a_truncated_file_is_named(archive: Path, tmp_path: Path, keep: float) -> None:
    bad = _copy(archive, tmp_path)
    size = bad.stat().st_size
    with bad.open("r+b") as f:
        f.truncate(int(size * keep))
    with pytest.raises(ArchiveError, match=r"incomplete or damaged|cannot be read|truncated"):
        verify_archive(bad)


def test_other_kinds_of_file_are_named(tmp_path: Path) -> None:
    jpeg = tmp_path / "photo.resguardo"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40)
    with pytest.raises(ArchiveError, match=r"photo\.resguardo is not a Resguardo archive"):
        verify_archive(jpeg)
    empty = tmp_path / "empty.resguardo"
    empty.write_bytes(b"")
    with pytest.raises(ArchiveError, match="not a Resguardo archive"):
        verify_archive(empty)
    with pytest.raises(ArchiveError, match="does not exist"):
        verify_archive(tmp_path / "nowhere.resguardo")
    done = run_cli("verify", "--file", str(jpeg))
    assert done.returncode == 1
    assert done.stderr.strip() == "resguardo: photo.resguardo is not a Resguardo archive (not a tar file)."


def test_an_archive_from_a_newer_format_is_named(archive: Path, tmp_path: Path) -> None:
    newer = tmp_path / "newer.resguardo"
    with tarfile.open(archive) as src, tarfile.open(newer, "w", format=tarfile.GNU_FORMAT) as dst:
        for member in src.getmembers():
            member_file = src.extractfile(member)
            assert member_file is not None, member.name
            data = member_file.read()
            if member.name in ("resguardo.json", "manifest.json"):
                doc = json.loads(data)
                doc["format_version"] = FORMAT_VERSION + 1
                if "checksum" in doc:
                    doc["checksum"] = manifest_checksum(doc)
                data = json.dumps(doc).encode()
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    with pytest.raises(ArchiveError, match=f"uses archive format version {FORMAT_VERSION + 1}; .* Install a newer"):
        verify_archive(newer)


def test_cancel_stops_verify(archive: Path) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        verify_archive(archive, cancel=token)


def test_an_archive_that_restore_would_refuse_never_verifies_as_clean(archive: Path, tmp_path: Path) -> None:
    """Well-formed, checksums right, but its SQL resets the role and runs a program: verify refuses it with
    the same sentence as restore, before anything could run."""
    hostile = rewrite_archive(
        archive, tmp_path / "hostile.resguardo", post_extra="COPY (SELECT 1) TO PROGRAM 'touch /tmp/x'"
    )
    with pytest.raises(ArchiveError) as refused:
        verify_archive(hostile)
    assert "PROGRAM" in refused.value.message and refused.value.message.endswith(").")
    result = run_cli("verify", "--file", str(hostile))
    assert result.returncode == 1 and refused.value.message in result.stderr

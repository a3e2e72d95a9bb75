"""Helpers of the attack corpus (tests/test_attacks*.py): who runs the attack, what must not change, where the
server must not write, and archives crafted below the level of `rewrite_archive` (raw tar members, zstd frames)."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from app.engine.archive.container import MANIFEST_MEMBER, ArchiveReader, manifest_checksum
from app.engine.connection import ConnectionTarget
from app.engine.server.demo import APP_ROLE
from tests.support.restore import fingerprint, other_schemas, resguardo_schemas

ROLES = ("superuser", "owner")  # who runs each attack: a superuser, and the tenants' owner (the web app's role)


def as_role(target: ConnectionTarget, role: str) -> ConnectionTarget:
    """The superuser target itself, or the same database signed in as the tenants' owner (trust auth in tests)."""
    return target if role == "superuser" else ConnectionTarget(make_conninfo(target.conninfo, user=APP_ROLE))


def owner(target: ConnectionTarget) -> ConnectionTarget:
    return as_role(target, "owner")


# ---------------------------------------------------------------- what no attack may change


def server_state(admin: ConnectionTarget) -> dict[str, Any]:
    """Roles with their memberships, databases and every setting that is not a default (the session's, the
    files', per database and role): what neither a file nor a tenant's owner may change. Read as a superuser."""
    with admin.connect() as conn:
        return {
            "roles": conn.execute(
                "SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication,"
                " rolbypassrls, rolconnlimit, rolvaliduntil::text, rolconfig FROM pg_roles ORDER BY 1"
            ).fetchall(),
            "memberships": conn.execute(
                "SELECT r.rolname, m.rolname, g.rolname, a.admin_option FROM pg_auth_members a"
                " JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member"
                " JOIN pg_roles g ON g.oid = a.grantor ORDER BY 1, 2, 3"
            ).fetchall(),
            "databases": conn.execute(
                "SELECT datname, pg_get_userbyid(datdba), datacl::text, datallowconn, datconnlimit"
                " FROM pg_database ORDER BY 1"
            ).fetchall(),
            "settings": conn.execute(
                "SELECT name, setting, source FROM pg_settings WHERE source <> 'default' ORDER BY 1"
            ).fetchall(),
            "file_settings": conn.execute(
                "SELECT sourcefile, name, setting FROM pg_file_settings ORDER BY 1, 2, 3"
            ).fetchall(),
            "db_role_settings": conn.execute(
                "SELECT setdatabase, setrole, setconfig FROM pg_db_role_setting ORDER BY 1, 2"
            ).fetchall(),
        }


def world(admin: ConnectionTarget, tenant: str) -> dict[str, Any]:
    """Everything an attack on `tenant` must leave as it was when refused: the server's state, every other
    schema's fingerprint, the tenant's own, and Resguardo's staging schemas and safety copies."""
    return {**outside(admin, tenant), "tenant": fingerprint(admin, tenant), "made": resguardo_schemas(admin)}


def outside(admin: ConnectionTarget, tenant: str) -> dict[str, Any]:
    """What must never change, even when the restore runs: the server's state and every other schema."""
    return {**server_state(admin), "schemas": other_schemas(admin, tenant)}


# ---------------------------------------------------------------- where the server must not write


@dataclass
class Markers:
    """A folder the server's OS user may write (the server runs as another user when the tests run as root);
    an attack names a marker path in it and must leave it absent."""

    folder: Path

    def path(self, name: str) -> Path:
        return self.folder / name

    def appeared(self) -> list[str]:
        return sorted(p.name for p in self.folder.iterdir())

    def clear(self) -> None:
        for p in self.folder.iterdir():
            p.unlink()


@contextmanager
def markers(admin: ConnectionTarget) -> Iterator[Markers]:
    """A marker folder, first proven writable by the server itself, so that a marker's absence afterwards
    means the attack was stopped (and not that the server could not have written there)."""
    folder = Path(tempfile.mkdtemp(prefix="rg-attack-"))
    folder.chmod(0o777)
    control = folder / "control"
    with admin.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("COPY (SELECT 1) TO {}").format(sql.Literal(str(control))))
    assert control.exists()
    control.unlink()
    try:
        yield Markers(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def hostile_body(marker: Path) -> str:
    """PL/pgSQL that does nothing for its owner, and runs a program on the server for a superuser."""
    return (
        f"IF pg_catalog.current_setting('is_superuser') = 'on' THEN "
        f"COPY (SELECT 1) TO PROGRAM 'cat > {marker}'; END IF;"
    )  # cat reads it all: no broken pipe


# ---------------------------------------------------------------- archives below rewrite_archive

Member = tuple[tarfile.TarInfo, bytes]


def members(path: Path) -> list[Member]:
    """An archive's tar members with their stored bytes."""
    with ArchiveReader(path) as reader:
        found = []
        for name in reader.member_names:
            with reader.open_stored(name) as handle:
                found.append((plain(name), handle.read()))
    return found


def plain(name: str, size: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode = size, 0o600
    return info


def repack(dst: Path, parts: list[Member], *, filler: int = 0) -> Path:
    """A tar of exactly these members (any names, types and contents), with `filler` empty members after the
    first (written from one header template: a crafted table of contents of any length, made in a second)."""
    with open(dst, "wb") as out:
        for index, (info, data) in enumerate(parts):
            if info.isfile():
                info.size = len(data)
            out.write(info.tobuf(format=tarfile.GNU_FORMAT) + data + b"\0" * (-len(data) % tarfile.BLOCKSIZE))
            if index == 0 and filler:
                _filler(out, filler)
        out.write(b"\0" * (2 * tarfile.BLOCKSIZE))
    return dst


def _filler(out: io.BufferedWriter, count: int) -> None:
    template = bytearray(plain("data/000000000.copy.zst").tobuf(format=tarfile.GNU_FORMAT))
    at = template.index(b"000000000")
    for n in range(count):
        template[at : at + 9] = b"%09d" % n
        template[148:156] = b" " * 8  # the checksum is computed with its own field as spaces
        template[148:156] = b"%06o\0 " % sum(template)
        out.write(template)


def manifest_of(parts: list[Member]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(next(d for i, d in parts if i.name == MANIFEST_MEMBER))
    return data


def with_manifest(parts: list[Member], edit: Callable[[dict[str, Any]], None]) -> list[Member]:
    """The members with the manifest edited and its checksum made to match (a crafted file, not a damaged one)."""
    manifest = manifest_of(parts)
    edit(manifest)
    manifest["checksum"] = manifest_checksum(manifest)
    data = json.dumps(manifest).encode()
    return [(i, data) if i.name == MANIFEST_MEMBER else (i, d) for i, d in parts]


def zstd_rle_frame(byte: bytes, size: int) -> bytes:
    """A zstd frame of `size` copies of one byte, stored as run-length blocks: 4 bytes per 128 KiB, so a
    few KiB expand into gigabytes (written by hand: no compressor needs to see the expanded bytes)."""
    block = 128 << 10
    frame = bytearray(b"\x28\xb5\x2f\xfd")  # magic
    frame += bytes([0x00, 0x38])  # no content size, no checksum; window 128 KiB
    left = size
    while left > 0:
        n = min(block, left)
        left -= n
        header = (n << 3) | (1 << 1) | (1 if left == 0 else 0)  # RLE block, last or not
        frame += header.to_bytes(3, "little") + byte
    return bytes(frame)


def zstd_huge_window_frame() -> bytes:
    """A zstd frame whose header asks for a 2 GiB window: a decoder that honoured it would allocate it."""
    return b"\x28\xb5\x2f\xfd" + bytes([0x00, 21 << 3]) + ((1 << 3) | 1).to_bytes(3, "little") + b"x"


# ---------------------------------------------------------------- memory


def peak_rss_growth(action: Callable[[], Any]) -> int:
    """Bytes the process's peak resident memory grew by while `action` ran (Linux: the peak is reset first)."""
    status = Path("/proc/self/status")
    if not status.exists():
        pytest.skip("needs /proc (Linux) to measure the peak memory")
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    before = _vm(status, "VmHWM")
    try:
        action()
    finally:
        after = _vm(status, "VmHWM")
    return after - before


def _vm(status: Path, key: str) -> int:
    line = next(ln for ln in status.read_text().splitlines() if ln.startswith(key + ":"))
    return int(line.split()[1]) * 1024

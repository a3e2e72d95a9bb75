"""The attack corpus, verify against restore (issue 19, items 3 and 4): files that verified and were then refused by
the restore, or crashed it, and compressed exports that inflated without bound.

Each crafted file gets one answer: `verify` and `restore` refuse it with the same sentence (the restore adds that
nothing was changed), from the one reader both use (app/engine/archive/table_data.py for a native archive's rows,
app/engine/dumpdata/reader.py for a Django export), never an "unexpected error"; the tenant, every other schema
and the server are as they were. Work is bounded by bytes: a compressed export is read at most once and inflated
no further than its limit.
"""

from __future__ import annotations

import bz2
import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.dumpdata import compressed
from app.engine.errors import NOTHING_CHANGED, ResguardoError, said
from app.engine.inspection.verify import verify_file
from app.engine.restore.preview import preview_restore
from app.engine.restore.restore import restore_tenant
from tests.support.attacks import ROLES, as_role, world
from tests.support.cli import run_cli
from tests.support.pg import TestServer, one_value
from tests.support.restore import rewrite_archive

pytestmark = pytest.mark.core
TENANT = "bienestar"
TABLE = "appointments_appointment"


@dataclass(frozen=True)
class FileAttack:
    name: str
    tries: str  # what the attacker hopes for
    build: Callable[[Path, Path], Path]  # (a good backup of the tenant, where to write) -> the crafted file
    sentence: str  # what verify says; a restore says the same, then that nothing was changed
    at_open: bool = False  # refused before anything is loaded: the preview refuses it alike

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------- native archives: the rows' COPY text


def _rows(edit: Callable[[bytes], bytes]) -> Callable[[Path, Path], Path]:
    """The archive with the appointments' COPY text edited, every count and checksum made to match (crafted,
    not damaged: the manifest's row count is the new text's line count, as the writer counts)."""
    return lambda good, dst: rewrite_archive(good, dst, table_data=lambda t, raw: edit(raw) if t == TABLE else raw)


def _after_first_row(extra: bytes) -> Callable[[bytes], bytes]:
    return lambda raw: raw.replace(b"\n", b"\n" + extra, 1)


def _first_row(edit: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    def apply(raw: bytes) -> bytes:
        first, rest = raw.split(b"\n", 1)
        return edit(first) + b"\n" + rest

    return apply


def _damaged(what: str) -> str:
    return f"{{file}} is damaged: {what}."


NATIVE = [
    FileAttack(
        "copy-end-marker-line",
        "a `\\.` line: COPY stops there and drops the rows after it, verify counted them",
        _rows(_after_first_row(b"\\.\n")),
        _damaged(f"row 2 of table {TABLE} holds the end-of-data mark \\. (a restore would drop every row after it)"),
    ),
    FileAttack(
        "copy-end-marker-in-a-field",
        "`\\.` inside a value: COPY reads it as the end of the data",
        _rows(_first_row(lambda row: row.replace(b"\t", b"\t\\.", 1))),
        _damaged(f"row 1 of table {TABLE} holds the end-of-data mark \\. (a restore would drop every row after it)"),
    ),
    FileAttack(
        "copy-without-final-newline",
        "the last row without its line break: COPY reads one row more than the manifest counts",
        _rows(lambda raw: raw[:-1]),
        _damaged(
            f"the last row of table {TABLE} does not end with a line break (a restore would read one row more "
            "than its manifest says)"
        ),
    ),
    FileAttack(
        "copy-backslash-newline",
        "a row ending in a lone backslash: COPY joins it to the next row",
        _rows(_first_row(lambda row: row + b"\\")),
        _damaged(f"row 1 of table {TABLE} ends in a lone backslash (a restore would join it to the next row)"),
    ),
    FileAttack(
        "copy-carriage-return",
        "a raw carriage return: COPY reads it as a line end, or refuses it",
        _rows(_first_row(lambda row: row + b"\r")),
        _damaged(
            f"row 1 of table {TABLE} holds a carriage return, which COPY text never holds (a restore would misread it)"
        ),
    ),
    FileAttack(
        "copy-nul-byte",
        "a raw NUL byte in a value",
        _rows(_after_first_row(b"\0")),
        _damaged(f"row 2 of table {TABLE} holds a NUL byte, which COPY text never holds (a restore would misread it)"),
    ),
]

# ---------------------------------------------------------------- Django JSON exports: the objects

GROUP = {"model": "auth.group", "pk": 1, "fields": {"name": "Recepción"}}
SECOND = len("[" + json.dumps(GROUP, ensure_ascii=False) + ",\n") + 1  # where the second object starts (1-based)


def _export(*objects: dict[str, Any] | str, suffix: str = ".json") -> Callable[[Path, Path], Path]:
    """A dumpdata export of these objects (a string is written as it is: JSON the encoder would not write)."""

    def build(good: Path, dst: Path) -> Path:
        path = dst.with_suffix(suffix)
        text = "[" + ",\n".join(o if isinstance(o, str) else json.dumps(o, ensure_ascii=False) for o in objects) + "]"
        path.write_text(text, encoding="utf-8")
        return path

    return build


def _nested(levels: int) -> str:
    return '{"model": "auth.group", "pk": 2, "fields": {"name": ' + "[" * levels + "]" * levels + "}}"


JSON_ATTACKS = [
    FileAttack(
        "json-nul",
        "a NUL in a text field: the COPY text holds a raw NUL, PostgreSQL refuses it mid-load",
        _export(GROUP, '{"model": "auth.group", "pk": 2, "fields": {"name": "Caja\\u0000"}}'),
        "{file}: auth.group pk 2 holds, in its field 'name', a NUL character (\\u0000), which PostgreSQL cannot "
        "store in text: the file cannot be restored.",
        at_open=True,
    ),
    FileAttack(
        "json-nul-in-a-field-name",
        "a NUL in a field's name",
        _export(GROUP, '{"model": "auth.group", "pk": 2, "fields": {"na\\u0000me": "Caja"}}'),
        "{file}: auth.group pk 2 holds, in its field 'na\\x00me', a NUL character (\\u0000), which PostgreSQL "
        "cannot store in text: the file cannot be restored.",
        at_open=True,
    ),
    FileAttack(
        "json-lone-surrogate",
        "half of a surrogate pair: writing the rows as UTF-8 raised UnicodeEncodeError",
        _export(GROUP, '{"model": "auth.group", "pk": 2, "fields": {"name": "Caja \\ud83d"}}'),
        "{file}: auth.group pk 2 holds, in its field 'name', half of a UTF-16 surrogate pair (\\ud83d), which "
        "is not a character: the file cannot be restored.",
        at_open=True,
    ),
    FileAttack(
        "json-lone-surrogate-in-the-pk",
        "a surrogate in a primary key",
        _export(GROUP, '{"model": "auth.group", "pk": "\\udc00", "fields": {"name": "Caja"}}'),
        "{file}: auth.group pk '\\udc00' holds, in its primary key, half of a UTF-16 surrogate pair (\\udc00), "
        "which is not a character: the file cannot be restored.",
        at_open=True,
    ),
    FileAttack(
        "json-deeply-nested",
        "100,000 nested lists: RecursionError in verify and in restore",
        _export(GROUP, _nested(100_000)),
        f"{{file}} is damaged: the object that starts at character {SECOND} nests its values more than 100 "
        "levels deep, which no dumpdata export does.",
        at_open=True,
    ),
    FileAttack(
        "json-nested-past-the-limit",
        "nesting Python can decode but no export has: the same sentence as the decoder's refusal",
        _export(GROUP, _nested(150)),
        f"{{file}} is damaged: the object that starts at character {SECOND} nests its values more than 100 "
        "levels deep, which no dumpdata export does.",
        at_open=True,
    ),
    FileAttack(
        "json-list-as-primary-key",
        "a list for a primary key: the rows' writer raised an unexpected ValueError",
        _export(GROUP, '{"model": "auth.group", "pk": [2], "fields": {"name": "Caja"}}'),
        "{file} is damaged: object 2 (auth.group) has a list for its primary key, where dumpdata writes one value.",
        at_open=True,
    ),
    FileAttack(
        "json-huge-number",
        "a primary key of 5,000 digits: Python's int limit raised ValueError",
        _export(GROUP, '{"model": "auth.group", "pk": ' + "9" * 5000 + ', "fields": {"name": "Caja"}}'),
        f"{{file}} is damaged: the object that starts at character {SECOND} holds a number of thousands of "
        "digits, which no column holds.",
        at_open=True,
    ),
]

# ---------------------------------------------------------------- compressed exports that inflate without bound

WHITESPACE = 64 << 20  # the bomb: 65 KB of gzip, 64 MB of white space between two objects


def _bomb(compress: Callable[[bytes], bytes], suffix: str) -> Callable[[Path, Path], Path]:
    def build(good: Path, dst: Path) -> Path:
        second = json.dumps({**GROUP, "pk": 2}).encode()
        text = b"[" + json.dumps(GROUP).encode() + b"," + b" " * WHITESPACE + second + b"]"
        path = dst.with_suffix(suffix)
        path.write_bytes(compress(text))
        return path

    return build


def _bomb_sentence(kind: str, size: str) -> str:
    return (
        f"{{file}} is {size} of {kind} that inflates to more than 16 MiB: a dumpdata export inflates about 10 times, "
        "and Resguardo reads at most 100 times a compressed export's size (never more than 16 GiB), so this file is "
        "damaged or not an export. If it really is an export that large, decompress it first and restore the .json "
        "file."
    )


BOMBS = [
    FileAttack(
        "json-gzip-of-whitespace",
        "65 KB of gzip that inflates to 64 MB: 17 s to verify, read 2-3 times by a restore",
        _bomb(lambda data: gzip.compress(data, 9), ".json.gz"),
        _bomb_sentence("gzip", "63.9 KiB"),
        at_open=True,
    ),
    FileAttack(
        "json-bz2-of-whitespace",
        "a few hundred bytes of bz2 that inflate to 64 MB",
        _bomb(lambda data: bz2.compress(data, 9), ".json.bz2"),
        _bomb_sentence("bz2", "251 bytes"),
        at_open=True,
    ),
]

ATTACKS = NATIVE + JSON_ATTACKS + BOMBS


@pytest.fixture(scope="module")
def db(pg_server: TestServer) -> Iterator[ConnectionTarget]:
    target = pg_server.new_database()
    yield target
    pg_server.drop_database(target)


@pytest.fixture(scope="module")
def good(db: ConnectionTarget, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return backup_tenant(db, TENANT, tmp_path_factory.mktemp("good") / "good.resguardo").path


@pytest.fixture(scope="module")
def baseline(db: ConnectionTarget, good: Path) -> dict[str, Any]:
    return world(db, TENANT)


@pytest.fixture(scope="module")
def craft(good: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[FileAttack], Path]:
    folder = tmp_path_factory.mktemp("crafted")
    made: dict[str, Path] = {}

    def get(attack: FileAttack) -> Path:
        if attack.name not in made:
            made[attack.name] = attack.build(good, folder / f"{attack.name}.resguardo")
        return made[attack.name]

    return get


def _said(action: Callable[[], object]) -> str:
    """The sentence the user reads; any other exception (an "unexpected error") fails the test."""
    with pytest.raises(ResguardoError) as caught:
        action()
    return said(caught.value)


def _expected(attack: FileAttack, path: Path) -> str:
    return attack.sentence.format(file=path.name)


@pytest.mark.parametrize("attack", ATTACKS, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_verify_and_restore_give_one_answer_and_change_nothing(
    db: ConnectionTarget,
    role: str,
    attack: FileAttack,
    craft: Callable[[FileAttack], Path],
    baseline: dict[str, Any],
) -> None:
    path = craft(attack)
    runner = as_role(db, role)
    verified = _said(lambda: verify_file(path))
    assert verified == _expected(attack, path)
    assert _said(lambda: restore_tenant(runner, TENANT, path)) == f"{verified} {NOTHING_CHANGED}"
    if attack.at_open:
        assert _said(lambda: preview_restore(runner, TENANT, path)) == f"{verified} {NOTHING_CHANGED}"
    assert world(db, TENANT) == baseline


def test_an_object_for_a_natural_key_is_refused_by_name(
    db: ConnectionTarget, tmp_path: Path, baseline: dict[str, Any]
) -> None:
    """Only the tenant says which field is a foreign key: verify reads this file, the restore refuses it naming the
    object (it raised TypeError: unhashable type: 'dict')."""
    fields = {"name": "Puede", "content_type": [{"a": 1}], "codename": "puede"}
    path = _export(GROUP, {"model": "auth.permission", "pk": 1, "fields": fields})(tmp_path, tmp_path / "k")
    verify_file(path)
    assert _said(lambda: restore_tenant(db, TENANT, path)) == (
        "k.json: auth.permission pk 1 refers, in its field 'content_type', to [{'a': 1}] by natural key, which matches "
        f"no row of table django_content_type in the file or in tenant '{TENANT}'. Nothing was changed."
    )
    assert world(db, TENANT) == baseline


def test_the_cli_says_the_sentence_and_no_unexpected_error(craft: Callable[[FileAttack], Path]) -> None:
    for attack in (NATIVE[0], JSON_ATTACKS[2], JSON_ATTACKS[4]):
        path = craft(attack)
        done = run_cli("verify", "--file", str(path))
        assert done.returncode == 1 and "unexpected" not in done.stderr.lower(), done.stderr
        assert done.stderr.strip() == f"resguardo: {_expected(attack, path)}"


@pytest.mark.parametrize(("ending", "refused"), [(b"\\.\n", True), (b"\\\\.\n", False), (b"\\\n", True)])
def test_a_backslash_at_the_end_of_a_mebibyte_escapes_the_next_one(
    good: Path, tmp_path: Path, ending: bytes, refused: bool
) -> None:
    """The rows are read 1 MiB at a time: a backslash that is a chunk's last byte escapes the next chunk's first."""
    long_row = b"y" * ((1 << 20) - 1) + ending  # the first backslash is the last byte of the first MiB
    path = _rows(lambda raw: long_row + raw)(good, tmp_path / "long.resguardo")
    if refused:
        assert _said(lambda: verify_file(path)).startswith(f"long.resguardo is damaged: row 1 of table {TABLE} ")
    else:
        verify_file(path)


def test_escapes_that_copy_reads_as_data_verify_and_restore(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    """No false alarm: a literal backslash before a dot, before a line break's escape, an escaped tab (one
    field), a value ending in a backslash: all verify, and restore to the text they stand for."""
    good = backup_tenant(demo_db, TENANT, tmp_path / "good.resguardo").path
    with demo_db.connect() as conn:
        first = one_value(conn, "SELECT min(id) FROM bienestar.appointments_appointment")
        conn.execute(
            "UPDATE bienestar.appointments_appointment SET notes = %s WHERE id = %s",
            ["C:\\.config\ttab\\", first],
        )
    path = backup_tenant(demo_db, TENANT, tmp_path / "escapes.resguardo").path
    assert verify_file(path).rows == verify_file(good).rows
    with demo_db.connect() as conn:
        conn.execute("UPDATE bienestar.appointments_appointment SET notes = '' WHERE id = %s", [first])
    restore_tenant(demo_db, TENANT, path)
    with demo_db.connect() as conn:
        notes = one_value(conn, "SELECT notes FROM bienestar.appointments_appointment WHERE id = %s", [first])
    assert notes == "C:\\.config\ttab\\"


# ---------------------------------------------------------------- bounded work on compressed exports


class _Counting:
    """Wraps dumpdata's decompressors: how many bytes they gave, over every time the file was opened."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.inflated = 0
        self.opened = 0
        for kind, opener in list(compressed._OPENERS.items()):
            monkeypatch.setitem(compressed._OPENERS, kind, self._wrap(opener))

    def _wrap(self, opener: Callable[[Path, str], Any]) -> Callable[[Path, str], Any]:
        counting = self

        class Stream:
            def __init__(self, inner: IO[bytes]) -> None:
                self.inner = inner

            def read(self, size: int = -1) -> bytes:
                data = self.inner.read(size)
                counting.inflated += len(data)
                return data

            def close(self) -> None:
                self.inner.close()

        def open_counted(path: Path, mode: str) -> Stream:
            counting.opened += 1
            return Stream(opener(path, mode))

        return open_counted


@pytest.mark.parametrize("attack", BOMBS, ids=str)
def test_a_bomb_inflates_no_further_than_its_limit(
    db: ConnectionTarget, attack: FileAttack, craft: Callable[[FileAttack], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = craft(attack)
    limit = compressed.inflated_limit(path.stat().st_size)
    assert limit == compressed.MIN_INFLATED  # a small file: the floor, far below the 64 MiB it holds
    sniffed = (64 << 10) + (1 << 20)  # what tells the file's kind: its first 64 KiB, its first object's first MiB
    counted = _Counting(monkeypatch)
    _said(lambda: verify_file(path))
    assert counted.inflated <= limit + 1 + sniffed, counted.inflated
    counted.inflated = 0
    _said(lambda: restore_tenant(db, TENANT, path))
    assert counted.inflated <= limit + 1 + sniffed, counted.inflated


def test_the_limit_follows_the_compressed_size() -> None:
    assert compressed.inflated_limit(100 << 10) == compressed.MIN_INFLATED  # 10 MB: under the floor
    assert compressed.inflated_limit(10 << 20) == 1000 << 20  # 100 times
    assert compressed.inflated_limit(1 << 30) == compressed.MAX_INFLATED  # never past 16 GiB


def test_a_restore_reads_a_compressed_export_once(
    demo_db: ConnectionTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan keeps a copy of what it read; the natural keys' and the rows' passes read the copy."""
    groups = [
        {"model": "auth.group", "pk": n, "fields": {"name": f"Grupo {n:06d} " + "x" * 40}} for n in range(1, 50_001)
    ]
    text = json.dumps(groups).encode()
    path = tmp_path / "groups.json.gz"
    path.write_bytes(gzip.compress(text, 6))
    counted = _Counting(monkeypatch)
    restore_tenant(demo_db, TENANT, path)
    # the sniffer reads the first 64 KiB and the first object (its first MiB); the scan the whole text, once
    assert len(text) <= counted.inflated <= len(text) + (64 << 10) + (1 << 20) + 1, counted.inflated
    with demo_db.connect() as conn:
        assert one_value(conn, "SELECT count(*) FROM bienestar.auth_group") == 50_000

"""Files handed to restore or verify: dumpdata exports read object by object, and every other kind named."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import sqlite3
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from app.engine.dumpdata import json_window
from app.engine.dumpdata.reader import iter_dump, scan_dump
from app.engine.errors import ArchiveError
from app.engine.inspection.file_kind import DJANGO_JSON, sniff_file
from app.engine.inspection.verify import verify_file
from app.engine.jobs import CancelToken
from app.engine.restore.sources import open_restore_source
from tests.support.cli import run_cli

OBJECTS: list[dict[str, Any]] = [
    {"model": "users.customuser", "pk": 1, "fields": {"email": "a@b.c", "groups": [1, 2]}},
    {"model": "users.customuser", "pk": 2, "fields": {"email": "tab\there", "groups": []}},
    {"model": "auth.group", "fields": {"name": "Pacientes", "permissions": [["view_x", "app", "x"]]}},
]


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@pytest.mark.parametrize(
    "name, data",
    [
        ("compact.json", json.dumps(OBJECTS)),
        ("indented.json", "\ufeff" + json.dumps(OBJECTS, indent=4, ensure_ascii=False)),
        ("lines.jsonl", "\n".join(json.dumps(o) for o in OBJECTS) + "\n"),
        ("dump.json.gz", gzip.compress(json.dumps(OBJECTS).encode())),
        ("dump.json.bz2", bz2.compress(json.dumps(OBJECTS).encode())),
    ],
)
def test_every_form_of_dumpdata_reads_the_same(tmp_path: Path, name: str, data: bytes | str) -> None:
    path = _write(tmp_path, name, data)
    kind = sniff_file(path)
    assert kind.kind == DJANGO_JSON
    objects = list(iter_dump(path, kind.compression, CancelToken()))
    assert [(o.model, o.pk, o.has_pk, o.fields) for o in objects] == [
        (o["model"], o.get("pk"), "pk" in o, o["fields"]) for o in OBJECTS
    ]
    scan = scan_dump(path, kind.compression, cancel=CancelToken())
    users = scan.models["users.customuser"]
    assert (users.objects, users.max_int_pk, users.list_items["groups"]) == (2, 2, 2)
    assert scan.models["auth.group"].without_pk == 1
    assert scan.models["auth.group"].nested_list_fields == {"permissions"}


def test_the_reader_holds_one_object_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = [{"model": "chat.chatmessage", "pk": 1, "fields": {"content": "x" * 5000}}]
    path = _write(tmp_path, "big.json", json.dumps(big))
    monkeypatch.setattr(json_window, "MAX_OBJECT_CHARS", 4096)
    with pytest.raises(
        ArchiveError,
        match=r"big.json holds an object larger than 0 MB at character 2: it is not a "
        "dumpdata export, or it is damaged",
    ):
        scan_dump(path, cancel=CancelToken())


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '[{"model": "a.b", "pk": 1, "fields": {"x": "unfinished',
            "is truncated: it ends inside the object that starts at character 2; the export did not finish",
        ),
        ('[{"model": "a.b", "pk": 1, "fields": {}},', "is truncated: it ends before the list of objects is closed"),
        (
            '[{"model": "a.b", "pk": 1, "fields": {}} {"model"',
            "is damaged: expected a comma or the end of the list at character 42",
        ),
        (
            '[{"model": "a.b", "pk": 1, "fields": {}}, {"model": "a.b", "pk": 2, "fields": [1]}]',
            'is damaged or not a dumpdata export: object 2 is not {"model", "pk", "fields"}',
        ),
        (
            '[{"model": "a.b", "pk": 1, "fields": {}}, {"model": "DROP TABLE", "fields": {}}]',
            "is damaged: object 2 names the model 'DROP TABLE', which is not app_label.model_name",
        ),
        ('[{"model": "a.b", "pk": 1, "fields": {}}] []', "is damaged: there is more after the list of objects"),
        (
            '[{"model": "a.b", "pk": 1, "fields": {"x": tru}}]',
            r"is damaged: not valid JSON at character 44 \(Expecting value\)",
        ),
    ],
)
def test_damage_is_named(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, "x.json", text)
    with pytest.raises(ArchiveError, match=f"^x.json {message}"):
        verify_file(path)


def test_a_cut_compressed_export_is_named(tmp_path: Path) -> None:
    data = gzip.compress(json.dumps(OBJECTS * 200).encode())
    path = _write(tmp_path, "cut.json.gz", data[: len(data) // 2])
    with pytest.raises(ArchiveError, match=r"cut\.json\.gz is truncated: its compressed data ends early"):
        verify_file(path)


def _tar(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _zip(name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(name, data)
    return out.getvalue()


SQL = b"--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\nCREATE TABLE t (id integer);\n"

UNKNOWN = [
    (
        "other.json",
        json.dumps({"name": "clinic", "version": 2}),
        "other.json is JSON, but not a Django dumpdata export (it is one object with the keys 'name', 'version', "
        'not a list of {"model", "pk", "fields"} objects); export the clinic with `manage.py tenant_command dumpdata '
        "--schema SCHEMA`, or choose another file.",
    ),
    (
        "rows.json",
        json.dumps([{"id": 1, "email": "a@b.c"}]),
        "rows.json is JSON, but not a Django dumpdata export (it is a list of objects with the keys 'id', 'email', not",
    ),
    (
        "all.sql",
        b"--\n-- PostgreSQL database cluster dump\n--\n\nCREATE ROLE clinic_app;\n" + SQL,
        "all.sql is a pg_dumpall file of a whole server (roles and every database); Resguardo restores one clinic: "
        "back the clinic up with Resguardo or `pg_dump -n SCHEMA`, or restore this file with psql as the server's "
        "administrator.",
    ),
    (
        "clinic.sql.gz",
        gzip.compress(SQL),
        "clinic.sql.gz is a pg_dump SQL script compressed with gzip: decompress it first (`gunzip -k clinic.sql.gz`) "
        "and restore the file it holds.",
    ),
    (
        "clinic.dump.bz2",
        bz2.compress(b"PGDMP" + bytes(200)),
        "clinic.dump.bz2 is a pg_dump custom-format file compressed with bz2: decompress it first",
    ),
    (
        "backup.zip",
        _zip("bienestar.json", json.dumps(OBJECTS).encode()),
        "backup.zip is a zip archive, not a backup Resguardo restores: extract it and restore the file inside.",
    ),
    (
        "clinic.tar",
        _tar({"toc.dat": b"PGDMP", "3001.dat": b""}),
        "clinic.tar is a pg_dump backup in tar format; Resguardo reads pg_dump's custom format and .sql files: convert "
        "it with `pg_restore -f clinic.sql clinic.tar` and restore the .sql file.",
    ),
    (
        "data.xml",
        '<?xml version="1.0" encoding="utf-8"?>\n<django-objects version="1.0"></django-objects>',
        "data.xml is a Django dumpdata export in XML, not a backup Resguardo restores: export the clinic again with "
        "`--format json`.",
    ),
    (
        "data.yaml",
        "- model: users.customuser\n  pk: 1\n  fields: {}\n",
        "data.yaml is a Django dumpdata export in YAML, not a backup Resguardo restores",
    ),
    (
        "manifest.json",
        json.dumps({"format": "resguardo-native", "format_version": 1}),
        "manifest.json is the manifest of a Resguardo archive, not a backup Resguardo restores: restore the .resguardo "
        "file itself.",
    ),
    (
        "notes.txt",
        "hola",
        "notes.txt is not a Resguardo archive, a pg_dump file or a Django dumpdata export (plain text of another kind)",
    ),
    ("script.txt", "INSERT INTO users VALUES (1);", "script.txt is an SQL script that pg_dump did not write"),
    ("empty.json", "", "empty.json is empty (0 bytes): not a Resguardo archive or any other backup."),
]


@pytest.mark.parametrize("name, data, message", UNKNOWN, ids=[u[0] for u in UNKNOWN])
def test_unknown_files_say_what_they_look_like(tmp_path: Path, name: str, data: bytes | str, message: str) -> None:
    path = _write(tmp_path, name, data)
    for attempt in (verify_file, lambda p: open_restore_source(p, CancelToken())):
        with pytest.raises(ArchiveError) as caught:
            attempt(path)
        assert caught.value.message.startswith(message)
        assert "\n" not in caught.value.message


def test_sqlite_and_folders_are_named(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(
        ArchiveError,
        match=r"db.sqlite3 is an SQLite database \(Django's development database\), not "
        "a backup Resguardo restores",
    ):
        verify_file(db)
    folder = tmp_path / "clinic.dir"
    folder.mkdir()
    (folder / "toc.dat").write_bytes(b"PGDMP")
    with pytest.raises(
        ArchiveError,
        match=r"clinic.dir is a pg_dump backup in directory format; .* `pg_restore -f "
        r"clinic.dir.sql clinic.dir`",
    ):
        verify_file(folder)


def test_the_cli_says_it_in_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "clinic.sql.gz", gzip.compress(SQL))
    done = run_cli("verify", "--file", str(path))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "resguardo: clinic.sql.gz is a pg_dump SQL script compressed with gzip: decompress "
        "it first (`gunzip -k clinic.sql.gz`) and restore the file it holds."
    )

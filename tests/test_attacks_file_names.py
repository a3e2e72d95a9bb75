"""Attacks through clinic names on the backup files' names (issue 21): a name the web application accepted
must not write outside the backup folder, take a Windows device, or share a folder with another clinic."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from psycopg import sql

from app.engine.archive.container import ArchiveReader
from app.engine.backup.destination import safe_name
from app.engine.backup.many import backup_all
from app.engine.connection import ConnectionTarget

pytestmark = pytest.mark.core

HOSTILE = [
    'x"; drop schema public; --',
    "CON",
    "con",
    "Con",
    "nul",
    "COM1",
    "lpt9",
    "conin$",
    "a/b",
    "a\\b",
    "..",
    ".",
    "ñandú",
    "Ñandú",
    "nandu",
    unicodedata.normalize("NFC", "café"),
    unicodedata.normalize("NFD", "café"),  # the same text to macOS' file system; another schema to PostgreSQL
    "clínica ",
    "trailing.",
    "-rf",
    "日本語",
    "a:b*c?<d>|",
    "x" * 63,
    "ñ" * 31,  # 62 bytes, PostgreSQL's longest
    "bienestar",
    "Bienestar",
]
_DEVICES = re.compile(r"(con|prn|aux|nul|conin\$|conout\$|com[1-9¹²³]|lpt[1-9¹²³])", re.IGNORECASE)


def test_every_clinic_name_gives_a_portable_name_of_its_own() -> None:
    names = [safe_name(s) for s in HOSTILE]
    for schema, name in zip(HOSTILE, names, strict=True):
        assert re.fullmatch(r"[a-z0-9_][a-z0-9_.-]*", name), (schema, name)  # no separator, nothing for a shell
        assert not name.endswith((".", " ")) and len(name) <= 63, (schema, name)  # Windows drops a final dot
        assert not _DEVICES.fullmatch(name.split(".")[0]), (schema, name)  # CON.txt is the console, too
    assert len({n.casefold() for n in names}) == len(names)  # distinct on case-insensitive file systems
    assert safe_name("bienestar") == "bienestar" and safe_name("clinic-2_b") == "clinic-2_b"


def test_hostile_clinic_names_are_backed_up_each_into_its_own_folder(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    chosen = ['x"; drop schema public; --', "CON", "con", "a/b", "..", "Ñandú", "ñandú", "ñ" * 31]
    with demo_db.connect() as conn:
        for schema in chosen:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            conn.execute(sql.SQL("CREATE TABLE {} (id int)").format(sql.Identifier(schema, "t")))
            conn.execute(
                "INSERT INTO public.customers_client (schema_name, name, paid_until, on_trial, created_on)"
                " VALUES (%s, 'x', now(), false, now())",
                [schema],
            )
        conn.commit()
    out = tmp_path / "out"
    out.mkdir()
    result = backup_all(demo_db, out, schemas=chosen)
    assert result.ok, result.summary()
    folders = {c.schema: c.path.parent for c in result.clinics if c.path is not None}
    assert len(set(folders.values())) == len(chosen)
    for schema, folder in folders.items():
        assert folder.parent == out and folder.name == safe_name(schema)
        [written] = folder.iterdir()
        with ArchiveReader(written) as reader:
            assert reader.raw_manifest["source_schema"] == schema
    assert sorted(p.relative_to(tmp_path).parts[:2] for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        ("out", f.name) for f in folders.values()
    )
    assert not (out / "con").exists() and not (out / "CON").exists()  # the console, on Windows

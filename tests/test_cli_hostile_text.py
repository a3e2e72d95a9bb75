"""`resguardo tenants` with names a compromised web application wrote (issue 19, item 6): nothing reaches the terminal
raw, neither in the table nor in `--json`.

The web application's role owns the tenants table, its domains and the clinic schemas: a name can hold colour
codes, a window-title sequence, clear-screen, C1 controls, a bidi override or newlines that fake rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from psycopg import sql

from app.engine.connection import ConnectionTarget
from tests.support.cli import run_cli

pytestmark = pytest.mark.core

HOSTILE = {
    "colour": "\x1b[31mMindcare\x1b[0m",
    "title": "\x1b]0;owned\x07Mindcare",
    "clear": "\x1b[2J\x1b[HBienestar",
    "fake_row": "Mindcare\nbienestar  Bienestar  bienestar.localhost  1.0 MB  15  0  tenant",
    "c1": "Mind\x9b31mcare",  # C1 CSI: a control sequence on terminals that read 8-bit controls
    "bidi": "\u202eratseneiB",  # reads "Bienestar"
    "zero_width": "Bien\u200bestar",
}
READABLE = "Clínica Ñandú"  # letters that are not ASCII stay as they are
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\u200b")  # none of these may reach the terminal


def hostile_tenants(target: ConnectionTarget) -> None:
    """Tenant rows (without schemas) and a schema whose names are the attacks; the owner widens the column first."""
    with target.connect() as conn:
        conn.execute("ALTER TABLE public.customers_client ALTER COLUMN name TYPE varchar(300)")
        for i, name in enumerate([*HOSTILE.values(), READABLE]):
            conn.execute(
                "INSERT INTO public.customers_client (schema_name, name, paid_until, on_trial, created_on)"
                " VALUES (%s, %s, '2030-01-01', false, '2025-01-01')",
                [f"hostile{i}", name],
            )
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier("orphan\x1b[2J\nfake")))


def test_the_table_escapes_every_hidden_character_and_keeps_one_line_per_schema(demo_db: ConnectionTarget) -> None:
    hostile_tenants(demo_db)
    result = run_cli("tenants", "--dsn", demo_db.conninfo)
    assert result.returncode == 0, result.stderr
    assert not any(ch in result.stdout for ch in RAW)
    lines = result.stdout.splitlines()
    rows = 3 + len(HOSTILE) + 1  # public, mindcare, bienestar, the hostile rows, the readable one
    assert len(lines) == 1 + rows + 1 + 1  # and the header, the orphan, the closing sentence: no faked row
    assert lines[-1] == f"{rows} tenants in public.customers_client, {rows - 3} without a schema; 1 other schema."
    text = result.stdout
    assert "\\x1b[31mMindcare\\x1b[0m" in text
    assert "\\x1b]0;owned\\x07Mindcare" in text
    assert "Mindcare\\nbienestar  Bienestar" in text  # the newline shown as \n, on its own row
    assert READABLE in text
    assert "Mind\\x9b31mcare" in text and "\\u202eratseneiB" in text and "Bien\\u200bestar" in text
    assert any(line.startswith("orphan\\x1b[2J\\nfake ") for line in lines)


def test_json_gives_the_same_names_with_hidden_characters_escaped(demo_db: ConnectionTarget) -> None:
    hostile_tenants(demo_db)
    result = run_cli("tenants", "--json", "--dsn", demo_db.conninfo)
    assert result.returncode == 0, result.stderr
    assert not any(ch in result.stdout for ch in RAW)
    names = {o["schema"]: o["name"] for o in json.loads(result.stdout)}
    assert {names[f"hostile{i}"] for i in range(len(HOSTILE) + 1)} == {*HOSTILE.values(), READABLE}  # as written
    assert "orphan\x1b[2J\nfake" in names
    assert f'"{READABLE}"' in result.stdout
    assert "\\u202eratseneiB" in result.stdout and "\\u009b" in result.stdout


def test_the_restore_preview_and_refusals_escape_the_names_the_web_application_wrote(
    demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    """A table name reaches the restore's preview; a clinic name typed from a listing reaches a refusal."""
    table = "notes\x1b]0;owned\x07\nbienestar.fake: 0 in the file"
    with demo_db.connect() as conn:
        conn.execute(sql.SQL("CREATE TABLE bienestar.{} (id int PRIMARY KEY)").format(sql.Identifier(table)))
    backup = tmp_path / "b.resguardo"
    made = run_cli("backup", "--tenant", "bienestar", "--out", str(backup), "--dsn", demo_db.conninfo)
    assert made.returncode == 0, made.stderr
    preview = run_cli(
        "restore", "--tenant", "bienestar", "--file", str(backup), "--dsn", demo_db.conninfo, input="no\n"
    )
    assert preview.returncode == 1
    assert not any(ch in preview.stdout + preview.stderr for ch in RAW)
    assert "notes\\x1b]0;owned\\x07\\nbienestar.fake: 0 in the file: 0 in the file" in preview.stdout
    refused = run_cli("backup", "--tenant", HOSTILE["title"], "--out", str(tmp_path), "--dsn", demo_db.conninfo)
    assert refused.returncode != 0
    assert not any(ch in refused.stderr for ch in RAW) and "\\x1b]0;owned\\x07Mindcare" in refused.stderr

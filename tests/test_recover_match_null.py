"""Choosing rows by a column that has no value: `--match-null COLUMN`, apart from every value a `--match` takes
(the empty text, the text `\\N`), in the engine, the command line and the browsing's search (docs/recover.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.recovery.browse import Search, list_tables, read_rows
from app.engine.recovery.planning import plan_recovery
from tests.support.pg import one_value

pytestmark = pytest.mark.core
TENANT = "bienestar"


@pytest.fixture
def backed_up(demo_db: ConnectionTarget, tmp_path: Path) -> Path:
    """rg_tag: a NULL tag, an empty one, the text `\\N`, a plain one; backed up, then every row deleted."""
    with demo_db.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE bienestar.rg_tag (id int PRIMARY KEY, tag text, note text)")
        conn.execute(
            "INSERT INTO bienestar.rg_tag VALUES (1, NULL, 'a'), (2, '', 'b'), (3, '\\N', 'c'), (4, 'x', 'd'),"
            " (5, NULL, 'e')"
        )
        owner = one_value(conn, "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = %s", [TENANT])
        conn.execute(f"ALTER TABLE bienestar.rg_tag OWNER TO {owner}")
    archive = backup_tenant(demo_db, TENANT, tmp_path / "b.resguardo").path
    with demo_db.connect(autocommit=True) as conn:
        conn.execute("DELETE FROM bienestar.rg_tag")
    return archive


def _planned(target: ConnectionTarget, archive: Path, match: list[tuple[str, str | None]]) -> list[str]:
    plan = plan_recovery(target, TENANT, archive, table="rg_tag", match=match, with_dependents=False)
    return sorted(r.key for t in plan.tables for r in t.rows)


def test_null_is_matched_apart_from_every_value(demo_db: ConnectionTarget, backed_up: Path) -> None:
    assert _planned(demo_db, backed_up, [("tag", None)]) == ["1", "5"]
    assert _planned(demo_db, backed_up, [("tag", "")]) == ["2"]
    assert _planned(demo_db, backed_up, [("tag", "\\N")]) == ["3"]
    assert _planned(demo_db, backed_up, [("note", "e"), ("tag", None)]) == ["5"]


def _main(capsys: pytest.CaptureFixture[str], target: ConnectionTarget, *args: str) -> tuple[int, str, str]:
    from app.cli import main

    try:
        code = main([*args, "--dsn", target.conninfo])
    except SystemExit as exit:
        code = int(exit.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_line_recovers_by_match_null(
    demo_db: ConnectionTarget, backed_up: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["recover", "--tenant", TENANT, "--file", str(backed_up), "--table", "rg_tag", "--only"]
    code, out, err = _main(capsys, demo_db, *base)
    assert code == 2 and "--match COLUMN=VALUE or --match-null COLUMN" in err
    code, out, _ = _main(capsys, demo_db, *base, "--match-null", "tag", "--json")
    assert code == 0
    plan = json.loads(out)
    assert plan["match"] == [["tag", None]] and plan["rows_to_insert"] == 2
    code, out, _ = _main(capsys, demo_db, *base, "--match", "note=a", "--match-null", "tag", "--yes")
    assert code == 0 and "Recovered 1 rows into bienestar" in out
    with demo_db.connect() as conn:
        assert [r[0] for r in conn.execute("SELECT id FROM bienestar.rg_tag")] == [1]
    code, out, _ = _main(capsys, demo_db, *base, "--match", "tag=\\N", "--json")
    assert code == 0 and json.loads(out)["rows_to_insert"] == 1
    assert "--match-null COLUMN" in _main(capsys, demo_db, "recover", "--help")[1]


def test_the_preview_says_is_null(demo_db: ConnectionTarget, backed_up: Path) -> None:
    from app.commands.recover import describe_plan

    plan = plan_recovery(demo_db, TENANT, backed_up, table="rg_tag", match=[("tag", None)], with_dependents=False)
    assert "with tag is NULL, only them" in describe_plan(plan)


def test_the_browsing_search_finds_rows_without_a_value(demo_db: ConnectionTarget, backed_up: Path) -> None:
    table = list_tables(demo_db, TENANT, backed_up).table("rg_tag")
    page = read_rows(backed_up, table, search=Search("", "tag", null=True))
    assert [r[0] for r in page.rows] == ["1", "5"] and page.matching == 2
    assert [r[0] for r in read_rows(backed_up, table, search=Search("N", "tag")).rows] == ["3"]

"""The attack corpus, backups that their own restore would refuse (issue 19, item 2).

A clinic's owner (the web application's role) writes objects that a native backup once wrote "successfully" and
its restore then refused or failed on, so that every backup of the clinic was silently unrestorable. Each clinic
here either backs up, verifies and restores (and its objects work afterwards), or is refused at backup time with
a sentence naming the object and the format that carries it; never a backup that its restore refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from app.engine.archive.container import PRE_DATA_MEMBER, ArchiveReader, split_statements
from app.engine.backup.native import backup_tenant
from app.engine.backup.pgdump import pgdump_tenant
from app.engine.connection import ConnectionTarget
from app.engine.errors import Choice, PreflightError
from app.engine.inspection.verify import verify_file
from app.engine.restore.restore import restore_tenant
from app.engine.server.pgserver import embedded_bin_dir
from tests.support.attacks import ROLES, as_role, outside, owner
from tests.support.cli import run_cli
from tests.support.pg import one_value

pytestmark = pytest.mark.core
TENANT = "bienestar"
NAME_WITH_NEWLINE = "notas\nCREATE TABLE bienestar.injected (i int)"
COMMENT_WITH_MARKER = "line one\n-- object: table injected\nDROP TABLE auth_group"


@dataclass(frozen=True)
class Clinic:
    name: str
    plant: list[str]  # run by the clinic's owner
    works: str | None = None  # a query that must give `gives` after the restore (None: refused at backup)
    gives: object = None
    refused: str = ""  # the backup's refusal, after "The <object> of 'bienestar' could not be restored ..."

    def __str__(self) -> str:
        return self.name


def _refusal(what: str, cause: str) -> str:
    return f"The {what} of 'bienestar' could not be restored from a native backup: it {cause}"


RESTORED = [
    Clinic(
        "view-over-generate-series",  # the gate crashed on `{}` (a RangeFunction's column list) in every FROM f()
        ["CREATE VIEW bienestar.numbers AS SELECT g FROM generate_series(1, 3) g"],
        "SELECT array_agg(g ORDER BY g) FROM bienestar.numbers",
        [1, 2, 3],
    ),
    Clinic(
        "view-over-rows-from",
        [
            "CREATE VIEW bienestar.pairs AS SELECT a, b FROM ROWS FROM (generate_series(1, 2),"
            " unnest(ARRAY['x', 'y'])) AS t(a, b)"
        ],
        "SELECT string_agg(a || b, ',' ORDER BY a) FROM bienestar.pairs",
        "1x,2y",
    ),
    Clinic(
        "sql-function-over-unnest",
        ["CREATE FUNCTION bienestar.total(integer[]) RETURNS bigint LANGUAGE sql AS 'SELECT sum(x) FROM unnest($1) x'"],
        "SELECT bienestar.total(ARRAY[1, 2, 3])",
        6,
    ),
    Clinic(
        "plpgsql-over-jsonb-each",
        [
            "CREATE FUNCTION bienestar.keys(jsonb) RETURNS integer LANGUAGE plpgsql AS $$DECLARE n integer;"
            " BEGIN SELECT count(*) INTO n FROM jsonb_each($1) AS e(k, v); RETURN n; END$$",
            "ALTER TABLE bienestar.auth_group ADD COLUMN extra jsonb DEFAULT '{}' CHECK (bienestar.keys(extra) < 10)",
        ],
        """SELECT bienestar.keys('{"a": 1, "b": 2}')""",
        2,
    ),
    Clinic(
        "sql-standard-body-over-generate-series",  # a BEGIN ATOMIC body is part of the statement's tree
        [
            "CREATE FUNCTION bienestar.four() RETURNS bigint LANGUAGE sql"
            " BEGIN ATOMIC SELECT count(*) FROM generate_series(1, 4); END"
        ],
        "SELECT bienestar.four()",
        4,
    ),
    Clinic(
        "enum-labels-with-control-characters",  # written as E'' escapes, never as a line of the statement
        [f"CREATE TYPE bienestar.mood AS ENUM (E'{COMMENT_WITH_MARKER}', E'tab\\there', 'back\\slash', 'it''s')"],
        "SELECT enum_range(NULL::bienestar.mood)::text[]",
        [COMMENT_WITH_MARKER, "tab\there", "back\\slash", "it's"],
    ),
    Clinic(
        "table-named-with-a-newline",  # its name ended the `-- object:` line; the rest of it became SQL
        [f'CREATE TABLE bienestar."{NAME_WITH_NEWLINE}" (i integer)'],
        f"SELECT array[to_regclass('bienestar.injected') IS NULL, to_regclass('bienestar.\"{NAME_WITH_NEWLINE}\"')"
        " IS NOT NULL]",
        [True, True],
    ),
    Clinic(
        "comment-with-a-marker-line",  # a line `-- object: ...` inside a comment's text split the statement
        [f"COMMENT ON TABLE bienestar.auth_group IS '{COMMENT_WITH_MARKER}'"],
        "SELECT obj_description('bienestar.auth_group'::regclass)",
        COMMENT_WITH_MARKER,
    ),
    Clinic(
        "check-and-trigger-through-their-search-path",  # failed: "function positive(bigint) does not exist"
        [
            "CREATE FUNCTION public.positive(bigint) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 > 0'",
            "CREATE FUNCTION bienestar.named(text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 <> '''''",
            "CREATE FUNCTION bienestar.valid(bigint, text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE"
            " SET search_path = bienestar, public AS $$BEGIN RETURN positive($1) AND named($2); END$$",
            "ALTER TABLE bienestar.auth_group ADD CONSTRAINT valid CHECK (bienestar.valid(id, name))",
            "CREATE FUNCTION bienestar.stamp() RETURNS trigger LANGUAGE plpgsql SET search_path = bienestar, public"
            " AS $$BEGIN IF NOT valid(NEW.id, NEW.name) THEN RAISE EXCEPTION 'invalid'; END IF; RETURN NEW; END$$",
            "CREATE TRIGGER stamp BEFORE INSERT ON bienestar.auth_group FOR EACH ROW"
            " EXECUTE FUNCTION bienestar.stamp()",
        ],
        # After the restore the routines name the clinic again (not the staging schema), and still work.
        "INSERT INTO bienestar.auth_group (name) VALUES ('after') RETURNING (SELECT array_agg(c ORDER BY c)"
        " FROM pg_proc p, unnest(p.proconfig) c WHERE p.pronamespace = 'bienestar'::regnamespace)",
        ["search_path=bienestar, public", "search_path=bienestar, public"],
    ),
]

REFUSED = [
    Clinic(
        "plpgsql-execute",
        [
            "CREATE FUNCTION bienestar.dyn() RETURNS integer LANGUAGE plpgsql"
            " AS $$BEGIN EXECUTE 'SELECT 1'; RETURN 1; END$$"
        ],
        refused=_refusal(
            "function dyn()",
            "creates a function whose body runs SQL built while it runs (EXECUTE), which Resguardo cannot check",
        ),
    ),
    Clinic(
        "body-naming-its-own-schema",
        [
            "CREATE FUNCTION bienestar.groups() RETURNS bigint LANGUAGE sql"
            " AS 'SELECT count(*) FROM bienestar.auth_group'"
        ],
        refused=_refusal(
            "function groups()",
            "names bienestar.auth_group with its own schema's name, in text that PostgreSQL reads only when it runs",
        ),
    ),
    Clinic(
        "body-with-a-marker-line",  # a plpgsql comment line the native format would read as its own marker
        [
            "CREATE FUNCTION bienestar.marked() RETURNS integer LANGUAGE plpgsql AS $$BEGIN\n"
            "-- object: table injected\nRETURN 1; END$$"
        ],
        refused=_refusal("function marked()", "holds a line that begins with '-- object: '"),
    ),
    Clinic(
        "search-path-naming-another-clinic",
        [
            "CREATE FUNCTION bienestar.peek() RETURNS bigint LANGUAGE sql SET search_path = mindcare"
            " AS 'SELECT count(*) FROM users_customuser'"
        ],
        refused=_refusal("function peek()", "creates a function whose search_path names mindcare, outside the tenant"),
    ),
    Clinic(
        "search-path-naming-itself-and-another-clinic",
        [
            "CREATE FUNCTION bienestar.peek() RETURNS bigint LANGUAGE sql SET search_path = bienestar, mindcare"
            " AS 'SELECT count(*) FROM users_customuser'"
        ],
        refused=_refusal("function peek()", "has a search_path naming mindcare, outside the tenant"),
    ),
    Clinic(
        "default-from-another-clinics-sequence-through-a-cast",
        [
            "CREATE SEQUENCE mindcare.ids",  # a clinic the same role owns
            "ALTER TABLE bienestar.auth_group ADD COLUMN n bigint DEFAULT nextval('mindcare.ids'::text)",
        ],
        refused=_refusal("table auth_group", "names mindcare.ids, outside the tenant"),
    ),
    Clinic(
        "view-over-ts-stat",  # ts_stat runs the query it is given as text
        [
            "CREATE VIEW bienestar.words AS SELECT word"
            " FROM ts_stat('SELECT to_tsvector(name) FROM bienestar.auth_group')"
        ],
        refused=_refusal("view words", "calls ts_stat, which reaches outside the tenant"),
    ),
    Clinic(
        "sequence-named-while-running",
        ["CREATE FUNCTION bienestar.next(text) RETURNS bigint LANGUAGE plpgsql AS $$BEGIN RETURN nextval($1); END$$"],
        refused=_refusal(
            "function next(text)", "creates a function whose body holds a construct Resguardo cannot check (nextval's"
        ),
    ),
]


def _clinic(name: str) -> Clinic:
    return next(c for c in RESTORED + REFUSED if c.name == name)


def _plant(db: ConnectionTarget, statements: list[str]) -> None:
    with owner(db).connect() as conn:
        for statement in statements:
            conn.execute(statement)


@pytest.mark.parametrize("clinic", RESTORED, ids=str)
def test_a_clinic_the_gate_once_refused_backs_up_verifies_and_restores(
    demo_db: ConnectionTarget, tmp_path: Path, clinic: Clinic
) -> None:
    _plant(demo_db, clinic.plant)
    path = backup_tenant(demo_db, TENANT, tmp_path / "clinic.resguardo").path
    verify_file(path)
    before = outside(demo_db, TENANT)
    restore_tenant(demo_db, TENANT, path)
    assert outside(demo_db, TENANT) == before
    assert clinic.works is not None
    with psycopg.connect(owner(demo_db).conninfo) as conn:  # the web application's own session
        assert one_value(conn, clinic.works) == clinic.gives


@pytest.mark.parametrize("clinic", REFUSED, ids=str)
def test_a_clinic_its_restore_would_refuse_is_refused_at_backup_naming_the_object(
    demo_db: ConnectionTarget, tmp_path: Path, clinic: Clinic
) -> None:
    _plant(demo_db, clinic.plant)
    out = tmp_path / "clinic.resguardo"
    with pytest.raises(PreflightError) as caught:
        backup_tenant(demo_db, TENANT, out)
    assert caught.value.message.startswith(clinic.refused), caught.value.message
    assert caught.value.message.endswith(
        "Change it, or back up this clinic in the custom (pg_dump) format and restore that file with pg_restore."
    )
    assert caught.value.choices == (Choice.CUSTOM_FORMAT,)
    assert list(tmp_path.iterdir()) == []  # no file, not even a partial one


def test_the_command_line_names_the_object_and_the_flag_of_the_format_that_carries_it(
    demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    _plant(demo_db, REFUSED[0].plant)
    result = run_cli("backup", "--dsn", demo_db.conninfo, "--tenant", TENANT, "--out", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"resguardo: {REFUSED[0].refused}. Change it, or back up this clinic in the custom (pg_dump) format"
        " (--format custom) and restore that file with pg_restore."
    )
    assert list(tmp_path.iterdir()) == []


def test_a_name_with_a_newline_stays_on_its_marker_line(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    """The archive's `-- object:` line escapes what is not printable; the statement quotes the name."""
    _plant(demo_db, _clinic("table-named-with-a-newline").plant)
    path = backup_tenant(demo_db, TENANT, tmp_path / "clinic.resguardo").path
    with ArchiveReader(path) as reader:
        pre = reader.read_text(PRE_DATA_MEMBER)
    label = "table notas\\nCREATE TABLE bienestar.injected (i int)"
    assert f"-- object: {label}\n" in pre
    ((_, text),) = [(line, text) for line, found, text in split_statements(pre) if found == label]
    assert text == f'CREATE TABLE "{NAME_WITH_NEWLINE}" (\n    i integer\n);'


@pytest.mark.parametrize("role", ROLES)
def test_routines_follow_their_schema_through_the_restore_by_either_role(
    demo_db: ConnectionTarget, tmp_path: Path, role: str
) -> None:
    """While rows load, a routine whose search_path names the clinic finds the staging schema's objects (the live
    clinic's would be wrong: here, its helper says no); after the swap it names the clinic again."""
    check = _clinic("check-and-trigger-through-their-search-path")
    _plant(demo_db, check.plant)
    path = backup_tenant(demo_db, TENANT, tmp_path / "clinic.resguardo").path
    with owner(demo_db).connect() as conn:  # the live clinic's helper now refuses every row
        conn.execute("CREATE OR REPLACE FUNCTION bienestar.named(text) RETURNS boolean LANGUAGE sql AS 'SELECT false'")
    restore_tenant(as_role(demo_db, role), TENANT, path)
    with owner(demo_db).connect() as conn:
        assert check.works is not None
        assert one_value(conn, check.works) == check.gives
        assert one_value(conn, "SELECT count(*) FROM bienestar.auth_group") > 1


def test_a_pg_dump_file_of_that_clinic_restores_with_its_routines_following_too(
    demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    """pg_dump writes the routine's `SET search_path` naming the clinic: the restore rewrites it to the staging
    schema while rows load (the live clinic's helper would refuse them), then names the clinic again."""
    check = _clinic("check-and-trigger-through-their-search-path")
    _plant(demo_db, check.plant)
    dump = tmp_path / "clinic.dump"
    path = pgdump_tenant(demo_db, TENANT, dump, fmt="custom", extra_dirs=[embedded_bin_dir()]).path
    with owner(demo_db).connect() as conn:
        conn.execute("CREATE OR REPLACE FUNCTION bienestar.named(text) RETURNS boolean LANGUAGE sql AS 'SELECT false'")
    restore_tenant(demo_db, TENANT, path)
    with psycopg.connect(owner(demo_db).conninfo) as conn:
        assert check.works is not None
        assert one_value(conn, check.works) == check.gives

"""The attack corpus, hostile tenant (issue 10): the tenant's owner (the web application's role, `clinic_app`) plants
code and forges records; then a superuser (and the owner) lists, backs up, previews, restores, undoes and discards.

Planted code runs a program on the server only when it runs with a superuser's rights (`hostile_body`): a marker
file it would create proves whether it ran so. Every job must work, or refuse with a sentence; no other clinic,
role, database or setting may change. Crafted files are in tests/test_attacks.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from app.engine.backup.native import backup_tenant
from app.engine.backup.pgdump import pgdump_tenant
from app.engine.catalog.discovery import list_tenants
from app.engine.connection import ConnectionTarget
from app.engine.errors import ResguardoError
from app.engine.jobs import Progress
from app.engine.restore.discard import discard_safety_copy
from app.engine.restore.preview import preview_restore
from app.engine.restore.restore import restore_tenant
from app.engine.restore.swap import LockPolicy
from app.engine.restore.undo import undo_restore
from app.engine.server.pgserver import embedded_bin_dir
from tests.support.attacks import (
    ROLES,
    Markers,
    as_role,
    hostile_body,
    markers,
    outside,
    owner,
    world,
)
from tests.support.pg import TestServer
from tests.support.restore import fingerprint, resguardo_schemas

pytestmark = pytest.mark.core
TENANT = "bienestar"
SHORT = LockPolicy(attempt_seconds=0.2, total_seconds=2)


def _function(
    name: str,
    marker: Path,
    args: str = "",
    returns: str = "boolean",
    result: str = "true",
    volatility: str = "VOLATILE",
) -> str:
    return (
        f"CREATE FUNCTION {name}({args}) RETURNS {returns} LANGUAGE plpgsql {volatility} AS $h$BEGIN "
        f"{hostile_body(marker)} RETURN {result}; END$h$"
    )


def _operators(schema: str, marker: Path) -> list[str]:
    """`=` for (oid, integer), (oid, bigint) and (name, text): the comparisons a catalog query makes."""
    made = []
    for left, right, cast in (
        ("oid", "integer", "pg_catalog.int8"),
        ("oid", "bigint", "pg_catalog.int8"),
        ("name", "text", "pg_catalog.text"),
    ):
        fn = f"{schema}.h_eq_{left}_{right}"
        made += [
            _function(fn, marker, f"{left}, {right}", result=f"$1::{cast} OPERATOR(pg_catalog.=) $2::{cast}"),
            f"CREATE OPERATOR {schema}.= (LEFTARG = {left}, RIGHTARG = {right}, FUNCTION = {fn})",
        ]
    return made


# Functions of pg_catalog that Resguardo's SQL calls, shadowed in a schema the owner controls.
_SHADOWED = [
    ("pg_has_role", "oid, text", "boolean", "true"),
    ("set_config", "text, text, boolean", "text", "$2"),
    ("current_setting", "text", "text", "''"),
    ("to_regclass", "text", "regclass", "NULL"),
    ("pg_get_userbyid", "oid", "name", "'x'"),
    ("obj_description", "oid, name", "text", "NULL"),
    ("lower", "text", "text", "$1"),
    ("starts_with", "text, text", "boolean", "false"),
    ("format_type", "oid, integer", "text", "''"),
    ("pg_size_bytes", "text", "bigint", "0"),
    ("has_schema_privilege", "oid, text", "boolean", "true"),
    ("now", "", "timestamptz", "NULL"),
]


def _shadows(schema: str, marker: Path) -> list[str]:
    return [_function(f"{schema}.{name}", marker, args, returns, result) for name, args, returns, result in _SHADOWED]


def _enum_with_casts(
    type_name: str, labels: str, marker: Path, casts: tuple[str, ...], implicit: bool = False
) -> list[str]:
    """An enum type of the owner's, with casts of its own (an owner of a type may create casts from it)."""
    made = [f"CREATE TYPE {type_name} AS ENUM ({labels})"]
    text = "pg_catalog.textin(pg_catalog.enum_out($1))"  # not $1::text: that would be the cast itself
    for target in casts:
        fn = f"{type_name}_to_{target}"
        result = {"boolean": f"{text} OPERATOR(pg_catalog.=) 't'", "text": text}.get(
            target, f"pg_catalog.to_{target}({text})"
        )
        made += [
            _function(fn, marker, type_name, target, result),
            f"CREATE CAST ({type_name} AS {target}) WITH FUNCTION {fn}({type_name})"
            + (" AS IMPLICIT" if implicit else ""),
        ]
    return made


USERS = "bienestar.users_customuser"


def _plant(name: str, marker: Path) -> list[str]:
    """The statements, run as the tenants' owner, that plant one hostile object."""
    return {
        "operators-in-tenant": _operators("bienestar", marker),
        "operators-in-public": _operators("public", marker),
        "shadow-functions-in-public": _shadows("public", marker),
        "shadow-functions-in-tenant": _shadows("bienestar", marker),
        "trigger": [
            _function("bienestar.h_trigger", marker, returns="trigger", result="COALESCE(NEW, OLD)"),
            (
                f"CREATE TRIGGER evil BEFORE INSERT OR UPDATE OR DELETE ON {USERS} FOR EACH ROW "
                "EXECUTE FUNCTION bienestar.h_trigger()"
            ),
            (
                f"CREATE TRIGGER evil_truncate BEFORE TRUNCATE ON {USERS} FOR EACH STATEMENT "
                "EXECUTE FUNCTION bienestar.h_trigger()"
            ),
        ],
        "check-function": [
            _function("bienestar.h_check", marker, "bigint"),
            f"ALTER TABLE {USERS} ADD CONSTRAINT evil CHECK (bienestar.h_check(id))",
        ],
        "column-default": [
            _function("bienestar.h_default", marker),
            "ALTER TABLE bienestar.auth_group ADD COLUMN evil boolean DEFAULT bienestar.h_default()",
        ],
        "domain-check": [
            _function("bienestar.h_domain", marker, "text"),
            "CREATE DOMAIN bienestar.evil_text AS text CHECK (bienestar.h_domain(VALUE))",
            "CREATE TABLE bienestar.evil_domain (v bienestar.evil_text)",
            "INSERT INTO bienestar.evil_domain VALUES ('x')",
        ],
        "index-expression": [
            _function("bienestar.h_index_inner", marker),  # volatile: may run a program
            (
                "CREATE FUNCTION bienestar.h_index(bigint) RETURNS boolean LANGUAGE plpgsql IMMUTABLE "
                "AS $h$BEGIN RETURN bienestar.h_index_inner(); END$h$"
            ),
            f"CREATE INDEX evil ON {USERS} ((bienestar.h_index(id)))",
        ],
        "rls-policy": [
            _function("bienestar.h_policy", marker),
            f"ALTER TABLE {USERS} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {USERS} FORCE ROW LEVEL SECURITY",
            f"CREATE POLICY evil ON {USERS} USING (bienestar.h_policy())",
        ],
        "cast-in-user-table": [
            *_enum_with_casts(
                "bienestar.role_t", "'admin', 'patient', 'psychologist'", marker, ("text", "json", "jsonb")
            ),
            f"ALTER TABLE {USERS} ALTER COLUMN role TYPE bienestar.role_t USING role::text::bienestar.role_t",
        ],
        "implicit-cast-of-admin-flag": [
            *_enum_with_casts("bienestar.flag_t", "'t', 'f'", marker, ("boolean",), implicit=True),
            (
                f"ALTER TABLE {USERS} ALTER COLUMN is_superuser TYPE bienestar.flag_t"
                " USING (CASE WHEN is_superuser THEN 't' ELSE 'f' END)::bienestar.flag_t"
            ),
        ],
        "cast-in-django-migrations": [
            "CREATE TYPE bienestar.app_t AS (v text)",
            _function("bienestar.app_t_to_text", marker, "bienestar.app_t", "text", "($1).v"),
            "CREATE CAST (bienestar.app_t AS text) WITH FUNCTION bienestar.app_t_to_text(bienestar.app_t)",
            (
                "ALTER TABLE bienestar.django_migrations ALTER COLUMN app TYPE bienestar.app_t"
                " USING ROW(app)::bienestar.app_t"
            ),
        ],
        "cast-in-tenants-table": [
            *_enum_with_casts(
                "public.schema_t", "'public', 'bienestar', 'mindcare'", marker, ("text", "json", "jsonb")
            ),
            "DROP INDEX public.customers_client_schema_name_like",
            (
                "ALTER TABLE public.customers_client ALTER COLUMN schema_name TYPE public.schema_t"
                " USING schema_name::text::public.schema_t"
            ),
        ],
    }[name]


PLANTED = [
    "operators-in-tenant",
    "operators-in-public",
    "shadow-functions-in-public",
    "shadow-functions-in-tenant",
    "trigger",
    "check-function",
    "column-default",
    "domain-check",
    "index-expression",
    "rls-policy",
    "cast-in-user-table",
    "implicit-cast-of-admin-flag",
    "cast-in-django-migrations",
]


@dataclass
class Run:
    """What each job did in a database full of planted code: its outcome, and the markers that appeared."""

    outcomes: dict[str, str] = field(default_factory=dict)  # job -> "ok" or the refusal's sentence
    ran: dict[str, list[str]] = field(default_factory=dict)  # planted object -> jobs during which it ran
    outside_before: dict[str, Any] = field(default_factory=dict)
    outside_after: dict[str, Any] = field(default_factory=dict)


def _job(run: Run, marks: Markers, name: str, action: Callable[[], object]) -> None:
    try:
        action()
        run.outcomes[name] = "ok"
    except ResguardoError as exc:
        run.outcomes[name] = exc.message
    for planted in marks.appeared():
        run.ran.setdefault(planted, []).append(name)
    marks.clear()


@pytest.fixture(scope="module", params=ROLES)
def planted(
    request: pytest.FixtureRequest, pg_server: TestServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Run]]:
    """A database where the owner planted every hostile object; each job run once by `role`, in order."""
    role = str(request.param)
    db = pg_server.new_database()
    folder = tmp_path_factory.mktemp(f"planted-{role}")
    try:
        with markers(db) as marks:
            clean = backup_tenant(db, TENANT, folder / "clean.resguardo").path
            with owner(db).connect() as conn:
                for name in PLANTED:
                    for statement in _plant(name, marks.path(name)):
                        conn.execute(statement)
            # The native backup refuses the planted code, which its restore would refuse (the job "backup"); the
            # pg_dump custom format that the refusal offers carries it, and restoring that file is refused too.
            hostile_file = pgdump_tenant(
                db, TENANT, folder / "hostile.dump", fmt="custom", extra_dirs=[embedded_bin_dir()]
            ).path  # as a superuser
            run = Run()
            marks.clear()  # a backup as a superuser that ran planted code is seen below, as the job "backup"
            runner = as_role(db, role)
            run.outside_before = outside(db, TENANT)

            def listing() -> None:
                with runner.connect() as conn:
                    list_tenants(conn)

            def restore(path: Path) -> Callable[[], object]:
                return lambda: restore_tenant(runner, TENANT, path)

            def discard() -> None:
                ((copy, _),) = resguardo_schemas(db)
                discard_safety_copy(runner, copy)

            _job(run, marks, "list", listing)
            _job(run, marks, "backup", lambda: backup_tenant(runner, TENANT, folder / f"{role}.resguardo"))
            _job(run, marks, "preview", lambda: preview_restore(runner, TENANT, clean))
            _job(run, marks, "restore-hostile-file", restore(hostile_file))
            _job(run, marks, "restore", restore(clean))  # the planted schema becomes the safety copy
            _job(run, marks, "undo", lambda: undo_restore(runner, TENANT))  # the planted schema is live again
            _job(run, marks, "restore-again", restore(clean))  # the older copy (the clean one) is dropped
            _job(run, marks, "discard", discard)  # the planted schema, dropped
            run.outside_after = outside(db, TENANT)
            yield role, run
    finally:
        pg_server.drop_database(db)


@pytest.mark.parametrize("name", PLANTED)
def test_planted_code_never_runs_with_the_users_rights(planted: tuple[str, Run], name: str) -> None:
    _, run = planted
    assert run.ran.get(name, []) == []


EXPECTED = {  # job -> the sentence when it refuses (else it must work)
    "backup": "could not be restored from a native backup: it creates a function whose body runs an operating-system",
    "restore-hostile-file": "The file creates a function whose body runs an operating-system program",
}
EXPECTED_AS_OWNER = {  # the owner's own row-level security applies to it: its backup would miss rows
    "backup": "has row-level security that applies to 'clinic_app'",
}


@pytest.mark.parametrize(
    "job", ["list", "backup", "preview", "restore-hostile-file", "restore", "undo", "restore-again", "discard"]
)
def test_every_job_works_or_says_why_among_planted_code(planted: tuple[str, Run], job: str) -> None:
    role, run = planted
    expected = (EXPECTED_AS_OWNER.get(job) if role == "owner" else None) or EXPECTED.get(job)
    if expected is None:
        assert run.outcomes[job] == "ok"
    else:
        assert expected in run.outcomes[job]


def test_planted_code_changes_nothing_outside_the_tenant(planted: tuple[str, Run]) -> None:
    _, run = planted
    assert run.outside_after == run.outside_before


@pytest.mark.parametrize("role", ROLES)
def test_a_tenants_table_with_types_of_the_owners_is_refused_by_every_job(
    demo_db: ConnectionTarget, tmp_path: Path, role: str
) -> None:
    """The owner gives the tenants table's schema_name a type of its own with casts to text and json: every job
    reads that table (the list, the tenant's row for a backup's manifest, the clinics a copy must never be)."""
    runner = as_role(demo_db, role)
    clean = backup_tenant(demo_db, TENANT, tmp_path / "clean.resguardo").path
    copy = restore_tenant(runner, TENANT, clean).safety_copy
    assert copy is not None
    with markers(demo_db) as marks:
        with owner(demo_db).connect() as conn:
            for statement in _plant("cast-in-tenants-table", marks.path("cast")):
                conn.execute(statement)
        before = world(demo_db, TENANT)

        def listing() -> None:
            with runner.connect() as conn:
                list_tenants(conn)

        for job in (
            listing,
            lambda: backup_tenant(runner, TENANT, tmp_path / "again.resguardo"),
            lambda: preview_restore(runner, TENANT, clean),
            lambda: restore_tenant(runner, TENANT, clean),
            lambda: undo_restore(runner, TENANT),
            lambda: discard_safety_copy(runner, copy),
        ):
            with pytest.raises(
                ResguardoError,
                match=r"The table customers_client \(the tenants table or its domains\) "
                r"has a column schema_name of the type public\.schema_t, which a "
                "role that is not a superuser made",
            ):
                job()
        assert world(demo_db, TENANT) == before
        assert marks.appeared() == []


# ---------------------------------------------------------------- forged records of safety copies and staging schemas


@pytest.fixture(scope="module")
def forgery_db(
    pg_server: TestServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ConnectionTarget, Path]]:
    """A database with Resguardo's record made (one restore done) and a clean backup of the tenant."""
    db = pg_server.new_database()
    try:
        clean = backup_tenant(db, TENANT, tmp_path_factory.mktemp("forgery") / "clean.resguardo").path
        restore_tenant(db, TENANT, clean)
        yield db, clean
    finally:
        pg_server.drop_database(db)


def _forge(db: ConnectionTarget, kind: str, name: str | None = None, oid_of: str = "mindcare") -> None:
    """As the owner: a row in Resguardo's record naming another clinic (row-level security lets the owner write
    rows for schemas it owns, and it owns every clinic here)."""
    with owner(db).connect() as conn:
        conn.execute(
            "INSERT INTO resguardo.schemas (nspoid, nspname, kind, tenant, owner_oid, created_utc, detail)"
            " SELECT n.oid, coalesce(%s, n.nspname), %s, %s, n.nspowner, '2099-01-01T00:00:00Z', 'forged'"
            " FROM pg_catalog.pg_namespace n WHERE n.nspname = %s",
            [name, kind, TENANT, oid_of],
        )


def _unforge(db: ConnectionTarget) -> None:
    with owner(db).connect() as conn:
        conn.execute("DELETE FROM resguardo.schemas WHERE detail = 'forged'")


FORGERIES = [
    ("comment-marks-mindcare-a-copy", "the comment that once got a clinic dropped (the reproduced disaster)"),
    ("record-marks-mindcare-a-copy", "a row naming mindcare as bienestar's newest safety copy"),
    ("record-marks-mindcare-staging", "a row naming mindcare as a leftover staging schema of bienestar"),
    ("record-lies-about-the-name", "a row with mindcare's oid under a safety copy's name"),
    ("renamed-to-look-like-a-copy", "mindcare renamed to a safety copy's name, with its record"),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("forgery, tries", FORGERIES, ids=[f[0] for f in FORGERIES])
def test_forged_records_never_make_resguardo_touch_another_clinic(
    forgery_db: tuple[ConnectionTarget, Path], role: str, forgery: str, tries: str
) -> None:
    db, clean = forgery_db
    runner = as_role(db, role)
    [(older_copy, _kind)] = resguardo_schemas(db)  # the real one: the fixture's restore's, or the last undo's
    victim = "mindcare"
    if forgery == "comment-marks-mindcare-a-copy":
        with owner(db).connect() as conn:
            conn.execute(
                'COMMENT ON SCHEMA mindcare IS \'resguardo:{"role":"safety-copy","tenant":"bienestar",'
                '"created_utc":"2099-01-01T00:00:00Z"}\''
            )
    elif forgery == "record-marks-mindcare-a-copy":
        _forge(db, "safety-copy")
    elif forgery == "record-marks-mindcare-staging":
        _forge(db, "staging")
    elif forgery == "record-lies-about-the-name":
        _forge(db, "safety-copy", name="rg_safety_20990101000000_bienestar")
    else:  # the owner may rename a schema it owns; the tenants table still names "mindcare"
        victim = "rg_safety_20990101000000_bienestar"
        with owner(db).connect() as conn:
            conn.execute(sql.SQL("ALTER SCHEMA mindcare RENAME TO {}").format(sql.Identifier(victim)))
    before = fingerprint(db, victim)
    try:  # a real safety copy exists already (the fixture's restore): this one drops it, and staging leftovers
        restored = restore_tenant(runner, TENANT, clean)
        assert victim not in restored.dropped_safety_copies + restored.cleaned_leftovers
        assert restored.dropped_safety_copies == [older_copy]  # the real older copy went; the forged one was kept
        assert undo_restore(runner, TENANT).restored_from == restored.safety_copy  # the newest real copy only
        with pytest.raises(ResguardoError, match=f"{victim!r} is not a safety copy made by Resguardo") as refused:
            discard_safety_copy(runner, victim)
        assert refused.value.changed is False
        assert fingerprint(db, victim) == before
    finally:
        _unforge(db)
        with owner(db).connect() as conn:
            conn.execute("COMMENT ON SCHEMA mindcare IS NULL") if victim == "mindcare" else conn.execute(
                sql.SQL("ALTER SCHEMA {} RENAME TO mindcare").format(sql.Identifier(victim))
            )


# ---------------------------------------------------------------- Resguardo's record made or changed by the owner


def _registry(marker: Path, hostile: str) -> list[str]:
    """The owner (it owns the database, so it may create schemas) makes `resguardo.schemas` itself."""
    columns = (
        "nspoid pg_catalog.oid PRIMARY KEY, nspname pg_catalog.name NOT NULL, kind pg_catalog.text NOT NULL,"
        " tenant pg_catalog.text NOT NULL, owner_oid pg_catalog.oid NOT NULL, created_utc pg_catalog.text"
        " NOT NULL, detail pg_catalog.text NOT NULL DEFAULT ''"
    )
    made = [_function("public.h_registry", marker), "CREATE SCHEMA IF NOT EXISTS resguardo"]
    if hostile == "view":
        return [
            *made,
            (
                "CREATE VIEW resguardo.schemas AS SELECT n.oid AS nspoid, n.nspname, 'safety-copy'::text AS kind,"
                " 'bienestar'::text AS tenant, n.nspowner AS owner_oid, '2099'::text AS created_utc,"
                " ''::text AS detail FROM pg_catalog.pg_namespace n WHERE public.h_registry()"
            ),
        ]
    return [
        *made,
        f"CREATE TABLE IF NOT EXISTS resguardo.schemas ({columns})",
        "ALTER TABLE resguardo.schemas ADD CONSTRAINT evil CHECK (public.h_registry())",
    ]


REGISTRY_ATTACKS = [
    ("made-before-the-first-restore-with-a-check", "a CHECK on the record runs when a superuser's restore writes it"),
    ("made-before-the-first-restore-as-a-view", "the record is a view calling the owner's function"),
    (
        "made-by-the-owners-restore-then-altered",
        ("the owner restores first (the record is its own), adds a CHECK, and waits for a superuser's restore"),
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("attack, tries", REGISTRY_ATTACKS, ids=[a[0] for a in REGISTRY_ATTACKS])
def test_a_record_made_by_the_owner_never_runs_its_code_as_the_superuser(
    demo_db: ConnectionTarget, tmp_path: Path, role: str, attack: str, tries: str
) -> None:
    """Every job works: a superuser's first write rebuilds the record as its own (rows kept); the owner's own
    session may use its own record (its code runs with its own rights)."""
    runner = as_role(demo_db, role)
    clean = backup_tenant(demo_db, TENANT, tmp_path / "clean.resguardo").path
    with markers(demo_db) as marks:
        if attack == "made-by-the-owners-restore-then-altered":
            first = restore_tenant(owner(demo_db), TENANT, clean).safety_copy
            with owner(demo_db).connect() as conn:
                conn.execute(_function("public.h_registry", marks.path(attack)))
                conn.execute("ALTER TABLE resguardo.schemas ADD CONSTRAINT evil CHECK (public.h_registry())")
        else:
            first = None
            with owner(demo_db).connect() as conn:
                for statement in _registry(marks.path(attack), "view" if attack.endswith("view") else "check"):
                    conn.execute(statement)
        before = outside(demo_db, TENANT)
        with runner.connect() as conn:
            list_tenants(conn)
        preview_restore(runner, TENANT, clean)
        if role == "owner" and attack.endswith("view"):
            with pytest.raises(
                ResguardoError,
                match=r"Something named resguardo\.schemas that is not a table stands where Resguardo keeps its record",
            ):
                restore_tenant(runner, TENANT, clean)
        else:
            restored = restore_tenant(runner, TENANT, clean)
            assert restored.dropped_safety_copies == ([first] if first else [])  # the rows were kept
            with demo_db.connect() as conn:
                owners = conn.execute(
                    "SELECT pg_get_userbyid(n.nspowner), pg_get_userbyid(c.relowner), c.relkind"
                    " FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid"
                    " AND c.relname = 'schemas' WHERE n.nspname = 'resguardo'"
                ).fetchone()
            assert owners == (("postgres", "postgres", "r") if role == "superuser" else ("clinic_app",) * 2 + ("r",))
            assert undo_restore(runner, TENANT).restored_from == restored.safety_copy
        assert outside(demo_db, TENANT) == before
        assert marks.appeared() == []


@pytest.mark.parametrize("role", ROLES)
def test_a_view_in_place_of_the_migrations_is_never_read(demo_db: ConnectionTarget, tmp_path: Path, role: str) -> None:
    """The preview compares the file's migrations with the live tenant's; a view there would run the owner's code."""
    clean = backup_tenant(demo_db, TENANT, tmp_path / "clean.resguardo").path
    with markers(demo_db) as marks, owner(demo_db).connect() as conn:
        conn.execute(_function("bienestar.h_migrations", marks.path("view")))
        conn.execute("ALTER TABLE bienestar.django_migrations RENAME TO migrations_real")
        conn.execute(
            "CREATE VIEW bienestar.django_migrations AS SELECT * FROM bienestar.migrations_real"
            " WHERE bienestar.h_migrations()"
        )
        conn.commit()
        preview = preview_restore(as_role(demo_db, role), TENANT, clean)
        assert preview.migrations_only_in_file == [] and preview.migrations_only_live == []  # not compared
        assert marks.appeared() == []


# ---------------------------------------------------------------- the user table becomes a view while the restore runs


@pytest.mark.parametrize("role", ROLES)
def test_a_view_swapped_in_for_the_user_table_during_the_restore_never_runs_as_the_superuser(
    demo_db: ConnectionTarget, tmp_path: Path, role: str
) -> None:
    """Just before the swap, the owner renames its user table and puts a view calling its function in its place;
    the swap reads the live administrators again (in the user's own session) to compare them."""
    clean = backup_tenant(demo_db, TENANT, tmp_path / "clean.resguardo").path
    with markers(demo_db) as marks:
        marker = marks.path("view")
        with owner(demo_db).connect() as conn:
            conn.execute(_function("bienestar.h_view", marker))
        swapped = threading.Event()

        def progress(p: Progress) -> None:
            if p.stage.startswith("Putting the restored clinic in place") and not swapped.is_set():
                swapped.set()
                with owner(demo_db).connect() as conn:
                    conn.execute(f"ALTER TABLE {USERS} RENAME TO users_real")
                    conn.execute(f"CREATE VIEW {USERS} AS SELECT * FROM bienestar.users_real WHERE bienestar.h_view()")

        before = outside(demo_db, TENANT)
        with pytest.raises(
            ResguardoError,
            match=f"The table {USERS} changed while Resguardo read it: it is no longer "
            "a table with a boolean is_superuser column.",
        ):
            restore_tenant(as_role(demo_db, role), TENANT, clean, progress=progress)
        assert swapped.is_set()
        assert outside(demo_db, TENANT) == before
        assert marks.appeared() == []


# ---------------------------------------------------------------- a lock held forever


def _hold_lock(db: ConnectionTarget, table: str) -> psycopg.Connection:
    """The owner's session, named like a web application, inside a transaction that wrote to `table`."""
    conn = psycopg.connect(owner(db).conninfo, application_name="clinic-web-hostile")
    conn.execute(sql.SQL("LOCK TABLE {} IN ROW EXCLUSIVE MODE").format(sql.SQL(table)))
    return conn


@pytest.mark.parametrize("role", ROLES)
def test_a_lock_held_forever_makes_each_job_give_up_naming_the_session(
    demo_db: ConnectionTarget, tmp_path: Path, role: str
) -> None:
    runner = as_role(demo_db, role)
    clean = backup_tenant(demo_db, TENANT, tmp_path / "clean.resguardo").path
    copy = restore_tenant(runner, TENANT, clean, locks=SHORT).safety_copy
    assert copy is not None
    jobs: list[tuple[str, str, Callable[[], object]]] = [
        ("The restore", USERS, lambda: restore_tenant(runner, TENANT, clean, locks=SHORT)),
        ("The undo", USERS, lambda: undo_restore(runner, TENANT, locks=SHORT)),
        (
            "Discarding the safety copy",
            f"{copy}.users_customuser",
            lambda: discard_safety_copy(runner, copy, locks=SHORT),
        ),
    ]
    for job, table, action in jobs:
        holder = _hold_lock(demo_db, sql.Identifier(*table.split(".")).as_string(None))
        try:
            before = world(demo_db, TENANT)
            with pytest.raises(ResguardoError) as caught:
                action()
            message = caught.value.message
            pid = holder.info.backend_pid
            assert message.startswith(f"{job} gave up after 2 s: the table "), message
            assert f"was kept locked by session {pid} (clinic-web-hostile, " in message
            assert message.endswith("."), message
            assert caught.value.changed is False
            assert world(demo_db, TENANT) == before
        finally:
            holder.close()

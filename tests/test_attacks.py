"""The attack corpus, native archives (issue 10): crafted statements and crafted archive structure.

Each attack is run by a superuser and by the tenants' owner (the web application's role), through restore,
preview and verify, and must be refused with a sentence that names its cause (or be harmless); afterwards
the server's roles, databases and settings, every other schema, the target tenant (when refused) and the
server's file system (a marker path each attack aims at) are as they were. The hostile-tenant attacks are in
tests/test_attacks_tenant.py; `.sql` and custom-format files in tests/test_sql_gate.py.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from psycopg.conninfo import make_conninfo

from app.engine.archive.container import (
    HEADER_MEMBER,
    MANIFEST_MEMBER,
    PRE_DATA_MEMBER,
    data_member_name,
)
from app.engine.archive.manifest import MAX_TABLES
from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.errors import ResguardoError, said
from app.engine.inspection.verify import verify_file
from app.engine.jobs import CancelToken
from app.engine.restore.discard import discard_safety_copy
from app.engine.restore.preview import _count_within, preview_restore
from app.engine.restore.restore import restore_tenant
from app.engine.restore.undo import undo_restore
from tests.support.attacks import (
    ROLES,
    Markers,
    Member,
    as_role,
    manifest_of,
    markers,
    members,
    outside,
    peak_rss_growth,
    plain,
    repack,
    with_manifest,
    world,
    zstd_huge_window_frame,
    zstd_rle_frame,
)
from tests.support.pg import TestServer, one_value
from tests.support.restore import Blocks, resguardo_schemas, rewrite_archive

pytestmark = pytest.mark.core
TENANT = "bienestar"
INSERT_PUBLIC = (
    "INSERT INTO public.customers_client (schema_name, name, paid_until, on_trial, created_on)"
    " VALUES ('evil', 'Evil', '2030-01-01', false, '2025-01-01')"
)
PROGRAM = "COPY (SELECT 1) TO PROGRAM 'touch {marker}'"


@dataclass(frozen=True)
class Attack:
    name: str
    tries: str  # what the attacker hopes for
    build: Callable[[Path, Path, Path], Path]  # (good archive, where to write, marker) -> the crafted file
    cause: str  # the fragment of the restore's sentence that names the cause
    verify_cause: str | None = None  # verify's, when it differs from the restore's
    at_open: bool = True  # refused when the file is opened (preview refuses too), not while loading
    slow_to_open: bool = False  # seconds to refuse, before any connection: tried once (superuser), no preview

    def __str__(self) -> str:
        return self.name


def statements(pre: Blocks = "", post: Blocks = "") -> Callable[[Path, Path, Path], Path]:
    """An archive with these statements added to its schema parts ({marker} filled in)."""

    def fill(blocks: Blocks, marker: Path) -> Blocks:
        if isinstance(blocks, str):
            return blocks.format(marker=marker)
        return [(label, text.format(marker=marker)) for label, text in blocks]

    return lambda good, dst, marker: rewrite_archive(
        good, dst, pre_extra=fill(pre, marker), post_extra=fill(post, marker)
    )


def crafted_manifest(edit: Callable[[dict[str, Any]], None]) -> Callable[[Path, Path, Path], Path]:
    return lambda good, dst, marker: rewrite_archive(good, dst, manifest=edit)


def crafted_members(edit: Callable[[list[Member]], list[Member]]) -> Callable[[Path, Path, Path], Path]:
    return lambda good, dst, marker: repack(dst, edit(members(good)))


def _refused(kind: str) -> str:
    return f"The file {kind}"


TRANSACTION = _refused("ends or changes the transaction (BEGIN, COMMIT, ROLLBACK, SAVEPOINT...)")
EVIL_FUNCTION = "CREATE FUNCTION evil(integer) RETURNS integer LANGUAGE plpgsql AS $$BEGIN {body} RETURN $1; END$$"

# ---------------------------------------------------------------- crafted statements (refused when opened)

STATEMENTS = [
    Attack(
        "reset-role-program-set-role",
        "leave the owner's rights inside a superuser's session and run a program",
        statements([("table a", "RESET ROLE"), ("table b", PROGRAM), ("table c", "SET ROLE clinic_app")]),
        _refused("resets the session's settings or role (RESET)"),
    ),
    Attack(
        "program-in-post-data",
        "run a program on the server from the last part of the file",
        statements(post=[("index evil", PROGRAM)]),
        _refused("runs an operating-system program (COPY ... PROGRAM)"),
    ),
    Attack(
        "session-authorization",
        "become the superuser",
        statements("SET SESSION AUTHORIZATION postgres"),
        _refused("changes the session's role"),
    ),
    Attack(
        "commit-write-begin",
        "commit a write to public before the proof, then carry on",
        statements([("table a", "COMMIT"), ("table b", INSERT_PUBLIC), ("table c", "BEGIN")]),
        TRANSACTION,
    ),
    Attack(
        "savepoint",
        "hide writes in a sub-transaction the proof might miss",
        statements([("table a", "SAVEPOINT evil"), ("table b", INSERT_PUBLIC), ("table c", "RELEASE evil")]),
        TRANSACTION,
    ),
    Attack(
        "prepare-transaction",
        "detach the transaction from the restore, to commit it later",
        statements("PREPARE TRANSACTION 'evil'"),
        TRANSACTION,
    ),
    Attack(
        "do-block",
        "run code the gate cannot read",
        statements(f"DO $$BEGIN EXECUTE '{PROGRAM.replace(chr(39), chr(39) * 2)}'; END$$"),
        _refused("runs an anonymous code block (DO)"),
    ),
    Attack(
        "call-procedure",
        "run a procedure that may commit",
        statements("CALL public.evil()"),
        _refused("calls a procedure (CALL)"),
    ),
    Attack(
        "create-extension",
        "install file_fdw to read server files",
        statements("CREATE EXTENSION IF NOT EXISTS file_fdw"),
        _refused("changes an extension"),
    ),
    Attack(
        "alter-system",
        "make the server run a program at its next WAL switch",
        statements("ALTER SYSTEM SET archive_command = 'touch {marker}'"),
        _refused("changes the server configuration (ALTER SYSTEM)"),
    ),
    Attack(
        "create-role",
        "make a superuser of its own",
        statements("CREATE ROLE evil SUPERUSER LOGIN"),
        _refused("changes a role"),
    ),
    Attack(
        "alter-role",
        "make the web application's role a superuser",
        statements("ALTER ROLE clinic_app SUPERUSER"),
        _refused("changes a role"),
    ),
    Attack(
        "grant-role",
        "give the web application's role the right to run programs",
        statements("GRANT pg_execute_server_program TO clinic_app"),
        _refused("changes a role's membership"),
    ),
    Attack(
        "create-database",
        "make a database of its own",
        statements("CREATE DATABASE evil"),
        _refused("changes a database"),
    ),
    Attack(
        "load-library",
        "load a server library",
        statements("LOAD 'auto_explain'"),
        _refused("loads a server library (LOAD)"),
    ),
    Attack(
        "advisory-unlock-all",
        "release the tenant's job lock, so a second job runs beside this one",
        statements("SELECT pg_catalog.pg_advisory_unlock_all()"),
        _refused("runs a query (SELECT)"),
    ),
    Attack(
        "terminate-backends",
        "end every other session (the web application's, Resguardo's own)",
        statements("SELECT pg_catalog.pg_terminate_backend(a.pid) FROM pg_catalog.pg_stat_activity a"),
        _refused("runs a query (SELECT)"),
    ),
    Attack(
        "set-config-role",
        "change the role through a function call rather than SET",
        statements("SELECT pg_catalog.set_config('role', 'postgres', false)"),
        _refused("runs a query (SELECT)"),
    ),
    Attack(
        "insert-into-public",
        "add a tenant row to the shared tenants table",
        statements(INSERT_PUBLIC),
        _refused("inserts rows outside the archive's table data"),
    ),
    Attack(
        "update-mindcare",
        "make every account of another clinic an administrator",
        statements("UPDATE mindcare.users_customuser SET is_superuser = true"),
        _refused("changes rows (UPDATE)"),
    ),
    Attack(
        "create-table-in-public",
        "create an object in the shared schema",
        statements("CREATE TABLE public.evil (id integer)"),
        _refused("creates or changes public.evil, outside its own schema"),
    ),
    Attack(
        "create-table-in-mindcare",
        "create an object in another clinic",
        statements("CREATE TABLE mindcare.evil (id integer)"),
        _refused("creates or changes mindcare.evil, outside its own schema"),
    ),
    Attack(
        "drop-mindcare", "drop another clinic", statements("DROP SCHEMA mindcare CASCADE"), _refused("drops objects")
    ),
    Attack(
        "setval-mindcare",
        "move another clinic's sequence",
        statements("SELECT pg_catalog.setval('mindcare.auth_group_id_seq', 999, true)"),
        _refused("sets the sequence mindcare.auth_group_id_seq, outside its own schema"),
    ),
    Attack(
        "view-of-mindcare",
        "expose another clinic's accounts through a view of this one",
        statements("CREATE VIEW peek AS SELECT email FROM mindcare.users_customuser"),
        _refused("names mindcare.users_customuser, outside the tenant"),
    ),
    Attack(
        "copy-server-file",
        "read a server file into a table",
        statements("COPY auth_group FROM '/etc/passwd'"),
        _refused("reads or writes a file on the server (COPY ... FILE)"),
    ),
    Attack(
        "copy-to-server-file",
        "write a server file",
        statements("COPY auth_group TO '{marker}'"),
        _refused("reads or writes a file on the server (COPY ... FILE)"),
    ),
    Attack(
        "check-calls-reset-role",
        "a CHECK validated while loading runs a body that resets the role",
        statements(
            [
                ("function evil", EVIL_FUNCTION.format(body="RESET ROLE;")),
                ("constraint evil", "ALTER TABLE auth_group ADD CONSTRAINT evil CHECK (evil(id) > 0)"),
            ]
        ),
        _refused("creates a function whose body resets the session's settings or role (RESET)"),
    ),
    Attack(
        "default-calls-program",
        "a column DEFAULT filled while loading runs a program",
        statements(
            [
                ("function evil", EVIL_FUNCTION.format(body=f"{PROGRAM};")),
                ("table evil", "CREATE TABLE evil (id integer DEFAULT evil(1))"),
            ]
        ),
        _refused("creates a function whose body runs an operating-system program (COPY ... PROGRAM)"),
    ),
    Attack(
        "trigger-runs-dynamic-sql",
        "a trigger fired by the load runs SQL built at run time",
        statements(
            [
                (
                    "function evil",
                    (
                        "CREATE FUNCTION evil() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN "
                        "EXECUTE 'RESET ROLE'; RETURN NEW; END$$"
                    ),
                ),
                (
                    "trigger evil",
                    ("CREATE TRIGGER evil BEFORE INSERT ON auth_group FOR EACH ROW EXECUTE FUNCTION evil()"),
                ),
            ]
        ),
        _refused("creates a function whose body runs SQL built while it runs (EXECUTE)"),
    ),
    Attack(  # issue 19.5: ts_stat runs the query it is given as text, out of the gate's sight
        "check-runs-query-text-through-ts-stat",
        "a CHECK validated while loading reads server files through a query given as text",
        statements(
            [
                (
                    "function evil",
                    EVIL_FUNCTION.format(
                        body="PERFORM * FROM ts_stat('SELECT to_tsvector(pg_catalog.pg_ls_dir(''/'')::text)');"
                    ),
                ),
                ("constraint evil", "ALTER TABLE auth_group ADD CONSTRAINT evil CHECK (evil(id) > 0)"),
            ]
        ),
        _refused("creates a function whose body calls ts_stat, which reaches outside the tenant"),
    ),
    Attack(
        "view-reads-another-clinic-through-ts-rewrite",
        "a view reads another clinic's table through ts_rewrite's query text",
        statements(
            "CREATE VIEW evil AS SELECT ts_rewrite('x'::tsquery,"
            " 'SELECT ''x''::tsquery, pg_catalog.to_tsquery(email) FROM mindcare.users_customuser')"
        ),
        _refused("calls ts_rewrite, which reaches outside the tenant"),
    ),
    Attack(
        "default-moves-another-clinics-sequence-through-a-cast",
        "a column DEFAULT names another clinic's sequence through a cast to text",
        statements("CREATE TABLE evil (id bigint DEFAULT nextval('\"mindcare\".auth_group_id_seq'::text))"),
        _refused("names mindcare.auth_group_id_seq, outside the tenant"),
    ),
    Attack(
        "default-moves-a-sequence-named-while-it-runs",
        "a column DEFAULT builds another clinic's sequence name while it runs",
        statements("CREATE TABLE evil (id bigint DEFAULT nextval('mind' || 'care.auth_group_id_seq'))"),
        _refused("holds a construct Resguardo cannot check (nextval's object, named by a value computed while"),
    ),
    Attack(
        "function-search-path-in-another-clinic",
        "a trigger's unqualified names resolve in another clinic through its search_path",
        statements(
            "CREATE FUNCTION evil() RETURNS trigger LANGUAGE plpgsql SET search_path = mindcare"
            " AS $$BEGIN DELETE FROM users_customuser; RETURN NEW; END$$"
        ),
        _refused("creates a function whose search_path names mindcare, outside the tenant"),
    ),
    Attack(
        "manifest-search-path-in-another-clinic",
        "the manifest gives a routine a search_path naming another clinic",
        crafted_manifest(
            lambda m: m.__setitem__(
                "search_paths", [{"kind": "function", "name": "x()", "search_path": [None, "mindcare"]}]
            )
        ),
        "The file gives the function x() a search_path naming mindcare, outside the tenant",
    ),
    Attack(
        "function-sets-role",
        "a function that becomes the superuser whenever it is called",
        statements("CREATE FUNCTION evil() RETURNS integer LANGUAGE sql SET role = 'postgres' AS 'SELECT 1'"),
        _refused("creates a function that changes the session's role"),
    ),
    Attack(
        "c-function",
        "load a shared library as a function",
        statements("CREATE FUNCTION evil() RETURNS integer LANGUAGE c AS '/tmp/evil.so', 'evil'"),
        _refused("creates a function in the language c"),
    ),
    Attack(
        "two-statements-one-block",
        "hide a second statement behind the first one's label",
        statements([("table evil", "CREATE TABLE evil (id integer); DROP SCHEMA mindcare CASCADE")]),
        _refused("holds more than one statement where one was expected"),
    ),
    Attack(
        "label-lies",
        "a statement labelled as a grant (which is skipped) that creates in public",
        statements([("grant table auth_group", "CREATE TABLE public.evil (id integer)")]),
        _refused("creates or changes public.evil, outside its own schema"),
    ),
    Attack(
        "temporary-table",
        "a temporary table shadows a table for the rest of the session",
        statements("CREATE TEMP TABLE auth_group (id integer)"),
        _refused("creates a temporary object"),
    ),
    Attack(
        "search-path",
        "put public and another clinic first, then create unqualified names",
        statements([("table a", "SET search_path = public, mindcare"), ("table b", "CREATE TABLE evil (id int)")]),
        _refused("changes the setting search_path"),
    ),
    Attack(
        "comment-forges-a-copy",
        "mark the restored tenant as a safety copy in its comment",
        statements('COMMENT ON SCHEMA bienestar IS \'resguardo:{{"role":"safety-copy","tenant":"mindcare"}}\''),
        _refused("changes the comment of a schema"),
    ),
    Attack(
        "rename-another-schema",
        "rename another clinic to look like a safety copy",
        statements("ALTER SCHEMA mindcare RENAME TO rg_safety_20990101000000_bienestar"),
        _refused("renames an object"),
    ),
]


# ---------------------------------------------------------------- crafted structure and limits


def _twice(m: dict[str, Any]) -> None:
    m["tables"].append(dict(m["tables"][0]))


def _member_named(name: str) -> Callable[[list[Member]], list[Member]]:
    """The first table's data member renamed, and the manifest made to point at the new name."""

    def edit(parts: list[Member]) -> list[Member]:
        old = data_member_name(1)
        renamed = [(plain(name) if i.name == old else i, d) for i, d in parts]
        return with_manifest(renamed, lambda m: m["tables"][0].update(member=name))

    return edit


def _duplicate_manifest(parts: list[Member]) -> list[Member]:
    manifest = next(p for p in parts if p[0].name == MANIFEST_MEMBER)
    return [*parts, (plain(MANIFEST_MEMBER), manifest[1])]


def _symlink(parts: list[Member]) -> list[Member]:
    link = tarfile.TarInfo(data_member_name(1))
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    return [(link, b"") if i.name == link.name else (i, d) for i, d in parts]


def _without_data(parts: list[Member]) -> list[Member]:
    return [(i, d) for i, d in parts if i.name != data_member_name(1)]


def _newer(parts: list[Member]) -> list[Member]:
    header = json.loads(next(d for i, d in parts if i.name == HEADER_MEMBER))
    header["format_version"] += 1
    return [(i, json.dumps(header).encode()) if i.name == HEADER_MEMBER else (i, d) for i, d in parts]


def _not_utf8(parts: list[Member]) -> list[Member]:
    pre = next(d for i, d in parts if i.name == PRE_DATA_MEMBER) + b"-- \xff\xfe\n"
    changed = [(i, pre) if i.name == PRE_DATA_MEMBER else (i, d) for i, d in parts]
    return with_manifest(
        changed, lambda m: m["parts"][PRE_DATA_MEMBER].update(bytes=len(pre), sha256=hashlib.sha256(pre).hexdigest())
    )


def _huge_manifest(parts: list[Member]) -> list[Member]:
    manifest = manifest_of(parts)
    padded = json.dumps(manifest).encode()[:-1] + b" " * (65 << 20) + b"}"
    return [(i, padded) if i.name == MANIFEST_MEMBER else (i, d) for i, d in parts]


def _many_members(good: Path, dst: Path, marker: Path) -> Path:
    return repack(dst, members(good), filler=MAX_TABLES + 10)


STRUCTURE = [
    Attack(
        "table-listed-twice",
        "load a table twice (once hung a restore forever)",
        crafted_manifest(_twice),
        "its manifest lists the table 'appointments_appointment' twice",
    ),
    Attack(
        "data-member-dot-dot",
        "a data part named ../x, to be written outside a folder",
        crafted_members(_member_named("../x")),
        "its manifest names an unexpected data part for table",
    ),
    Attack(
        "data-member-is-the-manifest",
        "the manifest read as a table's rows",
        crafted_manifest(lambda m: m["tables"][0].update(member=MANIFEST_MEMBER)),
        "its manifest names an unexpected data part for table",
    ),
    Attack(
        "two-manifests",
        "a second manifest that another reader would take",
        crafted_members(_duplicate_manifest),
        "is not a plain file, or appears twice",
    ),
    Attack(
        "symlink-member",
        "a table's rows read from /etc/passwd through a link",
        crafted_members(_symlink),
        "is not a plain file, or appears twice",
    ),
    Attack(
        "missing-data-member",
        "a table whose rows are not in the file",
        crafted_members(_without_data),
        "the rows of table appointments_appointment are missing or of the wrong size",
    ),
    Attack(
        "newer-format",
        "a format this Resguardo does not know, read as if it did",
        crafted_members(_newer),
        "uses archive format version 3; this Resguardo reads up to version 2",
    ),
    Attack(
        "schema-not-utf8",
        "schema text that decodes differently than it was checked",
        crafted_members(_not_utf8),
        "schema/pre-data.sql is not text",
    ),
    Attack(
        "huge-manifest",
        "a 65 MiB manifest read whole into memory",
        crafted_members(_huge_manifest),
        "its part manifest.json is larger than 64 MiB",
    ),
    Attack(
        "too-many-members",
        "millions of tar members, each kept in memory",
        _many_members,
        "it holds too many parts",
        slow_to_open=True,
    ),
    Attack(
        "row-count-not-a-number",
        "a manifest value that is not what it claims",
        crafted_manifest(lambda m: m["tables"][0].update(rows=-1)),
        "its manifest has no valid row count of table appointments_appointment",
    ),
]

# ---------------------------------------------------------------- refused while loading


def _declares(rows: int | None = None, size: int | None = None) -> Callable[[dict[str, Any]], None]:
    """The first table's manifest entry made to declare these rows or bytes (the data holds more)."""

    def edit(m: dict[str, Any]) -> None:
        entry = m["tables"][0]
        entry["rows"] = entry["rows"] - 1 if rows is None else rows
        if size is not None:
            entry["bytes"] = size

    return edit


def _longer_rows(good: Path, dst: Path, marker: Path) -> Path:
    """64 MiB of valid rows after the real ones, with the manifest declaring the real size."""
    sizes: dict[str, int] = {}

    def data(name: str, raw: bytes) -> bytes | Iterator[bytes]:
        sizes[name] = len(raw)
        if name != "appointments_appointment":
            return raw
        row = raw.split(b"\n")[0]
        first = int(row.split(b"\t")[0])
        block = b"".join(b"%d" % (first + 10_000_000 + n) + row[row.index(b"\t") :] + b"\n" for n in range(4096))
        return iter([raw, *[block] * max(1, (64 << 20) // len(block))])

    return rewrite_archive(
        good,
        dst,
        table_data=data,
        manifest=lambda m: _declares(rows=m["tables"][0]["rows"], size=sizes["appointments_appointment"])(m),
    )


def _bomb(byte: bytes, size: int) -> Callable[[Path, Path, Path], Path]:
    """The first table's data replaced by a few KiB of zstd that expand to `size` bytes; the manifest
    declares the original rows and bytes."""

    def build(good: Path, dst: Path, marker: Path) -> Path:
        frame = zstd_rle_frame(byte, size)
        member = data_member_name(1)
        parts = [(i, frame) if i.name == member else (i, d) for i, d in members(good)]
        return repack(
            dst,
            with_manifest(
                parts,
                lambda m: m["tables"][0].update(
                    stored_bytes=len(frame), stored_sha256=hashlib.sha256(frame).hexdigest()
                ),
            ),
        )

    return build


def _huge_window(good: Path, dst: Path, marker: Path) -> Path:
    frame = zstd_huge_window_frame()
    member = data_member_name(1)
    parts = [(i, frame) if i.name == member else (i, d) for i, d in members(good)]
    return repack(
        dst,
        with_manifest(
            parts,
            lambda m: m["tables"][0].update(stored_bytes=len(frame), stored_sha256=hashlib.sha256(frame).hexdigest()),
        ),
    )


LOADING = [
    Attack(
        "rows-over-count",
        "one row more than the manifest declares",
        lambda good, dst, marker: rewrite_archive(good, dst, manifest=_declares()),
        "table appointments_appointment holds more rows than its manifest says",
        verify_cause="table appointments_appointment holds more rows than its manifest says",  # one reader, one answer
        at_open=False,
    ),
    Attack(
        "rows-longer-than-declared",
        "64 MiB of rows where the manifest declares a few KiB",
        _longer_rows,
        "table appointments_appointment holds more rows than its manifest says",
        verify_cause="table appointments_appointment holds more rows than its manifest says",  # one reader, one answer
        at_open=False,
    ),
    Attack(
        "zstd-bomb",
        "4 GiB of rows in a 128 KiB part, the manifest declaring a few KiB",
        _bomb(b"x", 4 << 30),
        "table appointments_appointment holds more rows than its manifest says",
        verify_cause="table appointments_appointment holds more rows than its manifest says",  # one reader, one answer
        at_open=False,
    ),
    Attack(
        "zstd-bomb-of-newlines",
        "4 GiB of empty rows in a 128 KiB part",
        _bomb(b"\n", 4 << 30),
        "table appointments_appointment holds more rows than its manifest says",
        verify_cause="table appointments_appointment holds more rows than its manifest says",  # one reader, one answer
        at_open=False,
    ),
    Attack(
        "zstd-huge-window",
        "a frame that asks the decoder for a 2 GiB window",
        _huge_window,
        "the rows of table appointments_appointment cannot be decompressed",
        verify_cause="the rows of table appointments_appointment cannot be decompressed",  # one reader, one answer
        at_open=False,
    ),
    Attack(
        "manifest-table-of-mindcare",
        "the manifest sends rows to another clinic's table",
        crafted_manifest(lambda m: m["tables"][0].update(name="mindcare.users_customuser")),
        "The rows of table mindcare.users_customuser could not be loaded",
        verify_cause=None,
        at_open=False,
    ),
    Attack(
        "manifest-column-injection",
        "a column name that closes the COPY and runs a program",
        crafted_manifest(
            lambda m: m["tables"][0]["columns"].__setitem__(
                0, {"name": "id) TO PROGRAM 'touch /tmp/x' --", "type": "bigint"}
            )
        ),
        "The rows of table appointments_appointment could not be loaded",
        verify_cause=None,
        at_open=False,
    ),
    Attack(
        "manifest-sequence-of-mindcare",
        "the manifest sets another clinic's sequence",
        crafted_manifest(
            lambda m: m["sequences"].append(
                {"name": "mindcare.auth_group_id_seq", "last_value": 999, "is_called": True}
            )
        ),
        "does not exist",
        verify_cause=None,
        at_open=False,
    ),
]


@pytest.fixture(scope="module")
def db(pg_server: TestServer) -> Iterator[ConnectionTarget]:
    """One database for the module's attacks: refused attacks change nothing, harmless ones are undone."""
    target = pg_server.new_database()
    yield target
    pg_server.drop_database(target)


@pytest.fixture(scope="module")
def good(db: ConnectionTarget, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return backup_tenant(db, TENANT, tmp_path_factory.mktemp("good") / "good.resguardo").path


@pytest.fixture(scope="module")
def marks(db: ConnectionTarget) -> Iterator[Markers]:
    with markers(db) as found:
        yield found


@pytest.fixture(scope="module")
def baseline(db: ConnectionTarget, good: Path) -> dict[str, Any]:
    return world(db, TENANT)


@pytest.fixture(scope="module")
def craft(good: Path, marks: Markers, tmp_path_factory: pytest.TempPathFactory) -> Callable[[Attack], Path]:
    """Each attack's file, made once for both roles."""
    folder = tmp_path_factory.mktemp("crafted")
    made: dict[str, Path] = {}

    def get(attack: Attack) -> Path:
        if attack.name not in made:
            made[attack.name] = attack.build(good, folder / f"{attack.name}.resguardo", marks.path(attack.name))
        return made[attack.name]

    return get


@pytest.fixture(params=ROLES)
def role(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _message(action: Callable[[], object]) -> str:
    """What the user reads of the refusal (the CLI's line, the window's sentence)."""
    with pytest.raises(ResguardoError) as caught:
        action()
    return said(caught.value)


@pytest.mark.parametrize("attack", STATEMENTS + STRUCTURE + LOADING, ids=str)
def test_a_crafted_archive_is_refused_naming_the_cause_and_changes_nothing(
    db: ConnectionTarget,
    role: str,
    attack: Attack,
    craft: Callable[[Attack], Path],
    marks: Markers,
    baseline: dict[str, Any],
) -> None:
    if attack.slow_to_open and role == "owner":
        pytest.skip("refused while reading the table of contents, before any connection: the same for every role")
    path = craft(attack)
    runner = as_role(db, role)
    message = _message(lambda: restore_tenant(runner, TENANT, path))
    assert attack.cause in message, message
    assert message.endswith(" Nothing was changed."), message
    if attack.at_open and not attack.slow_to_open:  # nothing of the file ran: the preview refuses it alike
        assert _message(lambda: preview_restore(runner, TENANT, path)) == message
    if role == "superuser":  # verify needs no database: once is enough
        if attack.verify_cause is None and not attack.at_open:
            verify_file(path)  # a well-formed file whose names do not fit this database: only a restore can tell
        else:
            verified = _message(lambda: verify_file(path))
            assert (attack.verify_cause or attack.cause) in verified, verified
    assert world(db, TENANT) == baseline
    assert marks.appeared() == []


@pytest.mark.parametrize("attack", [a for a in LOADING if a.name.startswith(("rows-longer", "zstd-bomb"))], ids=str)
def test_rows_beyond_the_manifest_are_stopped_with_flat_memory(
    db: ConnectionTarget, attack: Attack, craft: Callable[[Attack], Path]
) -> None:
    """Decompression stops at the first MiB past what the manifest declares, in restore and in verify."""
    path = craft(attack)
    limit = 48 << 20  # the data expands to 64 MiB (and 4 GiB): a reader that kept it would pass this
    assert peak_rss_growth(lambda: _message(lambda: restore_tenant(db, TENANT, path))) < limit
    assert peak_rss_growth(lambda: _message(lambda: verify_file(path))) < limit


# ---------------------------------------------------------------- harmless: the restore runs, nothing else changes


def _definer_owned_by_superuser() -> Blocks:
    return [
        (
            "function evil_definer",
            ("CREATE FUNCTION evil_definer() RETURNS integer LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'"),
        ),
        ("owner function evil_definer()", "ALTER FUNCTION evil_definer() OWNER TO postgres"),
    ]


def _superuser_owns_everything(m: dict[str, Any]) -> None:
    for entry in m["privileges"]:
        entry["owner"] = "postgres"


def _extra_member(name: str) -> Callable[[Path, Path, Path], Path]:
    return crafted_members(lambda parts: [*parts[:-1], (plain(name), b"evil\n"), parts[-1]])


HARMLESS = [
    Attack(
        "label-hides-do",
        "a DO block labelled as default privileges (which are skipped, never run)",
        statements(
            [
                (
                    "default-privileges clinic_app tables",
                    (f"DO $$BEGIN EXECUTE '{PROGRAM.replace(chr(39), chr(39) * 2)}'; END$$"),
                )
            ]
        ),
        "restored",
    ),
    Attack(
        "owner-to-superuser",
        "a SECURITY DEFINER function handed to the superuser by the file",
        statements(_definer_owned_by_superuser()),
        "evil_definer owned by clinic_app",
    ),
    Attack(
        "grant-to-public",
        "the file grants every right on a table to everyone",
        statements([("grant table auth_group", "GRANT ALL ON TABLE auth_group TO PUBLIC")]),
        "grants kept",
    ),
    Attack(
        "manifest-owner-superuser",
        "the manifest says the tenant's objects belong to the superuser",
        crafted_manifest(_superuser_owns_everything),
        "owners kept",
    ),
    Attack(
        "extra-member-dot-dot",
        "a tar member ../../x that an extracting reader would write outside",
        _extra_member("../../rg-attack-escape"),
        "nothing extracted",
    ),
]


@pytest.mark.parametrize("attack", HARMLESS, ids=str)
def test_a_crafted_archive_that_restores_does_no_harm(
    db: ConnectionTarget,
    role: str,
    attack: Attack,
    craft: Callable[[Attack], Path],
    marks: Markers,
    baseline: dict[str, Any],
    tmp_path: Path,
) -> None:
    path = craft(attack)
    runner = as_role(db, role)
    result = restore_tenant(runner, TENANT, path)
    try:
        assert outside(db, TENANT) == {k: baseline[k] for k in outside(db, TENANT)}
        assert marks.appeared() == []
        with db.connect() as conn:
            owners = conn.execute(
                "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c WHERE c.relnamespace = %s::regnamespace"
                " UNION SELECT DISTINCT pg_get_userbyid(p.proowner) FROM pg_proc p WHERE p.pronamespace ="
                " %s::regnamespace",
                [TENANT, TENANT],
            ).fetchall()
        assert owners == [("clinic_app",)]  # never the superuser the file or its manifest named
        if attack.name == "extra-member-dot-dot":
            assert not (path.parent.parent / "rg-attack-escape").exists()
            assert "holds an unexpected part ../../rg-attack-escape" in _message(lambda: verify_file(path))
        if attack.name != "owner-to-superuser":  # the file is the backup plus statements that were skipped
            assert world(db, TENANT)["tenant"] == baseline["tenant"]
    finally:
        assert result.safety_copy is not None
        undo_restore(runner, TENANT, expected_copy=result.safety_copy)
        discard_safety_copy(runner, undo_aside(db))
    assert world(db, TENANT) == baseline


def undo_aside(db: ConnectionTarget) -> str:
    """The one safety copy left (the restored state the undo put aside)."""
    ((name, kind),) = resguardo_schemas(db)
    assert kind == "safety-copy"
    return name


# The file's own `<>(oid, regrole)` and `pg_identify_object(regclass, oid, integer)`, exact matches for the
# arguments of the query that gives operator classes to the clinic's owner: while that query ran with the
# staging schema on the path, PostgreSQL chose them over the built-ins, in the superuser's session.
OPERATOR_CLASS_HIJACK = [
    (
        "function hijack_ne",
        "CREATE FUNCTION hijack_ne(a oid, b regrole) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$BEGIN"
        " IF pg_catalog.current_setting('is_superuser') = 'on' THEN"
        " RAISE EXCEPTION 'the file''s operator ran with a superuser''s rights'; END IF;"
        " RETURN a OPERATOR(pg_catalog.<>) b::pg_catalog.oid; END$$;",
    ),
    ("operator <>", "CREATE OPERATOR <> (LEFTARG = oid, RIGHTARG = regrole, FUNCTION = hijack_ne);"),
    (
        "function pg_identify_object",
        "CREATE FUNCTION pg_identify_object(c regclass, o oid, s integer, OUT type text, OUT schema text,"
        " OUT name text, OUT identity text) LANGUAGE plpgsql AS $$BEGIN"
        " IF pg_catalog.current_setting('is_superuser') = 'on' THEN"
        " RAISE EXCEPTION 'the file''s function ran with a superuser''s rights'; END IF; END$$;",
    ),
    (
        "function abs_eq",
        "CREATE FUNCTION abs_eq(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE"
        " AS 'SELECT pg_catalog.abs($1) OPERATOR(pg_catalog.=) pg_catalog.abs($2)';",
    ),
    ("operator ===", "CREATE OPERATOR === (LEFTARG = integer, RIGHTARG = integer, FUNCTION = abs_eq);"),
    (
        "function abs_hash",
        "CREATE FUNCTION abs_hash(integer) RETURNS integer LANGUAGE sql IMMUTABLE"
        " AS 'SELECT pg_catalog.hashint4(pg_catalog.abs($1))';",
    ),
    (
        "operator class abs_int4_ops",
        "CREATE OPERATOR CLASS abs_int4_ops FOR TYPE integer USING hash AS"
        " OPERATOR 1 === (integer, integer), FUNCTION 1 abs_hash(integer);",
    ),
]


def test_the_files_operators_never_serve_resguardos_own_queries_as_the_superuser(
    demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    good = backup_tenant(demo_db, "bienestar", tmp_path / "good.resguardo").path
    hostile = rewrite_archive(good, tmp_path / "hostile.resguardo", pre_extra=OPERATOR_CLASS_HIJACK)
    result = restore_tenant(demo_db, "bienestar", hostile)  # the operator class needs a superuser's session
    assert result.safety_copy is not None
    with demo_db.connect() as conn:
        owner = conn.execute(
            "SELECT opcowner::regrole::text FROM pg_opclass WHERE opcname = 'abs_int4_ops'"
            " AND opcnamespace = 'bienestar'::regnamespace"
        ).fetchone()
    assert owner == ("clinic_app",)  # given to the clinic's owner by the query the file tried to hijack


def test_a_default_operator_class_is_refused_before_anything_runs(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    """A DEFAULT operator class is found from every schema: sorting or grouping a built-in type anywhere in the
    database would run the clinic's functions with the rights of whoever queries."""
    good = backup_tenant(demo_db, "bienestar", tmp_path / "good.resguardo").path
    statements = [*OPERATOR_CLASS_HIJACK[3:6]]
    statements.append(
        (
            "operator class abs_int4_ops",
            "CREATE OPERATOR CLASS abs_int4_ops DEFAULT FOR TYPE integer USING hash AS"
            " OPERATOR 1 === (integer, integer), FUNCTION 1 abs_hash(integer);",
        )
    )
    hostile = rewrite_archive(good, tmp_path / "hostile.resguardo", pre_extra=statements)
    for attempt in (lambda: verify_file(hostile), lambda: restore_tenant(demo_db, "bienestar", hostile)):
        with pytest.raises(ResguardoError, match="creates a DEFAULT operator class, which queries outside"):
            attempt()
    with demo_db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM pg_opclass WHERE opcname = 'abs_int4_ops'").fetchone() == (0,)


def test_a_view_put_where_the_preview_counts_a_table_is_never_read(demo_db: ConnectionTarget) -> None:
    """Between listing the clinic's tables and counting one, its owner may swap the table for a view of its own
    functions; the superuser's count locks the table first and reads only a table."""
    with ConnectionTarget(make_conninfo(demo_db.conninfo, user="clinic_app")).connect() as owner:
        owner.execute(
            "CREATE FUNCTION bienestar.spy() RETURNS integer LANGUAGE plpgsql AS $$BEGIN"
            " IF pg_catalog.current_setting('is_superuser') = 'on' THEN"
            " RAISE EXCEPTION 'the owner''s view ran with a superuser''s rights'; END IF; RETURN 1; END$$"
        )
        owner.execute("CREATE VIEW bienestar.chat_swapped AS SELECT bienestar.spy() AS x")
        owner.commit()
    with demo_db.connect() as conn:
        assert _count_within(conn, "bienestar", "chat_swapped", 5.0, CancelToken()) is None  # not read: no count
        assert _count_within(conn, "bienestar", "chat_chatmessage", 5.0, CancelToken()) == one_value(
            conn, "SELECT count(*) FROM bienestar.chat_chatmessage"
        )

"""Native backup of one tenant: exact data, replayable DDL, one snapshot, clean failures."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from app.engine.archive.container import ArchiveReader, iter_chunks
from app.engine.backup.native import backup_tenant
from app.engine.catalog.schema_ddl_relations import TableCopy
from app.engine.connection import ConnectionTarget
from app.engine.errors import (
    ArchiveError,
    Cancelled,
    ConnectionFailed,
    PreflightError,
    TenantBusy,
    UsageError,
)
from app.engine.jobs import CancelToken, Progress
from app.engine.safety.locks import tenant_lock
from tests.support import REPO
from tests.support.cli import run_cli
from tests.support.schema import ODD_SCHEMA, catalog_facts, make_odd_tenant, replay

pytestmark = pytest.mark.core


def server_copy_text(conn: psycopg.Connection, schema: str, table: str, columns: list[str]) -> bytes:
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    out = bytearray()
    with conn.cursor().copy(sql.SQL("COPY {} ({}) TO STDOUT").format(sql.Identifier(schema, table), cols)) as copy:
        for block in copy:
            out += block
    return bytes(out)


def archive_table_text(reader: ArchiveReader, member: str) -> bytes:
    with reader.open_table_data(member) as data:
        return b"".join(iter_chunks(data))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_every_demo_table_round_trips_exactly_and_replays_elsewhere(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    seen: list[Progress] = []
    result = backup_tenant(demo_db, "bienestar", tmp_path / "b.resguardo", progress=seen.append)
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
    assert leftovers(tmp_path) == ["b.resguardo"]
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and fractions.count(1.0) == 1
    assert any(p.detail == "users_customuser" for p in seen)
    with ArchiveReader(result.path) as reader, demo_db.connect() as conn:
        m = reader.raw_manifest
        assert (m["source_schema"], m["schema_owner"], m["format_version"]) == ("bienestar", "clinic_app", 2)
        assert m["tenant"]["row"]["schema_name"] == "bienestar"
        assert m["tenant"]["domains"][0]["domain"] == "bienestar.localhost"
        assert m["migrations"][0] == ["contenttypes", "0001_initial"] and len(m["migrations"]) == 30
        assert m["server_version_num"] == conn.info.server_version
        names = [
            r[0]
            for r in conn.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = 'bienestar'::regnamespace AND relkind = 'r'"
            )
        ]
        assert sorted(t["name"] for t in m["tables"]) == sorted(names)
        for t in m["tables"]:
            text = archive_table_text(reader, t["member"])
            assert text == server_copy_text(conn, "bienestar", t["name"], [c["name"] for c in t["columns"]])
            assert t["rows"] == text.count(b"\n") and t["bytes"] == len(text)
        assert m["totals"]["rows"] == result.rows == sum(t["rows"] for t in m["tables"])
        users = next(t for t in m["tables"] if t["name"] == "users_customuser")
        assert {"name": "email", "type": "public.citext"} in users["columns"]

        # Replay into a schema of another name: same catalog facts, same rows.
        def load() -> None:
            for t in m["tables"]:
                cols = sql.SQL(", ").join(sql.Identifier(c["name"]) for c in t["columns"])
                with conn.cursor().copy(
                    sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(t["name"]), cols)
                ) as copy:
                    copy.write(archive_table_text(reader, t["member"]))

        replay(
            conn,
            reader.read_text("schema/pre-data.sql"),
            reader.read_text("schema/post-data.sql"),
            "restored",
            load,
            role="clinic_app",
        )
        assert catalog_facts(conn, "restored") == catalog_facts(conn, "bienestar")
        for t in m["tables"]:
            cols = [c["name"] for c in t["columns"]]
            assert server_copy_text(conn, "restored", t["name"], cols) == server_copy_text(
                conn, "bienestar", t["name"], cols
            )
        nextval = conn.execute("SELECT nextval(pg_get_serial_sequence('restored.users_customuser', 'id'))")
        assert nextval.fetchone() == (10,)  # 9 demo users: the identity continues where the source was
        conn.rollback()


def test_odd_tenant_backs_up_and_the_cli_prints_what_it_wrote(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    make_odd_tenant(demo_db)
    result = run_cli("backup", "--dsn", demo_db.conninfo, "--tenant", ODD_SCHEMA, "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    [written] = list(tmp_path.iterdir())
    assert written.name.startswith("x___drop_schema_public__--.") and written.suffix == ".resguardo"
    assert str(written) in result.stdout and "3 rows in 2 tables" in result.stdout
    with ArchiveReader(written) as reader, demo_db.connect() as conn:
        for t in reader.raw_manifest["tables"]:
            cols = [c["name"] for c in t["columns"]]
            assert archive_table_text(reader, t["member"]) == server_copy_text(conn, ODD_SCHEMA, t["name"], cols)
        assert ODD_SCHEMA not in reader.read_text("schema/pre-data.sql") + reader.read_text("schema/post-data.sql")


def test_rows_committed_during_the_backup_are_all_in_or_all_out(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    with demo_db.connect() as conn:
        conn.execute("CREATE TABLE bienestar.ledger_a (id bigserial PRIMARY KEY, pair bigint NOT NULL)")
        conn.execute("CREATE TABLE bienestar.ledger_b (id bigserial PRIMARY KEY, pair bigint NOT NULL)")
    stop = threading.Event()
    committed = threading.Semaphore(0)

    def insert_pair(conn: psycopg.Connection, n: int) -> None:
        with conn.transaction():
            conn.execute("INSERT INTO bienestar.ledger_a (pair) VALUES (%s)", [n])
            conn.execute("INSERT INTO bienestar.ledger_b (pair) VALUES (%s)", [n])

    def keep_inserting() -> None:
        with demo_db.connect(autocommit=True) as conn:
            n = 0
            while not stop.is_set():
                n += 1
                insert_pair(conn, n)
                committed.release()

    inserted_between = threading.Event()

    def between_tables(p: Progress) -> None:
        if p.detail == "ledger_b" and not inserted_between.is_set():
            inserted_between.set()
            with demo_db.connect(autocommit=True) as conn:  # committed after ledger_a was read
                insert_pair(conn, -1)

    worker = threading.Thread(target=keep_inserting)
    worker.start()
    try:
        for _ in range(20):
            committed.acquire()  # the inserter is running before the backup starts
        result = backup_tenant(demo_db, "bienestar", tmp_path / "c.resguardo", progress=between_tables)
    finally:
        stop.set()
        worker.join()
    with ArchiveReader(result.path) as reader:
        tables = {t["name"]: t for t in reader.raw_manifest["tables"]}
        pairs = {
            name: sorted(
                int(line.split(b"\t")[1]) for line in archive_table_text(reader, tables[name]["member"]).splitlines()
            )
            for name in ("ledger_a", "ledger_b")
        }
    assert len(pairs["ledger_a"]) >= 20
    assert pairs["ledger_a"] == pairs["ledger_b"]
    assert -1 not in pairs["ledger_a"]


def _big_table(target: ConnectionTarget, schema: str = "bienestar") -> None:
    """About 3 MB of COPY text that does not compress: several chunks of the copy loop."""
    with target.connect() as conn:
        conn.execute(
            sql.SQL(
                "CREATE TABLE {}.blob AS SELECT g AS id, repeat(md5(g::text), 8) AS noise"
                " FROM generate_series(1, 12000) g"
            ).format(sql.Identifier(schema))
        )


def test_cancel_mid_table_leaves_no_file_and_frees_the_tenant(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    _big_table(demo_db)
    token = CancelToken()

    def cancel_in_blob(p: Progress) -> None:
        if p.detail == "blob" and p.fraction > 0.02:
            token.cancel()

    with pytest.raises(Cancelled):
        backup_tenant(demo_db, "bienestar", tmp_path / "x.resguardo", progress=cancel_in_blob, cancel=token)
    assert leftovers(tmp_path) == []
    assert backup_tenant(demo_db, "bienestar", tmp_path / "y.resguardo").tables == 16


def test_server_gone_mid_backup_is_one_clear_error_and_no_file(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    def kill_backend(p: Progress) -> None:
        if p.detail == "chat_chatmessage":
            with demo_db.connect(autocommit=True) as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = 'resguardo' AND pid <> pg_backend_pid()"
                    " AND datname = current_database()"
                )

    with pytest.raises(ConnectionFailed, match="connection to the server was lost during the backup"):
        backup_tenant(demo_db, "bienestar", tmp_path / "g.resguardo", progress=kill_backend)
    assert leftovers(tmp_path) == []


def test_disk_full_is_one_clear_error_and_no_file(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    _big_table(demo_db)
    code = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from app.engine.backup.native import backup_tenant\n"
        "from app.engine.connection import ConnectionTarget\n"
        "from app.engine.errors import ResguardoError\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))\n"
        "try:\n"
        "    backup_tenant(ConnectionTarget(sys.argv[1]), 'bienestar', Path(sys.argv[2]))\n"
        "except ResguardoError as exc:\n"
        "    print(exc.message)\n"
        "    sys.exit(1)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, demo_db.conninfo, str(tmp_path / "full.resguardo")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,  # the exit status is asserted below, with the child's stderr in the message
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("The disk is full") and done.stdout.count("\n") == 1
    assert leftovers(tmp_path) == []


def test_a_second_job_on_the_same_tenant_is_refused(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    with demo_db.connect() as other, tenant_lock(other, "bienestar"):
        with pytest.raises(TenantBusy, match="'bienestar' is busy"):
            backup_tenant(demo_db, "bienestar", tmp_path / "busy.resguardo")
        assert backup_tenant(demo_db, "mindcare", tmp_path / "other.resguardo").tables == 15
    assert leftovers(tmp_path) == ["other.resguardo"]


def test_bad_input_gets_one_clear_line_and_writes_nothing(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    out = tmp_path / "t.resguardo"
    with pytest.raises(PreflightError, match="Unknown tenant 'nadie'"):
        backup_tenant(demo_db, "nadie", out)
    with demo_db.connect() as conn:
        conn.execute(
            "INSERT INTO public.customers_client (schema_name, name, paid_until, on_trial, created_on)"
            " VALUES ('ghost', 'Ghost', now(), false, now())"
        )
        conn.execute("CREATE ROLE limited LOGIN")
        conn.execute("GRANT USAGE ON SCHEMA bienestar TO limited")
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO limited")
    with pytest.raises(PreflightError, match=r"'ghost' has a row in public\.customers_client, but its schema does not"):
        backup_tenant(demo_db, "ghost", out)
    with pytest.raises(UsageError, match="'public' is not a tenant schema"):
        backup_tenant(demo_db, "public", out)
    limited = ConnectionTarget(make_conninfo(demo_db.conninfo, user="limited"))
    with pytest.raises(PreflightError, match=r"'limited' has no privilege to read bienestar\.appointments_appointment"):
        backup_tenant(limited, "bienestar", out)
    with pytest.raises(PreflightError, match=r"The folder .*missing does not exist"):
        backup_tenant(demo_db, "bienestar", tmp_path / "missing" / "t.resguardo")
    if os.geteuid() == 0:
        unwritable = Path("/sys")  # not writable even for root
    else:
        unwritable = tmp_path / "ro"
        unwritable.mkdir(mode=0o500)
    # Root may write anywhere by the permission bits (so the check up front passes) but not in /sys: the
    # archive's own write says it then.
    with pytest.raises(ArchiveError if os.geteuid() == 0 else PreflightError) as caught:
        backup_tenant(demo_db, "bienestar", unwritable / "t.resguardo")
    assert caught.value.message == f"Cannot write in the folder {unwritable}: permission denied."
    assert leftovers(tmp_path) == ([] if os.geteuid() == 0 else ["ro"])
    with demo_db.connect() as conn:
        conn.execute("DROP OWNED BY limited")
        conn.execute("DROP ROLE limited")


def test_cli_reports_errors_on_one_line(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    result = run_cli("backup", "--dsn", demo_db.conninfo, "--tenant", "nadie", "--out", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "Unknown tenant 'nadie'" in result.stderr
    assert leftovers(tmp_path) == []


# A hostile tenant's owner (an SQL injection in one clinic's web application) plants code that would run
# with the rights of whoever backs the clinic up, if the backup ever let PostgreSQL pick it: operators for
# the comparisons a catalog query makes, functions for the calls a deparser query makes, and code behind a
# trigger, a CHECK, a domain, a policy, a view, a default and an index. Each writes a row into a table only
# a superuser owns, so a backup that ran any of it fails (its transaction is read-only) or leaves a row. Bodies
# name the schema's own functions through their search_path, as a backup that can be restored needs them to.
HOSTILE_TENANT = r"""
CREATE FUNCTION bienestar.hostile() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN INSERT INTO public.rg_marker VALUES (current_user, 'hostile code ran'); RETURN true; END $$;
CREATE FUNCTION bienestar.hostile_int(integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE
SET search_path = bienestar AS $$
BEGIN PERFORM hostile(); RETURN $1; END $$;
CREATE FUNCTION bienestar.eq_oid_int(oid, integer) RETURNS boolean LANGUAGE plpgsql SET search_path = bienestar AS $$
BEGIN PERFORM hostile(); RETURN $1 = $2::oid; END $$;
CREATE FUNCTION bienestar.eq_oid_bigint(oid, bigint) RETURNS boolean LANGUAGE plpgsql SET search_path = bienestar AS $$
BEGIN PERFORM hostile(); RETURN $1 = $2::oid; END $$;
CREATE FUNCTION bienestar.eq_name_text(name, text) RETURNS boolean LANGUAGE plpgsql SET search_path = bienestar AS $$
BEGIN PERFORM hostile(); RETURN $1::text = $2; END $$;
CREATE FUNCTION bienestar.cat(text, text) RETURNS text LANGUAGE plpgsql SET search_path = bienestar AS $$
BEGIN PERFORM hostile(); RETURN $1 || $2; END $$;
CREATE OPERATOR bienestar.= (LEFTARG = oid, RIGHTARG = integer, FUNCTION = bienestar.eq_oid_int);
CREATE OPERATOR bienestar.= (LEFTARG = oid, RIGHTARG = bigint, FUNCTION = bienestar.eq_oid_bigint);
CREATE OPERATOR bienestar.= (LEFTARG = name, RIGHTARG = text, FUNCTION = bienestar.eq_name_text);
CREATE OPERATOR bienestar.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = bienestar.cat);
CREATE FUNCTION bienestar.unnest(oid[]) RETURNS SETOF oid LANGUAGE plpgsql SET search_path = bienestar AS $$
BEGIN PERFORM hostile(); RETURN QUERY SELECT pg_catalog.unnest($1); END $$;
CREATE FUNCTION bienestar.quote_ident(name) RETURNS text LANGUAGE plpgsql SET search_path = bienestar AS $$
BEGIN PERFORM hostile(); RETURN pg_catalog.quote_ident($1::text); END $$;
CREATE FUNCTION bienestar.set_config(text, text, boolean) RETURNS text LANGUAGE plpgsql
SET search_path = bienestar AS $$
BEGIN PERFORM hostile(); RETURN $2; END $$;
CREATE FUNCTION bienestar.touch() RETURNS trigger LANGUAGE plpgsql SET search_path = bienestar AS $$
BEGIN PERFORM hostile(); RETURN NEW; END $$;
CREATE DOMAIN bienestar.checked_int AS integer CHECK (bienestar.hostile_int(VALUE) > 0);
CREATE TABLE bienestar.trap (
    id integer PRIMARY KEY CHECK (bienestar.hostile_int(id) > 0),
    n bienestar.checked_int DEFAULT bienestar.hostile_int(1),
    owner_name name DEFAULT current_user
);
CREATE INDEX trap_expr ON bienestar.trap (bienestar.hostile_int(id));
CREATE TRIGGER trap_touch BEFORE INSERT OR UPDATE ON bienestar.trap FOR EACH ROW EXECUTE FUNCTION bienestar.touch();
CREATE POLICY trap_policy ON bienestar.trap USING (bienestar.hostile());
ALTER TABLE bienestar.trap ENABLE ROW LEVEL SECURITY;
CREATE VIEW bienestar.trap_view AS SELECT id, bienestar.hostile() AS ran FROM bienestar.trap;
CREATE MATERIALIZED VIEW bienestar.trap_summary AS SELECT count(*) AS n FROM bienestar.trap WITH NO DATA;
"""


def _marker(target: ConnectionTarget) -> list[tuple[str, str]]:
    with target.connect() as conn:
        return conn.execute("SELECT who::text, what FROM public.rg_marker").fetchall()


def _planted(demo_db: ConnectionTarget) -> ConnectionTarget:
    """HOSTILE_TENANT planted by the owner, with three rows in its trap table, and the marker table its code would
    write; the owner's target."""
    owner = ConnectionTarget(make_conninfo(demo_db.conninfo, user="clinic_app"))
    with demo_db.connect() as conn:
        conn.execute("CREATE TABLE public.rg_marker (who name, what text)")
        conn.execute("GRANT INSERT ON public.rg_marker TO PUBLIC")
    with owner.connect() as conn:
        conn.execute(HOSTILE_TENANT)
        conn.execute("INSERT INTO bienestar.trap (id) VALUES (1), (2), (3)")
    return owner


def test_nothing_a_hostile_owner_planted_runs_in_a_superuser_backup(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    owner = _planted(demo_db)
    with owner.connect() as conn:
        conn.execute("REFRESH MATERIALIZED VIEW bienestar.trap_summary")
    with demo_db.connect() as conn:
        conn.execute("DELETE FROM public.rg_marker")  # the owner's own inserts ran its code, as the owner
        conn.execute("ALTER TABLE bienestar.trap FORCE ROW LEVEL SECURITY")  # a policy that hides every row
    result = backup_tenant(demo_db, "bienestar", tmp_path / "hostile.resguardo")
    assert _marker(demo_db) == []
    with ArchiveReader(result.path) as reader:
        trap = next(t for t in reader.raw_manifest["tables"] if t["name"] == "trap")
        assert trap["rows"] == 3  # COPY with row security off: the policy neither filtered nor ran
        post = reader.read_text("schema/post-data.sql")
        assert "CREATE POLICY trap_policy ON trap FOR ALL USING (hostile())" in post
        assert "ALTER TABLE trap FORCE ROW LEVEL SECURITY" in post
    with pytest.raises(
        PreflightError,
        match=r"The table bienestar\.trap has row-level security that applies to "
        r"'clinic_app' .* back up as a superuser or as a role with BYPASSRLS",
    ):
        backup_tenant(owner, "bienestar", tmp_path / "as-owner.resguardo")
    assert _marker(demo_db) == []


def test_nothing_planted_runs_in_the_backups_second_session(
    demo_db: ConnectionTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With 32 small tables or more, a second session copies the small ones in the backup's snapshot
    (app/engine/backup/tables.py): the planted code must run there neither, and every row is read, policies
    forced on every table notwithstanding (issue 25.6)."""
    from app.engine.backup import tables

    owner = _planted(demo_db)
    with owner.connect() as conn:
        for n in range(34):  # small tables for the helper, each behind a forced policy that runs the owner's code
            conn.execute(f"CREATE TABLE bienestar.rg_pad_{n} (id integer DEFAULT bienestar.hostile_int(1))")
            conn.execute(f"INSERT INTO bienestar.rg_pad_{n} SELECT g FROM generate_series(1, {n + 1}) g")
            conn.execute(f"CREATE POLICY hide ON bienestar.rg_pad_{n} USING (bienestar.hostile() AND false)")
            conn.execute(f"ALTER TABLE bienestar.rg_pad_{n} ENABLE ROW LEVEL SECURITY")
    with demo_db.connect() as conn:
        conn.execute("DELETE FROM public.rg_marker")  # the owner's own inserts ran its code, as the owner
        for n in range(34):
            conn.execute(f"ALTER TABLE bienestar.rg_pad_{n} FORCE ROW LEVEL SECURITY")
    helped: list[str] = []
    original = tables.copy_query

    def watched(schema: str, table: TableCopy) -> sql.Composed:  # which session copies which table
        if threading.current_thread().name == "resguardo-backup-helper":
            helped.append(table.name)
        return original(schema, table)

    monkeypatch.setattr(tables, "copy_query", watched)
    result = backup_tenant(demo_db, "bienestar", tmp_path / "many.resguardo")
    assert any(name.startswith("rg_pad_") for name in helped), "the second session copied no table"
    assert _marker(demo_db) == []
    with ArchiveReader(result.path) as reader:
        rows = {t["name"]: t["rows"] for t in reader.raw_manifest["tables"]}
    assert [rows[f"rg_pad_{n}"] for n in range(34)] == [n + 1 for n in range(34)]  # no policy hid a row


def test_the_tenant_owner_backs_up_its_own_clinic(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    """The web application's role (not a superuser) backs up its schema, row security and all, when no
    policy applies to it (the owner, without FORCE ROW LEVEL SECURITY)."""
    owner = ConnectionTarget(make_conninfo(demo_db.conninfo, user="clinic_app"))
    with owner.connect() as conn:
        conn.execute("CREATE TABLE bienestar.notes (id int, who name DEFAULT current_user)")
        conn.execute("INSERT INTO bienestar.notes (id) VALUES (1), (2)")
        conn.execute("CREATE POLICY mine ON bienestar.notes USING (who = 'nobody')")
        conn.execute("ALTER TABLE bienestar.notes ENABLE ROW LEVEL SECURITY")
    result = backup_tenant(owner, "bienestar", tmp_path / "owner.resguardo")
    with ArchiveReader(result.path) as reader:
        notes = next(t for t in reader.raw_manifest["tables"] if t["name"] == "notes")
        assert notes["rows"] == 2
        assert reader.raw_manifest["schema_owner"] == "clinic_app"


def test_a_session_queued_to_alter_a_table_does_not_stall_the_backup(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    """The backup's second session (small tables, same snapshot) asks for each table's lock without waiting:
    behind a session queued for an exclusive lock, which waits for the backup, it would wait for ever (the
    lock timeout, then the backup failed). Such a table is read by the backup's first session instead."""
    names = [f"zz_queued_{i}" for i in range(5)]  # empty, last by name: the second session's first picks
    fillers = [f"zz_filler_{i}" for i in range(30)]  # enough small tables for the backup to open a second session
    with demo_db.connect() as conn:
        for name in names + fillers:
            conn.execute(sql.SQL("CREATE TABLE bienestar.{} (id int)").format(sql.Identifier(name)))
    waiting: list[threading.Thread] = []

    def queue_exclusive_locks(p: Progress) -> None:
        if p.stage != "Copying rows" or waiting:
            return
        for name in names:  # each waits for the backup's lock on its table until the backup ends
            thread = threading.Thread(target=_lock_exclusive, args=(demo_db, name))
            thread.start()
            waiting.append(thread)
        with demo_db.connect(autocommit=True) as conn:
            while conn.execute(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND mode = 'AccessExclusiveLock'"
                " AND relation::regclass::text LIKE 'bienestar.zz_queued_%'"
            ).fetchone() != (5,):
                threading.Event().wait(0.01)

    try:
        result = backup_tenant(demo_db, "bienestar", tmp_path / "q.resguardo", progress=queue_exclusive_locks)
    finally:
        for thread in waiting:
            thread.join()
    assert len(waiting) == 5
    with ArchiveReader(result.path) as reader:
        assert {t["name"] for t in reader.raw_manifest["tables"]} >= set(names)


def _lock_exclusive(target: ConnectionTarget, table: str) -> None:
    with target.connect() as conn:
        conn.execute(sql.SQL("LOCK TABLE bienestar.{} IN ACCESS EXCLUSIVE MODE").format(sql.Identifier(table)))
        conn.rollback()

"""Recovering chosen records from a backup into the live clinic, and undoing it (issue 23.2; docs/recover.md)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from psycopg.conninfo import make_conninfo

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.errors import ArchiveError, Cancelled, PreflightError, ResguardoError, RestoreFailed
from app.engine.jobs import CancelToken
from app.engine.recovery.apply import apply_recovery
from app.engine.recovery.live_rows import copy_field
from app.engine.recovery.model import Why
from app.engine.recovery.planning import plan_recovery
from app.engine.recovery.undo import last_recovery, undo_recovery
from tests.support.cli import run_cli
from tests.support.django_app import USER_PASSWORD, DjangoDB, check_login, delete_user
from tests.support.pg import one_value
from tests.support.restore import delete_patient, fingerprint, other_schemas, rewrite_archive

pytestmark = pytest.mark.core
TENANT = "bienestar"
PATIENT = "paciente1@test.com"
USERS = "users_customuser"


def _rows(target: ConnectionTarget, query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with target.connect() as conn:
        return [tuple(r) for r in conn.execute(query.encode(), params)]


def _patient_rows(target: ConnectionTarget, uid: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of paciente1 the story recovers, by table, with all their columns."""
    b = TENANT
    return {
        "user": _rows(target, f"SELECT u.* FROM {b}.{USERS} u WHERE id = %s", [uid]),
        "profile": _rows(
            target, f"SELECT p.* FROM {b}.patients_patientprofile p WHERE user_id = %s ORDER BY id", [uid]
        ),
        "appointments": _rows(
            target,
            f"SELECT a.* FROM {b}.appointments_appointment a JOIN {b}.patients_patientprofile p ON p.id = a.patient_id"
            " WHERE p.user_id = %s ORDER BY a.id",
            [uid],
        ),
        "messages": _rows(
            target,
            f"SELECT m.* FROM {b}.chat_chatmessage m WHERE sender_id = %s OR recipient_id = %s OR appointment_id IN"
            f" (SELECT a.id FROM {b}.appointments_appointment a JOIN {b}.patients_patientprofile p"
            "  ON p.id = a.patient_id WHERE p.user_id = %s) ORDER BY m.id",
            [uid, uid, uid],
        ),
        "groups": _rows(target, f"SELECT g.* FROM {b}.{USERS}_groups g WHERE customuser_id = %s ORDER BY id", [uid]),
        "permissions": _rows(
            target,
            f"SELECT p.* FROM {b}.{USERS}_user_permissions p WHERE customuser_id = %s ORDER BY id"
            if _has_table(target, f"{USERS}_user_permissions")
            else "SELECT 1 WHERE false",
            [uid] if _has_table(target, f"{USERS}_user_permissions") else None,
        ),
    }


def _has_table(target: ConnectionTarget, name: str) -> bool:
    return bool(
        _rows(target, "SELECT 1 FROM pg_class WHERE relnamespace = %s::regnamespace AND relname = %s", [TENANT, name])
    )


def _uid(target: ConnectionTarget, email: str = PATIENT) -> int:
    with target.connect() as conn:
        return int(one_value(conn, f"SELECT id FROM {TENANT}.{USERS} WHERE email = %s", [email]))


def _new_appointments(target: ConnectionTarget) -> list[int]:
    """Appointments booked since the backup, for other patients."""
    with target.connect() as conn:
        return [
            int(r[0])
            for r in conn.execute(
                f"INSERT INTO {TENANT}.appointments_appointment (patient_id, psychologist_id, scheduled_at,"
                " duration_minutes, status, notes, created_at, updated_at)"
                " SELECT patient_id, psychologist_id, scheduled_at + interval '30 days', duration_minutes, status,"
                f" 'booked since', now(), now() FROM {TENANT}.appointments_appointment a"
                f" WHERE patient_id <> (SELECT p.id FROM {TENANT}.patients_patientprofile p"
                f" JOIN {TENANT}.{USERS} u ON u.id = p.user_id WHERE u.email = %s)"
                " ORDER BY id LIMIT 3 RETURNING id",
                [PATIENT],
            )
        ]


def test_copy_text_of_live_values_is_what_copy_writes(demo_db: ConnectionTarget) -> None:
    """The live rows are compared with the backup's as COPY text: the escaping here is COPY's own."""
    text = "".join(chr(c) for c in range(1, 128)) + "ñ\\"
    with demo_db.connect() as conn:
        copied = bytearray()
        with conn.cursor().copy("COPY (SELECT %s::text, NULL::text, ''::text) TO STDOUT", [text]) as copy:
            for chunk in copy:
                copied += chunk
        assert bytes(copied) == b"\t".join([copy_field(text), copy_field(None), copy_field("")]) + b"\n"


# -- the story, through the command line, in the real Django project --------------------------------


def _cli(target: ConnectionTarget, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PGPASSWORD": target.password} if target.password else {}
    return run_cli(*args, "--dsn", target.conninfo, env=env, input=input)


def _main(capsys: pytest.CaptureFixture[str], target: ConnectionTarget, *args: str) -> tuple[int, str, str]:
    """The CLI in this process (the story runs it as a child, as a script would): exit status, stdout, stderr."""
    from app.cli import main

    try:
        code = main([*args, "--dsn", target.conninfo])
    except SystemExit as exit:  # argparse's own refusals
        code = int(exit.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _data(target: ConnectionTarget, schema: str) -> dict[str, str]:
    return dict(fingerprint(target, schema)["data"])


@pytest.mark.parametrize("who", ["superuser", "app"])
def test_the_story_deleted_patient_back_new_appointments_kept_undo_exact(
    django_db: DjangoDB, tmp_path: Path, who: str
) -> None:
    target: ConnectionTarget = getattr(django_db, who)
    su = django_db.superuser
    archive = tmp_path / "bienestar.resguardo"
    done = _cli(target, "backup", "--tenant", TENANT, "--out", str(archive))
    assert done.returncode == 0, done.stderr
    uid = _uid(su)
    before = _patient_rows(su, uid)
    assert before["appointments"] and before["messages"] and before["profile"]
    new = _new_appointments(su)
    deleted = delete_user(django_db, TENANT, PATIENT)  # Django's cascade, in Python
    assert deleted.get("appointments.Appointment") and deleted.get("chat.ChatMessage")
    after_deletion = _data(su, TENANT)
    others = other_schemas(su, TENANT)

    base = ["recover", "--tenant", TENANT, "--file", str(archive), "--table", USERS, "--match", f"email={PATIENT}"]
    preview = _cli(target, *base, input="no\n")  # the preview, then a wrong name: nothing is done
    assert preview.returncode == 1 and "Cancelled" in preview.stderr, preview.stderr
    assert "the custom user (users_customuser) with email = paciente1@test.com" in preview.stdout
    assert "1 custom user, " in preview.stdout and ", 1 patient profile, " in preview.stdout
    assert f"appointments_appointment (appointment): insert {len(before['appointments'])} by id" in preview.stdout
    assert _data(su, TENANT) == after_deletion
    done = _cli(target, *base, "--yes")
    assert done.returncode == 0, done.stderr
    assert f"Recovered {sum(len(v) for v in before.values())} rows into {TENANT}" in done.stdout

    assert _patient_rows(su, uid) == before  # every row back, with its original key and content
    assert check_login(django_db, TENANT, PATIENT, USER_PASSWORD)
    assert len(_rows(su, f"SELECT id FROM {TENANT}.appointments_appointment WHERE id = ANY(%s)", [new])) == 3
    assert other_schemas(su, TENANT) == others

    done = _cli(target, "undo-recover", "--tenant", TENANT, "--yes")
    assert done.returncode == 0, done.stderr
    assert _data(su, TENANT) == after_deletion  # exactly the recovered rows went
    assert other_schemas(su, TENANT) == others

    # Recovered again, then one recovered row changed: undo refuses, naming it, and removes nothing.
    assert _cli(target, *base, "--yes").returncode == 0
    appointment = before["appointments"][0][0]
    with su.connect() as conn:
        conn.execute(f"UPDATE {TENANT}.appointments_appointment SET notes = 'seen' WHERE id = %s", [appointment])
    changed = _data(su, TENANT)
    done = _cli(target, "undo-recover", "--tenant", TENANT, "--yes")
    assert done.returncode == 1
    assert f"appointments_appointment {appointment} (changed)" in done.stderr and "Nothing was changed" in done.stderr
    assert _data(su, TENANT) == changed


# -- the engine, on the demo clinics ------------------------------------------------------------------------


@pytest.fixture
def backed_up(demo_db: ConnectionTarget, tmp_path: Path) -> Path:
    """bienestar with a self-referencing table, a table of a composite key and one without a key, backed up."""
    with demo_db.connect() as conn:
        conn.execute(
            "CREATE TABLE bienestar.rg_tree (id int PRIMARY KEY, parent_id int REFERENCES bienestar.rg_tree (id),"
            " name text NOT NULL)"
        )
        conn.execute("INSERT INTO bienestar.rg_tree VALUES (1, NULL, 'a'), (2, 1, 'b'), (3, 2, 'c'), (4, NULL, 'd')")
        conn.execute("CREATE TABLE bienestar.rg_pair (a int, b text, v text, PRIMARY KEY (a, b))")
        conn.execute("INSERT INTO bienestar.rg_pair VALUES (1, 'x', 'one'), (1, 'y', 'two'), (2, 'x', E'tab\\there')")
        conn.execute("CREATE TABLE bienestar.rg_nokey (a int, b text)")
        conn.execute("INSERT INTO bienestar.rg_nokey VALUES (1, 'x')")
        conn.execute("CREATE TABLE bienestar.rg_seq (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text)")
        conn.execute("INSERT INTO bienestar.rg_seq (v) VALUES ('a'), ('b'), ('c')")
        conn.execute("ALTER TABLE bienestar.rg_seq OWNER TO clinic_app")
        conn.execute("ALTER TABLE bienestar.rg_tree OWNER TO clinic_app")
        conn.execute("ALTER TABLE bienestar.rg_pair OWNER TO clinic_app")
        conn.execute("ALTER TABLE bienestar.rg_nokey OWNER TO clinic_app")
    return backup_tenant(demo_db, TENANT, tmp_path / "b.resguardo").path


def _execute(target: ConnectionTarget, *statements: str) -> None:
    with target.connect() as conn:
        for statement in statements:
            conn.execute(statement.encode())


def test_a_conflict_is_skipped_and_reported_rows_already_there_are_said(
    demo_db: ConnectionTarget, backed_up: Path
) -> None:
    uid = _uid(demo_db)
    before = _patient_rows(demo_db, uid)
    gone = before["appointments"][0][0]
    _execute(
        demo_db,
        f"UPDATE {TENANT}.{USERS} SET first_name = 'Renamed' WHERE id = {uid}",
        f"DELETE FROM {TENANT}.chat_chatmessage WHERE appointment_id = {gone}",
        f"DELETE FROM {TENANT}.appointments_appointment WHERE id = {gone}",
    )
    seen: list[float] = []
    plan = plan_recovery(
        demo_db, TENANT, backed_up, table=USERS, match=[("id", str(uid))], progress=lambda p: seen.append(p.fraction)
    )
    assert seen == sorted(seen) and seen[-1] == 1.0
    tables = {t.name: t for t in plan.tables}
    assert [(c.key, c.columns) for c in tables[USERS].conflicts] == [(str(uid), ("first_name",))]
    assert not tables[USERS].rows and tables["patients_patientprofile"].already_there
    assert [r.key for r in tables["appointments_appointment"].rows] == [str(gone)]
    seen.clear()
    result = apply_recovery(demo_db, plan, progress=lambda p: seen.append(p.fraction))
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert result.inserted["appointments_appointment"] == 1
    assert _rows(demo_db, f"SELECT first_name FROM {TENANT}.{USERS} WHERE id = %s", [uid]) == [("Renamed",)]
    assert _patient_rows(demo_db, uid)["appointments"] == before["appointments"]


def test_a_missing_parent_comes_along_and_a_self_reference_is_followed(
    demo_db: ConnectionTarget, backed_up: Path
) -> None:
    message, appointment = _rows(
        demo_db, f"SELECT id, appointment_id FROM {TENANT}.chat_chatmessage WHERE appointment_id IS NOT NULL LIMIT 1"
    )[0]
    _execute(
        demo_db,
        f"DELETE FROM {TENANT}.chat_chatmessage WHERE appointment_id = {appointment}",
        f"DELETE FROM {TENANT}.appointments_appointment WHERE id = {appointment}",
        f"DELETE FROM {TENANT}.rg_tree WHERE id IN (3, 2)",
    )
    plan = plan_recovery(
        demo_db, TENANT, backed_up, table="chat message", match=[("id", str(message))], with_dependents=False
    )
    rows = {t.name: [(r.key, r.why) for r in t.rows] for t in plan.tables}
    assert rows == {
        "appointments_appointment": [(str(appointment), Why.PARENT)],
        "chat_chatmessage": [(str(message), Why.CHOSEN)],
    }
    apply_recovery(demo_db, plan)
    # The leaf of a chain: its parents come along, recursively, parents first; with dependents, the chain below.
    plan = plan_recovery(demo_db, TENANT, backed_up, table="rg_tree", match=[("id", "3")], with_dependents=False)
    assert [(r.key, r.why) for r in plan.tables[0].rows] == [("2", Why.PARENT), ("3", Why.CHOSEN)]
    undo_recovery(demo_db, TENANT)  # the chat message and its appointment
    _execute(demo_db, f"DELETE FROM {TENANT}.rg_tree")
    plan = plan_recovery(demo_db, TENANT, backed_up, table="rg_tree", match=[("id", "1")])
    assert [(r.key, r.why) for r in plan.tables[0].rows] == [
        ("1", Why.CHOSEN),
        ("2", Why.DEPENDENT),
        ("3", Why.DEPENDENT),
    ]
    apply_recovery(demo_db, plan)
    assert _rows(demo_db, f"SELECT * FROM {TENANT}.rg_tree ORDER BY id") == [(1, None, "a"), (2, 1, "b"), (3, 2, "c")]
    assert _rows(demo_db, f"SELECT count(*) FROM {TENANT}.appointments_appointment WHERE id = %s", [appointment]) == [
        (0,)
    ]


def test_a_composite_key_and_a_table_without_a_key(demo_db: ConnectionTarget, backed_up: Path) -> None:
    _execute(demo_db, f"DELETE FROM {TENANT}.rg_pair WHERE a = 2", f"DELETE FROM {TENANT}.rg_nokey")
    plan = plan_recovery(demo_db, TENANT, backed_up, table="rg_pair", match=[("v", "tab\there")])  # a tab
    assert [r.key for r in plan.tables[0].rows] == ["(2, x)"]
    plan = plan_recovery(demo_db, TENANT, backed_up, table="rg_pair", match=[("a", "2"), ("b", "x")])
    assert [r.key for r in plan.tables[0].rows] == ["(2, x)"]
    apply_recovery(demo_db, plan)
    assert _rows(demo_db, f"SELECT v FROM {TENANT}.rg_pair WHERE a = 2") == [("tab\there",)]  # a tab
    undo_recovery(demo_db, TENANT)
    assert _rows(demo_db, f"SELECT count(*) FROM {TENANT}.rg_pair WHERE a = 2") == [(0,)]
    # Keys above where the sequence is now: it moves past them (forwards only), so the next row gets a new key.
    _execute(
        demo_db, f"DELETE FROM {TENANT}.rg_seq WHERE id = 3", f"ALTER TABLE {TENANT}.rg_seq ALTER id RESTART WITH 3"
    )
    result = apply_recovery(demo_db, plan_recovery(demo_db, TENANT, backed_up, table="rg_seq", match=[("id", "3")]))
    assert result.sequences_moved == 1
    assert _rows(demo_db, f"INSERT INTO {TENANT}.rg_seq (v) VALUES ('new') RETURNING id") == [(4,)]
    # A foreign key the backup declares and the clinic no longer has is not followed, and the plan says so.
    _execute(demo_db, f"ALTER TABLE {TENANT}.chat_chatmessage DROP CONSTRAINT chat_chatmessage_appointment_id_fk")
    plan = plan_recovery(demo_db, TENANT, backed_up, table="rg_pair", match=[("a", "1"), ("b", "x")])
    assert plan.rows_to_insert == 0 and plan.already_there == 1
    said = "In the backup, chat_chatmessage (appointment_id) referred to appointments_appointment; the clinic's"
    assert [w for w in plan.warnings if w.startswith(said)]
    with pytest.raises(PreflightError, match="rg_nokey has no primary key nor unique key"):
        plan_recovery(demo_db, TENANT, backed_up, table="rg_nokey", match=[("a", "1")])


@pytest.mark.parametrize("who", ["superuser", "clinic_app"])
def test_a_hostile_owner_trigger_runs_with_the_owners_rights_and_more_writes_are_refused(
    demo_db: ConnectionTarget, backed_up: Path, who: str
) -> None:
    from tests.support.attacks import hostile_body, markers

    target = demo_db if who == "superuser" else ConnectionTarget(make_conninfo(demo_db.conninfo, user="clinic_app"))
    owner = ConnectionTarget(make_conninfo(demo_db.conninfo, user="clinic_app"))
    uid = _uid(demo_db)
    delete_patient(demo_db)
    with markers(demo_db) as found:
        marker = found.path("trigger")
        _execute(
            owner,
            f"CREATE FUNCTION {TENANT}.h_mark() RETURNS trigger LANGUAGE plpgsql AS $h$BEGIN {hostile_body(marker)}"
            " NEW.phone := current_user; RETURN NEW; END$h$",
            f"CREATE TRIGGER evil BEFORE INSERT ON {TENANT}.{USERS} FOR EACH ROW EXECUTE FUNCTION {TENANT}.h_mark()",
        )
        plan = plan_recovery(target, TENANT, backed_up, table=USERS, match=[("email", PATIENT)])
        apply_recovery(target, plan)
        assert found.appeared() == []
        assert _rows(demo_db, f"SELECT phone FROM {TENANT}.{USERS} WHERE id = %s", [uid]) == [("clinic_app",)]
        undo_recovery(target, TENANT)  # the row as the trigger left it is what the record holds
        assert _rows(demo_db, f"SELECT count(*) FROM {TENANT}.{USERS} WHERE id = %s", [uid]) == [(0,)]
    # A trigger that writes more than the rows recovered: refused whole, nothing changed.
    _execute(
        owner,
        f"CREATE OR REPLACE FUNCTION {TENANT}.h_mark() RETURNS trigger LANGUAGE plpgsql AS $h$BEGIN"
        f" UPDATE {TENANT}.specializations_specialization SET description = 'x'; RETURN NEW; END$h$",
    )
    tenant, others = fingerprint(demo_db, TENANT), other_schemas(demo_db, TENANT)
    with pytest.raises(RestoreFailed, match=r"specializations_specialization .* though it only inserts") as refused:
        apply_recovery(target, plan_recovery(target, TENANT, backed_up, table=USERS, match=[("email", PATIENT)]))
    assert refused.value.changed is False
    assert fingerprint(demo_db, TENANT) == tenant and other_schemas(demo_db, TENANT) == others
    assert last_recovery(target, TENANT) is None
    # Undo through a trigger that writes more on delete: refused whole, the recovered rows stay.
    _execute(
        owner,
        f"DROP TRIGGER evil ON {TENANT}.{USERS}",
        f"CREATE FUNCTION {TENANT}.h_delete() RETURNS trigger LANGUAGE plpgsql AS $h$BEGIN"
        f" UPDATE {TENANT}.specializations_specialization SET description = 'x'; RETURN OLD; END$h$",
        f"CREATE TRIGGER evil BEFORE DELETE ON {TENANT}.{USERS} FOR EACH ROW EXECUTE FUNCTION {TENANT}.h_delete()",
    )
    apply_recovery(target, plan_recovery(target, TENANT, backed_up, table=USERS, match=[("email", PATIENT)]))
    recovered = fingerprint(demo_db, TENANT)
    with pytest.raises(RestoreFailed, match=r"specializations_specialization .* though it only deletes"):
        undo_recovery(target, TENANT)
    assert fingerprint(demo_db, TENANT) == recovered and last_recovery(target, TENANT) is not None


def test_a_crafted_backup_is_refused_with_nothing_changed(
    demo_db: ConnectionTarget, backed_up: Path, tmp_path: Path
) -> None:
    """Checksums made to match rows the table's key forbids (the patient twice), or columns the clinic lacks."""
    uid = _uid(demo_db)
    delete_patient(demo_db)
    tenant = fingerprint(demo_db, TENANT)

    def twice(table: str, raw: bytes) -> bytes:
        if table != USERS:
            return raw
        line = next(x for x in raw.split(b"\n") if x.startswith(f"{uid}\t".encode()))
        return raw + line.replace(b"\tpatient\t", b"\tadmin\t") + b"\n"

    crafted = rewrite_archive(backed_up, tmp_path / "twice.resguardo", table_data=twice)
    with pytest.raises(ArchiveError, match=f"two rows of table {USERS} with the same key"):
        plan_recovery(demo_db, TENANT, crafted, table=USERS, match=[("id", str(uid))])

    def extra_column(m: dict[str, Any]) -> None:
        table = next(t for t in m["tables"] if t["name"] == USERS)
        table["columns"][-1]["name"] = "is_owner"

    lying = rewrite_archive(backed_up, tmp_path / "lying.resguardo", manifest=extra_column)
    with pytest.raises(PreflightError, match="has the column is_owner, which the clinic no longer has"):
        plan_recovery(demo_db, TENANT, lying, table=USERS, match=[("id", str(uid))])
    assert fingerprint(demo_db, TENANT) == tenant


def test_command_line_refusals(
    demo_db: ConnectionTarget, backed_up: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = fingerprint(demo_db, TENANT)
    base = ["recover", "--tenant", TENANT, "--file", str(backed_up), "--table", USERS]
    code, _, err = _main(capsys, demo_db, *base, "--match", "email=nobody@test.com", "--yes")
    assert code == 1 and "holds no row of users_customuser with email = nobody@test.com" in err
    code, _, err = _main(capsys, demo_db, *base, "--match", "email", "--yes")
    assert code == 2 and "COLUMN=VALUE" in err
    code, _, err = _main(capsys, demo_db, *base, "--match", "email=x", "--only", "--with-dependents")
    assert code == 2
    code, _, err = _main(capsys, demo_db, *base, "--match", "email=x", "--interrupt-app", "1", "--yes")
    assert code == 2 and "--interrupt-app does not apply here" in err
    code, _, err = _main(capsys, demo_db, *base, "--match", "nope=1", "--yes")
    assert code == 1 and "has no column 'nope'" in err
    code, out, err = _main(capsys, demo_db, *base, "--match", f"email={PATIENT}", "--json")  # the plan only
    assert code == 0, err
    assert json.loads(out)["already_there"] > 0
    code, out, err = _main(capsys, demo_db, *base, "--match", f"email={PATIENT}", "--yes")  # all there already
    assert code == 0 and "Nothing to insert; nothing was changed." in out, err
    code, _, err = _main(capsys, demo_db, "undo-recover", "--tenant", TENANT, "--yes")
    assert code == 1 and "no recovery of 'bienestar' to undo" in err
    for command in (["recover", "--file", str(backed_up), "--table", USERS, "--match", "id=1"], ["undo-recover"]):
        code, _, err = _main(capsys, demo_db, *command, "--tenant", "nosuch", "--yes")
        assert code == 1 and err.startswith("resguardo: ") and "'nosuch'" in err and len(err.splitlines()) == 1
    other = backup_tenant(demo_db, "mindcare", tmp_path / "m.resguardo").path
    code, _, err = _main(
        capsys, demo_db, "recover", "--tenant", TENANT, "--file", str(other), "--table", USERS, "--match", "id=1"
    )
    assert code == 1 and "backup of tenant 'mindcare'" in err and "(--allow-other-tenant)" in err
    assert fingerprint(demo_db, TENANT) == tenant


def test_limits_and_busy_tables_refuse_with_nothing_changed(demo_db: ConnectionTarget, backed_up: Path) -> None:
    from app.engine.recovery.model import RecoveryLimits
    from app.engine.restore.swap import LockPolicy

    delete_patient(demo_db)
    with pytest.raises(PreflightError, match="limit"):
        plan_recovery(
            demo_db, TENANT, backed_up, table=USERS, match=[("email", PATIENT)], limits=RecoveryLimits(max_rows=5)
        )
    plan = plan_recovery(demo_db, TENANT, backed_up, table=USERS, match=[("email", PATIENT)])
    tenant = fingerprint(demo_db, TENANT)
    with demo_db.connect() as holder:
        holder.execute(f"LOCK TABLE {TENANT}.chat_chatmessage IN SHARE MODE")  # a schema change would, too
        with pytest.raises(RestoreFailed, match=r"gave up after .* locked against writing") as refused:
            apply_recovery(demo_db, plan, locks=LockPolicy(total_seconds=0.5))
        holder.rollback()
    assert refused.value.changed is False and fingerprint(demo_db, TENANT) == tenant
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        apply_recovery(demo_db, plan, cancel=cancel)
    assert fingerprint(demo_db, TENANT) == tenant and last_recovery(demo_db, TENANT) is None
    from app import paths

    folder = paths.state_dir() / "recoveries"  # the undo record cannot be written: no recovery without it
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("in the way")
    with pytest.raises(ResguardoError, match="record") as no_record:
        apply_recovery(demo_db, plan)
    assert no_record.value.changed is False and fingerprint(demo_db, TENANT) == tenant
    folder.unlink()
    # the web application's own writes (ROW EXCLUSIVE) do not stop it
    with demo_db.connect() as app:
        app.execute(f"UPDATE {TENANT}.specializations_specialization SET description = description")
        result = apply_recovery(demo_db, plan, locks=LockPolicy(total_seconds=5))
        app.rollback()
    assert result.rows == plan.rows_to_insert


def test_the_web_application_keeps_writing_to_the_clinic_meanwhile(django_db: DjangoDB, tmp_path: Path) -> None:
    """Django's ORM writes chat messages into the same clinic throughout plan, recovery and undo: none fails."""
    from tests.support.django_app import OrmWriter

    su = django_db.superuser
    archive = backup_tenant(su, TENANT, tmp_path / "b.resguardo").path
    uid = _uid(su)
    before = _patient_rows(su, uid)
    delete_user(django_db, TENANT, PATIENT)
    with OrmWriter(django_db, TENANT) as writer:
        writer.wait_for(3)
        plan = plan_recovery(su, TENANT, archive, table=USERS, match=[("email", PATIENT)])
        apply_recovery(su, plan)
        seen = len(writer.committed)
        writer.wait_for(seen + 3)
        assert _patient_rows(su, uid) == before
        undo_recovery(su, TENANT)
        writer.wait_for(len(writer.committed) + 3)
        written = writer.stop()
    assert writer.errors == []
    ids = [int(i) for i in written]
    found = _rows(su, f"SELECT count(*) FROM {TENANT}.chat_chatmessage WHERE id = ANY(%s)", [ids])
    assert found == [(len(ids),)]
    assert _rows(su, f"SELECT count(*) FROM {TENANT}.{USERS} WHERE id = %s", [uid]) == [(0,)]


def test_an_encrypted_backup_with_its_key(
    demo_db: ConnectionTarget, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.engine.backup.backup import Backup
    from tests.support.encryption import plain_identity

    key, public = plain_identity(tmp_path)
    (tmp_path / "out").mkdir()
    sealed = Backup(demo_db, TENANT, tmp_path / "out", encrypt_to=[public]).run().path
    uid = _uid(demo_db)
    before = _patient_rows(demo_db, uid)
    delete_patient(demo_db)
    base = ["recover", "--tenant", TENANT, "--file", str(sealed), "--table", USERS, "--match", f"id={uid}"]
    code, _, err = _main(capsys, demo_db, *base, "--yes")
    assert code == 1 and "(--identity FILE)" in err
    code, out, err = _main(capsys, demo_db, *base, "--identity", str(key), "--yes", "--json")
    assert code == 0, err
    assert json.loads(out)["result"]["rows"] == sum(len(v) for v in before.values())
    assert _patient_rows(demo_db, uid) == before


@pytest.mark.parametrize("who", ["superuser", "clinic_app"])
def test_the_swap_race_on_the_chosen_table_never_runs_the_owners_code_as_the_user(
    demo_db: ConnectionTarget, backed_up: Path, who: str
) -> None:
    """The owner swaps the table for a spying view while the plan waits to read it (CVE-2024-7348's class,
    tests/support/swap_race.py): the plan refuses naming the table, or reads the table itself."""
    from tests.support.attacks import markers
    from tests.support.swap_race import race

    target = demo_db if who == "superuser" else ConnectionTarget(make_conninfo(demo_db.conninfo, user="clinic_app"))
    delete_patient(demo_db)
    others = other_schemas(demo_db, TENANT)
    with markers(demo_db) as spy:
        outcome = race(
            demo_db,
            TENANT,
            USERS,
            spy.path("spy"),
            lambda: plan_recovery(target, TENANT, backed_up, table=USERS, match=[("email", PATIENT)]),
        )
        assert outcome.swapped and outcome.superuser_runs == "" and spy.appeared() == []
    if outcome.error is not None:
        assert f"{TENANT}.{USERS}" in str(outcome.error) or "restricted" in str(outcome.error), outcome.error
    else:
        assert outcome.value().rows_to_insert > 0
    assert other_schemas(demo_db, TENANT) == others


def test_the_search_for_rows_finds_exactly_the_rows_a_full_read_finds(backed_up: Path) -> None:
    """archive_rows.candidate_rows (a search anchored at each row's start) against splitting every row."""
    from app.engine.archive.container import ArchiveReader
    from app.engine.recovery.archive_rows import candidate_rows, rows_of

    cancel = CancelToken()
    with ArchiveReader(backed_up) as reader:
        for entry in reader.manifest.tables:
            rows = list(rows_of(reader, entry, cancel))
            for at in range(len(entry.columns)):
                values = {r[at] for r in rows[:: max(len(rows) // 3, 1)]} | {b"", b"no such value"}
                found = list(candidate_rows(reader, entry, cancel, {at: values}))
                assert found == [r for r in rows if r[at] in values], (entry.name, at)
            if len(entry.columns) > 1 and rows:
                two = {0: {rows[0][0]}, 1: {rows[-1][1]}}
                found = list(candidate_rows(reader, entry, cancel, two))
                assert found == [r for r in rows if r[0] == rows[0][0] or r[1] == rows[-1][1]], entry.name


def test_a_pg_dump_file_is_read_through_a_staging_load_beside_the_clinic(
    demo_db: ConnectionTarget, tmp_path: Path, embedded_tools_only: None
) -> None:
    """A custom-format pg_dump file cannot be read table by table: it is loaded beside the clinic through the
    restore's phase A, written out as a native archive in the job's private folder, and its staging schema
    dropped; the live clinic is only touched by the recovery itself."""
    from app.engine.backup.pgdump import pgdump_tenant
    from tests.support.restore import resguardo_schemas

    dump = tmp_path / "b.dump"
    pgdump_tenant(demo_db, TENANT, dump, fmt="custom")
    uid = _uid(demo_db)
    before = _patient_rows(demo_db, uid)
    delete_patient(demo_db)
    others, tenant = other_schemas(demo_db, TENANT), fingerprint(demo_db, TENANT)
    seen: list[float] = []
    plan = plan_recovery(
        demo_db, TENANT, dump, table=USERS, match=[("email", PATIENT)], progress=lambda p: seen.append(p.fraction)
    )
    assert seen == sorted(seen) and seen[-1] == 1.0 and any(0 < f < 0.7 for f in seen)
    assert plan.path == dump and plan.source_schema == TENANT and plan.warnings == ()
    assert plan.manifest_checksum.startswith("file:")  # the same file planned twice is one source (several.py)
    assert resguardo_schemas(demo_db) == [] and other_schemas(demo_db, TENANT) == others
    assert fingerprint(demo_db, TENANT) == tenant
    apply_recovery(demo_db, plan)
    assert _patient_rows(demo_db, uid) == before
    undo_recovery(demo_db, TENANT)
    assert _patient_rows(demo_db, uid)["user"] == []
    from app import paths

    private = paths.cache_dir() / "private"
    assert not private.exists() or [p.name for p in private.iterdir()] == []  # no plain bytes left behind
    # A Django export, mapped onto the clinic's tables as a restore maps it: a row it holds comes back.
    export = tmp_path / "b.json"
    fields = {"name": "Recovered", "description": "d", "created_at": "2025-01-01T00:00:00Z"}
    export.write_text(json.dumps([{"model": "specializations.specialization", "pk": 999, "fields": fields}]))
    plan = plan_recovery(demo_db, TENANT, export, table="specializations_specialization", match=[("id", "999")])
    assert [(t.name, [r.key for r in t.rows]) for t in plan.tables] == [("specializations_specialization", ["999"])]
    apply_recovery(demo_db, plan)
    found = _rows(demo_db, f"SELECT name FROM {TENANT}.specializations_specialization WHERE id = 999")
    assert found == [("Recovered",)] and resguardo_schemas(demo_db) == []


def test_a_row_the_inserts_need_kept_locked_by_the_application_is_waited_for_briefly_and_retried(
    demo_db: ConnectionTarget, backed_up: Path
) -> None:
    """An application transaction holds the psychologist's row FOR UPDATE (the foreign-key check of a recovered
    appointment needs it): the recovery never waits more than an attempt on it, rolls back, tries again, and
    succeeds once the application commits; the application's own statements never fail. Kept locked through
    every attempt: the recovery gives up saying so, nothing changed."""
    import threading
    import time

    from app.engine.restore.swap import LockPolicy

    delete_patient(demo_db)
    plan = plan_recovery(demo_db, TENANT, backed_up, table=USERS, match=[("email", PATIENT)])
    tenant = fingerprint(demo_db, TENANT)
    owner = ConnectionTarget(make_conninfo(demo_db.conninfo, user="clinic_app"))
    with owner.connect() as app:
        app.execute(f"SELECT * FROM {TENANT}.psychologists_psychologistprofile FOR UPDATE")
        with pytest.raises(RestoreFailed, match="a row it needed was kept locked") as refused:
            apply_recovery(demo_db, plan, locks=LockPolicy(attempt_seconds=0.1, total_seconds=1))
        assert refused.value.changed is False and fingerprint(demo_db, TENANT) == tenant
        app.execute(f"UPDATE {TENANT}.psychologists_psychologistprofile SET bio = bio")  # still the app's
        threading.Timer(1.0, app.commit).start()
        started = time.monotonic()
        result = apply_recovery(demo_db, plan, locks=LockPolicy(attempt_seconds=0.1, total_seconds=30))
        assert result.rows == plan.rows_to_insert and time.monotonic() - started >= 0.9


def test_a_partitioned_table_by_its_partition(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    _execute(
        demo_db,
        f"CREATE TABLE {TENANT}.rg_log (id int, at date, note text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
        f"CREATE TABLE {TENANT}.rg_log_2025 PARTITION OF {TENANT}.rg_log"
        " FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
        f"CREATE TABLE {TENANT}.rg_log_2026 PARTITION OF {TENANT}.rg_log"
        " FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
        f"INSERT INTO {TENANT}.rg_log VALUES (1, '2025-03-01', 'a'), (2, '2026-03-01', 'b')",
        f"ALTER TABLE {TENANT}.rg_log OWNER TO clinic_app",
        f"ALTER TABLE {TENANT}.rg_log_2025 OWNER TO clinic_app",
        f"ALTER TABLE {TENANT}.rg_log_2026 OWNER TO clinic_app",
    )
    archive = backup_tenant(demo_db, TENANT, tmp_path / "b.resguardo").path
    _execute(demo_db, f"DELETE FROM {TENANT}.rg_log WHERE id = 2")
    with pytest.raises(PreflightError, match="rg_log is a partitioned table: its rows are in its partitions"):
        plan_recovery(demo_db, TENANT, archive, table="rg_log", match=[("id", "2")])
    plan = plan_recovery(demo_db, TENANT, archive, table="rg_log_2026", match=[("id", "2")])
    assert [(t.name, [r.key for r in t.rows]) for t in plan.tables] == [("rg_log_2026", ["(2, 2026-03-01)"])]
    apply_recovery(demo_db, plan)
    assert _rows(demo_db, f"SELECT id, note FROM {TENANT}.rg_log ORDER BY id") == [(1, "a"), (2, "b")]


def test_the_search_for_many_values_finds_exactly_the_rows_a_full_read_finds(backed_up: Path) -> None:
    """Hundreds of values at several positions (a patient's appointments, in the messages), and every value of a
    column: one search shaped as the tree of the values' bytes, against splitting every row."""
    from app.engine.archive.container import ArchiveReader
    from app.engine.recovery.archive_rows import MAX_HINTS, candidate_rows, rows_of

    cancel = CancelToken()
    with ArchiveReader(backed_up) as reader:
        for entry in reader.manifest.tables:
            rows = list(rows_of(reader, entry, cancel))
            for at in range(len(entry.columns)):
                values = {r[at] for r in rows}
                if len(values) + 2 > MAX_HINTS:
                    continue
                hints = {at: values | {b"no such value", b"1" + max(values, default=b"")}}
                if at:
                    hints[0] = {r[0] for r in rows[::2]}
                found = list(candidate_rows(reader, entry, cancel, hints))
                assert found == [r for r in rows if any(r[a] in v for a, v in hints.items())], (entry.name, at)

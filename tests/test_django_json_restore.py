"""Django dumpdata exports restore through the safe path: the seed's story with the project's real dumpdata."""

from __future__ import annotations

import gzip
import json
import re
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.engine.connection import ConnectionTarget
from app.engine.errors import ResguardoError
from app.engine.inspection.verify import verify_file
from app.engine.restore.preview import preview_restore
from app.engine.restore.restore import restore_tenant
from app.engine.restore.undo import undo_restore
from tests.support.cli import run_cli
from tests.support.django_app import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PATIENTS,
    USER_PASSWORD,
    DjangoDB,
    check_login,
    delete_user,
    dump_tenant,
    run_django,
    set_password,
)
from tests.support.restore import fingerprint, other_schemas, resguardo_schemas

PATIENT = PATIENTS[0]
APPOINTMENTS_OF = (
    "result = sorted(Appointment.objects.filter(patient__user__email={email!r})"
    ".values_list('id', 'scheduled_at', 'notes'))"
)


def _appointments(db: DjangoDB, email: str) -> list[list[str]]:
    return list(run_django(db, APPOINTMENTS_OF.format(email=email), schema="bienestar").result)


@pytest.mark.parametrize("who", ["superuser", "app"])
def test_seed_story_with_a_dumpdata_file(django_db: DjangoDB, tmp_path: Path, who: str) -> None:
    target: ConnectionTarget = getattr(django_db, who)
    dump = dump_tenant(django_db, "bienestar", tmp_path / "bienestar.json", "--indent", "2")
    appointments = _appointments(django_db, PATIENT)
    assert len(appointments) == 4
    deleted = delete_user(django_db, "bienestar", PATIENT)  # Django's cascade, in Python
    assert deleted["appointments.Appointment"] == 4
    set_password(django_db, "bienestar", ADMIN_EMAIL, "nueva-clave")  # today's password, not the file's
    after_deletion = fingerprint(django_db.superuser, "bienestar")
    others = other_schemas(django_db.superuser, "bienestar")

    result = restore_tenant(target, "bienestar", dump)

    assert check_login(django_db, "bienestar", PATIENT, USER_PASSWORD)
    assert _appointments(django_db, PATIENT) == appointments
    assert check_login(django_db, "bienestar", ADMIN_EMAIL, "nueva-clave")
    assert not check_login(django_db, "bienestar", ADMIN_EMAIL, ADMIN_PASSWORD)
    assert result.kept_superusers == [ADMIN_EMAIL]
    assert other_schemas(django_db.superuser, "bienestar") == others
    assert "[ ]" not in run_django(django_db, ["tenant_command", "showmigrations", "--schema", "bienestar"]).stdout
    new = run_django(django_db, "result = Specialization.objects.create(name='Mindfulness').pk", schema="bienestar")
    assert new.result > 8  # the sequence continues after the restored rows: no duplicate key

    undo_restore(target, "bienestar")
    assert fingerprint(django_db.superuser, "bienestar") == after_deletion
    assert not check_login(django_db, "bienestar", PATIENT, USER_PASSWORD)
    assert other_schemas(django_db.superuser, "bienestar") == others


def _dump_lines(db: DjangoDB, flags: tuple[str, ...]) -> list[str]:
    """The export as JSON lines (one object a line). Without pks in the file, a deleted object comes back
    with a new id, so it sorts elsewhere: those exports are compared as sets of lines. Django writes times to
    the millisecond, and leaves out ".000": a time restored from an export has no fraction left to write."""
    flags = tuple(f for f in flags if f not in ("--indent", "4", "2", "--format", "jsonl"))
    text = run_django(db, ["tenant_command", "dumpdata", "--schema", "bienestar", *flags, "--format", "jsonl"]).stdout
    lines = re.sub(r'(T\d\d:\d\d:\d\d)\.000Z"', r'\1Z"', text).splitlines()
    return sorted(lines) if "--natural-primary" in flags else lines


VARIANTS = {
    "plain": ((), "bienestar.json"),
    "indent": (("--indent", "4"), "bienestar.json"),
    "natural keys": (("--natural-foreign", "--natural-primary"), "bienestar.json"),
    "natural, no content types": (
        ("--natural-foreign", "--natural-primary", "--exclude", "contenttypes", "--exclude", "auth.permission"),
        "bienestar.json",
    ),
    "no sessions, no admin log": (("--exclude", "sessions", "--exclude", "admin"), "bienestar.json"),
    "json lines": (("--format", "jsonl"), "bienestar.jsonl"),
    "gzip": (("--natural-foreign",), "bienestar.json.gz"),
    "xz": (("--indent", "2"), "bienestar.json.xz"),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_each_dumpdata_variant_restores_to_the_same_export(django_db: DjangoDB, tmp_path: Path, variant: str) -> None:
    """Restored from the export, the tenant exports again to the very same text (what Django sees is back)."""
    flags, name = VARIANTS[variant]
    before = _dump_lines(django_db, flags)
    dump = dump_tenant(django_db, "bienestar", tmp_path / name, *flags)
    delete_user(django_db, "bienestar", PATIENT)
    others = other_schemas(django_db.superuser, "bienestar")

    restore_tenant(django_db.app, "bienestar", dump)

    assert _dump_lines(django_db, flags) == before
    assert other_schemas(django_db.superuser, "bienestar") == others


def _refused(db: DjangoDB, path: Path, message: str) -> None:
    """The restore of `path` is refused with `message` (a regular expression), and nothing changed."""
    before = fingerprint(db.superuser, "bienestar")
    others = other_schemas(db.superuser, "bienestar")
    with pytest.raises(ResguardoError, match=message) as caught:
        restore_tenant(db.app, "bienestar", path)
    assert "\n" not in caught.value.message
    assert fingerprint(db.superuser, "bienestar") == before
    assert other_schemas(db.superuser, "bienestar") == others
    assert resguardo_schemas(db.superuser) == []


def _edited(db: DjangoDB, tmp_path: Path, flags: tuple[str, ...], edit: Callable[[dict[str, Any]], None]) -> Path:
    """A real export of bienestar with `edit` applied to each of its objects."""
    objects = json.loads(run_django(db, ["tenant_command", "dumpdata", "--schema", "bienestar", *flags]).stdout)
    for obj in objects:
        edit(obj)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(objects), encoding="utf-8")
    return path


def test_exports_that_do_not_fit_the_tenant_are_refused_with_the_reason(django_db: DjangoDB, tmp_path: Path) -> None:
    shared = tmp_path / "public.json"
    run_django(django_db, ["dumpdata", "-o", str(shared)])  # manage.py dumpdata: the shared schema
    _refused(
        django_db,
        shared,
        r"public.json is a dumpdata export of the shared schema public \(customers.client, "
        r".*\), not of a clinic: export the clinic with `manage.py tenant_command dumpdata --schema bienestar`",
    )
    blog = tmp_path / "blog.json"
    blog.write_text(json.dumps([{"model": "blog.post", "pk": 1, "fields": {"title": "Hola"}}]))
    _refused(
        django_db,
        blog,
        r"blog.json is a dumpdata export of another application: its models \(blog.post\) are "
        r"not those of tenant 'bienestar'",
    )

    def nickname(obj: dict[str, Any]) -> None:
        if obj["model"] == "users.customuser":
            obj["fields"]["nickname"] = "x"

    _refused(
        django_db,
        _edited(django_db, tmp_path, (), nickname),
        r"the field 'nickname' of users.customuser has no column in table users_customuser of tenant "
        r"'bienestar': the file comes from another version of the application",
    )
    only_appointments = tmp_path / "appointments.json"
    run_django(
        django_db, ["tenant_command", "dumpdata", "--schema", "bienestar", "appointments", "-o", str(only_appointments)]
    )
    _refused(
        django_db,
        only_appointments,
        r"appointments.appointment pk 1 points, in its field 'patient', at a row of"
        r" table patients_patientprofile, whose model the file does not hold",
    )
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    _refused(django_db, empty, "empty.json is an empty dumpdata export")
    with django_db.superuser.connect() as conn:  # a clinic whose schema was never made
        conn.execute(
            "INSERT INTO public.customers_client (schema_name, name, paid_until, on_trial, created_on)"
            " VALUES ('nueva', 'Nueva', '2027-12-31', false, '2025-03-01')"
        )
    with pytest.raises(ResguardoError, match="Tenant 'nueva' has no tables: a dumpdata export holds rows only"):
        restore_tenant(django_db.app, "nueva", only_appointments)


def test_natural_keys_that_match_nothing_are_refused_naming_the_object(django_db: DjangoDB, tmp_path: Path) -> None:
    def stranger(obj: dict[str, Any]) -> None:
        if obj["model"] == "chat.chatmessage" and obj["pk"] == 7:
            obj["fields"]["sender"] = ["nadie@test.com"]

    _refused(
        django_db,
        _edited(django_db, tmp_path, ("--natural-foreign",), stranger),
        r"chat.chatmessage pk 7 refers, in its field 'sender', to \['nadie@test.com'\] by natural key, which "
        r"matches no row of table users_customuser in the file or in tenant 'bienestar'",
    )


def test_natural_keys_resolve_against_the_live_rows(django_db: DjangoDB, tmp_path: Path) -> None:
    """Content types and permissions left out of the export: the file's references find the live rows."""
    dump = dump_tenant(
        django_db,
        "bienestar",
        tmp_path / "b.json",
        "--natural-foreign",
        "--natural-primary",
        "--exclude",
        "contenttypes",
        "--exclude",
        "auth.permission",
    )
    text = dump.read_text()
    assert '"model": "auth.permission"' not in text and '["view_appointment", "appointments", "appointment"]' in text
    delete_user(django_db, "bienestar", PATIENT)
    restore_tenant(django_db.superuser, "bienestar", dump)
    granted = run_django(
        django_db,
        "result = sorted(Group.objects.get(name='Psicólogos').permissions.values_list('codename', flat=True))",
        schema="bienestar",
    ).result
    assert granted == ["add_chatmessage", "change_appointment", "view_appointment", "view_chatmessage"]
    assert check_login(django_db, "bienestar", PATIENT, USER_PASSWORD)


def test_values_postgresql_refuses_fail_the_restore_and_change_nothing(django_db: DjangoDB, tmp_path: Path) -> None:
    def boast(obj: dict[str, Any]) -> None:
        if obj["model"] == "psychologists.psychologistprofile":
            obj["fields"]["years_experience"] = "muchos"

    _refused(
        django_db,
        _edited(django_db, tmp_path, (), boast),
        r"psychologists_psychologistprofile.*invalid input syntax for type integer: \"muchos\"",
    )


def test_a_truncated_export_is_named(django_db: DjangoDB, tmp_path: Path) -> None:
    whole = dump_tenant(django_db, "bienestar", tmp_path / "whole.json", "--indent", "2")
    cut = tmp_path / "cut.json"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 2 // 3])
    _refused(
        django_db,
        cut,
        r"cut.json is truncated: it ends inside the object that starts at character [\d,]+; "
        "the export did not finish",
    )


def test_preview_shows_rows_per_table_in_the_file_and_now(django_db: DjangoDB, tmp_path: Path) -> None:
    dump = dump_tenant(django_db, "bienestar", tmp_path / "b.json", "--exclude", "sessions")
    delete_user(django_db, "bienestar", PATIENT)
    before = fingerprint(django_db.superuser, "bienestar")

    preview = preview_restore(django_db.app, "bienestar", dump)

    rows = {t.name: (t.rows_in_file, t.rows_now) for t in preview.tables}
    assert rows["users_customuser"] == (9, 8)
    assert rows["appointments_appointment"] == (20, 16)
    assert rows["clinic_settings"] == (1, 1)  # a model with db_table
    assert rows["users_customuser_groups"] == (8, 7)  # a many-to-many table, from the users' lists
    assert rows["django_session"] == (0, 1)  # left out of the export: emptied
    assert rows["django_migrations"][0] is None  # not a model: kept as it is
    assert preview.source.kind == "django-json" and preview.tables_only_live == []
    assert preview.superusers_kept == [ADMIN_EMAIL]
    assert fingerprint(django_db.superuser, "bienestar") == before


def test_verify_reads_an_export_in_full(django_db: DjangoDB, tmp_path: Path) -> None:
    dump = dump_tenant(django_db, "bienestar", tmp_path / "b.json.gz", "--natural-foreign")
    check = verify_file(dump)
    assert (check.kind, check.tables, check.has_data) == ("django-json", 12, True)
    assert check.rows == len(json.loads(gzip.decompress(dump.read_bytes())))
    done = run_cli("verify", "--file", str(dump))
    assert done.returncode == 0
    assert done.stdout.strip() == (
        f"OK: b.json.gz is a complete Django dumpdata export: {check.rows} objects of 12 models; it reads in full."
    )


def _large_export(db: DjangoDB, path: Path, messages: int) -> int:
    """bienestar's real export (natural foreign keys) plus `messages` chat messages, written as a stream."""
    objects = json.loads(
        run_django(db, ["tenant_command", "dumpdata", "--schema", "bienestar", "--natural-foreign"]).stdout
    )
    with path.open("w", encoding="utf-8") as out:
        out.write("[\n")
        for obj in objects:
            out.write(json.dumps(obj, ensure_ascii=False) + ",\n")
        for n in range(messages):
            sender, recipient = ["psicologo1@test.com"], [f"paciente{1 + n % 5}@test.com"]
            out.write(
                json.dumps(
                    {
                        "model": "chat.chatmessage",
                        "pk": 100_000 + n,
                        "fields": {
                            "sender": sender,
                            "recipient": recipient,
                            "appointment": None if n % 3 else 1 + n % 20,
                            "content": f"Mensaje número {n}: ¿podemos cambiar la cita del jueves?\tGracias.\n",
                            "sent_at": "2025-04-01T08:00:00Z",
                            "is_read": n % 2 == 0,
                        },
                    },
                    ensure_ascii=False,
                )
            )
            out.write(",\n" if n < messages - 1 else "\n")
        out.write("]\n")
    return len(objects) + messages


def test_a_large_export_restores_in_flat_memory(django_db: DjangoDB, tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    objects = _large_export(django_db, big, 100_000)
    size = big.stat().st_size
    tracemalloc.start()
    try:
        restore_tenant(django_db.app, "bienestar", big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert size > 25 << 20 and objects > 100_000
    assert peak < 12 << 20, f"peak {peak >> 20} MB for a {size >> 20} MB file"  # measured: 6.6 MB for 41 MB
    with django_db.superuser.connect() as conn:
        count = conn.execute("SELECT count(*) FROM bienestar.chat_chatmessage").fetchone()
    assert count == (100_060,)


def test_rows_that_do_not_hold_together_are_named(django_db: DjangoDB, tmp_path: Path) -> None:
    def dangling(obj: dict[str, Any]) -> None:
        if obj["model"] == "chat.chatmessage" and obj["pk"] == 7:
            obj["fields"]["appointment"] = 9999

    _refused(
        django_db,
        _edited(django_db, tmp_path, (), dangling),
        r"^edited.json: its rows do not hold together: .*Key \(appointment_id\)=\(9999\) is not present in "
        r"table \"appointments_appointment\"",
    )


def test_the_cli_previews_and_restores_an_export(django_db: DjangoDB, tmp_path: Path) -> None:
    dump = dump_tenant(django_db, "bienestar", tmp_path / "b.json", "--exclude", "sessions")
    delete_user(django_db, "bienestar", PATIENT)
    env = {"RESGUARDO_DSN": django_db.app.conninfo, "PGPASSWORD": django_db.app.password or ""}
    preview = run_cli("restore", "--tenant", "bienestar", "--file", str(dump), env=env, input="no\n")
    assert preview.returncode != 0  # not confirmed: nothing done
    assert "Restore bienestar from b.json (django-json, Django dumpdata)" in preview.stdout
    assert "rows of a Django export, into the tables the clinic has today" in preview.stdout
    assert "    users_customuser: 9 in the file, 8 now" in preview.stdout
    assert "    django_migrations: kept as it is, " in preview.stdout
    assert "    django_session: 0 in the file, 1 now" in preview.stdout
    done = run_cli("restore", "--tenant", "bienestar", "--file", str(dump), "--yes", env=env)
    assert done.returncode == 0, done.stderr
    assert "Administrator accounts kept: admin@gmail.com" in done.stdout
    assert check_login(django_db, "bienestar", PATIENT, USER_PASSWORD)

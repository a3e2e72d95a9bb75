"""Django dumpdata exports restore through the safe path: the seed's story with the project's real dumpdata."""

from __future__ import annotations

from pathlib import Path

import pytest
from psycopg import sql

from app.engine.connection import ConnectionTarget
from app.engine.restore import restore_tenant
from app.engine.undo import undo_restore
from tests.django_support import (
    ADMIN_EMAIL, ADMIN_PASSWORD, PATIENTS, USER_PASSWORD, DjangoDB, check_login, delete_user, dump_tenant,
    run_django, set_password,
)
from tests.restore_support import fingerprint, other_schemas

PATIENT = PATIENTS[0]
APPOINTMENTS_OF = ("result = sorted(Appointment.objects.filter(patient__user__email={email!r})"
                   ".values_list('id', 'scheduled_at', 'notes'))")


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

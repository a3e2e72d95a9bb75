"""Several chosen records in one recovery (app/engine/recovery/several.py): two deleted patients planned one by one,
merged, applied in one transaction and undone at once, on the demo clinic."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.errors import PreflightError
from app.engine.recovery.apply import apply_recovery
from app.engine.recovery.model import Why
from app.engine.recovery.several import MAX_RECORDS, plan_several
from app.engine.recovery.undo import undo_recovery
from tests.support.gui import rows_fingerprint
from tests.support.patients import delete_user
from tests.support.pg import one_value

PATIENTS = ("paciente1@test.com", "paciente2@test.com")


def test_two_patients_come_back_in_one_recovery_each_row_once(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    backup = backup_tenant(demo_db, "bienestar", tmp_path / "b.resguardo").path
    before = rows_fingerprint(demo_db, "bienestar")
    with demo_db.connect() as conn:
        ids = [
            str(one_value(conn, "SELECT id FROM bienestar.users_customuser WHERE email = %s", [e])) for e in PATIENTS
        ]
        for email in PATIENTS:
            delete_user(conn, "bienestar", email)
    after_delete = rows_fingerprint(demo_db, "bienestar")

    plan = plan_several(demo_db, "bienestar", backup, table="users_customuser", matches=[(("id", i),) for i in ids])
    tables = {t.name: t for t in plan.tables}
    users = tables["users_customuser"]
    assert sorted(r.key for r in users.rows if r.why is Why.CHOSEN) == sorted(ids)
    for table in plan.tables:  # a row both patients bring (a message between them) comes once
        assert len({r.line for r in table.rows}) == len(table.rows), table.name
    names = [t.name for t in plan.tables]
    assert (
        names.index("users_customuser")
        < names.index("patients_patientprofile")
        < names.index("appointments_appointment")
    )
    apply_recovery(demo_db, plan)
    assert rows_fingerprint(demo_db, "bienestar") == before
    undo_recovery(demo_db, "bienestar")
    assert rows_fingerprint(demo_db, "bienestar") == after_delete


def test_too_many_records_at_once_are_refused(demo_db: ConnectionTarget, tmp_path: Path) -> None:
    backup = backup_tenant(demo_db, "bienestar", tmp_path / "b.resguardo").path
    matches = [(("id", str(n)),) for n in range(MAX_RECORDS + 1)]
    with pytest.raises(PreflightError, match="at most"):
        plan_several(demo_db, "bienestar", backup, table="users_customuser", matches=matches)

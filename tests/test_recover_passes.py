"""The recovery's plan reads each backup table once where the foreign keys allow (issue 23's bench, closure.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.jobs import Progress
from app.engine.recovery.model import Why
from app.engine.recovery.planning import plan_recovery
from tests.support.restore import delete_patient

pytestmark = pytest.mark.core
TENANT = "bienestar"


def test_the_deleted_patient_is_planned_reading_each_table_of_the_backup_once(
    demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    """The messages refer to the user and to the appointments: they are read once, after both (they were read
    twice, once per pass that reached them); the plan still brings every message of the patient."""
    with demo_db.connect() as conn:
        messages_before = {
            str(r[0])
            for r in conn.execute(
                "SELECT m.id FROM bienestar.chat_chatmessage m JOIN bienestar.users_customuser u"
                " ON u.email = 'paciente1@test.com' WHERE m.sender_id = u.id OR m.recipient_id = u.id"
                " OR m.appointment_id IN (SELECT a.id FROM bienestar.appointments_appointment a"
                " JOIN bienestar.patients_patientprofile p ON p.id = a.patient_id WHERE p.user_id = u.id)"
            )
        }
    archive = backup_tenant(demo_db, TENANT, tmp_path / "b.resguardo").path
    delete_patient(demo_db)
    reads: list[str] = []

    def seen(p: Progress) -> None:
        if p.stage == "Reading":
            reads.append(p.detail)

    plan = plan_recovery(
        demo_db, TENANT, archive, table="users_customuser", match=[("email", "paciente1@test.com")], progress=seen
    )
    times = Counter(reads)
    assert {"users_customuser", "appointments_appointment", "chat_chatmessage"} <= set(times)
    assert all(n == 1 for n in times.values()), times
    tables = {t.name: t for t in plan.tables}
    assert reads.index("chat_chatmessage") > reads.index("appointments_appointment")
    messages = tables["chat_chatmessage"].rows
    assert messages_before and {r.key for r in messages} == messages_before
    assert all(r.why == Why.DEPENDENT for r in messages)
    assert plan.tables[0].name == "users_customuser"

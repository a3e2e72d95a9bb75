"""`schedule run NAME`: back up the schedule's clinics, verify each file, apply the keep rules, leave a record.

The backups are app/engine/backup/many.py's (one clinic's failure never stops the others); each new file is
then read in full and recorded as verified, and the keep rules run over the folder (app/engine/routine/prune.py,
which never removes a clinic's newest verified backup). The record is written whatever happens; its `failed`
decides the exit status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from app.engine.backup.many import ClinicOutcome, backup_all
from app.engine.connection import ConnectionTarget
from app.engine.encryption.header import read_header
from app.engine.errors import ArchiveError, ConnectionFailed, ResguardoError
from app.engine.inspection.verify import verify_file
from app.engine.rehearsal.rehearsal import rehearse_restore
from app.engine.routine.found import FoundBackup, read_backup
from app.engine.routine.password import connect_failure, unattended_password
from app.engine.routine.ping import ping
from app.engine.routine.prune import prune_folder
from app.engine.routine.records import ClinicRecord, RunRecord, write_record
from app.engine.routine.schedules import WEEKDAYS, Schedule
from app.engine.routine.verified import VerifiedStore, record_restore_test
from app.engine.safety.naming import utc_now_iso
from app.engine.stores.profiles import ProfileStore
from app.engine.stores.secrets import SecretStore

log = logging.getLogger(__name__)


def run_schedule(
    schedule: Schedule,
    *,
    secrets: SecretStore | None = None,
    say: Callable[[str], None] = lambda _: None,
    verified: VerifiedStore | None = None,
) -> tuple[RunRecord, Path]:
    """Run `schedule` once; its record and where the record was written. Never raises for a clinic's failure."""
    record = RunRecord(schedule.name, utc_now_iso())
    verified = verified or VerifiedStore()
    try:
        _run(schedule, record, secrets or SecretStore(), say, verified)
    except ResguardoError as exc:
        record.error = exc.message
        say(f"resguardo: {exc.message}")
    record.ended_utc = utc_now_iso()
    if schedule.ping_url:
        record.ping = ping(schedule.ping_url, failed=record.failed, summary=record.summary())
        say(record.ping)
    path = write_record(record)
    return record, path


def _run(
    schedule: Schedule, record: RunRecord, secrets: SecretStore, say: Callable[[str], None], verified: VerifiedStore
) -> None:
    profile = ProfileStore().get(schedule.profile)
    password = unattended_password(profile, secrets)
    record.password = password.said
    say(password.said)

    def clinic_done(outcome: ClinicOutcome) -> None:
        entry = _checked(outcome, verified)
        record.clinics.append(entry)
        if schedule.restore_test == WEEKDAYS[datetime.now().weekday()] and not entry.error:
            tested.append(entry)  # after every backup: a clinic's job lock is its backup's until then
        done = f"{entry.file} ({entry.size_bytes} bytes, {entry.seconds:.1f} s), verified"
        say(f"{entry.schema}: {entry.error or done}")

    tested: list[ClinicRecord] = []

    try:
        backup_all(
            password.target,
            Path(schedule.folder),
            schemas=list(schedule.clinics) or None,
            fmt=schedule.format,
            tenants_table=profile.tenants_table or None,
            on_clinic=clinic_done,
            encrypt_to=profile.encrypt_to,  # an encrypted profile's files, checked in full before encryption
            verify_plain=True,
        )
    except ConnectionFailed as exc:
        raise connect_failure(exc, password, profile) from None
    for entry in tested:
        _restore_test(password.target, entry, profile.tenants_table or None)
        say(f"{entry.schema}: restore test {entry.error or 'passed'}")
    if schedule.keep.any:  # after a clinic's failure too: its newest verified backup is never removed
        report = prune_folder(Path(schedule.folder), schedule.keep, verified=verified)
        refused = {path for path, _ in report.failed}
        record.removed = [str(b.path) for b in report.removed if b.path not in refused]
        for removed in record.removed:
            say(f"Removed {removed} (no keep rule keeps it)")
        for path, why in report.failed:
            say(f"Could not remove {path}: {why}")


def _checked(outcome: ClinicOutcome, verified: VerifiedStore) -> ClinicRecord:
    """The clinic's record, its new file read in full (and the verification recorded for prune)."""
    entry = ClinicRecord(outcome.schema, str(outcome.path or ""), outcome.size_bytes, round(outcome.seconds, 3))
    if not outcome.ok or outcome.path is None:
        entry.error = outcome.error or f"{outcome.schema!r} was not backed up ({outcome.status.value})."
        return entry
    if read_header(outcome.path) is not None:  # encrypted: verified before it was (backup_all's verify_plain)
        entry.verified = True
        return entry
    try:
        verify_file(outcome.path)
    except ArchiveError as exc:
        entry.error = f"The new backup does not verify: {exc.message}"
        return entry
    entry.verified = True
    found = read_backup(outcome.path)
    if isinstance(found, FoundBackup):
        verified.record(found)
    return entry


def _restore_test(target: ConnectionTarget, entry: ClinicRecord, tenants_table: str | None) -> None:
    """The schedule's weekly restore test of the clinic's new backup (app/engine/rehearsal/), its record beside the
    file; a failure is the clinic's error, so the run fails loudly. An encrypted file is not tested (the run holds
    no private key)."""
    path = Path(entry.file)
    if read_header(path) is not None:
        entry.restore_test = "not tested: the backup is encrypted and the run holds no private key"
        return
    found = read_backup(path)
    checksum = found.checksum if isinstance(found, FoundBackup) else None
    try:
        result = rehearse_restore(target, path, tenant=entry.schema, tenants_table=tenants_table)
    except ResguardoError as exc:
        entry.error = f"The new backup's restore test failed: {exc.message}"
        record_restore_test(path, checksum, {"ok": False, "server": target.describe(), "error": exc.message})
        return
    record_restore_test(
        path,
        checksum,
        {
            "ok": True,
            "server": target.describe(),
            "tenant": result.tenant,
            "seconds": round(result.seconds, 3),
            "rows": result.rows,
            "tables": len(result.tables),
        },
    )
    entry.restore_test = "passed"

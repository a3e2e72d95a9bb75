"""Remove the backups the keep rules no longer want, clinic by clinic, and say why each stays or goes.

Never removed: the newest backup of a clinic that verifies (app/engine/routine/verified.py), a file whose
clinic or time cannot be read, a file that is not a Resguardo backup. When no backup of a clinic verifies,
nothing of that clinic is removed: the rules would otherwise leave only damaged files.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

from app.engine.errors import UsageError
from app.engine.routine.found import FoundBackup, Unreadable, scan_folder
from app.engine.routine.keep import KeepRules, kept_by_rules
from app.engine.routine.verified import VerifiedStore, restore_test_path

log = logging.getLogger(__name__)

NEWEST_VERIFIED = "newest verified"
NONE_VERIFIES = "no backup of this clinic verifies"


@dataclass(frozen=True)
class Decision:
    backup: FoundBackup
    keep: bool
    reason: str  # the rule that keeps it, or why it goes ("no rule keeps it")


@dataclass(frozen=True)
class ClinicPlan:
    database: str
    schema: str
    decisions: list[Decision]  # newest first


@dataclass
class PruneReport:
    folder: Path
    rules: KeepRules
    zone: str  # the time zone periods were counted in, as said in the output
    dry_run: bool
    clinics: list[ClinicPlan] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
    ignored: int = 0
    failed: list[tuple[Path, str]] = field(default_factory=list)  # removals the OS refused

    @property
    def removed(self) -> list[FoundBackup]:
        return [d.backup for c in self.clinics for d in c.decisions if not d.keep]


def zone_name(zone: tzinfo | None = None) -> str:
    """`Europe/Madrid (CET, UTC+01:00 now)`: the zone's name when known (TZ, or the zone given), its abbreviation
    and offset now."""
    now = datetime.now().astimezone(zone)
    offset = now.strftime("%z")
    name = getattr(zone, "key", None) if zone is not None else os.environ.get("TZ", "").lstrip(":")
    abbreviation = f"{now.tzname()}, UTC{offset[:3]}:{offset[3:]} now"
    return f"{name} ({abbreviation})" if name else f"{abbreviation.replace(', ', ' (', 1)})"


def prune_folder(
    folder: Path,
    rules: KeepRules,
    *,
    dry_run: bool = False,
    zone: tzinfo | None = None,
    verified: VerifiedStore | None = None,
) -> PruneReport:
    """Apply `rules` to every clinic's backups in `folder`; with `dry_run`, say what would go and remove nothing."""
    if not rules.any:
        raise UsageError("No keep rule given: give at least one --keep-… option (prune never removes everything).")
    verified = verified or VerifiedStore()
    found = scan_folder(folder)
    report = PruneReport(Path(folder), rules, zone_name(zone), dry_run, [], found.unreadable, found.ignored)
    groups: dict[tuple[str, str], list[FoundBackup]] = defaultdict(list)
    for backup in found.backups:
        groups[(backup.database, backup.schema)].append(backup)
    for (database, schema), backups in sorted(groups.items()):
        report.clinics.append(_plan(database, schema, backups, rules, zone, verified))
    if not dry_run:
        for backup in report.removed:
            try:
                backup.path.unlink()
            except OSError as exc:
                report.failed.append((backup.path, exc.strerror or str(exc)))
            else:
                log.info("Pruned %s (%s of %s)", backup.path, backup.schema, backup.created)
                with suppress(OSError):  # its restore test's record goes with it
                    restore_test_path(backup.path).unlink(missing_ok=True)
    return report


def _plan(
    database: str, schema: str, backups: list[FoundBackup], rules: KeepRules, zone: tzinfo | None, store: VerifiedStore
) -> ClinicPlan:
    backups = sorted(backups, key=lambda b: (b.created, str(b.path)), reverse=True)
    kept = kept_by_rules(backups, lambda b: b.created, rules, zone)
    newest_verified = next((i for i, b in enumerate(backups) if store.verify(b)), None)
    decisions = []
    for i, backup in enumerate(backups):
        if i in kept:
            decisions.append(Decision(backup, True, kept[i]))
        elif newest_verified is None:
            decisions.append(Decision(backup, True, NONE_VERIFIES))
        elif i == newest_verified:
            decisions.append(Decision(backup, True, NEWEST_VERIFIED))
        else:
            decisions.append(Decision(backup, False, "no rule keeps it"))
    return ClinicPlan(database, schema, decisions)

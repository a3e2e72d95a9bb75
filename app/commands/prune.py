"""`resguardo prune`: keep rules over a folder of backups, clinic by clinic (borg prune's semantics)."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.engine.errors import CommandLineError, UsageError
from app.engine.routine.keep import KeepRules
from app.engine.routine.prune import PruneReport, prune_folder
from app.formatting import human_size

RULES = ("last", "daily", "weekly", "monthly", "yearly")


def add_keep_options(parser: argparse.ArgumentParser) -> None:
    """The --keep-… options, shared with `schedule add`."""
    for rule in RULES:
        what = "most recent backups" if rule == "last" else f"{rule} periods (the newest backup of each)"
        parser.add_argument(
            f"--keep-{rule}", type=int, default=0, metavar="N", help=f"keep the {what}; -1: all (default 0: off)"
        )


def keep_rules(args: argparse.Namespace) -> KeepRules:
    """The rules the --keep-… options give; a count out of range is a wrong command line (exit status 2)."""
    try:
        return KeepRules(**{rule: getattr(args, f"keep_{rule}") for rule in RULES})
    except UsageError as exc:
        raise CommandLineError(exc.message) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", required=True, metavar="DIR", help="the folder of backups (subfolders included)")
    add_keep_options(parser)
    parser.add_argument("--dry-run", action="store_true", help="say what would be removed; remove nothing")


def report_lines(report: PruneReport) -> list[str]:
    """What is kept and removed, and which rule decided; for `prune` and `schedule run`."""
    verb = "Would remove" if report.dry_run else "Removed"
    lines = [f"Keep rules: {report.rules.describe()}; periods counted in the time zone {report.zone}."]
    for clinic in report.clinics:
        lines.append(f"Clinic {clinic.schema!r} (database {clinic.database!r}):")
        for d in clinic.decisions:
            when = d.backup.created.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
            action = "keep  " if d.keep else ("would remove" if report.dry_run else "remove")
            lines.append(f"  {action}  {when}  {d.backup.path}  ({d.reason})")
    for item in report.unreadable:
        lines.append(f"Kept, not read: {item.path}: {item.reason}")
    if report.ignored:
        lines.append(f"Ignored {report.ignored} files that are not Resguardo backups.")
    for path, why in report.failed:
        lines.append(f"Could not remove {path}: {why}")
    removed = [b for b in report.removed if b.path not in {p for p, _ in report.failed}]
    lines.append(f"{verb} {len(removed)} backups ({human_size(sum(b.size_bytes for b in removed))}).")
    return lines


def run(args: argparse.Namespace) -> int:
    report = prune_folder(Path(args.dir), keep_rules(args), dry_run=args.dry_run)
    print("\n".join(report_lines(report)))
    return 1 if report.failed else 0

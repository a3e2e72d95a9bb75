"""`resguardo restore`: put one tenant back from a backup file, after a preview and a typed confirmation."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from app.commands.common import (
    add_lock_options,
    add_tenants_table_option,
    confirm_by_typing,
    interrupted_lines,
    lock_policy,
    profile_setting,
    resolve_target,
    tenants_table,
)
from app.commands.encryption_options import add_identity_option, readable_file
from app.engine.restore.options_and_result import COMPARE_BOUND_BYTES
from app.engine.restore.restore import RestoreResult, restore_tenant
from app.formatting import human_size
from app.text_safety import terminal

if TYPE_CHECKING:
    from app.engine.restore.preview import RestorePreview


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", required=True, metavar="SCHEMA", help="the tenant's schema name")
    parser.add_argument("--file", required=True, metavar="PATH", help="the backup file")
    parser.add_argument("--yes", action="store_true", help="do not show the preview nor ask for confirmation")
    parser.add_argument(
        "--no-keep-superusers",
        dest="keep_superusers",
        action="store_false",
        help="take the backup's accounts as they are (default: keep today's administrators)",
    )
    parser.add_argument(
        "--allow-other-tenant",
        action="store_true",
        help="allow a backup of another tenant to be restored into this one",
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="compare every row in the preview, whatever the backup's size (default: backups of at most "
        f"{human_size(COMPARE_BOUND_BYTES)} of rows)",
    )
    add_tenants_table_option(parser)
    add_lock_options(parser)
    add_identity_option(parser)


def run(args: argparse.Namespace) -> int:
    target = resolve_target(args)
    user_table = profile_setting(args, "user_table")
    options = {
        "allow_other_tenant": args.allow_other_tenant,
        "keep_superusers": args.keep_superusers,
        "user_table": user_table,
        "tenants_table": tenants_table(args),
    }
    with readable_file(args, restoring=True) as path:  # an encrypted file: its decrypted copy, for both reads
        if not args.yes:  # --yes (a script, a schedule) shows no preview, nor imports it
            from app.engine.restore.preview import preview_restore

            compare = True if args.compare else None
            print(describe_preview(preview_restore(target, args.tenant, path, compare=compare, **options)))
            confirm_by_typing(f"Type the tenant's name ({args.tenant}) to restore it:", args.tenant)
        print(describe_result(restore_tenant(target, args.tenant, path, locks=lock_policy(args), **options)))
    return 0


def describe_preview(p: RestorePreview) -> str:
    s = p.source
    json = s.kind == "django-json"  # the tenant's schema stays; the file says nothing of its origin or date
    lines = (  # what happens first: another tenant's backup replaces this one's data, it is no rollback
        [
            f"WARNING: {terminal(p.tenant)}'s data will be replaced by {terminal(s.source_schema or '?')}'s "
            f"(a backup of another tenant, taken {s.created_utc or 'at an unknown time'})."
        ]
        if p.other_tenant
        else []
    )
    lines += [
        f"Restore {terminal(p.tenant)} from {terminal(s.path.name)} ({s.kind}, {s.tool_version or 'unknown tool'})",
        "  rows of a Django export, into the tables the clinic has today"
        if json
        else f"  backup of tenant {terminal(s.source_schema or '?')}, taken {s.created_utc or 'at an unknown time'}",
    ]
    if not p.schema_exists:
        lines.append(f"  {terminal(p.tenant)} has no schema yet: it will be created.")
    lines.append(f"  {len(p.tables)} tables, {human_size(p.size_bytes)} of rows to load:")
    for t in p.tables:
        now = "absent now" if t.rows_now is None else f"{'' if t.rows_now_exact else '~'}{t.rows_now} now"
        if json and t.rows_in_file is None:
            lines.append(f"    {terminal(t.name)}: kept as it is, {now}")
            continue
        lines.append(
            f"    {terminal(t.name)}: {t.rows_in_file if t.rows_in_file is not None else '?'} in the file, {now}"
        )
    for name in p.tables_only_live:
        lines.append(f"    {terminal(name)}: not in the file; it will disappear")
    lines += _compared(p)
    if p.needs_migrate:
        lines.append(
            "  The file's django_migrations differ from today's; run migrate_schemas for this tenant afterwards."
        )
        lines += [f"    only in the file: {terminal(a)}.{terminal(n)}" for a, n in p.migrations_only_in_file]
        lines += [f"    only today: {terminal(a)}.{terminal(n)}" for a, n in p.migrations_only_live]
    if p.safety_copy_kept:
        lines.append(f"  Today's {terminal(p.tenant)} will be kept as a safety copy (undo-restore brings it back).")
    for name in p.safety_copies_dropped:
        lines.append(f"  The older safety copy {terminal(name)} will be dropped.")
    if p.superusers_kept:
        lines.append(f"  Administrator accounts kept: {', '.join(map(terminal, p.superusers_kept))}")
    if p.signs_out:
        lines.append("  People who signed in to the web application after the backup will have to sign in again.")
    if p.busy:
        lines.append(
            f"  Another backup or restore of {terminal(p.tenant)} is running now; the restore would be refused."
        )
    return "\n".join(lines)


def _compared(p: RestorePreview) -> list[str]:
    """What the whole restore brings back and throws away, row by row (app/engine/comparison)."""
    if p.comparison is None:
        if p.not_compared:
            return [f"  Rows were not compared with today's: {terminal(p.not_compared)}"]
        if p.source.kind == "native" and p.schema_exists:
            return [
                "  Rows were not compared with today's (the backup holds more than "
                f"{human_size(COMPARE_BOUND_BYTES)} of rows): add --compare, or run resguardo diff, to see what "
                "a restore would throw away."
            ]
        return []
    from app.commands.diff import headline

    lines = [f"  Row by row: {headline(p.comparison)}"]
    for t in p.comparison.tables:
        if t.only_in_backup or t.only_now or t.changed:
            words = f" ({terminal(t.words)})" if t.words else ""
            lines.append(
                f"    {terminal(t.name)}{words}: {t.only_in_backup:,} come back, {t.only_now:,} made since are lost, "
                f"{t.changed:,} changed since go back"
            )
    return lines


def describe_result(r: RestoreResult) -> str:
    lines = [
        f"Restored {terminal(r.tenant)} from {terminal(r.path.name)}: "
        f"{r.rows} rows in {r.tables} tables, {r.seconds:.1f} s"
    ]
    if r.safety_copy:
        lines.append(
            f"Safety copy of the previous {terminal(r.tenant)}: {terminal(r.safety_copy)} "
            f"(resguardo undo-restore --tenant {terminal(r.tenant)} --yes brings it back)"
        )
    if r.kept_superusers:
        lines.append(f"Administrator accounts kept: {', '.join(map(terminal, r.kept_superusers))}")
    if r.app_writes:
        lines.append(
            f"{r.app_writes} rows were written by the web application during the restore; they are in the "
            f"safety copy {terminal(r.safety_copy or '')}"
        )
    if r.signs_out:
        lines.append("People who signed in to the web application after the backup will have to sign in again")
    lines += interrupted_lines(r.interrupted)
    lines += [f"Dropped the older safety copy {terminal(name)}" for name in r.dropped_safety_copies]
    lines += [f"Cleaned up {terminal(name)}, left by an interrupted restore" for name in r.cleaned_leftovers]
    lines += [f"Warning: {terminal(w)}" for w in r.warnings]
    return "\n".join(lines)

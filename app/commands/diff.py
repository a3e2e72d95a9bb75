"""`resguardo diff`: compare a backup with the live clinic, row by row (docs/recover.md)."""

from __future__ import annotations

import argparse
import json

from app.commands.common import add_tenants_table_option, resolve_target, tenants_table
from app.commands.encryption_options import add_identity_option, readable_file
from app.engine.comparison.compare import compare_backup
from app.engine.comparison.names import counted
from app.engine.comparison.result import Comparison, Matching, TableDiff
from app.text_safety import terminal


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tenant", required=True, metavar="SCHEMA", help="the tenant's schema name")
    parser.add_argument("--file", required=True, metavar="PATH", help="the backup file (Resguardo's format)")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    add_tenants_table_option(parser)
    add_identity_option(parser)


def run(args: argparse.Namespace) -> int:
    target = resolve_target(args)
    with readable_file(args) as path:  # an encrypted file: its decrypted copy
        found = compare_backup(target, args.tenant, path, tenants_table=tenants_table(args))
    print(json.dumps(found.as_json(), indent=2, ensure_ascii=False) if args.json else describe(found))
    return 0


def what(table: TableDiff, count: int) -> str:
    """ "12 appointments" where Django names the model, else "12 rows of users_customuser_groups"."""
    if table.model is not None:
        return terminal(counted(table.model, count))
    return f"{count:,} {'row' if count == 1 else 'rows'} of {terminal(table.name)}"


def headline(found: Comparison) -> str:
    """What a whole restore of the backup would bring back and throw away, in one sentence."""
    back = [what(t, t.only_in_backup) for t in found.tables if t.only_in_backup]
    lost = [what(t, t.only_now) for t in found.tables if t.only_now]
    changed = [what(t, t.changed) for t in found.tables if t.changed]
    parts = []
    if back:
        parts.append(f"{_listed(back)} {'comes' if found.only_in_backup == 1 else 'come'} back")
    if lost:
        parts.append(f"{_listed(lost)} made since the backup would be lost")
    if changed:
        parts.append(f"{_listed(changed)} changed since would go back to the backup's version")
    return "; ".join(parts) + "." if parts else "The backup holds the same rows as the clinic now."


def describe(found: Comparison) -> str:
    lines = [
        f"Backup of {terminal(found.source_schema)} ({found.created_utc or 'date unknown'}) compared with "
        f"{terminal(found.tenant)} now:",
        f"  {headline(found)}",
    ]
    for t in found.tables:
        if not t.differs and not t.columns_only_now:
            continue
        name = terminal(t.name) + (f" ({terminal(t.words)})" if t.words else "")
        if t.matching is Matching.ABSENT_NOW:
            lines.append(f"  {name}: absent now; {t.only_in_backup:,} rows in the backup")
            continue
        if t.matching is Matching.NOT_IN_BACKUP:
            lines.append(f"  {name}: not in the backup; {t.only_now:,} rows now")
            continue
        by = "compared as a multiset (no key)" if t.matching is Matching.MULTISET else f"by {t.matching.value}"
        lines.append(
            f"  {name}: {t.only_in_backup:,} only in the backup, {t.only_now:,} only now, {t.changed:,} changed ({by})"
        )
        if t.changed_columns:
            columns = ", ".join(f"{terminal(c)} ({n:,})" for c, n in sorted(t.changed_columns.items()))
            lines.append(f"    changed columns: {columns}")
        for label, keys in (
            ("only in the backup", t.keys_only_in_backup),
            ("only now", t.keys_only_now),
            ("changed", t.keys_changed),
        ):
            if keys:
                lines.append(f"    {label}: {', '.join(map(terminal, keys))}{' …' if len(keys) >= 20 else ''}")
        if t.columns_only_in_backup:
            lines.append(f"    columns only in the backup: {', '.join(map(terminal, t.columns_only_in_backup))}")
        if t.columns_only_now:
            lines.append(f"    columns only now: {', '.join(map(terminal, t.columns_only_now))}")
    multisets = [t.name for t in found.tables if t.matching is Matching.MULTISET]
    if multisets:
        lines.append(
            f"  Tables without a key, compared as multisets (equal rows pair up): {', '.join(map(terminal, multisets))}"
        )
    return "\n".join(lines)


def _listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

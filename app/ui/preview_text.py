"""What the restore confirmation says, in plain words: a summary sentence, the facts, the warnings.

Separate from the dialog so the wording can be tested without widgets. The
clinic is named by its name; its internal (schema) name only appears where
the user must type it. Counts that are estimates are never presented as exact.
Names of tables, clinics and accounts are the database's or the file's: each
goes into a sentence through `text_safety.shown`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale

from app.engine.comparison.result import TableDiff
from app.engine.inspection.verify import FileCheck
from app.engine.restore.preview import RestorePreview, TablePreview
from app.text_safety import shown, skeleton
from app.ui import locale_format as fmt
from app.ui.table_names import model_text

translate = QCoreApplication.translate
SENTENCE_TABLES = 3  # tables named in the summary sentence; the rest are counted


@dataclass(frozen=True)
class PreviewContext:
    """Everything the confirmation shows: the engine's preview, the verified file, and names for schemas."""

    preview: RestorePreview
    check: FileCheck
    file_size: int
    clinic: str  # the clinic's name as the window's sentences show it (`MainWindow.clinic_name`)
    names: Mapping[str, str]  # schema -> clinic name as the database has it, for the file's source clinic
    copy_dates: Mapping[str, str]  # previous version (schema) -> when it was kept, ISO UTC
    encrypted_name: str | None = None  # an encrypted backup's own name (the preview read its decrypted copy)


def row_change(table: TablePreview) -> int | None:
    """Rows in the file minus rows now (a table missing now has none); None when not known exactly."""
    if table.rows_in_file is None or not table.rows_now_exact:
        return None
    return table.rows_in_file - (table.rows_now or 0)


def differs(table: TablePreview) -> bool:
    """Highlighted in the table: the counts differ (an estimate counts as different unless it is equal)."""
    return table.rows_in_file != table.rows_now


def format_name(kind: str) -> str:
    if kind == "native":
        return translate("Preview", "Resguardo format")
    if kind == "sql":
        return translate("Preview", "plain SQL (pg_dump)")
    if kind == "django-json":
        return translate("Preview", "Django export (dumpdata)")
    return translate("Preview", "pg_dump custom format")


def made_when(context: PreviewContext) -> str:
    created = context.preview.source.created_utc or context.check.created_utc
    return fmt.when(created) if created else ""


def summary(context: PreviewContext) -> str:
    """One sentence: "Bienestar goes back to 30 nov 2026 09:35: 500 rows come back in chat_chatmessage."."""
    preview, clinic = context.preview, context.clinic
    date = made_when(context)
    if not preview.schema_exists:
        rows = sum(t.rows_in_file or 0 for t in preview.tables)
        return translate("Preview", "{clinic} is created from the backup ({rows} rows in {tables} tables).").format(
            clinic=clinic, rows=fmt.number(rows), tables=fmt.number(len(preview.tables))
        )
    back_to = _headline(context, clinic, date)
    changed = sorted(((t.name, n) for t in preview.tables if (n := row_change(t))), key=lambda c: (-abs(c[1]), c[0]))
    words = table_words(context)
    parts = [_part(words.get(name, name), n) for name, n in changed[:SENTENCE_TABLES]]
    more = len(changed) - SENTENCE_TABLES
    if more > 0:
        parts.append(translate("Preview", "%Ln more tables change", None, more))
    if parts:
        text = translate("Preview", "{back_to}: {changes}.").format(
            back_to=back_to, changes=QLocale().createSeparatedList(parts)
        )
    else:
        text = translate(
            "Preview", "{back_to}: every table has as many rows as now (rows changed since then are replaced)."
        ).format(back_to=back_to)
    estimated = sum(1 for t in preview.tables if not t.rows_now_exact and t.rows_now is not None)
    if estimated:
        text += " " + translate("Preview", "The rows now of %Ln large tables are estimates.", None, estimated)
    return text


def _headline(context: PreviewContext, clinic: str, date: str) -> str:
    """What happens, in the clinic's words: a backup of another clinic is a replacement, not a rollback."""
    if context.preview.other_tenant:
        source = source_clinic(context)
        if date:
            return translate("Preview", "{clinic}'s data will be replaced by {source}'s (backup of {date})").format(
                clinic=clinic, source=source, date=date
            )
        return translate("Preview", "{clinic}'s data will be replaced by {source}'s").format(
            clinic=clinic, source=source
        )
    if date:
        return translate("Preview", "{clinic} goes back to {date}").format(clinic=clinic, date=date)
    return translate("Preview", "{clinic} goes back to the state of the backup").format(clinic=clinic)


def table_words(context: PreviewContext) -> dict[str, str]:
    """Table name -> what Django says it holds ("chat message"), where the preview compared the rows."""
    found = context.preview.comparison
    return {t.name: model_text(t.model, t.name) for t in found.tables if t.model} if found is not None else {}


def _part(table: str, change: int) -> str:
    if change > 0:
        return translate("Preview", "%Ln rows come back in {table}", None, change).format(table=shown(table))
    return translate("Preview", "%Ln rows of {table} go away", None, -change).format(table=shown(table))


def facts(context: PreviewContext) -> list[tuple[str, str]]:
    """(label, text) pairs: the file, when and where it was made, who keeps their login, what is kept for undo."""
    preview, source = context.preview, context.preview.source
    data = (
        translate("Preview", ", {size} of data once loaded").format(size=fmt.size(preview.size_bytes))
        if source.kind == "native"
        else ""
    )
    file_text = translate("Preview", "{name} ({format}, {size}{data}); every checksum verified").format(
        name=shown(Path(source.path).name), format=format_name(source.kind), size=fmt.size(context.file_size), data=data
    )
    if context.encrypted_name:
        file_text = translate("Preview", "{name}, encrypted: {file}").format(
            name=shown(context.encrypted_name), file=file_text
        )
    date = made_when(context) or translate("Preview", "date not recorded in the file")
    origin = source.source_schema
    if origin is None:
        where = translate("Preview", "clinic not recorded in the file")
    elif origin == preview.tenant:
        where = translate("Preview", "this clinic")
    else:
        where = translate("Preview", "another clinic: {name}").format(name=source_clinic(context))
    made = translate("Preview", "{date}, from {where}").format(date=date, where=where)
    if source.tool_version:
        made += translate("Preview", ", with {tool}").format(tool=shown(source.tool_version))
    admins = (
        translate("Preview", "{accounts}: they keep their accounts and current passwords").format(
            accounts=QLocale().createSeparatedList([shown(a) for a in preview.superusers_kept])
        )
        if preview.superusers_kept
        else translate("Preview", "none found")
    )
    if preview.safety_copy_kept:
        undo = translate(
            "Preview", "The current data of {clinic} is kept as the previous version, so this restore can be undone."
        ).format(clinic=context.clinic)
        for copy in preview.safety_copies_dropped:
            kept = fmt.when(context.copy_dates.get(copy)) or translate("Preview", "an earlier restore")
            undo += " " + translate("Preview", "The previous version kept on {date} is deleted.").format(date=kept)
    else:
        undo = translate("Preview", "Nothing to keep: the clinic has no data yet.")
    return [
        (translate("Preview", "File"), file_text),
        (translate("Preview", "Made"), made),
        (translate("Preview", "Administrators"), admins),
        (translate("Preview", "Undo"), undo),
    ]


def source_clinic(context: PreviewContext) -> str:
    """The clinic the file was made from, by its name if the list has it."""
    origin = context.preview.source.source_schema or ""
    return shown(context.names.get(origin) or origin)


def look_alikes(context: PreviewContext) -> list[str]:
    """Other clinics whose name or internal name reads like this clinic's (or is the same): "Name (internal name)"
    for each, so that a row of look-alike names is not mistaken for the clinic meant."""
    tenant = context.preview.tenant
    reads_as = {skeleton(tenant), skeleton(context.names.get(tenant) or tenant)}
    return [
        translate("Preview", "{clinic} ({schema})").format(clinic=shown(name or schema), schema=shown(schema))
        for schema, name in sorted(context.names.items())
        if schema != tenant and reads_as & {skeleton(schema), skeleton(name or schema)}
    ]


def _rows(count: int, table: TableDiff) -> str:
    """ "chat message (3)" where Django names what the table holds, else the table's name: "rg_notes (3)"."""
    return translate("Preview", "{what} ({count})").format(
        what=model_text(table.model, table.name), count=fmt.number(count)
    )


def row_by_row(context: PreviewContext) -> list[str]:
    """What a whole restore throws away and brings back, row by row, when the preview compared the rows."""
    found = context.preview.comparison
    if found is None:
        if context.preview.not_compared:  # row-level security applies to this login
            return [
                translate(
                    "Preview",
                    "The rows were not compared with today's: the web application's own rules hide some of them "
                    "from this sign-in. The restore is not affected.",
                )
            ]
        return []
    lost = [_rows(t.only_now, t) for t in found.tables if t.only_now]
    changed = [_rows(t.changed, t) for t in found.tables if t.changed]
    back = [_rows(t.only_in_backup, t) for t in found.tables if t.only_in_backup]
    said = []
    if lost:
        said.append(
            translate("Preview", "Made since the backup, and lost by this restore: {rows}.").format(
                rows=QLocale().createSeparatedList(lost)
            )
        )
    if changed:
        said.append(
            translate("Preview", "Changed since the backup, and put back as they were: {rows}.").format(
                rows=QLocale().createSeparatedList(changed)
            )
        )
    if back:
        said.append(
            translate("Preview", "Deleted since the backup, and brought back: {rows}.").format(
                rows=QLocale().createSeparatedList(back)
            )
        )
    return said or [translate("Preview", "Row by row, the backup holds the same data as the clinic now.")]


def warnings(context: PreviewContext) -> list[str]:
    """What must be read before typing the name, most serious first."""
    preview, clinic = context.preview, context.clinic
    found = []
    if preview.other_tenant:
        found.append(
            translate(
                "Preview", "This backup was made from another clinic ({name}); its data will replace {clinic}'s."
            ).format(name=source_clinic(context), clinic=clinic)
        )
    found += row_by_row(context)
    twins = look_alikes(context)
    if twins:
        found.append(
            translate(
                "Preview",
                "Other clinics have names that look like this one's but are different: {others}. Check that "
                "{clinic} is the clinic you mean; its internal name is {schema}.",
            ).format(others=QLocale().createSeparatedList(twins), clinic=clinic, schema=shown(preview.tenant))
        )
    if preview.busy:
        found.append(
            translate("Preview", "Another backup or restore of {clinic} is running now; wait for it to finish.").format(
                clinic=clinic
            )
        )
    if preview.tables_only_live:
        found.append(
            translate("Preview", "These tables exist now but not in the backup, and will be gone: {tables}.").format(
                tables=QLocale().createSeparatedList([shown(t) for t in preview.tables_only_live])
            )
        )
    if preview.needs_migrate:
        found.append(
            translate(
                "Preview",
                "The backup's database migrations differ from the clinic's ({in_file} "
                "only in the backup, {live} only now): after the restore, run the web "
                "application's migrate_schemas for this clinic.",
            ).format(
                in_file=fmt.number(len(preview.migrations_only_in_file)),
                live=fmt.number(len(preview.migrations_only_live)),
            )
        )
    if not preview.schema_exists:
        found.append(translate("Preview", "{clinic} has no data yet; the restore creates it.").format(clinic=clinic))
    if preview.signs_out:
        found.append(
            translate(
                "Preview", "People who signed in to the web application after the backup will have to sign in again."
            )
        )
    return found

"""Verify a file…: check a backup's manifest and every checksum without a database."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from app.engine.errors import ResguardoError
from app.engine.inspection.verify import FileCheck, verify_file
from app.engine.jobs import CancelToken, ProgressCallback
from app.text_safety import shown
from app.ui import locale_format as fmt
from app.ui.encrypted_reading import read_backup
from app.ui.flow_host import FlowHost
from app.ui.formats import restore_name_filter

translate = QCoreApplication.translate


def describe_check(check: FileCheck, names: dict[str, str]) -> str:
    """What a verified file holds, in words."""
    origin = check.source_schema
    clinic = shown(names.get(origin) or origin) if origin else translate("VerifyFlow", "an unknown clinic")
    if check.kind == "native":
        holds = translate(
            "VerifyFlow",
            "a backup of {clinic} in the Resguardo format, made {date}: {rows} rows in "
            "{tables} tables ({size} of data). Every checksum matches.",
        ).format(
            clinic=clinic,
            date=fmt.when(check.created_utc) or "?",
            rows=fmt.number(check.rows),
            tables=fmt.number(check.tables),
            size=fmt.size(check.bytes),
        )
    elif check.kind == "django-json":
        holds = translate(
            "VerifyFlow",
            "a Django export (dumpdata) of {objects} records in {models} models; it is "
            "restored into the clinic's current tables.",
        ).format(objects=fmt.number(check.rows), models=fmt.number(check.tables))
    else:
        kind = (
            translate("VerifyFlow", "plain SQL")
            if check.kind == "sql"
            else translate("VerifyFlow", "pg_dump custom format")
        )
        data = translate("VerifyFlow", "with data") if check.has_data else translate("VerifyFlow", "without data")
        holds = translate(
            "VerifyFlow", "a backup of {clinic} in {kind}, made with {tool}: {tables} tables, {data}."
        ).format(
            clinic=clinic,
            kind=kind,
            data=data,
            tool=shown(check.tool_version or "pg_dump"),
            tables=fmt.number(check.tables),
        )
    return translate("VerifyFlow", "{file} is complete and readable: {holds}").format(
        file=shown(str(check.path)), holds=holds
    )


class VerifyFlow:
    def __init__(self, host: FlowHost) -> None:
        self.host = host

    def start(self, path: Path | None = None) -> None:
        """Verify `path`, or the file the user picks."""
        host = self.host
        if path is None:
            path = host.dialogs.open_backup_path(
                host.window(), translate("VerifyFlow", "Verify a backup file"), host.last_folder, restore_name_filter()
            )
        if path is None:
            return
        chosen = Path(path)
        names = {t.schema: t.name for t in host.model.tenants if t.name}

        def job(readable: Path, progress: ProgressCallback, cancel: CancelToken) -> FileCheck:
            check = verify_file(readable, progress=progress, cancel=cancel)
            return replace(check, path=chosen) if readable != chosen else check  # an encrypted file's own name

        panel = host.jobs.new_panel(translate("VerifyFlow", "Verify {file}").format(file=shown(chosen.name)), None)

        def failed(error: ResguardoError) -> None:
            panel.fail(error, translate("VerifyFlow", "The file was not changed."))

        read_backup(  # an encrypted file: its key asked for, the file decrypted on the worker, then checked in full
            host,
            panel,
            chosen,
            job,
            translate("VerifyFlow", "Reading the file"),
            lambda check, _opened: panel.succeed(describe_check(check, names), check),
            failed,
        )

"""Which restore source reads a file: one place that knows every kind, so the kinds need not know each other."""

from __future__ import annotations

from pathlib import Path

from app.engine.connection import ConnectionTarget
from app.engine.inspection.file_kind import DJANGO_JSON, NATIVE, sniff_file
from app.engine.jobs import CancelToken
from app.engine.sources.native import NativeArchiveSource
from app.engine.sources.source import RestoreSource


def open_restore_source(
    path: Path, cancel: CancelToken, target: ConnectionTarget | None = None, tenant: str | None = None
) -> RestoreSource:
    """The source for `path`, by its kind (app/engine/inspection/file_kind.py); ArchiveError when the file is not one
    we can restore. A Django dumpdata export is mapped onto the live `tenant`, read through `target`."""
    kind = sniff_file(Path(path))
    if kind.kind == NATIVE:
        return NativeArchiveSource(Path(path))
    # Imported for their kind only: the Django import alone brought the backup's modules (50 ms of a restore).
    if kind.kind == DJANGO_JSON:
        from app.engine.dumpdata.source import DjangoJsonSource

        return DjangoJsonSource(Path(path), cancel, kind.compression, target, tenant)
    from app.engine.pgdump.source import open_pgdump_source

    return open_pgdump_source(Path(path), cancel) or NativeArchiveSource(Path(path))

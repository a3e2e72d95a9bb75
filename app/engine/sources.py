"""Which restore source reads a file: one place that knows every kind, so the kinds need not know each other."""

from __future__ import annotations

from pathlib import Path

from app.engine.connection import ConnectionTarget
from app.engine.django_json_source import DjangoJsonSource
from app.engine.file_kind import DJANGO_JSON, sniff_file
from app.engine.pgdump_source import open_pgdump_source
from app.engine.restore_source import NativeArchiveSource, RestoreSource


def open_restore_source(path: Path, target: ConnectionTarget | None = None,
                        tenant: str | None = None) -> RestoreSource:
    """The source for `path`, by its kind (app/engine/file_kind.py); ArchiveError when the file is not one we can
    restore. A Django dumpdata export is mapped onto the live `tenant`, read through `target`."""
    kind = sniff_file(Path(path))
    if kind.kind == DJANGO_JSON:
        return DjangoJsonSource(Path(path), kind.compression, target, tenant)
    return open_pgdump_source(Path(path)) or NativeArchiveSource(Path(path))

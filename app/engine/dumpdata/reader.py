"""Reading a Django `dumpdata` export object by object: memory stays flat whatever the file's size.

`manage.py dumpdata` (or `tenant_command dumpdata`) writes a JSON array of objects
`{"model": "app_label.model_name", "pk": ..., "fields": {...}}` (`pk` is absent with
`--natural-primary`), with or without `--indent`; `--format jsonl` writes one object per line; `-o x.json.gz`
(`.bz2`, `.xz`, `.lzma`) compresses it. The reader decodes one object at a time with the C JSON decoder
(`raw_decode` on a sliding window), refuses an object larger than MAX_OBJECT_CHARS, and tells a truncated
file from one that is JSON but not a dumpdata export. It also refuses, naming the object, what no restore
could load (a NUL or a lone surrogate in any text, values nested deeper than MAX_DEPTH, a number Python
cannot read, a list for a primary key), and a compressed file that inflates past `inflated_limit`: verify
and restore both read through it, so they give one answer. `scan_dump` reads a file in full and says what
it holds (the preview, `verify`, and the mapping to the live tenant start from it); a restore's scan keeps
a copy that its later passes read (`reread`), so the file itself is read once.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import zstandard

from app.engine.dumpdata.compressed import open_dump_stream
from app.engine.dumpdata.json_window import MAX_DEPTH, Window, decode_value, depth, too_deep
from app.engine.errors import ArchiveError, PreflightError
from app.engine.jobs import CancelToken

MAX_MODELS = 10_000  # distinct models in one export: a crafted file cannot grow the scan without end
MAX_FIELDS = 1_600  # distinct fields of one model: PostgreSQL's limit of columns in a table
_MODEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*\Z")
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")  # a NUL, or half of a UTF-16 surrogate pair: no text column holds them
_COPY_LEVEL = 1  # zstd level of the copy a restore reads again (docs/django-json.md)


@dataclass(frozen=True)
class DumpObject:
    """One object of the export: `index` counts from 1 in file order (for messages)."""

    index: int
    model: str  # app_label.model_name, lower case
    pk: Any  # None when the export has natural primary keys instead
    has_pk: bool
    fields: dict[str, Any]
    size: int  # characters of its JSON text

    def describe(self) -> str:
        """How a message names the object: `users.customuser pk 3`, or its position without a pk."""
        return f"{self.model} pk {self.pk!r}" if self.has_pk else f"{self.model} (object {self.index} of the file)"


@dataclass
class ModelScan:
    """What the file holds of one model."""

    model: str
    objects: int = 0
    without_pk: int = 0
    chars: int = 0  # JSON text of its objects: its weight in progress bars
    fields: set[str] = field(default_factory=set)
    list_fields: set[str] = field(default_factory=set)  # fields with a list value (FK natural keys, m2m, JSON)
    nested_list_fields: set[str] = field(default_factory=set)  # lists of lists (m2m by natural keys)
    list_items: dict[str, int] = field(default_factory=dict)  # items of each list field: rows of an m2m table
    max_int_pk: int = 0


@dataclass
class DumpScan:
    path: Path
    compression: str | None
    models: dict[str, ModelScan]  # in the file's order of first appearance
    copy: IO[bytes] | None = None  # the text as read (zstd), when kept: later passes read it instead of the file

    @property
    def objects(self) -> int:
        return sum(m.objects for m in self.models.values())

    def close(self) -> None:
        """Remove the kept copy (an anonymous temporary file: the system removes it if the program dies)."""
        if self.copy is not None:
            self.copy.close()
            self.copy = None


def _too_deep_fields(obj: DumpObject) -> bool:
    """Whether the object (two levels: itself, its fields) nests deeper than MAX_DEPTH through a field's value."""
    return any(type(v) in (list, dict) and depth(v) > MAX_DEPTH - 2 for v in obj.fields.values())


def _bad_text(value: Any) -> str | None:
    """What in `value` (its strings, keys included) no text column can hold: a NUL or a lone surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found = _NOT_TEXT.search(item)
            if found is not None:
                char = found.group()
                if char == "\x00":
                    return "a NUL character (\\u0000), which PostgreSQL cannot store in text"
                return f"half of a UTF-16 surrogate pair (\\u{ord(char):04x}), which is not a character"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _dump_object(value: Any, index: int, size: int, name: str, models: dict[str, str]) -> DumpObject:
    """`models` remembers the model names already checked (an export names few, millions of times)."""
    model, fields, has_pk = value.get("model"), value.get("fields"), "pk" in value
    if type(model) is not str or type(fields) is not dict or len(value) != 2 + has_pk:
        raise ArchiveError(
            f'{name} is damaged or not a dumpdata export: object {index} is not {{"model", "pk", "fields"}}.'
        )
    label = models.get(model)
    if label is None:
        if not _MODEL.match(model):
            raise ArchiveError(
                f"{name} is damaged: object {index} names the model {model[:80]!r}, which is not app_label.model_name."
            )
        label = models[model] = model.lower()
    pk = value.get("pk")
    if type(pk) in (list, dict):
        raise ArchiveError(
            f"{name} is damaged: object {index} ({label}) has {_json_kind(pk)} for its primary key, where dumpdata "
            "writes one value."
        )
    return DumpObject(index, label, pk, has_pk, fields, size)


def _check_text(obj: DumpObject, name: str) -> None:
    """Refuse an object with text no column holds, naming it and the field (the file's text is UTF-8, so only a
    JSON escape writes such a character)."""
    where, bad = "its primary key", _bad_text(obj.pk)
    for key, value in obj.fields.items():
        if bad is not None:
            break
        where, bad = f"its field {key!r}", _bad_text(key) or _bad_text(value)
    if bad is not None:
        raise ArchiveError(f"{name}: {obj.describe()} holds, in {where}, {bad}: the file cannot be restored.")


def not_dumpdata_sentence(name: str, value: Any) -> str:
    """What a JSON file that is not a dumpdata export looks like, in one sentence."""
    if isinstance(value, dict):
        keys = ", ".join(repr(k) for k in list(value)[:5])
        what = f"one object with the keys {keys}" if keys else "an empty object"
    elif isinstance(value, list):
        first = value[0] if value else None
        what = (
            f"a list whose first item is {_json_kind(first)}"
            if not isinstance(first, dict)
            else "a list of objects with the keys " + ", ".join(repr(k) for k in list(first)[:5])
        )
    else:
        what = _json_kind(value)
    return (
        f"{name} is JSON, but not a Django dumpdata export (it is {what}, not a list of "
        '{"model", "pk", "fields"} objects); export the clinic with '
        "`manage.py tenant_command dumpdata --schema SCHEMA`, or choose another file."
    )


def _json_kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def iter_dump(path: Path, compression: str | None, cancel: CancelToken) -> Iterator[DumpObject]:
    """Every object of the export in file order; ArchiveError naming the first thing wrong."""
    with open_dump_stream(path, compression) as stream:
        yield from _objects(Window(stream, path.name), cancel)


def _objects(window: Window, cancel: CancelToken) -> Iterator[DumpObject]:
    name = window.name
    window.fill()
    if window.text.startswith("\ufeff"):
        window.pos = 1
    first = window.skip_space()
    if first not in ("[", "{"):
        raise ArchiveError(f"{name} is not a dumpdata export: it does not start with a JSON list or object.")
    lines = first == "{"  # JSON lines (`--format jsonl`) rather than one list
    models: dict[str, str] = {}
    if not lines:
        window.pos += 1
    index = 0
    while True:
        nxt = window.skip_space()
        if not lines and nxt == "]" and index == 0:
            window.pos += 1
            break
        if nxt == "":
            if lines and index > 0:
                return
            raise ArchiveError(
                f"{name} is truncated: it ends before the list of objects is closed; the export did not finish."
            )
        if nxt != "{":
            if index == 0 and not lines:
                value, _ = decode_value(window)
                raise ArchiveError(not_dumpdata_sentence(name, [value]))
            raise ArchiveError(f"{name} is damaged: expected an object at {window.where()}.")
        value, size = decode_value(window)
        index += 1
        if cancel is not None and index % 4096 == 0:
            cancel.raise_if_cancelled()
        if index == 1 and not (isinstance(value.get("model"), str) and isinstance(value.get("fields"), dict)):
            raise ArchiveError(not_dumpdata_sentence(name, value if lines else [value]))
        obj = _dump_object(value, index, size, name, models)
        if size > 2 * MAX_DEPTH and _too_deep_fields(obj):  # each level takes two characters
            raise too_deep(window, window.pos - size)
        if window.text.find("\\u", window.pos - size, window.pos) >= 0:  # only an escape writes a NUL or a surrogate
            _check_text(obj, name)
        yield obj
        if lines:
            continue
        sep = window.skip_space()
        if sep == ",":
            window.pos += 1
            continue
        if sep == "]":
            window.pos += 1
            break
        if sep == "":
            raise ArchiveError(
                f"{name} is truncated: it ends after object {index} without closing the list; "
                "the export did not finish."
            )
        raise ArchiveError(f"{name} is damaged: expected a comma or the end of the list at {window.where()}.")
    if window.skip_space() != "":
        raise ArchiveError(f"{name} is damaged: there is more after the list of objects (at {window.where()}).")


def scan_dump(
    path: Path,
    compression: str | None = None,
    *,
    cancel: CancelToken,
    progress: Callable[[int], None] | None = None,
    keep: bool = False,
) -> DumpScan:
    """Read the export in full: what it holds per model. ArchiveError if any of it cannot be read.

    `progress` receives the count of objects read so far, now and then. With `keep`, the text read is kept
    (zstd, in an anonymous temporary file, removed by `DumpScan.close` or when the program ends) and `reread`
    gives the objects again from it: a restore reads the user's file once, and its rows come from the very
    text that was scanned and checked, even if the file changes meanwhile.
    """
    models: dict[str, ModelScan] = {}
    copy = tempfile.TemporaryFile(prefix="resguardo-json-") if keep else None  # noqa: SIM115 - kept by the scan
    try:
        with open_dump_stream(path, compression) as stream:
            source = stream if copy is None else _Copying(stream, copy, path.name)
            _scan(Window(source, path.name), models, cancel, progress)
            if isinstance(source, _Copying):
                source.finish()
    except BaseException:
        if copy is not None:
            copy.close()
        raise
    return DumpScan(path, compression, models, copy)


def _scan(
    window: Window, models: dict[str, ModelScan], cancel: CancelToken, progress: Callable[[int], None] | None
) -> None:
    name = window.name
    for obj in _objects(window, cancel):
        scan = models.get(obj.model)
        if scan is None:
            if len(models) >= MAX_MODELS:
                raise ArchiveError(f"{name} names more than {MAX_MODELS:,} models: it is not the export of one clinic.")
            scan = models[obj.model] = ModelScan(obj.model)
        scan.objects += 1
        scan.chars += obj.size
        if not obj.has_pk:
            scan.without_pk += 1
        elif isinstance(obj.pk, int) and not isinstance(obj.pk, bool):
            scan.max_int_pk = max(scan.max_int_pk, obj.pk)
        for key, value in obj.fields.items():
            if key not in scan.fields:
                if len(scan.fields) >= MAX_FIELDS:
                    raise ArchiveError(
                        f"{name} gives {obj.model} objects more than {MAX_FIELDS:,} "
                        "different fields: no table has that many columns."
                    )
                scan.fields.add(key)
            if type(value) is list:
                scan.list_fields.add(key)
                scan.list_items[key] = scan.list_items.get(key, 0) + len(value)
                if value and type(value[0]) is list:
                    scan.nested_list_fields.add(key)
        if progress is not None and obj.index % 8192 == 0:
            progress(obj.index)


class _Copying:
    """The decompressed text, copied (zstd) into the scan's kept copy as the scan reads it."""

    def __init__(self, stream: IO[bytes], copy: IO[bytes], name: str) -> None:
        self._stream, self._name = stream, name
        self._writer = zstandard.ZstdCompressor(level=_COPY_LEVEL).stream_writer(copy, closefd=False)

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        try:
            self._writer.write(data)
        except OSError as exc:
            raise PreflightError(
                f"{self._name} cannot be copied into the temporary folder {tempfile.gettempdir()} to be read: "
                f"{exc.strerror or exc}."
            ) from None
        return data

    def finish(self) -> None:
        self._writer.flush(zstandard.FLUSH_FRAME)  # the frame's end


def reread(scan: DumpScan, cancel: CancelToken) -> Iterator[DumpObject]:
    """The objects again, from the copy `scan_dump(..., keep=True)` kept; never the file itself."""
    if scan.copy is None:
        raise RuntimeError("scan_dump(keep=True) comes first")
    scan.copy.seek(0)
    with zstandard.ZstdDecompressor().stream_reader(scan.copy, closefd=False) as stream:
        yield from _objects(Window(stream, scan.path.name), cancel)

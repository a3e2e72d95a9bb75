"""Reading a Django `dumpdata` export object by object: memory stays flat whatever the file's size.

`manage.py dumpdata` (or `tenant_command dumpdata`) writes a JSON array of objects
`{"model": "app_label.model_name", "pk": ..., "fields": {...}}` (`pk` is absent with
`--natural-primary`), with or without `--indent`; `--format jsonl` writes one object per line; `-o x.json.gz`
(`.bz2`, `.xz`, `.lzma`) compresses it. The reader decodes one object at a time with the C JSON decoder
(`raw_decode` on a sliding window), refuses an object larger than MAX_OBJECT_CHARS, and tells a truncated
file from one that is JSON but not a dumpdata export. `scan_dump` reads a file in full and says what it
holds (the preview, `verify`, and the mapping to the live tenant start from it).
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import json
import lzma
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from app.engine.errors import ArchiveError
from app.engine.jobs import CancelToken

MAX_OBJECT_CHARS = 64 << 20  # one object (one row and its many-to-many lists); dumpdata objects are small
MAX_MODELS = 10_000  # distinct models in one export: a crafted file cannot grow the scan without end
MAX_FIELDS = 1_600  # distinct fields of one model: PostgreSQL's limit of columns in a table
_CHUNK = 1 << 20
_MODEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*\Z")
_WHITESPACE = " \t\n\r"
_OPENERS: dict[str, Callable[[Path, str], Any]] = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}
STREAM_ERRORS = (OSError, EOFError, lzma.LZMAError, zlib.error, ValueError)  # damaged compressed data


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

    @property
    def objects(self) -> int:
        return sum(m.objects for m in self.models.values())


def open_dump_stream(path: Path, compression: str | None) -> IO[bytes]:
    """The file's bytes, decompressed when dumpdata compressed it ("gzip", "bz2" or "xz")."""
    opener = _OPENERS.get(compression or "")
    try:
        return cast(IO[bytes], opener(path, "rb") if opener else open(path, "rb"))
    except OSError as exc:
        raise ArchiveError(f"{path.name} cannot be read: {exc.strerror or exc}.") from None


class _Window:
    """Decoded text of the file, a sliding window over it: what is consumed is dropped."""

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self.stream = stream
        self.name = name
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.text = ""
        self.pos = 0
        self.offset = 0  # characters dropped before text[0]
        self.eof = False

    def fill(self, at_least: int = _CHUNK) -> bool:
        """Read more (at least `at_least` bytes unless the file ends); False at the end of the file."""
        if self.eof:
            return False
        if self.pos > _CHUNK:
            self.offset += self.pos
            self.text = self.text[self.pos :]
            self.pos = 0
        parts: list[str] = []
        got = 0
        while got < at_least:
            try:
                data = self.stream.read(max(at_least - got, _CHUNK))
            except EOFError:
                raise ArchiveError(
                    f"{self.name} is truncated: its compressed data ends early; the export did "
                    "not finish, or the copy was cut."
                ) from None
            except STREAM_ERRORS:
                raise ArchiveError(f"{self.name} is damaged: its compressed data cannot be read.") from None
            try:
                parts.append(self.decoder.decode(data, final=not data))
            except UnicodeDecodeError:
                raise ArchiveError(
                    f"{self.name} is not UTF-8 text: it cannot be a dumpdata export, or it is damaged."
                ) from None
            if not data:
                self.eof = True
                break
            got += len(data)
        self.text += "".join(parts)
        return True

    def skip_space(self) -> str:
        """The next character that is not white space ("" at the end of the file), not consumed."""
        while True:
            text, pos = self.text, self.pos
            while pos < len(text) and text[pos] in _WHITESPACE:
                pos += 1
            self.pos = pos
            if pos < len(text):
                return text[pos]
            if not self.fill():
                return ""

    def where(self) -> str:
        return f"character {self.offset + self.pos + 1:,}"


_decoder = json.JSONDecoder()


def _decode_value(window: _Window) -> tuple[Any, int]:
    """One JSON value at the window's position, and its length; widens the window as needed."""
    while True:
        try:
            value, end = _decoder.raw_decode(window.text, window.pos)
        except json.JSONDecodeError as exc:
            pending = len(window.text) - window.pos
            if pending > MAX_OBJECT_CHARS:
                raise ArchiveError(
                    f"{window.name} holds an object larger than {MAX_OBJECT_CHARS >> 20} MB at "
                    f"{window.where()}: it is not a dumpdata export, or it is damaged."
                ) from None
            if window.fill(max(pending, _CHUNK)):
                continue
            if exc.pos >= len(window.text.rstrip()) or exc.msg.startswith("Unterminated string"):
                raise ArchiveError(
                    f"{window.name} is truncated: it ends inside the object that starts at "
                    f"{window.where()}; the export did not finish."
                ) from None
            raise ArchiveError(
                f"{window.name} is damaged: not valid JSON at character {window.offset + exc.pos + 1:,} ({exc.msg})."
            ) from None
        length = end - window.pos
        if length > MAX_OBJECT_CHARS:
            raise ArchiveError(
                f"{window.name} holds an object larger than {MAX_OBJECT_CHARS >> 20} MB at "
                f"{window.where()}: it is not a dumpdata export, or it is damaged."
            )
        window.pos = end
        return value, length


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
    return DumpObject(index, label, value.get("pk"), has_pk, fields, size)


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
        yield from _objects(_Window(stream, path.name), cancel)


def _objects(window: _Window, cancel: CancelToken) -> Iterator[DumpObject]:
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
                value, _ = _decode_value(window)
                raise ArchiveError(not_dumpdata_sentence(name, [value]))
            raise ArchiveError(f"{name} is damaged: expected an object at {window.where()}.")
        value, size = _decode_value(window)
        index += 1
        if cancel is not None and index % 4096 == 0:
            cancel.raise_if_cancelled()
        if index == 1 and not (isinstance(value.get("model"), str) and isinstance(value.get("fields"), dict)):
            raise ArchiveError(not_dumpdata_sentence(name, value if lines else [value]))
        yield _dump_object(value, index, size, name, models)
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
) -> DumpScan:
    """Read the export in full: what it holds per model. ArchiveError if any of it cannot be read.

    `progress` receives the count of objects read so far, now and then.
    """
    models: dict[str, ModelScan] = {}
    with open_dump_stream(path, compression) as stream:
        window = _Window(stream, path.name)
        for obj in _objects(window, cancel):
            scan = models.get(obj.model)
            if scan is None:
                if len(models) >= MAX_MODELS:
                    raise ArchiveError(
                        f"{path.name} names more than {MAX_MODELS:,} models: it is not the export of one clinic."
                    )
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
                            f"{path.name} gives {obj.model} objects more than {MAX_FIELDS:,} "
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
    return DumpScan(path, compression, models)

"""Update or check the window's translation sources (`resources/translations/*.ts`) with Qt's lupdate.

    python scripts/translations.py           # add new strings of app/ui to the catalogues (translations kept)
    python scripts/translations.py --check   # exit 1, naming them, if a string lacks its Spanish translation

The Spanish catalogue must translate every string of the window; the English
one only gives plural forms (English is the source language). Translations are
written in the `.ts` files (Qt Linguist, or any text editor); the window
compiles them itself at first run (app/ui/language.py), so there is no release
step.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.ui.qm import Message, read_ts  # noqa: E402

SOURCES = REPO / "app" / "ui"
CATALOGUES = REPO / "resources" / "translations"
LANGUAGES = {"es": [], "en": ["-pluralonly"]}  # extra lupdate options per language


def lupdate() -> Path:
    """The lupdate that PySide6 ships, beside its package."""
    import PySide6

    folder = Path(PySide6.__file__).parent
    for name in ("lupdate", "lupdate.exe"):
        if (folder / name).is_file():
            return folder / name
    raise SystemExit(f"No lupdate in {folder}; install PySide6-Essentials.")


def run_lupdate(ts: Path, code: str) -> None:
    sources = sorted(str(p) for p in SOURCES.glob("*.py"))
    subprocess.run(
        [
            str(lupdate()),
            *sources,
            "-ts",
            str(ts),
            "-target-language",
            code,
            "-locations",
            "none",
            "-no-obsolete",
            "-silent",
            *LANGUAGES[code],
        ],
        check=True,
    )


def reads_python_plurals() -> bool:
    """Whether this lupdate marks `translate(context, "%n …", None, n)` as a plural: PySide6 6.12's does; 6.11's
    lists it as a plain message, or not at all when n is a call like len(…)."""
    with tempfile.TemporaryDirectory() as tmp:
        probe, ts = Path(tmp) / "probe.py", Path(tmp) / "probe.ts"
        probe.write_text('translate("Probe", "%n probes", None, count)\n', encoding="utf-8")
        subprocess.run([str(lupdate()), str(probe), "-ts", str(ts), "-silent"], check=True)
        return any(m.numerus for m in read_ts(ts)[1])


def keep_plurals(ts: Path, before: list[Message]) -> None:
    """Give back to `ts` the plural messages of `before` that an lupdate blind to Python plurals flattened or
    dropped, while the window's code still says them; an unfinished one stays unfinished. (A plural new to the
    catalogue is then listed only once a PySide6 whose lupdate reads Python plurals updates it.)"""
    plurals = {(m.context, m.source): m for m in before if m.numerus}
    said = {  # every string the window's code holds, adjacent literals joined as Python joins them
        node.value
        for path in SOURCES.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    tree = ET.parse(ts)
    root = tree.getroot()
    contexts = {c.findtext("name") or "": c for c in root.iter("context")}
    for (context, source), message in plurals.items():
        if source not in said:
            continue  # the window no longer says it
        holder = contexts.get(context)
        if holder is None:
            holder = contexts[context] = ET.SubElement(root, "context")
            ET.SubElement(holder, "name").text = context
        element = next((m for m in holder.iter("message") if m.findtext("source") == source), None)
        if element is None:
            element = ET.SubElement(holder, "message")
            ET.SubElement(element, "source").text = source
        for old in element.findall("translation"):
            element.remove(old)
        element.set("numerus", "yes")
        translation = ET.SubElement(element, "translation")
        if not message.translations:
            translation.set("type", "unfinished")
        for form in message.translations or ("", ""):
            ET.SubElement(translation, "numerusform").text = form
    root.text = "\n"
    for block in root:  # laid out as lupdate does: contexts at the margin, their messages indented
        ET.indent(block, space="    ")
        block.tail = "\n"
    ts.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n'
        + ET.tostring(root, encoding="unicode").replace("'", "&apos;")
        + "\n",  # lupdate's escaping
        encoding="utf-8",
    )


def update(ts: Path, code: str) -> None:
    """lupdate, keeping the catalogue's plural forms whatever lupdate this PySide6 ships."""
    before = read_ts(ts)[1] if ts.exists() else []
    run_lupdate(ts, code)
    if before and not reads_python_plurals():
        keep_plurals(ts, before)


def missing(code: str) -> list[str]:
    """Strings of the window that the committed catalogue does not translate (or lacks)."""
    committed = CATALOGUES / f"resguardo_{code}.ts"
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / committed.name
        if committed.exists():
            fresh.write_bytes(committed.read_bytes())
        update(fresh, code)
        _, messages = read_ts(fresh)
    return [f"{m.context}: {m.source}" for m in messages if not m.translations]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; change nothing")
    args = parser.parse_args()
    if args.check:
        gaps = {code: missing(code) for code in LANGUAGES}
        for code, strings in gaps.items():
            for text in strings:
                print(f"{code}: untranslated: {text}")
        return 1 if any(gaps.values()) else 0
    CATALOGUES.mkdir(parents=True, exist_ok=True)
    for code in LANGUAGES:
        update(CATALOGUES / f"resguardo_{code}.ts", code)
        print(f"{code}: {len(missing(code))} strings to translate in resguardo_{code}.ts")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Update or check the window's translation sources (`app/resources/translations/*.ts`) with Qt's lupdate.

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
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.ui.qm import read_ts  # noqa: E402

SOURCES = REPO / "app" / "ui"
CATALOGUES = REPO / "app" / "resources" / "translations"
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


def missing(code: str) -> list[str]:
    """Strings of the window that the committed catalogue does not translate (or lacks)."""
    committed = CATALOGUES / f"resguardo_{code}.ts"
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / committed.name
        if committed.exists():
            fresh.write_bytes(committed.read_bytes())
        run_lupdate(fresh, code)
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
        run_lupdate(CATALOGUES / f"resguardo_{code}.ts", code)
        print(f"{code}: {len(missing(code))} strings to translate in resguardo_{code}.ts")
    return 0


if __name__ == "__main__":
    sys.exit(main())

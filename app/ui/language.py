"""The window's language: Spanish or English, the system's unless chosen in the Language menu.

Catalogues are Qt Linguist sources in `resources/translations/`; the first run
compiles them (app/ui/qm.py) into the user cache dir, on a worker thread, and
later runs reuse the file while its source is unchanged. English is the source
language: its catalogue holds only plural forms. Numbers, sizes and dates
follow `QLocale`, set here to match the language.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from app import paths
from app.engine.stores.files import write_atomically
from app.ui.qm import read_ts, write_qm
from app.ui.resources import resources_dir

ENGLISH, SPANISH = "en", "es"
# Each language named in itself: a user who cannot read the current one still finds their own.
LANGUAGES = {ENGLISH: "English", SPANISH: "Español"}
_installed: list[QTranslator] = []


def translations_dir() -> Path:
    return resources_dir() / "translations"


def resolve(choice: str, ui_languages: Sequence[str]) -> str:
    """The language to show: the one chosen, else the system's first that Resguardo speaks, else English."""
    if choice in LANGUAGES:
        return choice
    for tag in ui_languages:
        code = tag.replace("_", "-").split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return ENGLISH


def system_languages() -> list[str]:
    return list(QLocale.system().uiLanguages())


def prepare_catalogue(code: str) -> Path | None:
    """Off the UI thread: the compiled catalogue of `code`, built into the cache dir when missing or stale. It
    holds the window's strings and, from qt_dialogs_<code>.ts, Qt's file dialog in the window's words (this
    translator is asked before Qt's own)."""
    source = translations_dir() / f"resguardo_{code}.ts"
    if not source.is_file():
        return None
    sources = [source, *[p for p in [translations_dir() / f"qt_dialogs_{code}.ts"] if p.is_file()]]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:16]
    compiled = paths.cache_dir() / "translations" / f"resguardo_{code}_{digest}.qm"
    if not compiled.is_file():
        language, messages = read_ts(source)
        extra = [m for p in sources[1:] for m in read_ts(p)[1]]
        write_atomically(compiled, write_qm(language, [*messages, *extra]))
    return compiled


def install(code: str, catalogue: Path | None) -> None:
    """Make `code` the language of every window built from now on (Qt's own dialogs included)."""
    app = QCoreApplication.instance()
    assert app is not None
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    qt_own = QTranslator(app)
    if qt_own.load(f"qtbase_{code}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        _installed.append(qt_own)
    if catalogue is not None:
        ours = QTranslator(app)
        if ours.load(str(catalogue)):
            _installed.append(ours)
    for translator in _installed:
        app.installTranslator(translator)
    system = QLocale.system()
    QLocale.setDefault(system if system.name().split("_")[0] == code else QLocale(code))


def current() -> str:
    """The language of the installed catalogue (English when none is)."""
    return QLocale().name().split("_")[0] if QLocale().name().split("_")[0] in LANGUAGES else ENGLISH

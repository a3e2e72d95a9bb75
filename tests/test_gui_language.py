"""Spanish and English: every string of the window in the Spanish catalogue, compiled without a release step,
following the system or the Language menu, with numbers and dates through QLocale, and in plain words."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import PySide6
import pytest
from PySide6.QtCore import QLocale, Qt
from pytestqt.qtbot import QtBot

from app import paths
from app.engine.connection import ConnectionTarget
from app.ui import engine_words, language
from app.ui.preview_text import summary
from app.ui.qm import compile_ts, read_ts
from app.ui.settings import UiSettings
from tests.support import REPO
from tests.support.gui import ScriptedDialogs, installed, open_window, run_job, wait_listed

pytestmark = pytest.mark.gui
CATALOGUES = REPO / "resources" / "translations"


def test_every_string_of_the_window_has_its_spanish_translation() -> None:
    """lupdate reads app/ui into a scratch catalogue; a string without a Spanish translation fails here."""
    run = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "translations.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,  # the exit status is asserted with the output
    )
    assert run.returncode == 0, run.stdout + run.stderr
    _, messages = read_ts(CATALOGUES / "resguardo_es.ts")
    assert len(messages) > 300 and all(m.translations for m in messages)


def test_the_compiled_catalogue_is_the_one_qt_lrelease_makes(tmp_path: Path) -> None:
    lrelease = Path(PySide6.__file__).parent / "lrelease"
    for code in ("es", "en"):
        source = CATALOGUES / f"resguardo_{code}.ts"
        out = tmp_path / f"{code}.qm"
        subprocess.run([str(lrelease), "-silent", str(source), "-qm", str(out)], check=True)
        assert compile_ts(source) == out.read_bytes()


def test_the_first_run_compiles_into_the_cache_and_reuses_it() -> None:
    compiled = language.prepare_catalogue("es")
    assert compiled is not None and compiled.parent == paths.cache_dir() / "translations"
    stamp = compiled.stat().st_mtime_ns
    assert language.prepare_catalogue("es") == compiled and compiled.stat().st_mtime_ns == stamp
    assert language.prepare_catalogue("fr") is None


def test_the_language_follows_the_system_unless_one_is_chosen() -> None:
    assert language.resolve("system", ["es-MX", "en-US"]) == "es"
    assert language.resolve("system", ["fr-FR", "en-GB"]) == "en"
    assert language.resolve("system", ["de-DE"]) == "en"
    assert language.resolve("en", ["es-ES"]) == "en"
    assert language.resolve("es", ["en-US"]) == "es"


def test_plain_words_in_both_languages() -> None:
    """No database words on screen: the schema name only as a placeholder, or where it is named as such, and
    the web application's own command (migrate_schemas) where the user must run it."""
    allowed = {"Internal name (schema): {schema}"}  # the tooltip that gives the internal name
    forbidden = re.compile(r"tenant|schema|esquema|safety copy|rg_safety|pg_dump-custom|staging", re.IGNORECASE)
    _, messages = read_ts(CATALOGUES / "resguardo_es.ts")
    for message in messages:
        if message.source in allowed:
            continue
        for text in (message.source, *message.translations):
            words = re.sub(r"\{\w+\}|migrate_schemas", "", text)
            assert not forbidden.search(words), f"{message.context}: {text}"


def test_the_window_speaks_spanish_with_spanish_numbers(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    seen_stages: set[str] = set()
    with installed("es"):
        assert language.current() == "es"
        dialogs = ScriptedDialogs(
            save_to=tmp_path / "bienestar.resguardo", open_file=tmp_path / "bienestar.resguardo", restore_answer=False
        )
        window = open_window(qtbot, demo_db, dialogs)
        wait_listed(qtbot, window)
        menus = [a.text() for a in window.menuBar().actions()]
        assert menus == ["&Archivo", "&Clínica", "&Idioma", "A&yuda"]
        assert window.restore_action.text() == "&Restaurar…"
        headers = [window.clinics.headerData(c, Qt.Orientation.Horizontal) for c in range(window.clinics.columnCount())]
        assert headers[:3] == ["Clínica", "Dirección web", "Tamaño"]
        assert "clínicas, de la tabla de clínicas" in window.listing_label.full_text()
        assert "public.customers_client" in window.listing_label.toolTip()
        row = next(r for r in range(window.clinics.rowCount()) if window.clinics.schema_at(r) == "bienestar")
        size = window.clinics.index(row, 2).data()
        assert re.fullmatch(r"\d+,\d\d (KiB|MiB)", size), size  # a decimal comma, as the file dialog writes it

        window.select("bienestar")
        window.jobs.job_started.connect(
            lambda panel: panel.bar.valueChanged.connect(
                lambda _v, p=panel: seen_stages.add(p.stage.full_text().split(":")[0])
            )
        )
        backup = run_job(qtbot, window, "backup_action")
        assert backup.state == "succeeded", backup.message.text()
        assert backup.message.text().startswith("Guardado ") and " filas en " in backup.message.text()
        assert backup.times.text().startswith("duró ")
        restore = run_job(qtbot, window, "restore_action")
        assert restore.message.text() == "Cancelado. No se cambió nada."
        assert summary(dialogs.contexts[0]).startswith("Bienestar vuelve al ")
        assert summary(dialogs.contexts[0]).endswith(
            ": todas las tablas tienen tantas filas como ahora (las filas cambiadas desde entonces se reemplazan)."
        )
    english_stages = {"Copying rows", "Checking the rows", "Counting rows", "Connecting"}
    assert seen_stages and not (seen_stages & english_stages), seen_stages


def test_choosing_a_language_in_the_menu_is_remembered_off_the_ui_thread(qtbot: QtBot) -> None:
    window = open_window(qtbot, ConnectionTarget("host=127.0.0.1 port=1 dbname=x"), ScriptedDialogs())
    assert window.commands.languages["system"].isChecked()
    with qtbot.waitSignal(window.language_changed, timeout=10_000) as changed:
        window.commands.languages["es"].trigger()
    assert changed.args == ["es"]
    assert UiSettings().language == "es"


def test_the_launcher_rebuilds_the_window_in_the_chosen_language(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QApplication

    from app.ui.job_runner import BackgroundPool
    from app.ui.launch import Launcher

    before = QLocale()
    settings = UiSettings()
    settings.language = "es"
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    pool = BackgroundPool(None)
    target = ConnectionTarget("host=127.0.0.1 port=1 dbname=x")
    launcher = Launcher(app, target, settings, pool)
    try:
        launcher.start()
        qtbot.waitUntil(lambda: launcher.window is not None, timeout=10_000)
        first = launcher.window
        assert first is not None and first.restore_action.text() == "&Restaurar…"
        assert first.commands.languages["es"].isChecked()
        first.commands.languages["en"].trigger()
        qtbot.waitUntil(lambda: launcher.window is not first, timeout=10_000)
        qtbot.addWidget(launcher.window)  # closed and deleted by Qt after the test
        assert launcher.window is not None and launcher.window.restore_action.text() == "&Restore…"
        assert settings.language == "en"
    finally:
        language.install(language.ENGLISH, language.prepare_catalogue(language.ENGLISH))
        QLocale.setDefault(before)


def test_the_engines_words_in_a_stages_detail_are_translated_and_table_names_are_not() -> None:
    """A Django import reports 'Reading the JSON file' as the detail of 'Loading rows': in Spanish the panel
    must not show it in English; a table's name, the usual detail, stays as it is."""
    with installed("es"):
        assert engine_words.detail("Reading the JSON file") == "Leyendo la exportación de Django"
        assert engine_words.detail("Reading natural keys") != "Reading natural keys"
        assert engine_words.detail("chat_chatmessage") == "chat_chatmessage"


def test_the_file_dialog_speaks_the_windows_spanish(qtbot: QtBot, tmp_path: Path) -> None:
    """Qt's own catalogue leaves the file dialog's "Look in:" and "Files of type:" in English and says "fichero"
    where the window says "archivo" (issue 25.7): resources/translations/qt_dialogs_es.ts says them."""
    from PySide6.QtWidgets import QFileSystemModel, QLabel, QToolButton

    from app.ui.backup_dialog import file_dialog

    (tmp_path / "copias").mkdir()
    with installed("es"):
        dialog = file_dialog(None, "Guardar", tmp_path, "Copias de Resguardo (*.resguardo)", saving=True)
        qtbot.addWidget(dialog)
        dialog.show()
        labels = [label.text() for label in dialog.findChildren(QLabel) if label.text()]
        tips = [button.toolTip() for button in dialog.findChildren(QToolButton) if button.toolTip()]
        assert {"&Buscar en:", "&Nombre de archivo:", "Archivos de &tipo:"} <= set(labels)
        assert "Carpeta superior" in tips and "Vista detallada" in tips
        assert not [text for text in labels + tips if "ichero" in text or re.search(r"\b(Look|Files|Back)\b", text)]
        model = dialog.findChild(QFileSystemModel)
        assert model is not None
        qtbot.waitUntil(lambda: model.index(str(tmp_path / "copias")).isValid(), timeout=5_000)
        assert model.type(model.index(str(tmp_path / "copias"))) == "Carpeta"


def test_the_file_dialog_writes_a_size_as_the_window_does(qtbot: QtBot, tmp_path: Path) -> None:
    """Qt's dialog wrote "61,00 KiB" (in the system's locale) where the window wrote "61,0 kB" (issue 25.7): one
    formatter for both, in the window's language even when the system's is another."""
    from PySide6.QtWidgets import QFileSystemModel

    from app.ui import locale_format
    from app.ui.backup_dialog import file_dialog

    backup = tmp_path / "bienestar.resguardo"
    backup.write_bytes(b"\0" * 62_464)
    with installed("es"):
        assert QLocale().name().startswith("es")
        dialog = file_dialog(None, "Abrir", tmp_path, "Copias de Resguardo (*.resguardo)", saving=False)
        qtbot.addWidget(dialog)
        dialog.show()
        model = dialog.findChild(QFileSystemModel)
        assert model is not None
        qtbot.waitUntil(lambda: model.index(str(backup)).isValid() and model.size(model.index(str(backup))) > 0)
        proxy = dialog.proxyModel()
        source = model.index(str(backup))
        shown_size = proxy.mapFromSource(source.siblingAtColumn(1)).data()
        assert shown_size == locale_format.size(62_464) == "61,00 KiB"


def test_the_encryption_of_the_connection_is_chosen_in_words(qtbot: QtBot, memory_keyring: object) -> None:
    """The profile's sslmode list says what each choice does, libpq's name beside it (issue 25.7), and a
    profile keeps libpq's value."""
    from app.engine.stores.profiles import Profile, ProfileStore
    from app.engine.stores.secrets import SecretStore
    from app.ui.profile_dialog import ProfileDialog

    store = ProfileStore()
    store.save(Profile(name="clinics", sslmode="verify-full"))
    with installed("es"):
        dialog = ProfileDialog(None, SecretStore(), store)
        qtbot.addWidget(dialog)
        qtbot.waitUntil(dialog.save_button.isEnabled, timeout=10_000)
        shown = [dialog.sslmode.itemText(i) for i in range(dialog.sslmode.count())]
        assert shown[0] == "No cifrar nunca (disable)" and len(shown) == 6
        assert dialog.sslmode.currentData() == "verify-full"
        assert (
            dialog.sslmode.currentText() == "Cifrar y comprobar el certificado y el nombre del servidor (verify-full)"
        )

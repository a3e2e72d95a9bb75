"""Render the gallery of the window's main states, in Spanish and English, under a real X server (Xvfb).

    python scripts/screenshot.py [--out docs/screens] [--sizes 1366x768,1024x600] [--languages es,en]
                                 [--states backups-view,key-create]   only these states are saved

Needs Xvfb (Debian: `apt-get install xvfb`) and the X libraries Qt needs
(packaging/linux.md). For each screen size it starts an Xvfb of that size and
a child process that drives the real window on a private demo server (a fresh
copy of the demo clinics per language, in a private RESGUARDO_HOME: nothing of
the user's is read or changed), through a backup, a restore preview with 500
chat messages deleted, the restore and its Undo, a second restore, a damaged
file, the Undo question of a clinic whose name the web application wrote as
markup (shown as it is), the profiles dialog without a keyring and a lost
server. Each state is a
grab of the whole screen, dialogs included, saved as
`<state>-<language>-<width>x<height>.png`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# The states shown at each size: every state on the common laptop screen, the essential ones on the small one.
FULL = (
    "main",
    "schedule-alert",
    "backup-all-dialog",
    "schedules-dialog",
    "key-prompt",
    "backup-dialog",
    "save-file-dialog",
    "preview",
    "restored",
    "undo-no-longer-possible",
    "hostile-name-undo",
    "damaged-file",
    "profiles-no-keyring",
    "disconnected",
    "recover-browse",
    "recover-preview",
    "recovered",
    "backups-view",
    "key-create",
    "key-created",
    "key-remove",
)
SMALL = (
    "main",
    "backup-dialog",
    "preview",
    "disconnected",
    "schedule-alert",
    "schedules-dialog",
    "recover-browse",
    "recover-preview",
    "backups-view",
    "key-create",
    "key-created",
)
SMALL_SCREEN = (1024, 600)
# A clinic name a compromised web application wrote: as markup it would forge a reassuring line beside the button.
HOSTILE_NAME = (
    'Bienestar<br><span style="color:green">✔ Copia verificada: no se borra nada.</span><br>Pulse el botón rojo…<!--'
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screens")
    parser.add_argument("--sizes", default="1366x768,1024x600")
    parser.add_argument("--languages", default="es,en")
    parser.add_argument("--states", default="", help="save only these states (comma-separated); the rest still runs")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.states:
        os.environ["RESGUARDO_SCREEN_STATES"] = args.states  # the child's, through its environment
    if args.child:
        return _child(args.out, args.languages.split(","))
    if shutil.which("Xvfb") is None:
        raise SystemExit("Xvfb is needed (Debian: apt-get install xvfb).")
    args.out.mkdir(parents=True, exist_ok=True)
    home = tempfile.mkdtemp(prefix="resguardo-screens-")  # settings, history, demo server: all private
    failed = 0
    for size in args.sizes.split(","):
        failed |= _under_xvfb(size, args.out, args.languages, home)
    shutil.rmtree(home, ignore_errors=True)
    return failed


def _under_xvfb(size: str, out: Path, languages: str, home: str) -> int:
    display = _free_display()
    server = subprocess.Popen(
        ["Xvfb", f":{display}", "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{display}").exists():
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(f"Xvfb did not start on :{display}")
            time.sleep(0.1)
        env = {
            **os.environ,
            "DISPLAY": f":{display}",
            "QT_QPA_PLATFORM": "xcb",
            "RESGUARDO_HOME": home,
            "QT_SCALE_FACTOR": "1",
            "LANG": "C.UTF-8",
        }
        env.pop("WAYLAND_DISPLAY", None)
        return subprocess.run(
            [sys.executable, __file__, "--child", "--out", str(out), "--languages", languages],
            env=env,
            cwd=REPO,
            check=False,
        ).returncode
    finally:
        server.terminate()
        server.wait(10)


def _free_display() -> int:
    for number in range(90, 200):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise SystemExit("No free X display number between :90 and :199")


# -- the child: one X screen, every language ------------------------------------------------------------------


def _child(out: Path, languages: list[str]) -> int:
    from PySide6.QtWidgets import QApplication

    from app.commands.demo import demo_server
    from app.ui.icons import app_icon

    app = QApplication(sys.argv[:1])
    app.setApplicationName("Resguardo")
    app.setWindowIcon(app_icon())
    server = demo_server()
    admin = server.start()
    try:
        for code in languages:
            _gallery(app, admin, code, out)
    finally:
        if server.started_here:
            server.stop()
    return 0


class _Shooter:
    """Saves grabs of the whole screen under the gallery's names, for the states this screen size shows."""

    def __init__(self, out: Path, code: str) -> None:
        from PySide6.QtGui import QGuiApplication

        self.screen = QGuiApplication.primaryScreen()
        size = self.screen.geometry().size()
        self.out, self.code, self.size = out, code, (size.width(), size.height())
        self.states = SMALL if self.size == SMALL_SCREEN else FULL

    def wanted(self, state: str) -> bool:
        return state in self.states

    def __call__(self, state: str) -> None:
        only = os.environ.get("RESGUARDO_SCREEN_STATES")
        if not self.wanted(state) or (only and state not in only.split(",")):
            return
        _settle(400)
        path = self.out / f"{state}-{self.code}-{self.size[0]}x{self.size[1]}.png"
        self.screen.grabWindow(0).toImage().save(str(path), None, 9)  # the format from the name; small file
        print(f"saved {path.relative_to(REPO) if path.is_relative_to(REPO) else path}", flush=True)


def _settle(ms: int) -> None:
    """Let the event loop paint for `ms` milliseconds."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _wait(condition: Callable[[], bool], what: str, timeout: float = 300) -> None:
    from PySide6.QtCore import QCoreApplication

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        QCoreApplication.processEvents()
        time.sleep(0.01)


def _director(shoot: _Shooter, files: dict[str, Path]) -> Any:
    """The window's questions answered as the IT person would, each real dialog shown and grabbed first."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.engine.stores.secrets import SecretStore
    from app.ui.backup_dialog import BackupDialog
    from app.ui.dialogs import DialogProvider
    from app.ui.restore_dialog import RestoreConfirmDialog

    def shown_then_closed(state: str, dialog: Any) -> None:
        shoot(state)
        dialog.reject()

    class Director(DialogProvider):
        def save_backup_path(self, parent: Any, suggested: Path, formats: list[Any], clinic: str) -> Any:
            dialog = BackupDialog(parent, clinic, suggested, formats)

            def answer() -> None:
                shoot("backup-dialog")
                dialog.accept()

            QTimer.singleShot(300, answer)
            dialog.exec()
            return dialog.choice()

        def open_backup_path(self, parent: Any, title: str, start_dir: Path, name_filter: str) -> Path:
            return files["open"]

        def confirm_restore(self, parent: Any, context: Any) -> bool:
            dialog = RestoreConfirmDialog(parent, context)

            def answer() -> None:
                dialog.typed.setText(dialog.schema)
                if files.get("shoot_preview"):
                    shoot("preview")
                dialog.restore_button.click()

            QTimer.singleShot(300, answer)
            return dialog.exec() == RestoreConfirmDialog.DialogCode.Accepted

        def pick_records(self, parent: Any, context: Any) -> Any:
            from app.ui.recover_dialog import RecoverDialog

            dialog = RecoverDialog(parent, context)

            def answer() -> None:  # the patient found among the users deleted since the backup
                _wait(lambda: dialog.page is not None and not dialog.reading, "the first rows")
                dialog.select_table("users_customuser")
                dialog.deleted_rows.setChecked(True)
                _wait(lambda: dialog.page is not None and not dialog.reading, "the deleted users")
                dialog.column.setCurrentIndex(dialog.column.findData("email"))
                dialog.text.setText("paciente1")
                dialog.search_button.click()
                _wait(lambda: dialog.page is not None and not dialog.reading, "the search")
                shoot("recover-browse")
                dialog.accept()

            QTimer.singleShot(300, answer)
            dialog.exec()
            return dialog.picked()

        def confirm_recovery(self, parent: Any, context: Any) -> bool:
            from app.ui.recover_preview import RecoverConfirmDialog

            dialog = RecoverConfirmDialog(parent, context)

            def answer() -> None:
                shoot("recover-preview")
                dialog.recover_button.click()

            QTimer.singleShot(300, answer)
            return dialog.exec() == RecoverConfirmDialog.DialogCode.Accepted

        def confirm(self, parent: Any, title: str, text: str, yes_label: str, danger: bool = False) -> bool:
            state = files.pop("shoot_question", None)
            if state is None:
                return True

            def answer() -> None:
                shoot(str(state))
                box = QApplication.activeModalWidget()
                if box is not None:
                    box.close()  # Cancel: the question is only shown

            QTimer.singleShot(300, answer)
            return super().confirm(parent, title, text, yes_label, danger)

        def choose_backup_all(self, parent: Any, folder: Path, formats: list[Any], clinics: int) -> Any:
            from app.ui.backup_all_dialog import BackupAllDialog

            dialog = BackupAllDialog(parent, folder, formats, clinics)
            QTimer.singleShot(300, lambda: shown_then_closed("backup-all-dialog", dialog))
            dialog.exec()
            return None  # only shown

        def edit_schedules(self, parent: Any, context: Any) -> None:
            from app.ui.schedule_dialog import ScheduleDialog

            dialog = ScheduleDialog(parent, context)
            QTimer.singleShot(800, lambda: shown_then_closed("schedules-dialog", dialog))
            dialog.exec()

        def ask_key(self, parent: Any, file_name: str, problem: Any, key_file: Any) -> Any:
            from app.ui.passphrase_dialog import KeyPromptDialog

            dialog = KeyPromptDialog(parent, file_name, problem, key_file)
            QTimer.singleShot(300, lambda: shown_then_closed("key-prompt", dialog))
            dialog.exec()
            return None  # Cancel: the prompt is only shown

        def show_error(self, parent: Any, error: Any) -> None:
            print(f"the window showed an error: {error}", file=sys.stderr)

        def edit_profiles(self, parent: Any) -> str | None:
            import keyring.backends.fail

            from app.ui.profile_dialog import ProfileDialog

            no_keyring = keyring.backends.fail.Keyring()  # type: ignore[no-untyped-call]  # keyring leaves it unannotated
            dialog = ProfileDialog(parent, SecretStore(no_keyring), None, None)

            def answer() -> None:
                shoot("profiles-no-keyring")
                dialog.reject()

            QTimer.singleShot(800, answer)
            dialog.exec()
            return None

    return Director()


def _gallery(app: Any, admin: Any, code: str, out: Path) -> None:
    from psycopg import sql
    from PySide6.QtCore import QCoreApplication

    from app.engine.server.demo import create_demo_database
    from app.engine.stores.profiles import Profile, ProfileStore
    from app.ui import language
    from app.ui.backup_dialog import file_dialog
    from app.ui.formats import restore_name_filter
    from app.ui.main_window import MainWindow

    language.install(code, language.prepare_catalogue(code))
    dbname = f"resguardo_screens_{code}"
    create_demo_database(admin, dbname, reset=True)
    target = admin.with_dbname(dbname)
    params = target.params
    ProfileStore().save(
        Profile(
            name="Demo",
            host=params.get("host", ""),
            port=int(params.get("port", "5432")),
            dbname=dbname,
            user=params.get("user", ""),
            sslmode="disable",
        )
    )
    with target.connect() as conn:  # enough chat messages that deleting 500 is plausible
        conn.execute(
            "INSERT INTO bienestar.chat_chatmessage (sender_id, recipient_id, content, sent_at, is_read)"
            " SELECT u.id, u.id, 'Hola ' || g, now() - g * interval '1 minute', true"
            " FROM generate_series(1, 940) g, (SELECT min(id) AS id FROM bienestar.users_customuser) u"
        )
    # A schedule whose last run failed for one clinic: the window's warning at start.
    from app.engine.routine.records import ClinicRecord, RunRecord, write_record
    from app.engine.routine.schedules import Schedule, ScheduleStore

    nightly = Path(os.environ["RESGUARDO_HOME"]) / f"noche-{code}"  # the schedule's folder: its clinics' backups
    ScheduleStore().save(Schedule(name="noche", times=("02:30",), folder=str(nightly), profile="Demo"))
    _scheduled_backups(nightly)
    write_record(
        RunRecord(
            "noche",
            "2026-12-07T02:30:00Z",
            "2026-12-07T02:31:00Z",
            clinics=[ClinicRecord("bienestar", error="The server closed the connection."), ClinicRecord("mindcare")],
        )
    )
    shoot = _Shooter(out, code)
    files: dict[str, Any] = {}
    window = MainWindow(target, dialogs=_director(shoot, files), language_choice=code)
    window.setGeometry(window.screen().availableGeometry())  # maximized (Xvfb has no window manager to do it)
    window.show()

    def idle() -> bool:
        return not window.jobs.running() and not window.pool.busy

    _wait(lambda: window.listing is not None and idle(), "the list of clinics")
    _wait(lambda: window.banner.isVisible(), "the schedule's warning")
    shoot("schedule-alert")
    window.banner.close_button.click()
    if shoot.wanted("backup-all-dialog"):
        window.backup_all_flow.start()
    if shoot.wanted("schedules-dialog"):
        window.schedule_flow.start()
    window.select("bienestar")
    window.backup_action.trigger()
    _wait(lambda: bool(window.jobs.panels) and idle(), "the backup")
    backup = window.jobs.panels[-1].result.path
    window.select("bienestar")
    shoot("main")
    if shoot.wanted("save-file-dialog"):  # what "Choose…" in the backup dialog opens: names, sizes and dates
        chooser = file_dialog(
            window,
            QCoreApplication.translate("BackupDialog", "Back up {clinic}").format(clinic="Bienestar"),
            Path(backup).parent,
            restore_name_filter(),
            saving=True,
        )
        chooser.selectFile(Path(backup).name)
        chooser.show()
        shoot("save-file-dialog")
        chooser.close()

    with target.connect() as conn:
        conn.execute(
            "DELETE FROM bienestar.chat_chatmessage WHERE id IN"
            " (SELECT id FROM bienestar.chat_chatmessage ORDER BY id DESC LIMIT 500)"
        )
    files.update(open=Path(backup), shoot_preview=True)
    window.restore_action.trigger()
    _wait(lambda: len(window.jobs.panels) == 2 and idle(), "the restore")
    _settle(500)
    shoot("restored")

    files["shoot_preview"] = False
    window.select("bienestar")
    window.restore_action.trigger()
    _wait(lambda: len(window.jobs.panels) == 3 and idle(), "the second restore")
    shoot("undo-no-longer-possible")

    if shoot.wanted("hostile-name-undo"):
        _set_name(target, "bienestar", HOSTILE_NAME)
        window.refresh()
        _wait(lambda: window.model.names.get("bienestar") == HOSTILE_NAME and idle(), "the clinic's new name")
        files["shoot_question"] = "hostile-name-undo"
        window.select("bienestar")
        window.undo_action.trigger()
        _wait(lambda: "shoot_question" not in files and idle(), "the Undo question")
        _settle(500)
        _set_name(target, "bienestar", "Bienestar")
        window.refresh()
        _wait(lambda: window.model.names.get("bienestar") == "Bienestar" and idle(), "the clinic's name back")

    damaged = Path(backup).with_name("damaged-" + Path(backup).name)
    data = bytearray(Path(backup).read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    damaged.write_bytes(bytes(data))
    files["open"] = damaged
    window.select("bienestar")
    window.restore_action.trigger()
    _wait(lambda: len(window.jobs.panels) == 4 and idle(), "the damaged file")
    shoot("damaged-file")

    if shoot.wanted("profiles-no-keyring"):
        window.edit_profiles()

    if shoot.wanted("key-prompt"):  # an encrypted backup asks for its key before anything is read
        from pyrage import x25519

        from app.engine.encryption.stream import encrypt_file
        from app.engine.jobs import CancelToken

        sealed = Path(backup).with_name(Path(backup).name + ".age")
        encrypt_file(Path(backup), sealed, [x25519.Identity.generate().to_public()], cancel=CancelToken())
        files["open"] = sealed
        window.select("bienestar")
        window.restore_action.trigger()
        _wait(lambda: len(window.jobs.panels) == 5 and idle(), "the encrypted file")

    if shoot.wanted("recover-browse"):  # a patient deleted since the backup, found in it and brought back alone
        with target.connect() as conn:
            _delete_patient(conn, "paciente1@test.com")
        files["open"] = Path(backup)
        panels = len(window.jobs.panels)
        window.select("bienestar")
        window.commands.recover.trigger()
        _wait(lambda: len(window.jobs.panels) == panels + 1 and idle(), "the recovery")
        _settle(500)
        shoot("recovered")

    if shoot.wanted("backups-view"):
        _backups_view(window, shoot, Path(backup), idle)
    if shoot.wanted("key-create") or shoot.wanted("key-remove"):
        _key_shots(window, shoot, code)

    with admin.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(sql.Identifier(dbname)))
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [dbname])
    window.connection.check_now()
    _wait(lambda: window.connection.is_lost and idle(), "the lost connection")
    shoot("disconnected")
    window.close()
    window.deleteLater()
    with admin.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(dbname)))


def _delete_patient(conn: Any, email: str) -> None:
    """An account deleted as the web application deletes it: its messages, appointments and profile with it."""
    uid = conn.execute("SELECT id FROM bienestar.users_customuser WHERE email = %s", [email]).fetchone()[0]
    conn.execute(
        "DELETE FROM bienestar.chat_chatmessage WHERE sender_id = %(u)s OR recipient_id = %(u)s OR appointment_id IN"
        " (SELECT a.id FROM bienestar.appointments_appointment a JOIN bienestar.patients_patientprofile p"
        " ON p.id = a.patient_id WHERE p.user_id = %(u)s)",
        {"u": uid},
    )
    conn.execute(
        "DELETE FROM bienestar.appointments_appointment WHERE patient_id IN"
        " (SELECT id FROM bienestar.patients_patientprofile WHERE user_id = %s)",
        [uid],
    )
    for table, column in (
        ("patients_patientprofile", "user_id"),
        ("users_customuser_groups", "customuser_id"),
        ("django_admin_log", "user_id"),
        ("users_customuser", "id"),
    ):
        conn.execute(f"DELETE FROM bienestar.{table} WHERE {column} = %s", [uid])


def _scheduled_backups(folder: Path) -> None:
    """What a nightly schedule left (encrypted, as a profile with a key writes them): Mindcare last night, Bienestar
    the two nights before (last night's run failed for it), each file dated as the run wrote it."""
    from datetime import UTC, datetime, timedelta

    from pyrage import x25519

    from app.engine.backup.destination import default_archive_name
    from app.engine.encryption.stream import encrypt_file
    from app.engine.jobs import CancelToken

    now = datetime.now(UTC)
    plain = folder / ".plain"
    shutil.rmtree(folder, ignore_errors=True)  # another screen size's run left its own
    folder.mkdir(parents=True)
    plain.write_bytes(os.urandom(61_000))
    recipient = x25519.Identity.generate().to_public()
    for schema, hours in (("mindcare", 12), ("bienestar", 36), ("bienestar", 60)):
        when = now - timedelta(hours=hours)
        sealed = folder / schema / (default_archive_name(schema, when) + ".age")
        sealed.parent.mkdir(exist_ok=True)
        if not sealed.exists():
            encrypt_file(plain, sealed, [recipient], cancel=CancelToken())
        os.utime(sealed, (when.timestamp(), when.timestamp()))
    plain.unlink()


def _backups_view(window: Any, shoot: _Shooter, backup: Path, idle: Callable[[], bool]) -> None:
    """Bienestar's backups: by hand (verified, then restore-tested from the view) and the schedule's, encrypted."""
    from app.engine.routine.clinic_backups import record_verified

    record_verified(backup)
    for other in backup.parent.iterdir():  # the damaged-file state's copy, the other runs' backups (private home)
        if not other.name.startswith(backup.name):
            other.unlink()
    window.select("bienestar")
    window.commands.backups.trigger()
    dialog = window.backups_flow.dialog
    _wait(lambda: not window.backups_flow.scanning and bool(dialog.backups), "the backups found")
    row = next(i for i, b in enumerate(dialog.backups) if b.path == backup)
    dialog.table.setCurrentItem(dialog.table.topLevelItem(row))
    dialog.test_button.click()
    _wait(lambda: idle() and not window.backups_flow.scanning, "the test restore")
    _settle(300)
    shoot("backups-view")
    dialog.close()


def _key_shots(window: Any, shoot: _Shooter, code: str) -> None:
    """Connection profiles… → Create a key…: the form filled in, then the key made (its public half shown)."""
    import keyring.backends.fail

    from app.engine.stores.profiles import ProfileStore
    from app.engine.stores.secrets import SecretStore
    from app.ui.profile_dialog import ProfileDialog

    ProfileStore().set_encryption("Demo", [])  # a profile without a key yet (the other language's run gave it one)
    no_keyring = keyring.backends.fail.Keyring()  # type: ignore[no-untyped-call]  # keyring leaves it unannotated
    dialog = ProfileDialog(window, SecretStore(no_keyring), None, window.pool)
    dialog.show()
    _wait(lambda: dialog.keys.create_button.isEnabled(), "the saved profile")
    dialog.keys.create_button.click()
    key = dialog.keys.key_dialog
    assert key is not None
    usb = Path(tempfile.gettempdir()) / "USB"  # a short path, as a USB stick's would be
    usb.mkdir(exist_ok=True)
    key_file = usb / f"clinicas-{code}.age"
    key_file.unlink(missing_ok=True)
    key.key_file.setText(str(key_file))
    key.passphrase.setText("caballo correcto batería grapa")
    key.again.setText("caballo correcto batería grapa")
    shoot("key-create")
    key.create_button.click()
    _wait(lambda: bool(key.public), "the new key")
    shoot("key-created")
    key.reject()
    dialog.reject()
    key_file.unlink(missing_ok=True)

    # Rotation: the profile holds the new key and the owner's; the new one removed (a schedule keeps the other).
    from pyrage import x25519

    ProfileStore().set_encryption("Demo", [key.public, str(x25519.Identity.generate().to_public())])
    dialog = ProfileDialog(window, SecretStore(no_keyring), None, window.pool)
    dialog.show()
    _wait(lambda: dialog.keys.list.count() == 2 and dialog.keys.remove_button.isEnabled(), "the profile's keys")
    asked = _shoot_question(shoot, "key-remove")
    dialog.keys.remove_button.click()  # the question shown, then Cancel: both keys stay
    asked.stop()
    dialog.reject()


def _shoot_question(shoot: _Shooter, state: str) -> Any:
    """The next question box, grabbed once it is shown, then closed (Cancel); the timer that waits for it."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    timer = QTimer()

    def look() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.isVisible():
            timer.stop()
            shoot(state)
            box.reject()

    timer.timeout.connect(look)
    timer.start(200)
    return timer


def _set_name(target: Any, schema: str, name: str) -> None:
    """The clinic's name, written as its web application's role could (widening the column first)."""
    with target.connect() as conn:
        conn.execute("ALTER TABLE public.customers_client ALTER COLUMN name TYPE varchar(300)")
        conn.execute("UPDATE public.customers_client SET name = %s WHERE schema_name = %s", [name, schema])


if __name__ == "__main__":
    sys.exit(main())

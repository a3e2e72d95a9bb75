"""The window's backup of a clinic whose profile holds keys: an age file, never a plain one (the keys set here as
`resguardo key set-profile` does; the window's Create a key… and reading are tests/test_gui_encryption.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict
from pytestqt.qtbot import QtBot

from app.engine.connection import ConnectionTarget
from app.engine.encryption.header import read_header
from app.engine.stores.profiles import Profile, ProfileStore
from tests.support.encryption import plain_identity
from tests.support.gui import ScriptedDialogs, open_window, wait_idle, wait_listed

pytestmark = pytest.mark.gui


def test_the_window_encrypts_the_backup_of_a_profile_with_keys(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    _, public = plain_identity(tmp_path)
    parts = conninfo_to_dict(demo_db.conninfo)
    store = ProfileStore()
    store.save(
        Profile(
            name="clinics",
            host=str(parts.get("host", "localhost")),
            port=int(str(parts.get("port", 5432))),
            dbname=str(parts["dbname"]),
            user=str(parts["user"]),
        )
    )
    store.set_encryption("clinics", [public])
    out = tmp_path / "chosen" / "bienestar.resguardo"
    dialogs = ScriptedDialogs(save_to=out)
    window = open_window(qtbot, None, dialogs, profile_name="clinics")
    wait_listed(qtbot, window)
    assert window.select("bienestar")
    window.backup_action.trigger()
    wait_idle(qtbot, window)
    panel = window.jobs.panels[-1]
    assert panel.state == "succeeded", panel.message.text()
    assert [p.name for p in out.parent.iterdir()] == ["bienestar.resguardo.age"]
    assert read_header(out.parent / "bienestar.resguardo.age") is not None
    assert any("Encrypting the backup" in line for line in panel.lines)  # the stage, in the window's words

"""The window's backup of a clinic whose profile holds keys: an age file, never a plain one (the keys set here as
`resguardo key set-profile` does; the window's Create a key… and reading are tests/test_gui_encryption.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.engine.connection import ConnectionTarget
from app.engine.encryption.header import read_header
from tests.support.encryption import plain_identity
from tests.support.gui import ScriptedDialogs, back_up, open_window, wait_listed
from tests.support.profiles import save_profile

pytestmark = pytest.mark.gui


def test_the_window_encrypts_the_backup_of_a_profile_with_keys(
    qtbot: QtBot, demo_db: ConnectionTarget, tmp_path: Path
) -> None:
    _, public = plain_identity(tmp_path)
    save_profile(demo_db, encrypt_to=[public])
    out = tmp_path / "chosen" / "bienestar.resguardo"
    dialogs = ScriptedDialogs(save_to=out)
    window = open_window(qtbot, None, dialogs, profile_name="clinics")
    wait_listed(qtbot, window)
    panel = back_up(qtbot, window, "bienestar")
    assert panel.state == "succeeded", panel.message.text()
    assert [p.name for p in out.parent.iterdir()] == ["bienestar.resguardo.age"]
    assert read_header(out.parent / "bienestar.resguardo.age") is not None
    assert any("Encrypting the backup" in line for line in panel.lines)  # the stage, in the window's words

"""The local backup history: what "Last backup" and the save dialog's folder come from."""

from __future__ import annotations

import json
from pathlib import Path

from app import paths
from app.engine.connection import ConnectionTarget
from app.engine.stores.history import History, database_key, record_backup


def test_last_backup_per_schema_of_one_database(tmp_path: Path) -> None:
    history = History(tmp_path / "history.json")
    one = database_key(ConnectionTarget("host=db1 port=5432 dbname=clinics user=a"))
    same_db_other_user = database_key(ConnectionTarget("host=db1 port=5432 dbname=clinics user=b"))
    other = database_key(ConnectionTarget("host=db2 port=5432 dbname=clinics user=a"))
    assert one == same_db_other_user != other
    folder = tmp_path / "backups"
    folder.mkdir()
    record_backup(one, "bienestar", folder / "b1.resguardo", 10, 5, 1.0, history)
    record_backup(one, "mindcare", folder / "m1.resguardo", 10, 5, 1.0, history)
    newest = record_backup(one, "bienestar", folder / "b2.resguardo", 12, 6, 1.5, history)
    record_backup(other, "bienestar", tmp_path / "elsewhere.resguardo", 1, 1, 0.1, history)

    last = History(tmp_path / "history.json").last_backups(one)  # read back from the file
    assert set(last) == {"bienestar", "mindcare"}
    assert last["bienestar"].path == str(folder / "b2.resguardo") == newest.path
    assert History(tmp_path / "history.json").last_folder() == tmp_path  # the folder of the latest record


def test_first_time_the_folder_is_resguardo_in_documents(tmp_path: Path) -> None:
    history = History(tmp_path / "history.json")
    assert history.last_folder() == paths.documents_dir()
    # A folder that has since been removed is not offered either.
    gone = tmp_path / "gone"
    gone.mkdir()
    record_backup("h:5432/db", "bienestar", gone / "x.resguardo", 1, 1, 0.1, history)
    gone.rmdir()
    assert history.last_folder() == paths.documents_dir()


def test_a_damaged_history_file_never_stops_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    path.write_text("{ not json", encoding="utf-8")
    history = History(path)
    assert history.records() == []
    record_backup("h:5432/db", "bienestar", tmp_path / "x.resguardo", 1, 1, 0.1, history)
    assert [r.schema for r in History(path).records()] == ["bienestar"]
    # Written whole: no temporary files are left beside it.
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert json.loads(path.read_text(encoding="utf-8"))["last_folder"] == str(tmp_path)


def test_default_location_is_the_state_dir() -> None:
    assert History().path.parent == paths.state_dir()

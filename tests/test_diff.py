"""`resguardo diff`: a backup compared with the live clinic, row by row (app/engine/comparison, docs/recover.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest

from app.engine.backup.native import backup_tenant
from app.engine.comparison.compare import compare_backup
from app.engine.comparison.result import Comparison, Matching
from app.engine.connection import ConnectionTarget
from app.engine.errors import ArchiveError, Cancelled
from app.engine.jobs import CancelToken
from tests.support import pg
from tests.support.cli import run_cli
from tests.support.restore import rewrite_archive

pytestmark = pytest.mark.core
TENANT = "bienestar"
CHAT = "chat_chatmessage"


@dataclass(frozen=True)
class Changed:
    target: ConnectionTarget
    archive: Path
    deleted: list[int]
    added: list[int]
    changed: int


@pytest.fixture(scope="module")
def changed(pg_server: pg.TestServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Changed]:
    """bienestar backed up (with a table without a key), then rows deleted, added and changed since."""
    target = pg_server.new_database()
    try:
        with target.connect(autocommit=True) as conn:
            conn.execute("CREATE TABLE bienestar.rg_nokey (a int, b text)")
            conn.execute("INSERT INTO bienestar.rg_nokey VALUES (1, 'x'), (1, 'x'), (2, 'y')")
        archive = backup_tenant(target, TENANT, tmp_path_factory.mktemp("diff") / "b.resguardo").path
        with target.connect(autocommit=True) as conn:
            deleted = [int(r[0]) for r in conn.execute(f"SELECT id FROM bienestar.{CHAT} ORDER BY id LIMIT 3 OFFSET 7")]
            conn.execute(f"DELETE FROM bienestar.{CHAT} WHERE id = ANY(%s)", [deleted])
            added = [
                int(r[0])
                for r in conn.execute(
                    f"INSERT INTO bienestar.{CHAT} (sender_id, recipient_id, appointment_id, content, sent_at, is_read)"
                    f" SELECT sender_id, recipient_id, NULL, 'new since', now(), false FROM bienestar.{CHAT}"
                    " ORDER BY id LIMIT 2 RETURNING id"
                )
            ]
            row = conn.execute(
                "UPDATE bienestar.appointments_appointment SET notes = 'moved' WHERE id ="
                " (SELECT min(id) FROM bienestar.appointments_appointment) RETURNING id"
            ).fetchone()
            assert row is not None
            conn.execute("DELETE FROM bienestar.rg_nokey WHERE ctid = (SELECT min(ctid) FROM bienestar.rg_nokey)")
            conn.execute("INSERT INTO bienestar.rg_nokey VALUES (3, 'z')")
        yield Changed(target, archive, deleted, added, int(row[0]))
    finally:
        pg_server.drop_database(target)


def _check(found: Comparison, c: Changed) -> None:
    tables = {t.name: t for t in found.tables}
    chat = tables[CHAT]
    assert (chat.matching, chat.key, chat.words) == (Matching.PRIMARY_KEY, ("id",), "chat message")
    assert (chat.only_in_backup, chat.only_now, chat.changed) == (3, 2, 0)
    assert chat.keys_only_in_backup == [str(i) for i in c.deleted]
    assert chat.keys_only_now == [str(i) for i in c.added]
    appointments = tables["appointments_appointment"]
    assert (appointments.only_in_backup, appointments.only_now, appointments.changed) == (0, 0, 1)
    assert appointments.changed_columns == {"notes": 1} and appointments.keys_changed == [str(c.changed)]
    nokey = tables["rg_nokey"]
    assert (nokey.matching, nokey.only_in_backup, nokey.only_now, nokey.changed) == (Matching.MULTISET, 1, 1, 0)
    assert [t.name for t in found.tables if t.differs] == ["appointments_appointment", CHAT, "rg_nokey"]
    assert (found.only_in_backup, found.only_now, found.changed) == (4, 3, 1)


def test_the_diff_finds_exactly_what_changed(changed: Changed) -> None:
    progress: list[float] = []
    found = compare_backup(changed.target, TENANT, changed.archive, progress=lambda p: progress.append(p.fraction))
    _check(found, changed)
    assert found.spilled_runs == 0 and progress[-1] == 1.0 and progress == sorted(progress)


def test_rows_stored_in_key_order_are_merged_as_they_come_without_sorting(changed: Changed) -> None:
    """The native backup holds these tables in key order: even with a tiny memory bound nothing is sorted on disk."""
    found = compare_backup(changed.target, TENANT, changed.archive, run_bytes=2048)
    _check(found, changed)
    assert found.spilled_runs == 0


def _reversed_rows(table: str, raw: bytes) -> bytes:
    if table not in (CHAT, "appointments_appointment"):
        return raw
    lines = raw.split(b"\n")
    assert lines.pop() == b""
    return b"".join(line + b"\n" for line in reversed(lines))


def test_rows_stored_out_of_key_order_are_sorted_and_compared_alike(changed: Changed, tmp_path: Path) -> None:
    """A backup whose big tables were copied in reverse: the in-order merge gives up, the sort compares the same."""
    backwards = rewrite_archive(changed.archive, tmp_path / "backwards.resguardo", table_data=_reversed_rows)
    in_memory = compare_backup(changed.target, TENANT, backwards)
    _check(in_memory, changed)
    assert in_memory.spilled_runs == 0
    on_disk = compare_backup(changed.target, TENANT, backwards, run_bytes=2048)
    _check(on_disk, changed)
    assert on_disk.spilled_runs > 0
    as_stored = compare_backup(changed.target, TENANT, changed.archive)
    assert [t.as_json() for t in on_disk.tables] == [t.as_json() for t in as_stored.tables]


def test_a_row_moved_by_an_update_is_compared_alike(pg_server: pg.TestServer, tmp_path: Path) -> None:
    """Rows updated before the backup lie physically after the others: its copy is out of key order."""
    target = pg_server.new_database()
    try:
        with target.connect(autocommit=True) as conn:
            low = conn.execute(f"SELECT min(id) FROM bienestar.{CHAT}").fetchone()
            assert low is not None
            conn.execute(f"UPDATE bienestar.{CHAT} SET is_read = NOT is_read WHERE id = %s", [low[0]])
        archive = backup_tenant(target, TENANT, tmp_path / "moved.resguardo").path
        with target.connect(autocommit=True) as conn:
            conn.execute(f"UPDATE bienestar.{CHAT} SET content = 'since' WHERE id = %s", [low[0]])
        found = compare_backup(target, TENANT, archive, run_bytes=2048)
        chat = next(t for t in found.tables if t.name == CHAT)
        assert (chat.only_in_backup, chat.only_now, chat.changed, chat.keys_changed) == (0, 0, 1, [str(low[0])])
        assert chat.changed_columns == {"content": 1} and found.spilled_runs > 0
        assert (found.only_in_backup, found.only_now, found.changed) == (0, 0, 1)
        # Within the window of rows the in-order merge holds (an eighth of the memory bound): put back, no sort.
        windowed = compare_backup(target, TENANT, archive)
        assert windowed.spilled_runs == 0
        assert [t.as_json() for t in windowed.tables] == [t.as_json() for t in found.tables]
    finally:
        pg_server.drop_database(target)


def test_the_cli_says_it_in_json_and_in_words(changed: Changed) -> None:
    base = ["diff", "--tenant", TENANT, "--file", str(changed.archive), "--dsn", changed.target.conninfo]
    done = run_cli(*base, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    chat = next(t for t in data["tables"] if t["table"] == CHAT)
    assert (chat["only_in_backup"], chat["only_now"], chat["changed"], chat["matched_by"]) == (3, 2, 0, "primary key")
    assert (data["only_in_backup"], data["only_now"], data["changed"]) == (4, 3, 1)
    done = run_cli(*base)
    assert done.returncode == 0, done.stderr
    assert "3 chat messages and 1 row of rg_nokey come back" in done.stdout
    assert "2 chat messages and 1 row of rg_nokey made since the backup would be lost" in done.stdout
    assert "1 appointment changed since" in done.stdout and "changed columns: notes (1)" in done.stdout
    assert "compared as multisets (equal rows pair up): rg_nokey" in done.stdout


def test_a_crafted_archive_is_refused_with_a_sentence(changed: Changed, tmp_path: Path) -> None:
    """Checksums that match rows the manifest does not describe: a row with a field too many, a key twice."""
    extra = rewrite_archive(
        changed.archive,
        tmp_path / "extra.resguardo",
        table_data=lambda t, raw: raw.replace(b"\n", b"\tx\n", 1) if t == CHAT else raw,
    )
    with pytest.raises(
        ArchiveError, match=f"cannot be compared: row 1 of table {CHAT} has 8 fields, its manifest names 7"
    ):
        compare_backup(changed.target, TENANT, extra)
    twice = rewrite_archive(
        changed.archive,
        tmp_path / "twice.resguardo",
        table_data=lambda t, raw: raw.split(b"\n", 1)[0] + b"\n" + raw if t == CHAT else raw,
    )
    with pytest.raises(ArchiveError, match=f"two rows of table {CHAT} with the key 1, which the table's primary key"):
        compare_backup(changed.target, TENANT, twice)
    done = run_cli("diff", "--tenant", TENANT, "--file", str(twice), "--dsn", changed.target.conninfo)
    assert done.returncode == 1 and "two rows of table" in done.stderr and "unexpected" not in done.stderr


def test_other_formats_are_refused_naming_what_is_compared(changed: Changed, tmp_path: Path) -> None:
    export = tmp_path / "b.json"
    export.write_text(json.dumps([{"model": "auth.group", "pk": 1, "fields": {"name": "g", "permissions": []}}]))
    with pytest.raises(ArchiveError, match=r"reads Resguardo's own backups \(.resguardo files.*a Django dumpdata"):
        compare_backup(changed.target, TENANT, export)


def test_cancel(changed: Changed) -> None:
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        compare_backup(changed.target, TENANT, changed.archive, cancel=cancel)


def test_the_restore_preview_says_what_a_restore_throws_away(changed: Changed) -> None:
    from app.commands.restore import describe_preview
    from app.engine.restore.preview import preview_restore

    progress: list[float] = []
    preview = preview_restore(changed.target, TENANT, changed.archive, progress=lambda p: progress.append(p.fraction))
    assert preview.comparison is not None and progress == sorted(progress) and progress[-1] == 1.0
    _check(preview.comparison, changed)
    text = describe_preview(preview)
    assert (
        "Row by row: 3 chat messages and 1 row of rg_nokey come back; 2 chat messages and 1 row of rg_nokey made "
        "since the backup would be lost; 1 appointment changed since would go back to the backup's version." in text
    )
    assert "    chat_chatmessage (chat message): 3 come back, 2 made since are lost, 0 changed since go back" in text
    unasked = preview_restore(changed.target, TENANT, changed.archive, compare=False)
    assert unasked.comparison is None and "add --compare, or run resguardo diff" in describe_preview(unasked)


def test_a_login_that_row_security_limits_previews_without_comparing(changed: Changed) -> None:
    """The clinic's owner under its own forced row-level security cannot read every row: the preview still
    describes the restore and says why the rows were not compared; asked to compare, it refuses."""
    from psycopg.conninfo import make_conninfo

    from app.commands.restore import describe_preview
    from app.engine.errors import PreflightError
    from app.engine.restore.preview import preview_restore
    from app.ui.preview_text import PreviewContext, row_by_row

    owner = ConnectionTarget(make_conninfo(changed.target.conninfo, user="clinic_app"))
    with changed.target.connect(autocommit=True) as conn:
        conn.execute("ALTER TABLE bienestar.rg_nokey OWNER TO clinic_app")  # made by the superuser above
        conn.execute(f"ALTER TABLE bienestar.{CHAT} ENABLE ROW LEVEL SECURITY")
        conn.execute(f"ALTER TABLE bienestar.{CHAT} FORCE ROW LEVEL SECURITY")
    try:
        preview = preview_restore(owner, TENANT, changed.archive)
        assert preview.comparison is None and "row-level security" in preview.not_compared
        assert "Rows were not compared with today's: No privilege to read" in describe_preview(preview)
        context = cast(PreviewContext, cast(Any, type("Context", (), {"preview": preview})))
        assert row_by_row(context)[0].startswith("The rows were not compared with today's")
        with pytest.raises(PreflightError, match="row-level security"):
            preview_restore(owner, TENANT, changed.archive, compare=True)
    finally:
        with changed.target.connect(autocommit=True) as conn:
            conn.execute(f"ALTER TABLE bienestar.{CHAT} NO FORCE ROW LEVEL SECURITY")
            conn.execute(f"ALTER TABLE bienestar.{CHAT} DISABLE ROW LEVEL SECURITY")


def test_the_window_says_it_too(changed: Changed) -> None:
    """The confirmation's sentences (app/ui/preview_text.py), before the file's details."""
    from app.engine.restore.preview import preview_restore
    from app.ui.preview_text import PreviewContext, row_by_row

    preview = preview_restore(changed.target, TENANT, changed.archive)
    context = cast(PreviewContext, cast(Any, type("Context", (), {"preview": preview})))
    lost, changed_since, back = row_by_row(context)
    assert lost.startswith("Made since the backup, and lost by this restore: chat message (2)")
    assert "rg_nokey (1)" in lost and "rg_nokey (1)" in back
    assert changed_since == "Changed since the backup, and put back as they were: appointment (1)."
    assert back.startswith("Deleted since the backup, and brought back: chat message (3)")


def test_rows_stored_before_the_rows_below_them_are_compared_without_sorting(
    pg_server: pg.TestServer, tmp_path: Path
) -> None:
    """Rows inserted into the room deleted rows left (after VACUUM) lie physically before rows of smaller keys, as
    in a clinic's messages: held back until their place comes, and compared exactly as the sort compares them."""
    target = pg_server.new_database()
    columns = "sender_id, recipient_id, appointment_id, content, sent_at, is_read"
    try:
        with target.connect(autocommit=True) as conn:
            conn.execute(
                f"INSERT INTO bienestar.{CHAT} ({columns}) SELECT sender_id, recipient_id, appointment_id,"
                f" content || g, sent_at, is_read FROM bienestar.{CHAT}, generate_series(1, 40) g"
            )
            conn.execute(f"DELETE FROM bienestar.{CHAT} WHERE id % 3 = 0")
            conn.execute(f"VACUUM bienestar.{CHAT}")
            conn.execute(
                f"INSERT INTO bienestar.{CHAT} ({columns}) SELECT {columns} FROM bienestar.{CHAT} ORDER BY id LIMIT 300"
            )
            row = conn.execute(
                f"SELECT count(*) FROM (SELECT id > lead(id) OVER (ORDER BY ctid) AS ahead FROM bienestar.{CHAT}) r"
                " WHERE ahead"
            ).fetchone()
            assert row is not None and row[0] > 0  # the table is stored out of key order
        archive = backup_tenant(target, TENANT, tmp_path / "reused.resguardo").path
        with target.connect(autocommit=True) as conn:
            conn.execute(f"DELETE FROM bienestar.{CHAT} WHERE id = (SELECT max(id) FROM bienestar.{CHAT})")
            conn.execute(
                f"UPDATE bienestar.{CHAT} SET content = 'since' WHERE id = (SELECT min(id) FROM bienestar.{CHAT})"
            )
        found = compare_backup(target, TENANT, archive)
        chat = next(t for t in found.tables if t.name == CHAT)
        assert (chat.only_in_backup, chat.only_now, chat.changed, chat.changed_columns) == (1, 0, 1, {"content": 1})
        assert found.spilled_runs == 0
        through_the_sort = compare_backup(target, TENANT, archive, run_bytes=2048)
        assert through_the_sort.spilled_runs > 0
        assert [t.as_json() for t in through_the_sort.tables] == [t.as_json() for t in found.tables]
    finally:
        pg_server.drop_database(target)

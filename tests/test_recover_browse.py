"""Browsing a backup before recovering rows (app/engine/recovery/browse.py), on a real backup of the demo clinic."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.engine.backup.native import backup_tenant
from app.engine.connection import ConnectionTarget
from app.engine.errors import ArchiveError, Cancelled, PreflightError
from app.engine.jobs import CancelToken
from app.engine.recovery.browse import BackupContents, Search, deleted_since, list_tables, read_rows
from tests.support import pg
from tests.support.restore import rewrite_archive

TENANT = "bienestar"
CHAT = "chat_chatmessage"
USERS = "users_customuser"


@dataclass(frozen=True)
class Backed:
    target: ConnectionTarget
    archive: Path
    contents: BackupContents
    deleted: list[int]  # chat messages deleted since the backup


@pytest.fixture(scope="module")
def backed(pg_server: pg.TestServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backed]:
    target = pg_server.new_database()
    try:
        archive = backup_tenant(target, TENANT, tmp_path_factory.mktemp("browse") / "b.resguardo").path
        with target.connect(autocommit=True) as conn:
            deleted = [int(r[0]) for r in conn.execute(f"SELECT id FROM bienestar.{CHAT} ORDER BY id LIMIT 3 OFFSET 4")]
            conn.execute(f"DELETE FROM bienestar.{CHAT} WHERE id = ANY(%s)", [deleted])
            conn.execute(
                f"INSERT INTO bienestar.{CHAT} (sender_id, recipient_id, appointment_id, content, sent_at, is_read)"
                f" SELECT sender_id, recipient_id, NULL, 'new since', now(), false FROM bienestar.{CHAT} LIMIT 2"
            )
        yield Backed(target, archive, list_tables(target, TENANT, archive), deleted)
    finally:
        pg_server.drop_database(target)


def test_the_tables_are_listed_in_djangos_words_with_the_live_key(backed: Backed) -> None:
    tables = {t.name: t for t in backed.contents.tables}
    users = tables[USERS]
    assert (users.words, users.key, users.can_pick) == ("custom user", ("id",), True)
    assert "email" in users.columns and users.rows > 1
    assert tables[CHAT].words == "chat message"
    assert backed.contents.source_schema == TENANT
    assert [t.name for t in backed.contents.tables] == sorted(tables)


def test_a_search_finds_a_row_by_any_column_ignoring_case(backed: Backed) -> None:
    users = backed.contents.table(USERS)
    by_email = read_rows(backed.archive, users, search=Search("PACIENTE1@test", "email"))
    assert by_email.matching == 1 and len(by_email.rows) == 1
    row = by_email.rows[0]
    assert row[by_email.columns.index("email")] == "paciente1@test.com"
    with backed.target.connect() as conn:
        uid = pg.one_value(conn, "SELECT id FROM bienestar.users_customuser WHERE email = 'paciente1@test.com'")
    assert by_email.key_values(row) == (("id", str(uid)),)
    anywhere = read_rows(backed.archive, users, search=Search("paciente1@test.com"))
    assert anywhere.rows == by_email.rows
    assert read_rows(backed.archive, users, search=Search("paciente1", "last_name")).matching == 0
    with pytest.raises(PreflightError):
        read_rows(backed.archive, users, search=Search("x", "no_such_column"))


def test_a_page_holds_only_the_first_rows_however_many_match(backed: Backed) -> None:
    chat = backed.contents.table(CHAT)
    page = read_rows(backed.archive, chat, limit=5)
    assert len(page.rows) == 5 and page.matching == page.scanned == chat.rows and page.more == chat.rows - 5
    assert all(len(r) == len(page.columns) for r in page.rows)


def test_what_was_deleted_since_the_backup_is_listed_by_key(backed: Backed) -> None:
    chat = backed.contents.table(CHAT)
    found = deleted_since(backed.target, TENANT, backed.archive, chat)
    ids = [int(r[found.columns.index("id")] or 0) for r in found.rows]
    assert ids == backed.deleted and found.matching == 3
    spilled = deleted_since(backed.target, TENANT, backed.archive, chat, limit=2, run_bytes=2048)  # sorted on disk
    assert [int(r[0] or 0) for r in spilled.rows] == backed.deleted[:2] and spilled.matching == 3
    users = deleted_since(backed.target, TENANT, backed.archive, backed.contents.table(USERS))
    assert users.matching == 0 and users.rows == ()
    wanted = str(backed.deleted[1])
    searched = deleted_since(backed.target, TENANT, backed.archive, chat, search=Search(wanted, "id"))
    assert [r[0] for r in searched.rows] == [wanted]


def test_a_cancel_stops_the_reading(backed: Backed) -> None:
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        read_rows(backed.archive, backed.contents.table(CHAT), cancel=cancel)
    with pytest.raises(Cancelled):
        deleted_since(backed.target, TENANT, backed.archive, backed.contents.table(CHAT), cancel=cancel)


def test_a_changed_file_shows_no_rows(backed: Backed, tmp_path: Path) -> None:
    """Rows changed after the backup was written fail their checksum: nothing of the table is shown."""
    changed = rewrite_archive(
        backed.archive,
        tmp_path / "changed.resguardo",
        table_data=lambda name, data: data.replace(b"paciente1", b"paciente9") if name == USERS else data,
        fix_checksums=False,
    )
    with pytest.raises(ArchiveError, match="damaged"):
        read_rows(changed, backed.contents.table(USERS), search=Search("paciente"))

"""Tables named by what their rows are (app/engine/comparison/names.py): Django's models from its content types,
and the many-to-many tables Django made between two of them, recognised from the catalog, never from the name
alone; the command line says them in English, the window frames them in its language (app/ui/table_names.py)."""

from __future__ import annotations

import pytest

from app.commands.diff import what
from app.engine.comparison.live import begin_snapshot, lock_live_tables
from app.engine.comparison.model_name import ModelName
from app.engine.comparison.names import table_names
from app.engine.comparison.result import Matching, TableDiff
from app.engine.connection import ConnectionTarget

pytestmark = pytest.mark.core
TENANT = "bienestar"
USERS = "bienestar.users_customuser"
GROUPS = "bienestar.auth_group"


def test_many_to_many_tables_are_named_by_the_models_they_link(demo_db: ConnectionTarget) -> None:
    with demo_db.connect(autocommit=True) as conn:
        for statement in (
            # Django's own shape, linking a model to itself.
            f"CREATE TABLE bienestar.users_customuser_friends (id bigint PRIMARY KEY,"
            f" from_customuser_id bigint REFERENCES {USERS}, to_customuser_id bigint REFERENCES {USERS})",
            # The shape, but not named after either model's table.
            f"CREATE TABLE bienestar.rg_memberships (id bigint PRIMARY KEY,"
            f" customuser_id bigint REFERENCES {USERS}, group_id int REFERENCES {GROUPS})",
            # Named like one, but a column that refers to nothing.
            f"CREATE TABLE bienestar.users_customuser_tags (id bigint PRIMARY KEY,"
            f" customuser_id bigint REFERENCES {USERS}, tag text)",
            # Named like one, a column more than Django makes.
            f"CREATE TABLE bienestar.users_customuser_teams (id bigint PRIMARY KEY, since date,"
            f" customuser_id bigint REFERENCES {USERS}, group_id int REFERENCES {GROUPS})",
            # Named like one, but one of its keys goes to a table no content type names.
            "CREATE TABLE bienestar.rg_plain (id int PRIMARY KEY)",
            f"CREATE TABLE bienestar.users_customuser_plain (id bigint PRIMARY KEY,"
            f" customuser_id bigint REFERENCES {USERS}, plain_id int REFERENCES bienestar.rg_plain)",
        ):
            conn.execute(statement)
    with demo_db.connect() as conn:
        begin_snapshot(conn, None)
        names = table_names(conn, lock_live_tables(conn, TENANT))
        conn.rollback()
    assert names["chat_chatmessage"] == ModelName("chat message")
    assert names["users_customuser_groups"] == ModelName("custom user", "group")
    assert names["users_customuser_groups"].words == "custom user ↔ group links"
    assert names["users_customuser_friends"] == ModelName("custom user", "custom user")
    for unnamed in (
        "rg_memberships",
        "users_customuser_tags",
        "users_customuser_teams",
        "users_customuser_plain",
        "rg_plain",
    ):
        assert unnamed not in names


def test_the_command_line_counts_links_in_english() -> None:
    links = TableDiff("users_customuser_groups", Matching.PRIMARY_KEY, model=ModelName("custom user", "group"))
    assert what(links, 1) == "1 custom user ↔ group link"
    assert what(links, 1200) == "1,200 custom user ↔ group links"
    assert what(TableDiff("chat_chatmessage", Matching.PRIMARY_KEY, model=ModelName("chat message")), 2) == (
        "2 chat messages"
    )
    assert what(TableDiff("rg_notes", Matching.PRIMARY_KEY), 2) == "2 rows of rg_notes"

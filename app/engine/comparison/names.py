"""Tables named in words where Django says what they hold: `django_content_type` lists each model
(app_label, model), whose table is `app_label_model` unless the model says otherwise. The model's name is
one lowercase word ("chatmessage"); it is split where it starts or ends with its application's name
("chat message", "patient profile", "custom user"). Read from the locked, checked table (app/engine/comparison/
live.py) with each value through its type's output function, never a cast."""

from __future__ import annotations

import psycopg
from psycopg import sql

from app.engine.comparison.live import LiveTable
from app.engine.dumpdata.plan import default_table

CONTENT_TYPES = "django_content_type"


def table_words(conn: psycopg.Connection, tables: dict[str, LiveTable]) -> dict[str, str]:
    """table name -> words for its rows ("chat message"), for the tables a content type names."""
    table = tables.get(CONTENT_TYPES)
    if table is None or not {"app_label", "model"} <= {c.name for c in table.columns}:
        return {}
    found: dict[str, str] = {}
    query = sql.SQL("SELECT pg_catalog.concat(c.app_label), pg_catalog.concat(c.model) FROM {} c").format(
        table.relation.identifier()
    )
    with conn.transaction():  # a savepoint: an unusual content type table names nothing, and ends nothing
        for app, model in conn.execute(query):
            found.setdefault(default_table(f"{app}.{model}"), model_words(str(app), str(model)))
    return found


def model_words(app: str, model: str) -> str:
    for stem in (app, app.removesuffix("s")):
        if stem and model != stem:
            if model.startswith(stem):
                return f"{stem} {model[len(stem) :]}"
            if model.endswith(stem):
                return f"{model[: -len(stem)]} {stem}"
    return model


def plural(words: str, count: int) -> str:
    """English, for the command line: "1 appointment", "12 appointments"."""
    if count == 1:
        return words
    if words.endswith(("s", "x", "ch", "sh")):
        return words + "es"
    if words.endswith("y") and words[-2:-1] not in "aeiou":
        return words[:-1] + "ies"
    return words + "s"

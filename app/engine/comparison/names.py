"""Tables named in words where Django says what they hold: `django_content_type` lists each model
(app_label, model), whose table is `app_label_model` unless the model says otherwise. The model's name is
one lowercase word ("chatmessage"); it is split where it starts or ends with its application's name
("chat message", "patient profile", "custom user"). Read from the locked, checked table (app/engine/comparison/
live.py) with each value through its type's output function, never a cast.

A many-to-many table Django made itself (`users_customuser_groups`) has no content type: it is named by the two
models it links ("custom user ↔ group links") when the catalog shows what Django makes, never from its name
alone: three columns, `id` its primary key and the two others each a foreign key to a model's table of the
clinic, and its name the linking model's table, `_` and the field's name (`<app>_<model>_<field>`).

The words are the database's, in English (Django keeps its verbose names in the code, not in the database):
the window frames them in its language and never translates them (app/ui/table_names.py).
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from app.engine.comparison.live import LiveTable
from app.engine.comparison.model_name import ModelName
from app.engine.comparison.result import Matching
from app.engine.dumpdata.plan import default_table

CONTENT_TYPES = "django_content_type"

# Single-column foreign keys of the given tables, to tables of the same schema: (table, column, referenced table).
_LINKS = """
SELECT c.conrelid, a.attname, c.confrelid FROM pg_catalog.pg_constraint c
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
WHERE c.contype = 'f' AND c.conrelid = ANY(%s::pg_catalog.oid[])
  AND pg_catalog.cardinality(c.conkey) = 1
"""


def table_names(conn: psycopg.Connection, tables: dict[str, LiveTable]) -> dict[str, ModelName]:
    """table name -> what its rows are, for the tables a content type names and the many-to-many tables
    between them."""
    table = tables.get(CONTENT_TYPES)
    if table is None or not {"app_label", "model"} <= {c.name for c in table.columns}:
        return {}
    found: dict[str, ModelName] = {}
    query = sql.SQL("SELECT pg_catalog.concat(c.app_label), pg_catalog.concat(c.model) FROM {} c").format(
        table.relation.identifier()
    )
    with conn.transaction():  # a savepoint: an unusual content type table names nothing, and ends nothing
        for app, model in conn.execute(query):
            found.setdefault(default_table(f"{app}.{model}"), ModelName(model_words(str(app), str(model))))
    found.update(_links(conn, tables, {name: words for name, words in found.items() if name in tables}))
    return found


def _links(
    conn: psycopg.Connection, tables: dict[str, LiveTable], models: dict[str, ModelName]
) -> dict[str, ModelName]:
    """The auto-created many-to-many tables between the `models`' tables, each named by the two it links."""
    candidates = {
        t.relation.oid: t
        for name, t in tables.items()
        if name not in models and t.key == ("id",) and t.matching is Matching.PRIMARY_KEY and len(t.columns) == 3
    }
    if not candidates:
        return {}
    by_oid = {t.relation.oid: name for name, t in tables.items()}
    keys: dict[int, dict[str, str]] = {}
    for oid, column, parent in conn.execute(_LINKS, [list(candidates)]):
        target = by_oid.get(int(parent))
        keys.setdefault(int(oid), {})[str(column)] = target if target is not None and target in models else ""
    found: dict[str, ModelName] = {}
    for oid, table in candidates.items():
        columns = {c.name for c in table.columns} - {"id"}
        refers = keys.get(oid, {})
        if set(refers) != columns or len(columns) != 2 or not all(refers.values()):
            continue
        name = table.relation.name
        first, second = (refers[c] for c in sorted(columns))
        for source, target in ((first, second), (second, first)):
            if name.startswith(source + "_") and len(name) > len(source) + 1:
                found[name] = ModelName(models[source].model, models[target].model)
                break
    return found


def model_words(app: str, model: str) -> str:
    for stem in (app, app.removesuffix("s")):
        if stem and model != stem:
            if model.startswith(stem):
                return f"{stem} {model[len(stem) :]}"
            if model.endswith(stem):
                return f"{model[: -len(stem)]} {stem}"
    return model


def counted(name: ModelName, count: int) -> str:
    """English, for the command line: "12 appointments", "1 custom user ↔ group link"."""
    if name.other is not None:
        return f"{count:,} {name.model} ↔ {name.other} {'link' if count == 1 else 'links'}"
    return f"{count:,} {plural(name.model, count)}"


def plural(words: str, count: int) -> str:
    """English, for the command line: "1 appointment", "12 appointments"."""
    if count == 1:
        return words
    if words.endswith(("s", "x", "ch", "sh")):
        return words + "es"
    if words.endswith("y") and words[-2:-1] not in "aeiou":
        return words[:-1] + "ies"
    return words + "s"

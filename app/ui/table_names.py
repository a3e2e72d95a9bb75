"""A table named in the window's language by what its rows are (app/engine/comparison/names.py).

The database knows its models only by Django's English class names, lowercase ("chatmessage", split into
"chat message"); Django keeps the verbose names a clinic's people know in the web application's code. So the
words are never translated: each language frames them as a name (Spanish: «chat message»), says in its own
words that a many-to-many table links two models' rows, and gives the table's own name in the details.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from app.engine.comparison.model_name import ModelName
from app.text_safety import shown

translate = QCoreApplication.translate


def model_text(model: ModelName | None, table: str) -> str:
    """ "chat message" («chat message»), "custom user ↔ group links" (vínculos «custom user» ↔ «group»); the
    table's name where the clinic says nothing of it."""
    if model is None:
        return shown(table)
    if model.other is not None:
        return translate("TableNames", "{first} ↔ {second} links").format(
            first=_model(model.model), second=_model(model.other)
        )
    return _model(model.model)


def _model(words: str) -> str:
    """Django's English words as a name, in the language's frame."""
    return translate("TableNames", "{model}").format(model=shown(words))

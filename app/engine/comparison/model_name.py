"""What a table's rows are, in the words Django's content types give (app/engine/comparison/names.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelName:
    """What a table's rows are: one model's ("chat message"), or, with `other`, the links an auto-created
    many-to-many table holds between the rows of `model` and of `other`."""

    model: str
    other: str | None = None

    @property
    def words(self) -> str:
        """In English, for the command line and JSON: "chat message", "custom user ↔ group links"."""
        return self.model if self.other is None else f"{self.model} ↔ {self.other} links"

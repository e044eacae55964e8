"""The building blocks every scenario model shares: the frozen base model and the common field types."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["HHMM", "NAME_PATTERN", "Examples", "FrozenModel", "Language", "Name", "Text", "calendar_flag"]

Language = Literal["en", "ru"]
"""Languages the offline NLU understands and templates may be written in."""

Text = str | dict[Language, str]
"""A spoken template: one string, or one string per language (``{en: ..., ru: ...}``)."""

Examples = list[str] | dict[Language, list[str]]

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]

HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


def calendar_flag() -> Any:
    """The ``calendar: true`` flag of date, time and datetime slots (one definition, three slot types)."""
    return Field(
        default=False,
        description="Check the value against the bot's business calendar (opening hours, closures, grid).",
        examples=[True],
    )


class FrozenModel(BaseModel):
    """Unknown keys are errors, values are frozen, fields answer to their aliases too."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

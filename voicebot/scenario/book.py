"""The scenario's ``book:`` key: the built-in appointment book's resources, declared with the bot.

Pure model, no I/O. On deploy (``voicebot bot deploy``, ``POST``/``PUT`` of a bot's scenario) each declared
resource is created, or updated to match, by name; resources made over the API or CLI and not named here
are left as they are. Opening hours are the scenario's ``calendar``. See docs/scenarios.md,
"The appointment book".
"""

from __future__ import annotations

from pydantic import Field, model_validator

from voicebot.scenario.modelbase import FrozenModel

__all__ = ["BookConfig", "BookResourceDecl"]


class BookResourceDecl(FrozenModel):
    """One bookable resource: a doctor, a chair, a table size."""

    name: str = Field(min_length=1, max_length=100, description="What callers book.", examples=["Dr Lee"])
    capacity: int = Field(default=1, ge=1, le=500, description="Bookings in one slot (chairs, tables).")
    slot_minutes: int = Field(
        default=30, ge=5, le=720, description="Slot length; the grid too unless calendar.step is set."
    )
    services: list[str] = Field(
        default_factory=list, description="Services booked on it; [] books anything.", examples=[["check-up"]]
    )
    party_max: int | None = Field(default=None, ge=1, description="A table's size; none: no party limit.")


class BookConfig(FrozenModel):
    """The built-in appointment book of this bot."""

    resources: list[BookResourceDecl] = Field(min_length=1, description="Resources, by unique name.")

    @model_validator(mode="after")
    def _unique_names(self) -> BookConfig:
        seen: set[str] = set()
        for r in self.resources:
            key = r.name.casefold()
            if key in seen:
                raise ValueError(f"resource {r.name!r} is declared twice")
            seen.add(key)
        return self

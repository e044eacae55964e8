"""Slot models: one class per slot type, discriminated by ``type`` (part of the scenario language)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from voicebot.scenario.keypad import DigitCount, DigitTotal, InputMode
from voicebot.scenario.modelbase import HHMM, FrozenModel, Text, calendar_flag
from voicebot.scenario.turntaking import TurnTakingSpec

__all__ = [
    "DateSlot",
    "DateTimeSlot",
    "EmailSlot",
    "EnumSlot",
    "NumberSlot",
    "PhoneSlot",
    "Slot",
    "TextSlot",
    "TimeSlot",
    "YesNoSlot",
]


class _SlotBase(FrozenModel):
    prompt: Text | None = Field(default=None, description="Asked when the slot is missing.")
    reprompt: Text | None = Field(default=None, description="Asked again when the answer was not understood.")
    invalid: Text | None = Field(
        default=None, description="Said when a value fails validation ({value} available)."
    )
    confirm: bool = Field(
        default=False, description="Read the value back and wait for yes/no before keeping it."
    )
    default_from: Literal["caller_number", "dialed_number"] | None = Field(
        default=None, description="Pre-fill from the call (e.g. the caller's number)."
    )
    required: bool = True
    input: list[InputMode] = Field(default=["speech"], min_length=1, description="speech, dtmf or both.")
    digits: DigitTotal | DigitCount | None = Field(default=None, description="Digits typed: n or {min, max}.")
    terminator: str = Field(
        default="#", pattern=r"^[#*]?$", description="Key that ends typed input ('' for none)."
    )
    dtmf_timeout: float = Field(
        default=5.0, gt=0, le=60, description="Seconds between keys before input ends."
    )
    turn_taking: TurnTakingSpec | None = Field(default=None, description="End-of-turn timing for this slot.")


class TextSlot(_SlotBase):
    type: Literal["text"]
    min_length: int = Field(default=1, ge=0)
    max_length: int = Field(default=200, ge=1)
    pattern: str | None = Field(default=None, description="Regular expression the whole value must match.")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return value


class EnumSlot(_SlotBase):
    type: Literal["enum"]
    values: dict[str, list[str]] | list[str] = Field(
        description="Allowed values; a mapping gives each canonical value its synonyms."
    )

    @field_validator("values")
    @classmethod
    def _not_empty(cls, value: dict[str, list[str]] | list[str]) -> dict[str, list[str]] | list[str]:
        if not value:
            raise ValueError("an enum slot needs at least one value")
        return value

    def synonyms(self) -> dict[str, list[str]]:
        """Canonical value -> phrases that mean it (the canonical value itself included)."""
        if isinstance(self.values, list):
            return {v: [v] for v in self.values}
        return {k: [k, *v] for k, v in self.values.items()}


class NumberSlot(_SlotBase):
    type: Literal["number"]
    min: float | None = None
    max: float | None = None
    integer: bool = False


class DateSlot(_SlotBase):
    type: Literal["date"]
    not_in_past: bool = False
    not_in_future: bool = False
    max_days_ahead: int | None = Field(default=None, ge=0)
    calendar: bool = calendar_flag()


class TimeSlot(_SlotBase):
    type: Literal["time"]
    earliest: HHMM | None = None
    latest: HHMM | None = None
    calendar: bool = calendar_flag()


class DateTimeSlot(_SlotBase):
    type: Literal["datetime"]
    not_in_past: bool = False
    max_days_ahead: int | None = Field(default=None, ge=0)
    earliest: HHMM | None = None
    latest: HHMM | None = None
    calendar: bool = calendar_flag()


class PhoneSlot(_SlotBase):
    type: Literal["phone"]
    region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", description="Overrides bot.region.")


class EmailSlot(_SlotBase):
    type: Literal["email"]


class YesNoSlot(_SlotBase):
    type: Literal["yes_no"]


Slot = Annotated[
    TextSlot | EnumSlot | NumberSlot | DateSlot | TimeSlot | DateTimeSlot | PhoneSlot | EmailSlot | YesNoSlot,
    Field(discriminator="type"),
]

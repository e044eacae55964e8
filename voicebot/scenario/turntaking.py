"""Turn-taking in the scenario language: how long the bot waits before it decides the caller is done.

``turn_taking:`` is a preset name or ``{min_endpointing_delay, max_endpointing_delay}`` (seconds), on a
slot, on a state, or per slot type in ``settings.turn_taking``. The built-in defaults per slot type
(:data:`SLOT_TYPE_PRESETS`) give callers reading a phone, card or account number time to pause between
groups, and answer a yes/no quickly. ``dialogue.turntaking`` resolves which one applies; the telephony
layer applies it to the live session. docs/telephony.md lists what is in use per state.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field, model_validator

from voicebot.scenario.modelbase import FrozenModel

__all__ = [
    "PRESETS",
    "SLOT_TYPE_PRESETS",
    "TURN_TAKING_KEYS",
    "TurnPreset",
    "TurnTaking",
    "TurnTakingKey",
    "TurnTakingSpec",
]

TurnPreset = Literal["short", "normal", "long", "digits"]
TurnTakingKey = Literal[
    "yes_no",
    "enum",
    "text",
    "number",
    "date",
    "time",
    "datetime",
    "phone",
    "email",
    "digits",
    "menu",
    "default",
]


class TurnTaking(FrozenModel):
    """End-of-turn timing (seconds). With VAD end-of-turn (the default), the bot answers once the
    caller has been silent ``min_endpointing_delay``; with a turn-detector model, it waits up to
    ``max_endpointing_delay`` when the model thinks the caller is not finished."""

    min_endpointing_delay: float = Field(ge=0.1, le=10.0, examples=[1.5])
    max_endpointing_delay: float = Field(ge=0.1, le=20.0, examples=[5.0])

    @model_validator(mode="after")
    def _ordered(self) -> TurnTaking:
        if self.min_endpointing_delay > self.max_endpointing_delay:
            raise ValueError(
                f"min_endpointing_delay ({self.min_endpointing_delay}) is greater than "
                f"max_endpointing_delay ({self.max_endpointing_delay})"
            )
        return self


TurnTakingSpec = TurnPreset | TurnTaking
"""A preset name or explicit delays."""

PRESETS: Final[dict[str, TurnTaking]] = {
    "short": TurnTaking(min_endpointing_delay=0.3, max_endpointing_delay=1.5),
    "normal": TurnTaking(min_endpointing_delay=0.5, max_endpointing_delay=3.0),  # livekit's defaults
    "long": TurnTaking(min_endpointing_delay=1.2, max_endpointing_delay=4.0),
    "digits": TurnTaking(min_endpointing_delay=1.8, max_endpointing_delay=6.0),
}
"""The named presets. ``normal`` is livekit-agents 1.8.9's default (what every state used before)."""

SLOT_TYPE_PRESETS: Final[dict[str, TurnPreset]] = {
    "yes_no": "short",
    "phone": "long",
    "email": "long",
    "digits": "digits",
    "menu": "short",
    "default": "normal",
}
"""Built-in preset per kind; kinds not listed (text, enum, number, date, time, datetime) use
``settings.turn_taking.default``, else ``normal``. ``digits``: slots with a ``digits`` count (card,
account numbers); ``menu``: keypad menu states; ``default``: states asking for no slot."""

TURN_TAKING_KEYS: Final = (
    "yes_no",
    "enum",
    "text",
    "number",
    "date",
    "time",
    "datetime",
    "phone",
    "email",
    "digits",
    "menu",
    "default",
)
"""Keys ``settings.turn_taking`` accepts."""

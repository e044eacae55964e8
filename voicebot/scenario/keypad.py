"""Keypad (DTMF) parts of the scenario language: digit counts, keypad menus, keys sent to a remote IVR.

A slot with ``input: [speech, dtmf]`` may be typed; ``digits`` (exact or ``{min, max}``), ``terminator``
and ``dtmf_timeout`` say when the typed value is complete. A state with ``menu:`` is a keypad menu
("press 1 for bookings") that also accepts the spoken equivalent ("one", "the first", "bookings").
A state with ``send_dtmf:`` sends keys to the other side on entry (outbound calls into an IVR).
Cross-references are checked by :func:`check_keypad` (file:line:col like every static check).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, model_validator

from voicebot.scenario.modelbase import Examples, FrozenModel, Name, Text

if TYPE_CHECKING:
    from voicebot.errors import Problem

__all__ = [
    "DTMF_SLOT_TYPES",
    "DigitCount",
    "DigitTotal",
    "DtmfKey",
    "DtmfKeys",
    "InputMode",
    "KeypadMenu",
    "MenuOption",
    "check_keypad",
    "digit_bounds",
]

InputMode = Literal["speech", "dtmf"]
"""How a slot may be answered: spoken, typed on the keypad, or both (``input: [speech, dtmf]``)."""

DtmfKey = Annotated[str, Field(pattern=r"^[0-9*#]$")]
DtmfKeys = Annotated[
    str,
    Field(
        pattern=r"^[0-9*#A-Dw]{1,64}$",
        description="Keys to send (0-9, *, #, A-D); 'w' waits half a second between keys.",
        examples=["1w2", "123456#"],
    ),
]

DigitTotal = Annotated[int, Field(ge=1, le=64)]

DTMF_SLOT_TYPES = ("text", "number", "phone", "date", "time", "yes_no", "enum")
"""Slot types a keypad can answer (a typed e-mail or date-and-time makes no sense)."""


class DigitCount(FrozenModel):
    """How many digits a typed value has: between ``min`` and ``max``."""

    min: int = Field(default=1, ge=1, le=64)
    max: int = Field(default=32, ge=1, le=64)

    @model_validator(mode="after")
    def _ordered(self) -> DigitCount:
        if self.min > self.max:
            raise ValueError(f"digits.min ({self.min}) is greater than digits.max ({self.max})")
        return self


def digit_bounds(digits: int | DigitCount | None) -> tuple[int, int]:
    """(min, max) digits of a slot's ``digits`` (no ``digits``: 1 to 32, the terminator ends it)."""
    if digits is None:
        return 1, 32
    if isinstance(digits, int):
        return digits, digits
    return digits.min, digits.max


class MenuOption(FrozenModel):
    """One choice of a keypad menu: a key, what it is called, where it goes."""

    key: DtmfKey
    label: Text = Field(
        description="What the option is ('bookings'): announced, and accepted when the caller says it.",
        examples=["bookings"],
    )
    to: Name
    say: Text | None = Field(default=None, description="Said while taking the option.")
    words: Examples = Field(
        default_factory=list, description="More spoken phrases that choose this option (per language)."
    )


class KeypadMenu(FrozenModel):
    """A keypad menu: 'For bookings, press 1.' Keys or their spoken equivalent choose an option."""

    options: list[MenuOption] = Field(min_length=1, max_length=12)
    announce: bool = Field(
        default=True, description="Say 'For <label>, press <key>.' for each option after the state's say."
    )

    @model_validator(mode="after")
    def _unique_keys(self) -> KeypadMenu:
        keys = [o.key for o in self.options]
        doubled = sorted({k for k in keys if keys.count(k) > 1})
        if doubled:
            raise ValueError(f"menu keys must be unique (repeated: {', '.join(doubled)})")
        return self


def check_keypad(c: Any) -> Iterator[Problem]:
    """Menu options go to known states; keypad slots are of a type a keypad can answer; a menu state
    has no ``dtmf`` transition on a key its menu already uses."""
    from voicebot.scenario.validation import dotted

    states, slots = c.scenario.states, c.scenario.slots
    for name, state in states.items():
        menu = state.menu
        if menu is None:
            continue
        for i, option in enumerate(menu.options):
            where: tuple[str | int, ...] = ("states", name, "menu", "options", i, "to")
            if option.to not in states:
                yield c.at_value(where, f"{dotted(where)}: unknown state '{option.to}'")
        keys = {o.key for o in menu.options}
        for i, transition in enumerate(state.transitions):
            if transition.dtmf is not None and transition.dtmf[:1] in keys:
                where = ("states", name, "transitions", i, "dtmf")
                yield c.at_value(
                    where, f"{dotted(where)}: key '{transition.dtmf[:1]}' is already a menu option here"
                )
    for name, slot in slots.items():
        if "dtmf" in slot.input and slot.type not in DTMF_SLOT_TYPES:
            where = ("slots", name, "input")
            yield c.at_value(
                where,
                f"{dotted(where)}: {slot.type} slots cannot be typed on a keypad "
                f"(keypad slot types: {', '.join(DTMF_SLOT_TYPES)})",
            )
        if slot.digits is not None and "dtmf" not in slot.input:
            where = ("slots", name, "digits")
            yield c.at_key(where, f"{dotted(where)}: 'digits' needs 'input: [speech, dtmf]' or '[dtmf]'")

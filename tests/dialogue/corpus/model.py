"""What one scripted conversation of the awkward-caller corpus is made of."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Turn:
    """One caller turn: words (or silence / hang-up) and the slots those words give."""

    text: str | None = None
    gives: tuple[str, ...] = ()
    silence: bool = False
    hangup: bool = False
    noise: bool = False  # garbage on purpose: a reprompt is the right answer, not a miss


def say(text: str, *gives: str) -> Turn:
    return Turn(text=text, gives=gives)


def noise(text: str) -> Turn:
    return Turn(text=text, noise=True)


SILENCE = Turn(silence=True)
HANGUP = Turn(hangup=True)


@dataclass(frozen=True)
class Convo:
    name: str
    scenario: str  # clinic | salon | support
    kind: str  # the awkwardness it exercises
    turns: tuple[Turn, ...]
    outcome: str | None
    slots: dict[str, Any] = field(default_factory=dict)
    min_turns: int = 1
    known_miss: str | None = None  # why the bot currently gets this one wrong

    @property
    def language(self) -> str:
        return "ru" if self.scenario == "salon" else "en"


def builder(
    scenario: str, *, outcome: str | None, slots: Mapping[str, Any], min_turns: int
) -> Callable[..., Convo]:
    """A conversation maker for one scenario, with that scenario's usual outcome, slots and length."""

    def make(
        name: str,
        kind: str,
        *turns: Turn,
        outcome: str | None = outcome,
        slots: Mapping[str, Any] | None = None,
        min_turns: int = min_turns,
        known_miss: str | None = None,
    ) -> Convo:
        given = slots if slots is not None else default_slots
        return Convo(name, scenario, kind, tuple(turns), outcome, dict(given), min_turns, known_miss)

    default_slots = slots
    return make

"""Value classes: immutable to the type checker, plain slotted dataclasses at run time.

A frozen dataclass's ``__init__`` sets every field through ``object.__setattr__``: about three times the
cost of a plain one (1.8 against 0.6 us for a turn row of 13 fields). Each caller turn builds four
recorder rows on its path (the caller's turn, its transition, the checkpoint, the bot's turn), cold, after
livekit's own work, so :func:`value_class` keeps the guarantee where it is checked (mypy rejects assigning
a field of one, as for ``frozen=True``) and drops its run-time price: the fair turn ratio fell by 0.015
(bench/bench_turn.py, docs/performance.md). They stay hashable by their fields, as frozen dataclasses are.
Nothing in voicebot changes a record once it is made. (The dialogue's events and actions stay frozen: the
same change there measured within noise.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar, dataclass_transform

__all__ = ["value_class"]

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def value_class(cls: type[_T]) -> type[_T]:
    """``@value_class`` on a class: as ``@dataclass(frozen=True, slots=True)`` for mypy, without the
    frozen ``__init__`` at run time."""
    return dataclass(slots=True, unsafe_hash=True)(cls)

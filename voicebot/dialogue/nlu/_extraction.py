"""What extraction produces: slot values with their span and how they were found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal, TypeAlias

__all__ = ["Extraction", "Method", "SlotValue", "_Proposal"]

Method = Literal["pattern", "synonym", "parser", "asked"]
SlotValue: TypeAlias = str | int | float | bool | date | time | datetime


@dataclass(frozen=True, slots=True)
class Extraction:
    """One slot value found in an utterance.

    ``text`` is the span as the caller said it, ``start``/``end`` its offsets in the utterance.
    ``method``: "parser" (dates, times, numbers, phones), "pattern" (e-mails, introductions),
    "synonym" (enum and yes/no phrases), "asked" (only understood because the slot was just asked:
    free text, a bare hour).
    """

    value: SlotValue
    text: str
    confidence: float
    method: Method
    start: int = 0
    end: int = 0


@dataclass(slots=True)
class _Proposal:
    slot: str
    start: int  # normalized offsets
    end: int
    value: SlotValue
    confidence: float
    method: Method
    asked: bool

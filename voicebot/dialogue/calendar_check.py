"""Checking a slot value against the bot's business calendar while filling it (``calendar: true``)."""

from __future__ import annotations

from datetime import date, datetime, time

from voicebot.dialogue.turn import Turn
from voicebot.scenario.calendar import Refusal, check_date, check_time, spoken_refusal
from voicebot.scenario.model import DateSlot, DateTimeSlot, TimeSlot

__all__ = ["calendar_refusal"]


def calendar_refusal(t: Turn, name: str, value: object) -> str | None:
    """The sentence to say when ``value`` for slot ``name`` falls outside the calendar, else None.

    A time is checked against the hours of the day already given (the first filled ``calendar: true``
    date slot), or against every weekday's hours when no day is known yet.
    """
    calendar = t.compiled.scenario.calendar
    spec = t.compiled.slots[name].spec
    if calendar is None or not isinstance(spec, DateSlot | TimeSlot | DateTimeSlot) or not spec.calendar:
        return None
    today = t.now.date()
    refusal: Refusal | None = None
    if isinstance(value, datetime):
        refusal = check_date(calendar, value.date(), today=today) or check_time(
            calendar, value.time(), day=value.date()
        )
    elif isinstance(value, date):
        refusal = check_date(calendar, value, today=today)
    elif isinstance(value, time):
        refusal = check_time(calendar, value, day=_known_day(t))
    if refusal is None:
        return None
    return spoken_refusal(refusal, t.lang, today=today)


def _known_day(t: Turn) -> date | None:
    for slot_name, slot in t.compiled.slots.items():
        spec = slot.spec
        if isinstance(spec, DateSlot) and spec.calendar and slot_name in t.call.slots:
            value = t.call.slots[slot_name]
            if isinstance(value, date):
                return value
    return None

"""Where bookings may start: the scenario calendar's open windows cut into a resource's slots.

Pure arithmetic, no I/O. Times here are the bot's local wall-clock times (naive datetimes); the book
converts them to and from aware instants with the bot's time zone. Without a calendar the book is open
every day, all day.

The grid: slots start at a window's start and every ``step`` minutes after it (the calendar's
``step`` when it has one, else the resource's slot length), and a slot must end inside its window.
Dated closures (``calendar.closed``) and closed weekdays have no slots.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from voicebot.scenario.calendar import Calendar

__all__ = ["alternatives_order", "fits", "slot_starts"]


def _windows(calendar: Calendar | None, day: date) -> list[tuple[int, int]]:
    return calendar.windows(day) if calendar is not None else [(0, 24 * 60)]


def slot_starts(calendar: Calendar | None, day: date, slot_minutes: int) -> list[datetime]:
    """Every slot start of ``day``, in order."""
    step = (calendar.step_minutes if calendar is not None else None) or slot_minutes
    minutes: set[int] = set()
    for start, end in _windows(calendar, day):
        at = start
        while at + slot_minutes <= end:
            minutes.add(at)
            at += step
    midnight = datetime.combine(day, time())
    return [midnight + timedelta(minutes=m) for m in sorted(minutes)]


def fits(calendar: Calendar | None, at: datetime, slot_minutes: int) -> bool:
    """True when a slot may start at ``at`` (open, on the grid, ending before the window closes)."""
    if at.second or at.microsecond:
        return False
    return at in slot_starts(calendar, at.date(), slot_minutes)


def alternatives_order(
    calendar: Calendar | None,
    asked: datetime,
    slot_minutes: int,
    *,
    not_before: datetime,
    days: int = 14,
) -> Iterator[datetime]:
    """Slot starts to offer instead of ``asked``: that day's nearest first (earlier on a tie), then the
    following days' from the morning on; never before ``not_before`` and never ``asked`` itself."""
    same_day = [
        s for s in slot_starts(calendar, asked.date(), slot_minutes) if s != asked and s >= not_before
    ]
    yield from sorted(same_day, key=lambda s: (abs((s - asked).total_seconds()), s))
    for offset in range(1, days + 1):
        for start in slot_starts(calendar, asked.date() + timedelta(days=offset), slot_minutes):
            if start >= not_before:
                yield start

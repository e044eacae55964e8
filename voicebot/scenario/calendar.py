"""The business calendar: opening hours per weekday (several windows), closed days, dated closures, a
booking grid, and the spoken alternatives offered when a caller asks for a closed day or time.

Pure data and arithmetic, no I/O. A date, time or datetime slot with ``calendar: true`` is checked against
the bot's ``calendar`` (see docs/scenarios.md, "Business calendar").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from voicebot.scenario.words import EN_DAYS as _EN_DAYS
from voicebot.scenario.words import EN_MONTHS as _EN_MONTHS
from voicebot.scenario.words import RU_DAYS as _RU_DAYS
from voicebot.scenario.words import RU_MONTHS as _RU_MONTHS

__all__ = ["WEEKDAYS", "Calendar", "Refusal", "check_date", "check_time", "spoken_refusal"]

WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday keys of ``calendar.hours``, Monday first (what ``weekday(date)`` returns in conditions)."""

_WINDOW: Final = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-4]):([0-5]\d)$")
_STEP: Final = re.compile(r"^(\d+)\s*(m|min|h)$")

Window = Annotated[
    str,
    Field(
        description="Opening window 'HH:MM-HH:MM', 24-hour; bookable from the start up to (not at) the end.",
        examples=["09:00-15:00"],
    ),
]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Calendar(BaseModel):
    """When the business is open. Times are in the bot's time zone (``bot.timezone``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hours: dict[Weekday, list[Window]] = Field(
        description="Opening windows per weekday; a weekday that is missing or has [] is closed.",
        examples=[{"tue": ["12:00-15:00", "17:30-22:00"], "sat": ["10:00-16:00"]}],
    )
    closed: list[date] = Field(
        default_factory=list,
        description="Dated closures and holidays, 'YYYY-MM-DD'.",
        examples=[["2026-12-25", "2026-12-26"]],
    )
    step: str | None = Field(
        default=None,
        description="Booking grid: only times on this grid from a window's start ('30m', '15m', '1h').",
        examples=["30m"],
    )

    @field_validator("hours")
    @classmethod
    def _windows(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, windows in value.items():
            for window in windows:
                match = _WINDOW.match(window)
                if match is None:
                    raise ValueError(
                        f"{day}: {window!r} is not a window 'HH:MM-HH:MM' (such as '09:00-17:30')"
                    )
                start, end = (
                    _minutes(match.group(1), match.group(2)),
                    _minutes(match.group(3), match.group(4)),
                )
                if end <= start or end > 24 * 60:
                    raise ValueError(f"{day}: {window!r} ends before it starts")
        return value

    @field_validator("step")
    @classmethod
    def _step(cls, value: str | None) -> str | None:
        if value is not None and (_STEP.match(value) is None or _step_minutes(value) <= 0):
            raise ValueError(f"{value!r} is not a step such as '30m', '15m' or '1h'")
        return value

    @model_validator(mode="after")
    def _some_day_open(self) -> Calendar:
        if not any(self.hours.values()):
            raise ValueError("the calendar has no opening hours on any weekday")
        return self

    def windows(self, day: date) -> list[tuple[int, int]]:
        """Open windows of ``day`` in minutes from midnight; [] when closed."""
        if day in self.closed:
            return []
        out: list[tuple[int, int]] = []
        for window in self.hours.get(WEEKDAYS[day.weekday()], []):
            match = _WINDOW.match(window)
            assert match is not None  # checked on load
            out.append((_minutes(match.group(1), match.group(2)), _minutes(match.group(3), match.group(4))))
        return out

    def all_windows(self) -> list[tuple[int, int]]:
        """Every weekday's windows (for a time asked before any date)."""
        seen: list[tuple[int, int]] = []
        for offset in range(7):
            for window in self.windows(date(2001, 1, 1) + timedelta(days=offset)):  # a Monday
                if window not in seen:
                    seen.append(window)
        return seen

    @property
    def step_minutes(self) -> int | None:
        return _step_minutes(self.step) if self.step is not None else None


def _minutes(hours: str, minutes: str) -> int:
    return int(hours) * 60 + int(minutes)


def _step_minutes(step: str) -> int:
    match = _STEP.match(step)
    assert match is not None
    number = int(match.group(1))
    return number * 60 if match.group(2) == "h" else number


class Refusal(BaseModel):
    """Why a value does not fit the calendar, and what to offer instead."""

    model_config = ConfigDict(frozen=True)

    reason: Literal["closed_weekday", "closed_date", "closed_time"]
    day: date | None = None
    alternatives: tuple[date, ...] | tuple[time, ...] = ()


def check_date(calendar: Calendar, day: date, *, today: date | None = None) -> Refusal | None:
    """None when the business is open on ``day``; else the next two open days (not before ``today``)."""
    if calendar.windows(day):
        return None
    reason: Literal["closed_weekday", "closed_date"] = (
        "closed_date" if day in calendar.closed else "closed_weekday"
    )
    start = max(day, today) if today is not None else day
    found = tuple(d for d in _days_from(start) if d != day and calendar.windows(d))[:2]
    return Refusal(reason=reason, day=day, alternatives=found)


def _days_from(start: date) -> Iterator[date]:
    for offset in range(1, 370):
        yield start + timedelta(days=offset)


def _bookable(calendar: Calendar, windows: list[tuple[int, int]]) -> list[int]:
    step = calendar.step_minutes
    out: list[int] = []
    for start, end in windows:
        out.extend(range(start, end, step) if step else (start, end - 1))
    return sorted(set(out))


def check_time(calendar: Calendar, at: time, *, day: date | None = None) -> Refusal | None:
    """None when ``at`` is open (on ``day``, or on some day when no day is known) and on the booking grid;
    else the two nearest bookable times."""
    windows = calendar.windows(day) if day is not None else calendar.all_windows()
    minute = at.hour * 60 + at.minute
    inside = any(start <= minute < end for start, end in windows)
    step = calendar.step_minutes
    on_grid = step is None or any(
        start <= minute < end and (minute - start) % step == 0 for start, end in windows
    )
    if inside and on_grid and not at.second:
        return None
    bookable = _bookable(calendar, windows) if step else [m for s, e in windows for m in (s, e - 1)]
    nearest = sorted(sorted(bookable, key=lambda m: (abs(m - minute), m))[:2])
    return Refusal(reason="closed_time", day=day, alternatives=tuple(time(m // 60, m % 60) for m in nearest))


def weekday_of(value: object) -> str | None:
    """``weekday(date)`` in conditions: 'mon'..'sun' for an ISO date or datetime string, else None."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return WEEKDAYS[date.fromisoformat(value[:10]).weekday()]
    except ValueError:
        return None


def add_days(value: object, days: int) -> str | None:
    """``date + days(n)`` in conditions: the ISO date ``n`` days later, else None."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        if len(value) > 10:
            return (datetime.fromisoformat(value) + timedelta(days=days)).isoformat()
        return (date.fromisoformat(value) + timedelta(days=days)).isoformat()
    except ValueError:
        return None


# --------------------------------------------------------------------------- speech

_RU_DAYS_PLURAL: Final = (
    "понедельникам",
    "вторникам",
    "средам",
    "четвергам",
    "пятницам",
    "субботам",
    "воскресеньям",
)


def _time_en(at: time) -> str:
    hour = at.hour % 12 or 12
    minutes = f":{at.minute:02d}" if at.minute else ""
    return f"{hour}{minutes} {'AM' if at.hour < 12 else 'PM'}"


def _time_ru(at: time) -> str:
    return f"{at.hour}:{at.minute:02d}"


def _day_en(day: date, today: date | None) -> str:
    if today is not None and (day - today).days in (0, 1):
        return ("today" if day == today else "tomorrow") + f", {day.day} {_EN_MONTHS[day.month - 1]}"
    return f"{_EN_DAYS[day.weekday()]} {day.day} {_EN_MONTHS[day.month - 1]}"


def _day_ru(day: date, today: date | None) -> str:
    if today is not None and (day - today).days in (0, 1):
        return ("сегодня" if day == today else "завтра") + f", {day.day} {_RU_MONTHS[day.month - 1]}"
    return f"{_RU_DAYS[day.weekday()]}, {day.day} {_RU_MONTHS[day.month - 1]}"


def spoken_refusal(refusal: Refusal, lang: str, *, today: date | None = None) -> str:
    """The sentence said for ``refusal``, alternatives included, in ``lang`` ('en' or 'ru')."""
    ru = lang == "ru"
    if refusal.reason == "closed_time":
        times = [_time_ru(t) if ru else _time_en(t) for t in refusal.alternatives if isinstance(t, time)]
        if ru:
            head = "В это время мы не работаем"
            if not times:
                return f"{head}."
            return (
                f"{head}; ближайшее время: {' и '.join(times)}."
                if len(times) > 1
                else f"{head}; можно в {times[0]}."
            )
        head = "We're not open at that time"
        if not times:
            return f"{head}."
        return (
            f"{head}; the nearest times are {' and '.join(times)}."
            if len(times) > 1
            else f"{head}; {times[0]} is free."
        )
    day = refusal.day
    assert day is not None
    days = [d for d in refusal.alternatives if isinstance(d, date)]
    if ru:
        head = (
            f"По {_RU_DAYS_PLURAL[day.weekday()]} мы не работаем"
            if refusal.reason == "closed_weekday"
            else f"{day.day} {_RU_MONTHS[day.month - 1]} мы не работаем"
        )
        offers = " или ".join(_day_ru(d, today) for d in days)
        return f"{head}; может быть, {offers}?" if offers else f"{head}."
    head = (
        f"We're closed on {_EN_DAYS[day.weekday()]}s"
        if refusal.reason == "closed_weekday"
        else f"We're closed on {day.day} {_EN_MONTHS[day.month - 1]}"
    )
    offers = " or ".join(_day_en(d, today) for d in days)
    return f"{head}; {offers}?" if offers else f"{head}."

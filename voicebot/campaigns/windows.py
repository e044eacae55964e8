"""Calling windows: when a callee may be called, in the callee's own time zone.

A :class:`CallingWindow` is a daily span of local time (``09:00``-``20:00``) on some weekdays, bounded by
the campaign's optional ``starts_at`` / ``ends_at`` (absolute instants). :meth:`CallingWindow.next_open`
answers "the first instant at or after ``now`` when a call to someone in ``tz`` is allowed", or ``None``
when the window never opens again. Pure: the clock is the caller's argument.

Daylight-saving gaps and folds follow :mod:`zoneinfo`: a local time that does not exist on a day is
taken as the instant after the gap, an ambiguous one as its first occurrence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from voicebot.errors import ConfigError

__all__ = ["ALL_DAYS", "CallingWindow", "day_numbers", "parse_days", "parse_hhmm", "parse_hours", "zone"]

ALL_DAYS: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)
"""ISO weekdays: 1 = Monday ... 7 = Sunday."""

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; ConfigError naming it when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {name!r} (use an IANA name, e.g. Europe/Berlin)") from None


def parse_hhmm(text: str, what: str) -> dt.time:
    """``"09:30"`` -> time(9, 30); ConfigError naming ``what`` otherwise."""
    try:
        hours, minutes = text.strip().split(":")
        if len(minutes) != 2:
            raise ValueError(text)
        value = int(hours)
        if value == 24 and int(minutes) == 0:
            return dt.time.max
        return dt.time(value, int(minutes))
    except ValueError:
        raise ConfigError(f"{what} {text!r} must be a time of day HH:MM, e.g. 09:00") from None


def day_numbers(names: list[str] | tuple[str, ...]) -> tuple[int, ...]:
    """``["mon", "fri"]`` -> (1, 5)."""
    days: set[int] = set()
    for name in names:
        key = name.strip().lower()[:3]
        if key not in _DAY_NAMES:
            raise ConfigError(f"day {name!r} must be one of {', '.join(_DAY_NAMES)}")
        days.add(_DAY_NAMES.index(key) + 1)
    return tuple(sorted(days))


@dataclass(frozen=True, slots=True)
class CallingWindow:
    """Daily local hours ``[start, end)`` on ``days``, between ``starts_at`` and ``ends_at``."""

    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(20, 0)
    days: tuple[int, ...] = ALL_DAYS
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        if self.start >= self.end:
            raise ConfigError(
                f"the calling window {self.start:%H:%M}-{self.end:%H:%M} is empty: "
                "its start must be before its end (same day, local time)"
            )
        if not self.days or any(d not in ALL_DAYS for d in self.days):
            raise ConfigError(f"the calling window's days {list(self.days)} must be a non-empty set of 1..7")
        for name in ("starts_at", "ends_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ConfigError(f"{name} needs a time zone, e.g. 2026-01-31T09:00:00Z")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ConfigError("the campaign's ends_at must be after its starts_at")

    def check_not_past(self, now: dt.datetime) -> None:
        """ConfigError when the whole window lies in the past."""
        if self.ends_at is not None and self.ends_at <= now:
            raise ConfigError(f"the calling window ended at {self.ends_at.isoformat()}: it is in the past")

    def is_open(self, now: dt.datetime, tz: ZoneInfo) -> bool:
        return self.next_open(now, tz) == now

    def next_open(self, now: dt.datetime, tz: ZoneInfo) -> dt.datetime | None:
        """The first instant >= ``now`` inside the window for a callee in ``tz``; None if it never opens."""
        after = max(now, self.starts_at) if self.starts_at else now
        local = after.astimezone(tz)
        for offset in range(8):
            day = local.date() + dt.timedelta(days=offset)
            if day.isoweekday() not in self.days:
                continue
            opens = _instant(day, self.start, tz)
            closes = _instant(day, self.end, tz)
            if after >= closes:
                continue
            candidate = max(after, opens)
            if self.ends_at is not None and candidate >= self.ends_at:
                return None
            return candidate.astimezone(now.tzinfo) if now.tzinfo else candidate
        return None

    def describe(self) -> str:
        days = ",".join(_DAY_NAMES[d - 1] for d in self.days)
        end = "24:00" if self.end == dt.time.max else f"{self.end:%H:%M}"
        return f"{self.start:%H:%M}-{end} {days}"


def _instant(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    if at == dt.time.max:
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    local = dt.datetime.combine(day, at, tzinfo=tz)
    # a wall time in a DST gap does not survive the round trip: take the instant after the gap
    roundtrip = local.astimezone(dt.UTC).astimezone(tz)
    if roundtrip.replace(tzinfo=None) != local.replace(tzinfo=None):
        return local.replace(fold=1).astimezone(dt.UTC)
    return local.astimezone(dt.UTC)


def parse_days(text: str) -> tuple[int, ...]:
    """``"mon-fri"``, ``"mon,wed,sat"`` or ``"all"`` -> ISO weekdays."""
    text = text.strip().lower()
    if text in ("", "all", "*"):
        return ALL_DAYS
    days: list[int] = []
    for part in text.split(","):
        if "-" in part:
            first, last = (day_numbers([p])[0] for p in part.split("-", 1))
            if last < first:
                raise ConfigError(f"days {part!r}: the range must run forward, e.g. mon-fri")
            days.extend(range(first, last + 1))
        else:
            days.extend(day_numbers([part]))
    return tuple(sorted(set(days)))


def parse_hours(text: str) -> tuple[dt.time, dt.time]:
    """``"09:00-20:00"`` -> (09:00, 20:00)."""
    start, sep, end = text.partition("-")
    if not sep:
        raise ConfigError(f"hours {text!r} must be HH:MM-HH:MM, e.g. 09:00-20:00")
    return parse_hhmm(start, "the window start"), parse_hhmm(end, "the window end")

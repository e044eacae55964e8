"""Dates, times and datetimes as a caller says them, resolved against a frozen ``now``."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import TypeAdapter

from voicebot.dialogue.nlu import SlotExtractor
from voicebot.scenario.model import Slot

_ADAPTER: TypeAdapter[Slot] = TypeAdapter(Slot)
_slot = _ADAPTER.validate_python
NY = ZoneInfo("America/New_York")
MSK = ZoneInfo("Europe/Moscow")
# Friday 2026-11-20, 10:00 in New York.
NOW_EN = datetime(2026, 11, 20, 10, 0, tzinfo=NY)
# Saturday 2026-11-21, 01:30 in Moscow — still Friday 22:30 in UTC: "today" must be the 21st.
NOW_RU = datetime(2026, 11, 21, 1, 30, tzinfo=MSK)

SLOTS = {
    "day": _slot({"type": "date"}),
    "at": _slot({"type": "time"}),
    "when": _slot({"type": "datetime"}),
}
EN = SlotExtractor(SLOTS, lang="en", region="US")
RU = SlotExtractor(SLOTS, lang="ru", region="RU")


def _one(ex: SlotExtractor, text: str, slot: str, now: datetime, *, asked: bool = False) -> Any:
    found = ex.extract(text, candidates=[slot], asked=slot if asked else None, now=now)
    return found[slot].value if slot in found else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", date(2026, 11, 20)),
        ("tomorrow", date(2026, 11, 21)),
        ("the day after tomorrow", date(2026, 11, 22)),
        ("yesterday", date(2026, 11, 19)),
        ("Friday", date(2026, 11, 27)),  # a bare weekday on that weekday is a week ahead
        ("next Friday", date(2026, 11, 27)),
        ("this Friday", date(2026, 11, 20)),
        ("on Monday please", date(2026, 11, 23)),
        ("how about Wednesday", date(2026, 11, 25)),
        ("March 15", date(2027, 3, 15)),  # earlier in the year: next year
        ("15th of March", date(2027, 3, 15)),
        ("the fifteenth of March", date(2027, 3, 15)),
        ("December 1st", date(2026, 12, 1)),
        ("March 15, 2028", date(2028, 3, 15)),
        ("15.03", date(2027, 3, 15)),
        ("11/25", date(2026, 11, 25)),  # month first in the US
        ("2026-12-24", date(2026, 12, 24)),
        ("in 3 days", date(2026, 11, 23)),
        ("in a week", date(2026, 11, 27)),
        ("in two weeks", date(2026, 12, 4)),
        ("the 25th", date(2026, 11, 25)),
        ("on the 5th", date(2026, 12, 5)),  # already passed this month
    ],
)
def test_english_dates(text: str, expected: date) -> None:
    assert _one(EN, text, "day", NOW_EN) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("сегодня", date(2026, 11, 21)),
        ("завтра", date(2026, 11, 22)),
        ("послезавтра", date(2026, 11, 23)),
        ("вчера", date(2026, 11, 20)),
        ("в пятницу", date(2026, 11, 27)),
        ("в субботу", date(2026, 11, 28)),  # today is Saturday: a week ahead
        ("в эту субботу", date(2026, 11, 21)),
        ("в следующий вторник", date(2026, 11, 24)),
        ("в следующую среду", date(2026, 11, 25)),
        ("на понедельник", date(2026, 11, 23)),
        ("15 марта", date(2027, 3, 15)),
        ("пятнадцатого марта", date(2027, 3, 15)),
        ("1 декабря", date(2026, 12, 1)),
        ("двадцать пятое декабря", date(2026, 12, 25)),
        ("15.03", date(2027, 3, 15)),
        ("25.11.2026", date(2026, 11, 25)),
        ("через 2 дня", date(2026, 11, 23)),
        ("через неделю", date(2026, 11, 28)),
        ("25-го", date(2026, 11, 25)),
        ("на третье число", date(2026, 12, 3)),
    ],
)
def test_russian_dates_in_moscow(text: str, expected: date) -> None:
    assert _one(RU, text, "day", NOW_RU) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("at 3 pm", time(15, 0)),
        ("3pm", time(15, 0)),
        ("3:30", time(15, 30)),  # business hours: 1..7 without am/pm is pm
        ("3:30 am", time(3, 30)),
        ("at 9", time(9, 0)),
        ("15:00", time(15, 0)),
        ("noon", time(12, 0)),
        ("midnight", time(0, 0)),
        ("half past two", time(14, 30)),
        ("quarter to four", time(15, 45)),
        ("a quarter past 9", time(9, 15)),
        ("ten past eleven", time(11, 10)),
        ("7 in the evening", time(19, 0)),
        ("ten thirty am", time(10, 30)),
        ("at eight o'clock", time(8, 0)),
        ("at 12", time(12, 0)),
    ],
)
def test_english_times(text: str, expected: time) -> None:
    assert _one(EN, text, "at", NOW_EN) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("в 14:00", time(14, 0)),
        ("в 14.30", time(14, 30)),
        ("в 3 часа дня", time(15, 0)),
        ("в три часа дня", time(15, 0)),
        ("в 9 утра", time(9, 0)),
        ("в семь вечера", time(19, 0)),
        ("в 2 ночи", time(2, 0)),
        ("в 11 ночи", time(23, 0)),
        ("в половине третьего", time(14, 30)),
        ("без четверти пять", time(16, 45)),
        ("в полдень", time(12, 0)),
        ("в десять", time(10, 0)),
        ("в три", time(15, 0)),
        ("в 15 часов 30 минут", time(15, 30)),
        ("в час дня", time(13, 0)),
    ],
)
def test_russian_times(text: str, expected: time) -> None:
    assert _one(RU, text, "at", NOW_RU) == expected


def test_bare_number_is_a_time_only_when_a_time_was_asked() -> None:
    assert _one(EN, "4", "at", NOW_EN, asked=True) == time(16, 0)
    assert _one(EN, "4", "at", NOW_EN) is None
    assert _one(RU, "давайте 10", "at", NOW_RU, asked=True) == time(10, 0)
    assert _one(EN, "nine thirty", "at", NOW_EN, asked=True) == time(9, 30)


def test_hour_is_read_inside_the_slots_opening_window() -> None:
    ex = SlotExtractor(
        {"at": _slot({"type": "time", "earliest": "18:00", "latest": "23:00"})}, lang="en", region="US"
    )
    assert ex.extract("at 9", candidates=["at"], asked="at", now=NOW_EN)["at"].value == time(21, 0)


def test_without_business_hours_an_hour_is_taken_as_said() -> None:
    ex = SlotExtractor(SLOTS, lang="en", region="US", business_hours=False)
    assert ex.extract("at 3", candidates=["at"], asked=None, now=NOW_EN)["at"].value == time(3, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow at 3 pm", datetime(2026, 11, 21, 15, 0, tzinfo=NY)),
        ("at 3 pm tomorrow", datetime(2026, 11, 21, 15, 0, tzinfo=NY)),
        ("next Friday at half past two", datetime(2026, 11, 27, 14, 30, tzinfo=NY)),
        ("tonight at 8", datetime(2026, 11, 20, 20, 0, tzinfo=NY)),
        ("tomorrow morning at 9", datetime(2026, 11, 21, 9, 0, tzinfo=NY)),
        ("Monday at 10:15", datetime(2026, 11, 23, 10, 15, tzinfo=NY)),
        ("March 15th at noon", datetime(2027, 3, 15, 12, 0, tzinfo=NY)),
        ("in 2 hours", datetime(2026, 11, 20, 12, 0, tzinfo=NY)),
    ],
)
def test_english_datetimes(text: str, expected: datetime) -> None:
    value = _one(EN, text, "when", NOW_EN)
    assert value == expected
    assert value.tzinfo is NY


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("завтра в 14:00", datetime(2026, 11, 22, 14, 0, tzinfo=MSK)),
        ("в пятницу в 7 вечера", datetime(2026, 11, 27, 19, 0, tzinfo=MSK)),
        ("послезавтра в 9 утра", datetime(2026, 11, 23, 9, 0, tzinfo=MSK)),
        ("в следующий вторник в 3 часа дня", datetime(2026, 11, 24, 15, 0, tzinfo=MSK)),
        ("завтра вечером в 8", datetime(2026, 11, 22, 20, 0, tzinfo=MSK)),
        ("15 марта в половине третьего", datetime(2027, 3, 15, 14, 30, tzinfo=MSK)),
        ("через 2 часа", datetime(2026, 11, 21, 3, 30, tzinfo=MSK)),
    ],
)
def test_russian_datetimes(text: str, expected: datetime) -> None:
    assert _one(RU, text, "when", NOW_RU) == expected


def test_asked_datetime_with_only_a_time_takes_its_next_occurrence() -> None:
    # 10:00 now: 9 am has passed today, so tomorrow; 5 (pm) is still ahead today.
    assert _one(EN, "at 9", "when", NOW_EN, asked=True) == datetime(2026, 11, 21, 9, 0, tzinfo=NY)
    assert _one(EN, "at 5", "when", NOW_EN, asked=True) == datetime(2026, 11, 20, 17, 0, tzinfo=NY)


def test_a_date_alone_fills_no_datetime() -> None:
    assert _one(EN, "tomorrow", "when", NOW_EN, asked=True) is None


def test_year_less_date_resolves_to_the_past_for_a_not_in_future_slot() -> None:
    ex = SlotExtractor({"born": _slot({"type": "date", "not_in_future": True})}, lang="en", region="US")
    found = ex.extract("December 24th", candidates=["born"], asked="born", now=NOW_EN)
    assert found["born"].value == date(2025, 12, 24)


def test_dotted_numbers_after_at_are_a_time_not_a_date() -> None:
    found = RU.extract("в 15.00", candidates=["day", "at"], asked=None, now=NOW_RU)
    assert set(found) == {"at"}
    assert found["at"].value == time(15, 0)


def test_extraction_quotes_what_the_caller_said() -> None:
    found = EN.extract("OK, Tomorrow at three PM please", candidates=["when"], asked=None, now=NOW_EN)
    assert found["when"].text == "Tomorrow at three PM"

"""validate(), speak(), to_json()/from_json(): what the engine does with a value once extracted."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import TypeAdapter

from voicebot.dialogue.nlu import REASONS, from_json, speak, to_json, validate
from voicebot.scenario.model import Slot

_ADAPTER: TypeAdapter[Slot] = TypeAdapter(Slot)
_slot = _ADAPTER.validate_python
NY = ZoneInfo("America/New_York")
MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=NY)  # Monday
NOW_RU = datetime(2026, 11, 23, 10, 0, tzinfo=MSK)


@pytest.mark.parametrize(
    ("spec", "value", "reason"),
    [
        ({"type": "text", "min_length": 2}, "A", "too_short"),
        ({"type": "text", "max_length": 5}, "Annabelle", "too_long"),
        ({"type": "text", "pattern": r"[A-Z]{2}\d{4}"}, "AB12", "pattern"),
        ({"type": "text", "pattern": r"[A-Z]{2}\d{4}"}, "AB1234", None),
        ({"type": "enum", "values": ["a", "b"]}, "c", "not_allowed"),
        ({"type": "enum", "values": {"haircut": ["trim"]}}, "haircut", None),
        ({"type": "number", "min": 1}, 0, "below_min"),
        ({"type": "number", "max": 10}, 11, "above_max"),
        ({"type": "number", "integer": True}, 2.5, "not_integer"),
        ({"type": "number", "min": 1, "max": 10, "integer": True}, 4, None),
        ({"type": "number"}, True, "not_allowed"),
        ({"type": "date", "not_in_past": True}, date(2026, 11, 22), "in_past"),
        ({"type": "date", "not_in_past": True}, date(2026, 11, 23), None),
        ({"type": "date", "not_in_future": True}, date(2026, 11, 24), "in_future"),
        ({"type": "date", "max_days_ahead": 30}, date(2026, 12, 24), "too_far"),
        ({"type": "date", "max_days_ahead": 30}, date(2026, 12, 23), None),
        ({"type": "time", "earliest": "09:00"}, time(8, 59), "too_early"),
        ({"type": "time", "latest": "18:00"}, time(18, 30), "too_late"),
        ({"type": "time", "earliest": "09:00", "latest": "18:00"}, time(18, 0), None),
        ({"type": "datetime", "not_in_past": True}, datetime(2026, 11, 23, 9, 0, tzinfo=NY), "in_past"),
        ({"type": "datetime", "max_days_ahead": 7}, datetime(2026, 12, 1, 12, 0, tzinfo=NY), "too_far"),
        ({"type": "datetime", "earliest": "09:00"}, datetime(2026, 11, 24, 8, 0, tzinfo=NY), "too_early"),
        ({"type": "datetime", "latest": "20:00"}, datetime(2026, 11, 24, 21, 0, tzinfo=NY), "too_late"),
        (
            {"type": "datetime", "not_in_past": True, "latest": "20:00"},
            datetime(2026, 11, 24, 12, tzinfo=NY),
            None,
        ),
        # the window applies in the bot's zone: 23:00 UTC is 18:00 in New York
        (
            {"type": "datetime", "latest": "20:00"},
            datetime(2026, 11, 24, 23, 0, tzinfo=ZoneInfo("UTC")),
            None,
        ),
        ({"type": "phone"}, "+12015550123", None),
        ({"type": "phone"}, "+1201", "pattern"),
        ({"type": "email"}, "anna@example.com", None),
        ({"type": "email"}, "anna at example", "pattern"),
        ({"type": "yes_no"}, False, None),
        ({"type": "yes_no"}, "no", "not_allowed"),
        ({"type": "date"}, "2026-11-24", "not_allowed"),
    ],
)
def test_validate_reason_codes(spec: dict[str, Any], value: object, reason: str | None) -> None:
    assert validate(_slot(spec), value, now=NOW) == reason
    assert reason is None or reason in REASONS


@pytest.mark.parametrize(
    ("spec", "value", "lang", "spoken"),
    [
        ({"type": "date"}, date(2026, 11, 24), "en", "tomorrow, November 24"),
        ({"type": "date"}, date(2026, 11, 23), "en", "today, November 23"),
        ({"type": "date"}, date(2026, 11, 25), "en", "the day after tomorrow, November 25"),
        ({"type": "date"}, date(2026, 11, 27), "en", "Friday, November 27"),
        ({"type": "date"}, date(2026, 12, 15), "en", "December 15"),
        ({"type": "date"}, date(2027, 3, 15), "en", "March 15, 2027"),
        ({"type": "date"}, date(2026, 11, 24), "ru", "завтра, 24 ноября"),
        ({"type": "date"}, date(2026, 11, 27), "ru", "пятница, 27 ноября"),
        ({"type": "date"}, date(2027, 3, 15), "ru", "15 марта 2027 года"),
        ({"type": "time"}, time(15, 0), "en", "3 PM"),
        ({"type": "time"}, time(15, 30), "en", "3:30 PM"),
        ({"type": "time"}, time(9, 5), "en", "9:05 AM"),
        ({"type": "time"}, time(12, 0), "en", "noon"),
        ({"type": "time"}, time(15, 0), "ru", "15:00"),
        ({"type": "time"}, time(9, 5), "ru", "9:05"),
        (
            {"type": "datetime"},
            datetime(2026, 11, 24, 15, 0, tzinfo=NY),
            "en",
            "tomorrow, November 24 at 3 PM",
        ),
        ({"type": "phone"}, "+12015550123", "en", "+1 201 555 0123"),
        ({"type": "phone"}, "+79001234567", "ru", "+7 900 123 45 67"),
        ({"type": "email"}, "anna.lee@example.com", "en", "anna dot lee at example dot com"),
        ({"type": "enum", "values": {"haircut": ["trim"]}}, "haircut", "en", "haircut"),
        ({"type": "yes_no"}, True, "en", "yes"),
        ({"type": "yes_no"}, False, "ru", "нет"),
        ({"type": "number"}, 25, "en", "25"),
        ({"type": "number"}, 2.5, "ru", "2,5"),
        ({"type": "text"}, "Anna", "en", "Anna"),
    ],
)
def test_speak(spec: dict[str, Any], value: object, lang: Any, spoken: str) -> None:
    assert speak(_slot(spec), value, lang=lang, now=NOW if lang == "en" else NOW_RU) == spoken


def test_speak_reads_a_datetime_in_the_bots_zone() -> None:
    utc = datetime(2026, 11, 24, 12, 0, tzinfo=ZoneInfo("UTC"))
    assert speak(_slot({"type": "datetime"}), utc, lang="ru", now=NOW_RU) == "завтра, 24 ноября в 15:00"


@pytest.mark.parametrize(
    ("spec", "value", "raw"),
    [
        ({"type": "date"}, date(2026, 11, 24), "2026-11-24"),
        ({"type": "time"}, time(15, 0), "15:00"),
        ({"type": "time"}, time(15, 0, 30), "15:00:30"),
        ({"type": "datetime"}, datetime(2026, 11, 24, 15, 0, tzinfo=MSK), "2026-11-24T15:00+03:00"),
        ({"type": "number"}, 25, 25),
        ({"type": "number"}, 2.5, 2.5),
        ({"type": "yes_no"}, True, True),
        ({"type": "phone"}, "+12015550123", "+12015550123"),
        ({"type": "enum", "values": ["a"]}, "a", "a"),
        ({"type": "text"}, "Anna", "Anna"),
    ],
)
def test_json_round_trip(spec: dict[str, Any], value: object, raw: object) -> None:
    slot = _slot(spec)
    assert to_json(value) == raw
    assert from_json(slot, raw) == value


def test_from_json_gives_a_naive_datetime_the_bots_zone() -> None:
    value = from_json(_slot({"type": "datetime"}), "2026-11-24T15:00", tz=MSK)
    assert value == datetime(2026, 11, 24, 15, 0, tzinfo=MSK)


def test_from_json_reads_test_file_shorthands() -> None:
    assert from_json(_slot({"type": "yes_no"}), "yes") is True
    assert from_json(_slot({"type": "number", "integer": True}), 3.0) == 3
    assert from_json(_slot({"type": "phone", "region": "RU"}), "8 900 123 45 67") == "+79001234567"


def test_from_json_names_the_type_on_bad_input() -> None:
    with pytest.raises(ValueError, match="date slot"):
        from_json(_slot({"type": "date"}), "tomorrow")

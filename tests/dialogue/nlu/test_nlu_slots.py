"""Slot extraction other than dates: enums, numbers, phones, e-mails, yes/no, text; several slots at once."""

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
NOW_EN = datetime(2026, 11, 20, 10, 0, tzinfo=NY)  # Friday
NOW_RU = datetime(2026, 11, 21, 1, 30, tzinfo=MSK)  # Saturday

SLOTS = {
    "name": _slot({"type": "text"}),
    "comment": _slot({"type": "text"}),
    "service": _slot(
        {
            "type": "enum",
            "values": {
                "haircut": ["hair cut", "trim", "стрижка", "подстричься"],
                "hair coloring": ["coloring", "hair color", "окрашивание"],
                "manicure": ["nails", "маникюр"],
            },
        }
    ),
    "guests": _slot({"type": "number"}),
    "phone": _slot({"type": "phone"}),
    "email": _slot({"type": "email"}),
    "ok": _slot({"type": "yes_no"}),
    "day": _slot({"type": "date"}),
    "at": _slot({"type": "time"}),
    "when": _slot({"type": "datetime"}),
}
EN = SlotExtractor(SLOTS, lang="en", region="US")
RU = SlotExtractor(SLOTS, lang="ru", region="RU")


def _value(ex: SlotExtractor, text: str, slot: str, *, asked: bool = True) -> Any:
    now = NOW_EN if ex is EN else NOW_RU
    found = ex.extract(text, candidates=[slot], asked=slot if asked else None, now=now)
    return found[slot].value if slot in found else None


@pytest.mark.parametrize(
    ("ex", "text", "expected"),
    [
        (EN, "I'd like a haircut please", "haircut"),
        (EN, "just a trim", "haircut"),
        (EN, "Hair Cut", "haircut"),
        (EN, "can I get my nails done", "manicure"),
        (EN, "hair color", "hair coloring"),  # the longest synonym wins over "hair"
        (EN, "coloring and a haircut", "hair coloring"),  # first said, at equal length
        (RU, "маникюр", "manicure"),
        (RU, "хочу на маникюра", "manicure"),
        (RU, "запишите на маникюру", "manicure"),
        (RU, "хочу подстричься", "haircut"),
        (RU, "на стрижку", "haircut"),
        (RU, "окрашиванием", "hair coloring"),
        (EN, "a pedicure", None),
    ],
)
def test_enum_synonyms_tolerate_case_and_inflection(
    ex: SlotExtractor, text: str, expected: str | None
) -> None:
    assert _value(ex, text, "service", asked=False) == expected


@pytest.mark.parametrize(
    ("ex", "text", "expected"),
    [
        (EN, "3", 3),
        (EN, "twenty five", 25),
        (EN, "twenty-five", 25),
        (EN, "one hundred and five", 105),
        (EN, "a hundred", 100),
        (EN, "2.5", 2.5),
        (EN, "for 4 people", 4),
        (EN, "we are three", 3),
        (RU, "двадцать пять", 25),
        (RU, "сто двадцать три", 123),
        (RU, "нас будет трое", None),
        (RU, "2,5", 2.5),
        (RU, "пять", 5),
        (EN, "nobody", None),
    ],
)
def test_numbers_in_digits_and_words(ex: SlotExtractor, text: str, expected: float | None) -> None:
    assert _value(ex, text, "guests") == expected


def test_a_bare_number_is_not_taken_unasked() -> None:
    assert _value(EN, "3", "guests", asked=False) is None


def test_numbers_inside_times_and_dates_are_not_counts() -> None:
    found = EN.extract("2 people tomorrow at 7", candidates=["guests", "when"], asked="guests", now=NOW_EN)
    assert found["guests"].value == 2
    assert found["when"].value == datetime(2026, 11, 21, 19, 0, tzinfo=NY)


@pytest.mark.parametrize(
    ("ex", "text", "expected"),
    [
        (EN, "201-555-0123", "+12015550123"),
        (EN, "my number is (201) 555 0123", "+12015550123"),
        (EN, "two zero one five five five zero one two three", "+12015550123"),
        (EN, "five five five, zero one zero, one two three four", "+15550101234"),
        (EN, "+44 20 7946 0958", "+442079460958"),
        (EN, "call me at 3, 201 555 0123", "+12015550123"),
        (EN, "555-0101", None),  # no area code: not a number we could call back
        (RU, "+7 900 123-45-67", "+79001234567"),
        (RU, "8 900 123 45 67", "+79001234567"),
        (RU, "89001234567", "+79001234567"),
        (RU, "восемь девятьсот сто двадцать три сорок пять шестьдесят семь", "+79001234567"),
    ],
)
def test_phones_normalize_to_e164_in_the_bot_region(
    ex: SlotExtractor, text: str, expected: str | None
) -> None:
    assert _value(ex, text, "phone", asked=False) == expected


def test_a_phone_slot_region_overrides_the_bot_region() -> None:
    ex = SlotExtractor({"phone": _slot({"type": "phone", "region": "GB"})}, lang="en", region="US")
    found = ex.extract("020 7946 0958", candidates=["phone"], asked=None, now=NOW_EN)
    assert found["phone"].value == "+442079460958"


@pytest.mark.parametrize(
    ("ex", "text", "expected"),
    [
        (EN, "anna@example.com", "anna@example.com"),
        (EN, "it's Anna.Lee@Example.COM thanks", "anna.lee@example.com"),
        (EN, "anna at example dot com", "anna@example.com"),
        (EN, "my email is anna dot lee at mail dot example dot org", "anna.lee@mail.example.org"),
        (EN, "anna underscore lee at example dot com", "anna_lee@example.com"),
        (RU, "anna собака example точка ru", "anna@example.ru"),
        (EN, "I'll be at home", None),
    ],
)
def test_emails_written_or_spoken(ex: SlotExtractor, text: str, expected: str | None) -> None:
    assert _value(ex, text, "email", asked=False) == expected


@pytest.mark.parametrize(
    ("ex", "text", "expected"),
    [
        (EN, "yes", True),
        (EN, "yeah sure", True),
        (EN, "correct", True),
        (EN, "that's right", True),
        (EN, "no", False),
        (EN, "nope", False),
        (EN, "not really", False),
        (EN, "that's not right", False),
        (RU, "да", True),
        (RU, "конечно", True),
        (RU, "все верно", True),
        (RU, "нет", False),
        (RU, "не надо", False),
        (RU, "неверно", False),
        (RU, "да нет, не нужно", False),
        (EN, "purple", None),
    ],
)
def test_yes_no(ex: SlotExtractor, text: str, expected: bool | None) -> None:
    assert _value(ex, text, "ok") == expected


def test_yes_no_is_only_taken_when_asked() -> None:
    assert _value(EN, "yes", "ok", asked=False) is None


@pytest.mark.parametrize(
    ("ex", "text", "expected"),
    [
        (EN, "Anna Smith", "Anna Smith"),
        (EN, "my name is Anna", "Anna"),
        (EN, "um, it's Anna, thanks", "Anna"),
        (EN, "anna", "anna"),
        (RU, "Анна Петрова", "Анна Петрова"),
        (RU, "меня зовут Анна", "Анна"),
        (RU, "меня зовут анна", "Анна"),
    ],
)
def test_asked_text_slot_takes_the_answer_without_filler(ex: SlotExtractor, text: str, expected: str) -> None:
    assert _value(ex, text, "name") == expected


@pytest.mark.parametrize(
    ("ex", "text", "expected"),
    [
        (EN, "Hi, my name is Anna and I'd like a haircut", "Anna"),
        (EN, "hello this is Anna Smith calling", "Anna Smith"),
        (EN, "this is urgent", None),
        (EN, "Anna", None),
        (RU, "здравствуйте, меня зовут Анна, хочу на маникюр", "Анна"),
        (RU, "это Анна", "Анна"),
    ],
)
def test_introductions_fill_a_name_slot_unasked(ex: SlotExtractor, text: str, expected: str | None) -> None:
    assert _value(ex, text, "name", asked=False) == expected


def test_introductions_do_not_fill_other_text_slots() -> None:
    assert _value(EN, "my name is Anna", "comment", asked=False) is None


def test_one_utterance_fills_several_slots() -> None:
    found = EN.extract(
        "tomorrow at 3 pm for a haircut, my name is Anna, 201-555-0123",
        candidates=list(SLOTS),
        asked=None,
        now=NOW_EN,
    )
    assert {k: v.value for k, v in found.items()} == {
        "when": datetime(2026, 11, 21, 15, 0, tzinfo=NY),
        "service": "haircut",
        "name": "Anna",
        "phone": "+12015550123",
    }


def test_russian_utterance_fills_several_slots() -> None:
    found = RU.extract(
        "завтра в 14:00 на маникюр, меня зовут Анна, мой номер 8 900 123 45 67",
        candidates=["when", "service", "name", "phone"],
        asked=None,
        now=NOW_RU,
    )
    assert {k: v.value for k, v in found.items()} == {
        "when": datetime(2026, 11, 22, 14, 0, tzinfo=MSK),
        "service": "manicure",
        "name": "Анна",
        "phone": "+79001234567",
    }


def test_a_span_fills_a_datetime_or_a_date_and_a_time_never_both() -> None:
    text = "завтра в 14:00"
    both = RU.extract(text, candidates=["when", "at"], asked=None, now=NOW_RU)
    assert {k: v.value for k, v in both.items()} == {"when": datetime(2026, 11, 22, 14, 0, tzinfo=MSK)}
    split = RU.extract(text, candidates=["day", "at"], asked=None, now=NOW_RU)
    assert {k: v.value for k, v in split.items()} == {"day": date(2026, 11, 22), "at": time(14, 0)}


def test_the_asked_slot_wins_a_contested_span() -> None:
    found = RU.extract("завтра в 14:00", candidates=["when", "at"], asked="at", now=NOW_RU)
    assert {k: v.value for k, v in found.items()} == {"at": time(14, 0)}


def test_asked_text_slot_keeps_what_other_slots_did_not_take() -> None:
    found = EN.extract("Anna, 201-555-0123", candidates=["name", "phone"], asked="name", now=NOW_EN)
    assert found["name"].value == "Anna"
    assert found["phone"].value == "+12015550123"


def test_asked_text_slot_gets_nothing_when_only_function_words_are_left() -> None:
    """Answering another question ("it's for a haircut, tomorrow") leaves no name behind."""
    found = EN.extract(
        "it's for a haircut, tomorrow at 11 am",
        candidates=["name", "service", "when"],
        asked="name",
        now=NOW_EN,
    )
    assert "name" not in found
    assert found["service"].value == "haircut"
    found = RU.extract(
        "на завтра, на стрижку", candidates=["name", "service", "day"], asked="name", now=NOW_RU
    )
    assert "name" not in found and found["service"].value == "haircut"


@pytest.mark.parametrize(
    ("ex", "text", "expected"),
    [
        (EN, "not Monday, Tuesday", date(2026, 11, 24)),
        (EN, "no, I said Tuesday", date(2026, 11, 24)),
        (EN, "Monday, no wait, actually Tuesday", date(2026, 11, 24)),
        (RU, "не в понедельник, а во вторник", date(2026, 11, 24)),
        (RU, "в понедельник, вернее во вторник", date(2026, 11, 24)),
    ],
)
def test_corrections_and_negations_keep_the_value_meant(ex: SlotExtractor, text: str, expected: date) -> None:
    assert _value(ex, text, "day", asked=False) == expected


def test_extraction_reports_how_it_was_found() -> None:
    found = EN.extract("nails tomorrow", candidates=["service", "day"], asked=None, now=NOW_EN)
    assert (found["service"].method, found["service"].confidence) == ("synonym", 1.0)
    assert found["day"].method == "parser"
    assert found["day"].text == "tomorrow"
    asked = EN.extract("Anna", candidates=["name"], asked="name", now=NOW_EN)
    assert asked["name"].method == "asked"


def test_unknown_candidates_and_empty_text_give_nothing() -> None:
    assert EN.extract("tomorrow", candidates=["nope"], asked=None, now=NOW_EN) == {}
    assert EN.extract("   ", candidates=list(SLOTS), asked="name", now=NOW_EN) == {}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-24T15:00", datetime(2026, 11, 24, 15, 0, tzinfo=NY)),
        ("2026-11-24T20:00:00+00:00", datetime(2026, 11, 24, 15, 0, tzinfo=NY)),
    ],
)
def test_machine_written_iso_datetimes_are_read_in_the_bots_zone(raw: str, expected: datetime) -> None:
    found = EN.extract(raw, candidates=["when"], asked="when", now=NOW_EN)
    value = found["when"].value
    assert isinstance(value, datetime)
    assert (value, value.utcoffset()) == (expected, expected.utcoffset())


def test_a_sentence_is_not_taken_as_a_name() -> None:
    found = EN.extract(
        "I'd like to come in at 3 tomorrow", candidates=["name", "when"], asked="name", now=NOW_EN
    )
    assert set(found) == {"when"}

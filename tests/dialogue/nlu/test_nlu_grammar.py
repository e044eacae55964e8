"""Value grammar added for issue 10: names without their framing, British and Russian half hours."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from voicebot.dialogue import compile_scenario
from voicebot.scenario import load_text

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("UTC"))
SOURCE = """
version: 1
bot: {{id: n, name: N, language: {lang}, greeting: "Hi."}}
slots:
  name: {{type: text, prompt: "Name?"}}
start: ask
states:
  ask:
    collect: [name]
    transitions:
      - {{when: "filled('name')", to: done}}
      - {{fallback: true, to: done}}
  done: {{say: "Bye.", end: true, outcome: done}}
"""
COMPILED = {
    lang: compile_scenario(load_text(SOURCE.format(lang=lang), "n.yaml").scenario) for lang in ("en", "ru")
}


@pytest.mark.parametrize(
    ("lang", "text", "name"),
    [
        ("en", "it's under Priya Shah", "Priya Shah"),
        ("en", "under the name Priya Shah", "Priya Shah"),
        ("en", "the booking is under Priya Shah", "Priya Shah"),
        ("en", "put it under Priya Shah", "Priya Shah"),
        ("en", "this is Priya Shah", "Priya Shah"),
        ("en", "yeah it's Priya Shah", "Priya Shah"),
        ("ru", "меня зовут Анна Петрова", "Анна Петрова"),
        ("ru", "записывайте на Анну Петрову", "Анну Петрову"),
        ("ru", "запишите на имя Анна Петрова", "Анна Петрова"),
        ("ru", "это Анна Петрова", "Анна Петрова"),
    ],
)
def test_name_alone(lang: str, text: str, name: str) -> None:
    found = COMPILED[lang].extractor.extract(text, candidates=("name",), asked="name", now=NOW)
    assert found["name"].value == name


TIME_SOURCE = SOURCE.replace('name: {{type: text, prompt: "Name?"}}', 'name: {{type: time, prompt: "When?"}}')
TIMES = {
    lang: compile_scenario(load_text(TIME_SOURCE.format(lang=lang), "t.yaml").scenario)
    for lang in ("en", "ru")
}


@pytest.mark.parametrize(
    ("lang", "text", "hour", "minute"),
    [
        ("en", "half seven", 19, 30),  # British: 7:30; an hour without am/pm is read as a daytime hour
        ("en", "half seven in the morning", 7, 30),
        ("en", "half past two", 14, 30),
        ("ru", "в полтретьего", 14, 30),
        ("ru", "в полдесятого", 9, 30),
        ("ru", "в полдесятого вечера", 21, 30),
        ("ru", "полпервого", 12, 30),
    ],
)
def test_half_hours(lang: str, text: str, hour: int, minute: int) -> None:
    found = TIMES[lang].extractor.extract(text, candidates=("name",), asked="name", now=NOW)
    assert (found["name"].value.hour, found["name"].value.minute) == (hour, minute)


# ---------------------------------------------------------------- issue 10, second round

WIDE = """
version: 1
bot: {{id: w, name: W, language: {lang}, greeting: "Hi.", timezone: America/New_York}}
slots:
  name: {{type: text, prompt: "Name?"}}
  dob: {{type: date, prompt: "Date of birth?", not_in_future: true}}
  when: {{type: datetime, prompt: "When?"}}
  n: {{type: number, prompt: "How many?"}}
start: ask
states:
  ask:
    collect: [name, dob, when, n]
    transitions:
      - {{fallback: true, to: done}}
  done: {{say: "Bye.", end: true, outcome: done}}
"""
WIDE_COMPILED = {
    lang: compile_scenario(load_text(WIDE.format(lang=lang), "w.yaml").scenario) for lang in ("en", "ru")
}
NY = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("America/New_York"))


def _extract(lang: str, text: str, asked: str | None) -> dict[str, object]:
    found = WIDE_COMPILED[lang].extractor.extract(
        text, candidates=("name", "dob", "when", "n"), asked=asked, now=NY
    )
    return {name: x.value for name, x in found.items()}


@pytest.mark.parametrize(
    ("lang", "text", "born"),
    [
        ("en", "the third of March, nineteen eighty-five", date(1985, 3, 3)),
        ("en", "march third eighty five", date(1985, 3, 3)),
        ("en", "3rd of march seventy-two", date(1972, 3, 3)),
        ("en", "march 3rd nineteen oh five", date(1905, 3, 3)),
        ("en", "May 5th, twenty twenty-four", date(2024, 5, 5)),
        ("en", "March 3rd '85", date(1985, 3, 3)),
        ("ru", "3 марта 85 года", date(1985, 3, 3)),
        ("ru", "третьего марта восемьдесят пятого года", date(1985, 3, 3)),
        ("ru", "третьего марта тысяча девятьсот восемьдесят пятого года", date(1985, 3, 3)),
    ],
)
def test_years_said_in_words_or_two_digits(lang: str, text: str, born: date) -> None:
    assert _extract(lang, text, "dob") == {"dob": born}


@pytest.mark.parametrize(
    ("lang", "text", "value"),
    [
        ("en", "twelve point five", 12.5),
        ("en", "two and a half", 2.5),
        ("ru", "двенадцать запятая пять", 12.5),
        ("ru", "два с половиной", 2.5),
        ("en", "three", 3),
    ],
)
def test_decimals_and_halves_in_words(lang: str, text: str, value: float) -> None:
    assert _extract(lang, text, "n") == {"n": value}


@pytest.mark.parametrize(
    ("text", "day", "hour", "minute"),
    [
        ("a week from tomorrow at 1:30 pm", 1, 13, 30),  # 24 Nov + 7 = 1 Dec
        ("two weeks from friday at 3pm", 11, 15, 0),
        ("in two weeks at 3pm", 7, 15, 0),
        ("friday afternoon maybe like half past two", 27, 14, 30),
        ("tomorrow at 10, sorry, I mean 11 am", 24, 11, 0),
        ("Thursday at 2 pm, no wait, I mean Friday at 2 pm", 27, 14, 0),
    ],
)
def test_days_offsets_fillers_and_self_corrections(text: str, day: int, hour: int, minute: int) -> None:
    found = _extract("en", text, "when")
    assert set(found) == {"when"}  # nothing strays into the date of birth
    when = found["when"]
    assert (when.day, when.hour, when.minute) == (day, hour, minute)  # type: ignore[attr-defined]


def test_russian_self_correction_keeps_the_day() -> None:
    when = _extract("ru", "завтра в 10, ой, нет, в 11", "when")["when"]
    assert (when.day, when.hour) == (24, 11)  # type: ignore[attr-defined]


def test_a_date_said_when_a_name_is_asked_is_not_the_name() -> None:
    assert set(_extract("en", "born March 3rd 1985", "name")) == {"dob"}
    assert set(_extract("ru", "родилась 3 марта 1985", "name")) == {"dob"}


def test_a_future_date_at_when_never_trips_the_birth_date_rule() -> None:
    assert "dob" not in _extract("en", "friday afternoon", "when")
    assert "dob" not in _extract("ru", "в понедельник утром", "when")


@pytest.mark.parametrize(
    ("lang", "text", "name"),
    [
        ("ru", "нет, имя не Анна, а Мария", "Мария"),
        ("ru", "не Анна, а Мария", "Мария"),
        ("en", "no, the name is not Anna, it's Maria", "Maria"),
        ("en", "the name should be Maria Lopez", "Maria Lopez"),
    ],
)
def test_a_name_corrected_in_words(lang: str, text: str, name: str) -> None:
    assert _extract(lang, text, None).get("name") == name


def test_words_about_a_name_are_not_a_name() -> None:
    assert "name" not in _extract("ru", "имя не то", None)
    assert "name" not in _extract("en", "the name is wrong", None)


PHONE = """
version: 1
bot: {id: p, name: P, language: en, greeting: "Hi."}
slots:
  phone: {type: phone, prompt: "Phone?", region: GB}
  guests: {type: number, prompt: "How many?"}
start: ask
states:
  ask:
    collect: [phone, guests]
    transitions:
      - {fallback: true, to: done}
  done: {say: "Bye.", end: true, outcome: done}
"""
PHONE_COMPILED = compile_scenario(load_text(PHONE, "p.yaml").scenario)


@pytest.mark.parametrize(
    "text",
    [
        "oh seven seven oh oh, nine double oh four five six",
        "no, sorry, the phone number is wrong, it should be 07700 900456",
        "it's oh seven seven double oh nine oh oh four five six",
    ],
)
def test_a_phone_read_out_digit_by_digit(text: str) -> None:
    found = PHONE_COMPILED.extractor.extract(text, candidates=("phone",), asked="phone", now=NOW)
    assert found["phone"].value == "+447700900456"


def test_oh_is_a_zero_only_inside_a_run_of_digits() -> None:
    extractor = PHONE_COMPILED.extractor
    found = extractor.extract("oh, two please", candidates=("guests",), asked="guests", now=NOW)
    assert found["guests"].value == 2

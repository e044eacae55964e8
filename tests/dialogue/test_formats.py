"""Per-placeholder value formats, spoken for the bot's language and region."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from voicebot.dialogue import CallContext, Engine, Say, Utterance, compile_scenario
from voicebot.dialogue.formats import format_value
from voicebot.errors import ScenarioError
from voicebot.scenario import load_text

NOW = datetime(2026, 12, 9, 9, 0, tzinfo=ZoneInfo("Europe/London"))  # a Wednesday
SATURDAY = date(2026, 12, 12)


@pytest.mark.parametrize(
    ("value", "fmt", "lang", "region", "spoken"),
    [
        (SATURDAY, "weekday_day_month", "en", "GB", "Saturday 12 December"),
        (SATURDAY, "weekday_day_month", "en", "US", "Saturday, December 12"),
        (SATURDAY, "weekday_day_month", "ru", "RU", "12 декабря, в субботу"),
        (date(2026, 12, 10), "weekday_day_month", "en", "GB", "tomorrow, 10 December"),
        (date(2026, 12, 10), "weekday_day_month", "ru", "RU", "завтра, 10 декабря"),
        (SATURDAY, "day_month", "en", "GB", "12 December"),
        (date(2027, 1, 2), "day_month", "ru", "RU", "2 января 2027 года"),
        (SATURDAY, "weekday", "ru", "RU", "суббота"),
        (SATURDAY, "iso", "en", "GB", "2026-12-12"),
        (time(19, 30), "hh_mm", "en", "GB", "19:30"),
        (time(19, 30), "12h", "en", "GB", "7:30 PM"),
        (datetime(2026, 12, 12, 19, 0, tzinfo=ZoneInfo("Europe/London")), "12h", "en", "GB", "7 PM"),
    ],
)
def test_formats(value: object, fmt: str, lang: str, region: str, spoken: str) -> None:
    assert format_value(value, fmt, lang=lang, region=region, now=NOW) == spoken


BOT = """
bot: {id: t, name: T, language: en, region: GB, timezone: Europe/London, greeting: "Hello."}
slots:
  res_date: {type: date, prompt: "Which day?"}
start: ask
states:
  ask:
    collect: [res_date]
    transitions:
      - {when: "filled('res_date')", to: done}
      - {fallback: true, to: done}
  done: {say: "See you on {res_date:weekday_day_month}.", end: true, outcome: booked}
"""


def test_a_template_speaks_the_placeholder_in_its_format() -> None:
    engine = Engine(compile_scenario(load_text(BOT, "t.yaml").scenario), clock=lambda: NOW)
    call, _ = engine.start(CallContext(call_id="c1"))
    actions = engine.handle(call, Utterance("Saturday"))
    assert [a.text for a in actions if isinstance(a, Say)] == ["See you on Saturday 12 December."]


def test_checker_names_the_formats_of_the_slot() -> None:
    source = BOT.replace("weekday_day_month", "long").replace(
        'greeting: "Hello."', 'greeting: "Hi {res_date:x}"'
    )
    with pytest.raises(ScenarioError) as info:
        load_text(source.lstrip("\n"), "s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "s.yaml:1:88: bot.greeting: placeholder '{res_date:x}': unknown format 'x' "
        "(formats of 'res_date': weekday_day_month, day_month, weekday, iso)",
        "s.yaml:11:27: states.done.say: placeholder '{res_date:long}': unknown format 'long' "
        "(formats of 'res_date': weekday_day_month, day_month, weekday, iso)",
    ]


@pytest.mark.parametrize(
    ("value", "fmt", "lang", "region", "spoken"),
    [
        (4, "words", "en", "GB", "four"),
        (21, "words", "en", "US", "twenty-one"),
        (2021, "words", "en", "GB", "two thousand and twenty-one"),
        (4.0, "words", "ru", "RU", "четыре"),
        (21000, "words", "ru", "RU", "двадцать одна тысяча"),
        (12.5, "money", "en", "GB", "12 pounds 50 pence"),
        (1, "money", "en", "GB", "1 pound"),
        (12.5, "money", "en", "US", "12 dollars and 50 cents"),
        (12.5, "money", "ru", "RU", "12 рублей 50 копеек"),
        (1.01, "money", "ru", "RU", "1 рубль 1 копейка"),
        (3.02, "money", "ru", "RU", "3 рубля 2 копейки"),
        (21.05, "money", "ru", "RU", "21 рубль 5 копеек"),
        (11, "money", "ru", "RU", "11 рублей"),
        (112.14, "money", "ru", "RU", "112 рублей 14 копеек"),
        (24.22, "money", "ru", "RU", "24 рубля 22 копейки"),
        ("+447700900456", "digits", "en", "GB", "0 7 7 0 0, 9 0 0, 4 5 6"),
        ("+447700900456", "digits", "en", "US", "plus 4 4, 7 7 0 0, 9 0 0, 4 5 6"),
        ("+12025550123", "digits", "en", "US", "2 0 2, 5 5 5, 0 1 2 3"),
        ("+79123456789", "digits", "ru", "RU", "8, 9 1 2, 3 4 5, 6 7, 8 9"),
        (time(19, 30), "words", "en", "GB", "half past seven"),
        (time(16, 45), "words", "en", "GB", "quarter to five"),
        (time(9, 15), "words", "en", "US", "quarter past nine"),
        (time(19, 0), "words", "en", "GB", "seven o'clock"),
        (time(12, 0), "words", "en", "GB", "noon"),
        (time(7, 40), "words", "en", "GB", "twenty to eight"),
        (time(7, 23), "words", "en", "GB", "seven twenty-three"),
        (time(7, 5), "words", "en", "GB", "five past seven"),
        (time(19, 30), "words", "ru", "RU", "19:30"),
        (
            datetime(2026, 12, 12, 19, 30, tzinfo=ZoneInfo("Europe/London")),
            "words",
            "en",
            "GB",
            "half past seven",
        ),
    ],
)
def test_numbers_money_phones_and_times_in_words(
    value: object, fmt: str, lang: str, region: str, spoken: str
) -> None:
    assert format_value(value, fmt, lang=lang, region=region, now=NOW) == spoken


@pytest.mark.parametrize(
    ("n", "forms"),
    [
        (1, "рубль"),
        (2, "рубля"),
        (4, "рубля"),
        (5, "рублей"),
        (11, "рублей"),
        (12, "рублей"),
        (14, "рублей"),
        (21, "рубль"),
        (22, "рубля"),
        (25, "рублей"),
        (101, "рубль"),
        (111, "рублей"),
        (0, "рублей"),
    ],
)
def test_russian_plural_agrees_with_the_number(n: int, forms: str) -> None:
    assert format_value(n, "money", lang="ru", region="RU", now=NOW) == f"{n} {forms}"


def test_a_number_with_a_fraction_is_not_spoken_in_words() -> None:
    assert format_value(2.5, "words", lang="en", region="GB", now=NOW) is None


RU_BOT = """
bot: {id: t, name: T, language: ru, region: RU, timezone: Europe/Moscow, greeting: "Здравствуйте."}
slots:
  guests: {type: number, integer: true, prompt: "Сколько гостей?"}
start: ask
states:
  ask:
    collect: [guests]
    transitions:
      - {when: "filled('guests')", to: done}
      - {fallback: true, to: done}
  done:
    say: "Столик на {guests:words}, депозит {guests:money}."
    end: true
    outcome: booked
"""


def test_a_russian_template_speaks_words_and_money() -> None:
    engine = Engine(compile_scenario(load_text(RU_BOT, "t.yaml").scenario), clock=lambda: NOW)
    call, _ = engine.start(CallContext(call_id="c1"))
    actions = engine.handle(call, Utterance("четыре"))
    assert [a.text for a in actions if isinstance(a, Say)] == ["Столик на четыре, депозит 4 рубля."]


def test_checker_lists_the_formats_of_a_number_and_a_phone_slot() -> None:
    source = (
        RU_BOT.replace("{guests:money}", "{guests:rubles}")
        .replace("  guests:", '  tel: {type: phone, prompt: "Телефон?"}\n  guests:')
        .replace("Столик на", "{tel:spaced} Столик на")
    )
    with pytest.raises(ScenarioError) as info:
        load_text(source.lstrip("\n"), "s.yaml")
    assert [str(p) for p in info.value.problems] == [
        "s.yaml:13:11: states.done.say: placeholder '{tel:spaced}': unknown format 'spaced' "
        "(formats of 'tel': digits)",
        "s.yaml:13:58: states.done.say: placeholder '{guests:rubles}': unknown format 'rubles' "
        "(formats of 'guests': words, money)",
    ]

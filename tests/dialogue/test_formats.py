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

"""Value grammar added for issue 10: names without their framing, British and Russian half hours."""

from __future__ import annotations

from datetime import datetime
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

"""Repair and meta phrases ("what?", "hang on", "повторите") repeat or wait and never fill a slot."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from voicebot.dialogue import CallContext, Engine, Say, Utterance, compile_scenario
from voicebot.dialogue.nlu.repair import repair_kind
from voicebot.scenario import load_text

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("UTC"))

SOURCE = """
version: 1
bot: {{id: r, name: R, language: {lang}, greeting: "{greeting}"}}
settings: {{max_retries: 1}}
slots:
  name: {{type: text, prompt: "{prompt}"}}
start: ask
states:
  ask:
    collect: [name]
    transitions:
      - {{when: "filled('name')", to: done}}
      - {{fallback: true, to: done}}
  done: {{say: "{done}", end: true, outcome: done}}
"""

EN = SOURCE.format(lang="en", greeting="Hello.", prompt="What is your name?", done="Thanks, {name}.")
RU = SOURCE.format(lang="ru", greeting="Здравствуйте.", prompt="Как вас зовут?", done="Спасибо, {name}.")

REPEAT_EN = ["what?", "Sorry?", "say that again", "um sorry, what was that?", "I didn't catch that",
             "could you repeat that please", "pardon?", "come again?", "excuse me?"]  # fmt: skip
HOLD_EN = ["hang on", "hold on a second", "one sec", "hang on a sec, let me check", "wait"]
REPEAT_RU = ["что?", "повторите", "повторите, пожалуйста", "я не расслышала", "не поняла", "еще раз",
             "извините?", "что вы сказали?", "я вас не слышу"]  # fmt: skip
HOLD_RU = ["подождите", "подождите секунду", "секундочку", "одну минуту", "сейчас посмотрю"]
NOT_REPAIR = {
    "en": ["Priya Shah", "sorry, my name is Anna", "what time do you close", "no", "yes", "wait list please"],
    "ru": ["Анна", "меня зовут Анна", "нет", "да", "что у вас с ценами", "подождите, меня зовут Анна"],
}


def engine(source: str) -> Engine:
    return Engine(compile_scenario(load_text(source, "r.yaml").scenario), clock=lambda: NOW)


def said(actions: list[object]) -> list[str]:
    return [a.text for a in actions if isinstance(a, Say)]


@pytest.mark.parametrize(("lang", "text", "kind"),
    [("en", t, "repeat") for t in REPEAT_EN] + [("en", t, "hold") for t in HOLD_EN]
    + [("ru", t, "repeat") for t in REPEAT_RU] + [("ru", t, "hold") for t in HOLD_RU])  # fmt: skip
def test_repair_phrase_is_recognized(lang: str, text: str, kind: str) -> None:
    assert repair_kind(text, lang) == kind  # type: ignore[arg-type]


@pytest.mark.parametrize(("lang", "text"), [(lang, t) for lang, ts in NOT_REPAIR.items() for t in ts])
def test_a_real_answer_is_not_a_repair(lang: str, text: str) -> None:
    assert repair_kind(text, lang) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(("lang", "what", "prompt", "name"), [
    ("en", "what?", "What is your name?", "Priya Shah"),
    ("en", "sorry, say that again", "What is your name?", "Priya Shah"),
    ("ru", "что?", "Как вас зовут?", "Анна Петрова"),
    ("ru", "я не расслышала", "Как вас зовут?", "Анна Петрова"),
])  # fmt: skip
def test_what_repeats_the_question_and_is_not_the_name(lang: str, what: str, prompt: str, name: str) -> None:
    e = engine(EN if lang == "en" else RU)
    call, _ = e.start(CallContext(call_id="c"))
    actions = e.handle(call, Utterance(what))
    assert said(actions)[-1] == prompt  # what the bot said last (greeting and question) again
    assert "name" not in call.slots
    assert call.retries == 0
    e.handle(call, Utterance(name))
    assert call.slots["name"] == name
    assert call.ended


@pytest.mark.parametrize(("lang", "hold", "reply"), [
    ("en", "hang on", "Sure, take your time."),
    ("ru", "подождите", "Конечно, я подожду."),
])  # fmt: skip
def test_hold_waits_without_counting_a_failed_try(lang: str, hold: str, reply: str) -> None:
    e = engine(EN if lang == "en" else RU)
    call, _ = e.start(CallContext(call_id="c"))
    for _ in range(3):  # more than max_retries: still no fallback
        assert said(e.handle(call, Utterance(hold))) == [reply]
    assert not call.ended and "name" not in call.slots

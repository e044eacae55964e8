"""How a turn is interpreted, on the example scenarios: repair first, global requests in any state,
one question at a time."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from voicebot.dialogue import CallContext, Engine, Say, Transfer, Utterance, compile_scenario
from voicebot.scenario import load_file, load_text

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/Moscow"))


def engine(name: str) -> Engine:
    scenario = load_file(ROOT / "scenarios" / f"{name}.yaml").scenario
    return Engine(compile_scenario(scenario), clock=lambda: NOW)


def said(actions: list[object]) -> list[str]:
    return [a.text for a in actions if isinstance(a, Say)]


def test_an_invalid_time_is_asked_about_once_not_twice() -> None:
    e = engine("salon")
    call, _ = e.start(CallContext(call_id="c", caller_number="+79161234567"))
    e.handle(call, Utterance("хочу записаться на маникюр завтра"))
    out = said(e.handle(call, Utterance("в девять вечера")))
    assert len(out) == 1  # the invalid message asks the question itself; the prompt is not added
    assert out[0].startswith("Мы работаем с 10 до 20 часов")
    assert out[0].endswith("На какое время вас записать?")
    assert "time" not in call.slots
    e.handle(call, Utterance("в три часа дня"))
    assert call.slots["time"].hour == 15


@pytest.mark.parametrize(
    ("name", "steps", "ask"),
    [
        ("salon", ["хочу записаться на маникюр"], "соедините меня лучше с администратором"),
        ("salon", ["хочу записаться", "на стрижку"], "а можно с живым человеком поговорить"),
        ("clinic", ["I'd like to book an appointment"], "can I just talk to somebody at the front desk"),
        ("clinic", ["I'd like to book an appointment"], "put me through to reception please"),
    ],
)
def test_asking_for_a_person_mid_booking_is_heard_the_first_time(
    name: str, steps: list[str], ask: str
) -> None:
    e = engine(name)
    call, _ = e.start(CallContext(call_id="c", caller_number="+79161234567"))
    for step in steps:
        e.handle(call, Utterance(step))
    assert not call.ended
    actions = e.handle(call, Utterance(ask))
    assert any(isinstance(a, Transfer) for a in actions)


@pytest.mark.parametrize(
    ("name", "text"),
    [("salon", ""), ("salon", "😀😀😀"), ("clinic", "x" * 5000), ("clinic", "🙂 what?? 🙂")],
)
def test_garbage_never_raises_and_gets_an_answer(name: str, text: str) -> None:
    e = engine(name)
    call, _ = e.start(CallContext(call_id="c"))
    assert said(e.handle(call, Utterance(text)))


GUESTS = """
version: 1
bot: {{id: g, name: G, language: {lang}, greeting: "Hi."}}
slots:
  guests: {{type: number, min: 1, max: 10, prompt: "How many?"}}
  name: {{type: text, prompt: "Name?"}}
start: ask
states:
  ask:
    collect: [guests, name]
    transitions:
      - {{when: "filled('guests') and filled('name')", to: check}}
      - {{fallback: true, to: done}}
  check:
    say: "{{guests}} for {{name}}?"
    transitions:
      - {{intent: "yes", to: done}}
      - {{intent: "no", to: fix}}
      - {{fallback: true, to: done}}
  fix:
    edit: true
    say: "What should I change?"
    transitions:
      - {{fallback: true, to: done}}
  done: {{say: "Bye.", end: true, outcome: done}}
"""


@pytest.mark.parametrize(
    ("lang", "name", "cue", "edit"),
    [("en", "Priya Shah", "actually make it three", "make it four"), ("ru", "Анна", "вернее, три", "четыре")],
)
def test_a_number_slot_can_be_corrected_and_is_read_back_again(
    lang: str, name: str, cue: str, edit: str
) -> None:
    e = Engine(compile_scenario(load_text(GUESTS.format(lang=lang), "g.yaml").scenario), clock=lambda: NOW)
    call, _ = e.start(CallContext(call_id="c"))
    e.handle(call, Utterance("2"))
    assert said(e.handle(call, Utterance(name)))[-1] == f"2 for {name}?"
    assert said(e.handle(call, Utterance(cue)))[-1] == f"3 for {name}?"  # read back again
    assert call.slots["guests"] == 3
    e.handle(call, Utterance("no" if lang == "en" else "нет"))
    assert call.state == "fix"
    assert (
        said(e.handle(call, Utterance(edit)))[-1] == f"4 for {name}?"
    )  # the edit step returns to the read-back
    assert call.state == "check" and call.slots["guests"] == 4

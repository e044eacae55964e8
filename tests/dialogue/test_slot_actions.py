"""Slot actions (clear, set, copy) on entering a state: a loop that asks again instead of repeating."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from voicebot.dialogue import CallContext, Engine, RecordSlot, Say, Utterance, compile_scenario
from voicebot.scenario import load_text

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("UTC"))

LOOP = """
bot: {id: t, name: T, language: en, greeting: "Hello."}
slots:
  res_time: {type: time, prompt: "What time?"}
  party: {type: number, prompt: "How many?"}
  kind: {type: enum, values: [table, bar], prompt: "Table or bar?"}
  backup: {type: time, prompt: "Another time?"}
start: ask
states:
  ask:
    collect: [res_time]
    transitions:
      - {when: "res_time >= '22:00'", to: closed}
      - {when: "filled('res_time')", to: done}
      - {fallback: true, to: done}
  closed:
    say: "Sorry, we're closed then."
    clear: [res_time]
    set: {party: 2, kind: bar}
    copy: {backup: res_time}
    next: ask
  done: {say: "Booked at {res_time} for {party} at the {kind}.", end: true, outcome: booked}
"""


def _said(actions: list[object]) -> list[str]:
    return [a.text for a in actions if isinstance(a, Say)]


def test_clear_asks_again_instead_of_looping_and_set_fills_typed_values() -> None:
    engine = Engine(compile_scenario(load_text(LOOP, "t.yaml").scenario), clock=lambda: NOW)
    call, _ = engine.start(CallContext(call_id="c1"))
    actions = engine.handle(call, Utterance("at 11 pm"))
    assert _said(actions) == ["Sorry, we're closed then.", "What time?"]  # said once, then asks again
    assert call.state == "ask" and "res_time" not in call.slots
    assert call.slots["party"] == 2 and call.slots["kind"] == "bar"
    recorded = {a.name: a.value for a in actions if isinstance(a, RecordSlot) and a.method == "scenario"}
    assert recorded == {"party": 2, "kind": "bar"}  # copy ran after clear: res_time was empty
    actions = engine.handle(call, Utterance("at 8 pm"))
    assert _said(actions) == ["Booked at 8 PM for 2 at the bar."]


def test_without_slot_actions_the_checker_warns_about_the_loop_and_the_unfilled_slots() -> None:
    source = LOOP
    for line in (
        "    clear: [res_time]\n",
        "    set: {party: 2, kind: bar}\n",
        "    copy: {backup: res_time}\n",
    ):
        source = source.replace(line, "")
    warnings = [str(w) for w in load_text(source, "t.yaml").warnings]
    assert warnings == [
        "t.yaml:5:3: warning: slot 'party' is read but never asked: no state collects it (add it to a "
        "state's 'collect') and no slot action fills it, so it is always empty",
        "t.yaml:6:3: warning: slot 'kind' is read but never asked: no state collects it (add it to a "
        "state's 'collect') and no slot action fills it, so it is always empty",
        "t.yaml:7:3: warning: slot 'backup' is never asked nor used (no state collects it); "
        "remove it or collect it",
        "t.yaml:10:3: warning: states ask -> closed -> ask move on by themselves ('next' or 'when') and "
        "nothing in the loop changes a slot, so once entered it repeats until the turn's hop limit; add a "
        "slot action (such as 'clear: [slot]') to one of them, or let one wait for the caller",
    ]

"""Which end-of-turn timing applies per state and asked slot: state > slot > settings > built-in."""

from __future__ import annotations

from voicebot.dialogue import compile_scenario
from voicebot.dialogue.turntaking import policy_for, policy_table
from voicebot.scenario import load_text

SOURCE = """
version: 1
bot: {id: t, name: T, language: en, greeting: "Hi."}
settings:
  turn_taking:
    email: {min_endpointing_delay: 2.0, max_endpointing_delay: 5.0}
    default: long
slots:
  ok: {type: yes_no, prompt: "OK?"}
  phone: {type: phone, prompt: "Phone?"}
  email: {type: email, prompt: "Email?"}
  card: {type: text, input: [speech, dtmf], digits: 16, prompt: "Card?"}
  name: {type: text, prompt: "Name?", turn_taking: short}
  day: {type: date, prompt: "Day?"}
start: ask
states:
  ask:
    collect: [ok, phone, email, card, name, day]
    transitions: [{when: "filled('day')", to: menu}, {fallback: true, to: menu}]
  menu:
    menu: {options: [{key: "1", label: terms, to: terms}]}
  terms:
    say: "The legal terms."
    barge_in: false
    turn_taking: {min_endpointing_delay: 0.8, max_endpointing_delay: 2.0}
    next: bye
  bye: {say: "Bye.", end: true, outcome: done}
"""


def test_each_kind_gets_its_timing_and_the_most_specific_setting_wins() -> None:
    compiled = compile_scenario(load_text(SOURCE).scenario)

    def timing(state: str, slot: str | None) -> tuple[float, float, str]:
        p = policy_for(compiled, state, slot)
        return p.min_delay, p.max_delay, p.source

    assert timing("ask", "ok") == (0.3, 1.5, "builtin:yes_no")
    assert timing("ask", "phone") == (1.2, 4.0, "builtin:phone")
    assert timing("ask", "email") == (2.0, 5.0, "settings:email")
    assert timing("ask", "card") == (1.8, 6.0, "builtin:digits")
    assert timing("ask", "name") == (0.3, 1.5, "slot")
    assert timing("ask", "day") == (1.2, 4.0, "settings:default")  # no built-in for dates: the default
    assert timing("menu", None) == (0.3, 1.5, "builtin:menu")
    assert timing("terms", None) == (0.8, 2.0, "state")
    assert policy_for(compiled, "terms", None).barge_in is False
    assert policy_for(compiled, "ask", "ok").barge_in is True
    confirming = policy_for(compiled, "ask", "card", confirming=True)
    assert (confirming.min_delay, confirming.source) == (0.3, "builtin:yes_no")  # "Is that right?"
    rows = policy_table(compiled)
    assert ("ask", "card") in {(s, slot) for s, slot, _ in rows} and len(rows) == 4 + 6


def test_without_settings_states_asking_nothing_keep_livekits_defaults() -> None:
    compiled = compile_scenario(load_text(SOURCE.replace("    default: long\n", "")).scenario)
    p = policy_for(compiled, "bye", None)
    assert (p.min_delay, p.max_delay, p.preset, p.source) == (0.5, 3.0, "normal", "builtin:default")

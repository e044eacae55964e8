"""Keypad input in the engine: typed slots (terminator, digit count, timeout on the injected clock),
keypad menus chosen by key or by voice (EN and RU), read-backs answered with 1/2, keys sent to an IVR."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from voicebot.dialogue import (
    CallContext,
    Dtmf,
    Engine,
    RecordSlot,
    RecordTransition,
    Say,
    Utterance,
    compile_scenario,
)
from voicebot.dialogue.actions import AwaitKeys, Listen, SendDtmf
from voicebot.dialogue.events import DtmfTimeout
from voicebot.dialogue.keypad import spoken_digits
from voicebot.scenario import load_text

BANK = """
version: 1
bot: {id: bank, name: Bank, language: en, region: GB, greeting: "Welcome to the bank."}
slots:
  account: {type: text, input: [speech, dtmf], digits: 8, prompt: "Type your 8-digit account number."}
  pin: {type: number, input: [dtmf], digits: {min: 4, max: 6}, dtmf_timeout: 4,
        prompt: "Type your PIN, then the hash key."}
  dob: {type: date, input: [speech, dtmf], prompt: "Your date of birth, day month year?", confirm: true}
start: main
states:
  main:
    say: "Main menu."
    menu:
      options:
        - {key: "1", label: account balance, to: balance, words: [how much money do I have]}
        - {key: "2", label: lost card, to: lost, say: "Sorry to hear that."}
        - {key: "0", label: an operator, to: operator}
    transitions:
      - {fallback: true, to: operator}
  balance:
    collect: [account, pin, dob]
    transitions:
      - {when: "filled('dob')", to: done}
      - {fallback: true, to: operator}
  lost: {say: "Your card is blocked.", end: true, outcome: blocked}
  operator: {say: "Connecting you.", send_dtmf: "1w2", end: true, outcome: operator}
  done: {say: "Thanks.", end: true, outcome: balance}
"""

RU_MENU = """
version: 1
bot: {id: ru, name: Банк, language: ru, greeting: "Здравствуйте."}
start: main
states:
  main:
    menu:
      options:
        - {key: "1", label: баланс, to: balance}
        - {key: "2", label: потерянная карта, to: lost}
    transitions:
      - {fallback: true, to: lost}
  balance: {say: "Баланс.", end: true, outcome: balance}
  lost: {say: "Карта.", end: true, outcome: lost}
"""

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("UTC"))


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def engine_of(source: str, clock: Clock | None = None) -> Engine:
    return Engine(compile_scenario(load_text(source).scenario), clock=clock or Clock())


def said(actions: list[object]) -> str:
    return " ".join(a.text for a in actions if isinstance(a, Say))


def to_balance(engine: Engine):  # type: ignore[no-untyped-def]
    call, actions = engine.start(CallContext())
    assert "For account balance, press 1. For lost card, press 2. For an operator, press 0." in said(actions)
    engine.handle(call, Dtmf("1"))
    assert call.state == "balance" and call.asked == "account"
    return call


def test_menu_key_goes_to_its_option_and_records_it() -> None:
    engine = engine_of(BANK)
    call, _ = engine.start(CallContext())
    actions = engine.handle(call, Dtmf("2"))
    assert call.state == "lost" and said(actions) == "Sorry to hear that. Your card is blocked."
    moved = next(a for a in actions if isinstance(a, RecordTransition))
    assert moved.trigger == "menu" and moved.data == {"key": "2", "by": "dtmf"}


@pytest.mark.parametrize(
    ("line", "state"),
    [
        ("one", "balance"),
        ("the first one", "balance"),
        ("press two please", "lost"),
        ("the second", "lost"),
        ("I lost my card", "balance"),  # "lost card" is not said as a phrase: not understood, stays
        ("lost card", "lost"),
        ("account balance please", "balance"),
        ("how much money do I have", "balance"),
        ("zero", "operator"),
    ],
)
def test_menu_accepts_the_spoken_equivalent(line: str, state: str) -> None:
    engine = engine_of(BANK)
    call, _ = engine.start(CallContext())
    engine.handle(call, Utterance(line))
    expected = "main" if line == "I lost my card" else state
    assert call.state == expected


@pytest.mark.parametrize(
    ("line", "state"),
    [
        ("один", "balance"),
        ("первый", "balance"),
        ("второе", "lost"),
        ("баланс", "balance"),
        ("двойка", "lost"),
    ],
)
def test_russian_menu_by_voice(line: str, state: str) -> None:
    engine = engine_of(RU_MENU)
    call, actions = engine.start(CallContext())
    assert "баланс — нажмите 1. потерянная карта — нажмите 2." in said(actions)
    engine.handle(call, Utterance(line))
    assert call.state == state


def test_an_unknown_key_in_a_menu_is_not_understood_and_the_options_are_read_again() -> None:
    engine = engine_of(BANK)
    call, _ = engine.start(CallContext())
    actions = engine.handle(call, Dtmf("7"))
    assert call.state == "main" and "didn't catch" in said(actions) and "press 1" in said(actions)


def test_typed_account_number_completes_at_its_digit_count_without_a_terminator() -> None:
    engine = engine_of(BANK)
    call = to_balance(engine)
    for key in "1234567":
        actions = engine.handle(call, Dtmf(key))
        assert said(actions) == "" and any(isinstance(a, AwaitKeys) for a in actions)
    actions = engine.handle(call, Dtmf("8"))
    assert call.slots["account"] == "12345678"
    slot = next(a for a in actions if isinstance(a, RecordSlot))
    assert slot.method == "dtmf" and slot.validated
    assert said(actions) == "Type your PIN, then the hash key."


def test_pin_ends_with_the_terminator_and_too_few_digits_are_refused() -> None:
    engine = engine_of(BANK)
    call = to_balance(engine)
    engine.handle(call, Dtmf("12345678"))
    actions = engine.handle(call, Dtmf("12#"))
    assert "pin" not in call.slots and "should be 4-6 digits" in said(actions)
    assert "Type your PIN" in said(actions)
    engine.handle(call, Dtmf("98765#"))
    assert call.slots["pin"] == 98765


def test_star_clears_what_was_typed() -> None:
    engine = engine_of(BANK)
    call = to_balance(engine)
    engine.handle(call, Dtmf("12345678"))
    engine.handle(call, Dtmf("99*4321#"))
    assert call.slots["pin"] == 4321


def test_timeout_ends_typed_input_and_a_stale_timer_is_ignored() -> None:
    clock = Clock()
    engine = engine_of(BANK, clock)
    call = to_balance(engine)
    engine.handle(call, Dtmf("12345678"))
    engine.handle(call, Dtmf("4"))
    engine.handle(call, Dtmf("3"))
    clock.advance(3.0)
    engine.handle(call, Dtmf("2"))
    clock.advance(1.5)  # the timer armed by "3" fires now: only 1.5 s since "2"
    assert engine.handle(call, DtmfTimeout()) == [] and "pin" not in call.slots
    engine.handle(call, Dtmf("1"))
    clock.advance(4.0)
    actions = engine.handle(call, DtmfTimeout())
    assert call.slots["pin"] == 4321 and "date of birth" in said(actions)


def test_date_of_birth_typed_then_confirmed_with_key_1() -> None:
    engine = engine_of(BANK)
    call = to_balance(engine)
    engine.handle(call, Dtmf("12345678"))
    engine.handle(call, Dtmf("4321#"))
    actions = engine.handle(call, Dtmf("03031985#"))
    assert "Is that right?" in said(actions) and "dob" not in call.slots
    engine.handle(call, Dtmf("1"))
    assert call.slots["dob"] == date(1985, 3, 3) and call.state == "done"


def test_an_impossible_typed_date_is_refused() -> None:
    engine = engine_of(BANK)
    call = to_balance(engine)
    engine.handle(call, Dtmf("12345678"))
    engine.handle(call, Dtmf("4321#"))
    actions = engine.handle(call, Dtmf("31021985#"))
    assert "won't work" in said(actions) and "dob" not in call.slots


def test_account_number_spoken_with_pauses_is_taken_as_digits() -> None:
    engine = engine_of(BANK)
    call = to_balance(engine)
    engine.handle(call, Utterance("one two three four, five six seven eight"))
    assert call.slots["account"] == "12345678"


def test_keypad_only_slot_asks_for_the_keypad_when_spoken() -> None:
    engine = engine_of(BANK)
    call = to_balance(engine)
    engine.handle(call, Dtmf("12345678"))
    actions = engine.handle(call, Utterance("four three two one"))
    assert said(actions) == "Please use your phone's keypad." and "pin" not in call.slots
    assert any(isinstance(a, Listen) for a in actions)


def test_send_dtmf_on_entering_a_state() -> None:
    engine = engine_of(BANK)
    call, _ = engine.start(CallContext())
    actions = engine.handle(call, Dtmf("0"))
    assert [a.keys for a in actions if isinstance(a, SendDtmf)] == ["1w2"]


def test_dtmf_transitions_wait_for_a_longer_sequence() -> None:
    source = """
version: 1
bot: {id: t, name: T, language: en, greeting: "Hi."}
start: a
states:
  a:
    say: "Extension?"
    transitions:
      - {dtmf: "1", to: one}
      - {dtmf: "12", to: twelve}
      - {fallback: true, to: one}
  one: {say: "One.", end: true, outcome: one}
  twelve: {say: "Twelve.", end: true, outcome: twelve}
"""
    clock = Clock()
    engine = engine_of(source, clock)
    call, _ = engine.start(CallContext())
    assert any(isinstance(a, AwaitKeys) for a in engine.handle(call, Dtmf("1")))
    engine.handle(call, Dtmf("2"))
    assert call.state == "twelve"
    call, _ = engine.start(CallContext())
    engine.handle(call, Dtmf("1"))
    clock.advance(3.0)
    engine.handle(call, DtmfTimeout())
    assert call.state == "one"


def test_spoken_digits() -> None:
    assert spoken_digits("four one five, five five five, zero one zero zero", "en") == "4155550100"
    assert spoken_digits("один два три четыре", "ru") == "1234"
    assert spoken_digits("my number is 415 555", "en") == "415555"
    assert spoken_digits("hello there", "en") == ""

"""Whole calls in text mode: the real AgentSession, bridge and engine, as `voicebot chat` runs them."""

from __future__ import annotations

import asyncio

from voicebot.dialogue import Dtmf, NoInput
from voicebot.runtime import load_offline_bot
from voicebot.storage.records import CallEnded, CallStarted, Checkpoint, SlotFilled, Transition, Turn
from voicebot.telephony.textcall import TextCall

from .conftest import SCENARIOS, engine_for, null, of_kind, said

TINY = """
version: 1
bot: {id: tiny, name: Tiny, language: en, greeting: "Hello from Tiny."}
settings: {no_input_seconds: 0.05, max_no_input: 1}
intents:
  sales: {examples: [I want to buy something, sales please]}
global:
  - {intent: human, to: human}
start: menu
states:
  menu:
    say: "Press 1 or say sales."
    no_input: "Still there? Press 1 or say sales."
    transitions:
      - {dtmf: "1", to: sales}
      - {intent: sales, to: sales}
      - {fallback: true, to: human}
  sales: {say: "Our sales team thanks you. Goodbye.", end: true, outcome: lead}
  human: {say: "Connecting you to a person.", transfer: "+15550100999", outcome: support}
"""


async def test_booking_call_end_to_end_is_spoken_recorded_and_hung_up() -> None:
    bot = load_offline_bot(SCENARIOS / "clinic.yaml")
    lines = [
        "I'd like to book an appointment",
        "John Smith",
        "March 3rd 1985",
        "I need a check-up",
        "next Tuesday at 10 am",  # the clinic is closed on Sundays: never depend on today
        "yes",
    ]
    async with TextCall(
        bot.engine, bot_id=bot.bot_id, retriever=bot.retriever, answerer=bot.answerer
    ) as call:
        assert any("Riverside Family Clinic" in text for text in said(call.greeting))
        heard = [said(await call.say(line)) for line in lines]
        assert call.ended and null(call).hung_up
    assert "full name" in heard[0][-1]
    assert heard[-1][0].startswith("You're booked: check-up for John Smith")
    records = call.records
    assert isinstance(records[0], CallStarted)
    turns = of_kind(records, Turn)
    assert [t.seq for t in turns] == list(range(len(turns)))
    assert [t.text for t in turns if t.role == "caller"] == lines
    bot_turns = [t for t in turns if t.role == "bot"]
    assert bot_turns[-1].text.startswith("You're booked") and bot_turns[-1].engine_ms is not None
    assert {s.name for s in of_kind(records, SlotFilled)} >= {"patient_name", "birth_date", "reason"}
    assert of_kind(records, Transition)[-1].to_state == "booked"
    assert of_kind(records, Checkpoint)
    (end,) = of_kind(records, CallEnded)
    assert end.status == "completed" and end.final_state == "booked"


async def test_asking_for_a_person_transfers_to_the_scenario_number() -> None:
    async with TextCall(engine_for(TINY), bot_id="tiny") as call:
        assert said(await call.say("can I talk to a person please")) == ["Connecting you to a person."]
    assert null(call).transferred_to == "+15550100999" and not null(call).hung_up
    (end,) = of_kind(call.records, CallEnded)
    assert end.status == "transferred"


async def test_dtmf_digits_reach_the_engine() -> None:
    async with TextCall(engine_for(TINY), bot_id="tiny") as call:
        assert said(await call.send(Dtmf("1"))) == ["Our sales team thanks you. Goodbye."]
    assert null(call).hung_up
    assert of_kind(call.records, Transition)[-1].trigger_type == "dtmf"


async def test_silence_gets_the_reprompt_then_a_polite_end() -> None:
    async with TextCall(engine_for(TINY), bot_id="tiny", no_input_timer=True) as call:
        await asyncio.wait_for(call.agent.done.wait(), timeout=5)
    bot_lines = [t.text for t in of_kind(call.records, Turn) if t.role == "bot"]
    assert bot_lines[1].startswith("Still there? Press 1 or say sales.")
    silences = [t for t in of_kind(call.records, Turn) if t.metadata.get("event") == "no_input"]
    assert len(silences) >= 2  # each timeout is a turn of its own, so a replay feeds it again
    assert "end the call" in bot_lines[-1]
    assert null(call).hung_up
    (end,) = of_kind(call.records, CallEnded)
    assert end.end_reason == "no_input"


async def test_a_caller_who_speaks_stops_the_no_input_timer() -> None:
    async with TextCall(engine_for(TINY), bot_id="tiny", no_input_timer=False) as call:
        await call.send(NoInput())
        assert said(await call.say("sales please")) == ["Our sales team thanks you. Goodbye."]
    (end,) = of_kind(call.records, CallEnded)
    assert end.status == "completed" and end.end_reason == "completed"


async def test_caller_hanging_up_mid_call_is_recorded_as_abandoned() -> None:
    call = TextCall(engine_for(TINY), bot_id="tiny")
    async with call:
        assert not call.ended
    (end,) = of_kind(call.records, CallEnded)
    assert end.status == "abandoned" and end.end_reason == "caller_hangup"
    assert not null(call).hung_up

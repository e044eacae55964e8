"""The LLM is used only where a state asks for it, through the real openai plugin against a local fake."""

from __future__ import annotations

from livekit.agents.utils import http_context

from tests.fakes.openai import Fail, FakeOpenAI
from voicebot.storage.records import ErrorLogged, Turn
from voicebot.telephony.llm import LivekitLLM
from voicebot.telephony.textcall import TextCall

from .conftest import engine_for, of_kind, said

PIZZA = """
version: 1
bot: {id: pizza, name: Pizza, language: en, greeting: "Welcome to Pizza."}
slots:
  size: {type: enum, values: [small, large], prompt: "Small or large?"}
intents:
  order: {examples: [I want to order, order a pizza]}
  chat: {examples: [tell me about your pizza, what do you recommend]}
start: menu
states:
  menu:
    say: "Order, or ask me about pizza."
    transitions:
      - {intent: order, to: pick}
      - {intent: chat, to: chat}
      - {fallback: true, to: bye}
  chat:
    llm: {instructions: "Chat about pizza.", max_turns: 3}
    transitions:
      - {intent: order, to: pick}
      - {event: retries_exhausted, to: bye}
      - {fallback: true, to: bye}
  pick:
    collect: [size]
    transitions:
      - {when: "filled('size')", to: bye}
      - {fallback: true, to: bye}
  bye: {say: "Thanks, bye.", end: true, outcome: done}
"""


async def test_template_states_never_call_the_llm_and_llm_states_do() -> None:
    async with (
        http_context.open(),
        FakeOpenAI(replies=["We bake in a wood oven.", "Pepperoni is our favourite."]) as fake,
    ):
        port = LivekitLLM(fake.llm())
        async with TextCall(engine_for(PIZZA, llm_enabled=True), bot_id="pizza", llm=port) as call:
            assert said(await call.say("I want to order")) == ["Small or large?"]
            assert fake.requests == []  # template states: no round trip
            assert said(await call.say("large")) == ["Thanks, bye."]
        assert fake.requests == [] and port.calls == 0

        port = LivekitLLM(fake.llm())
        async with TextCall(engine_for(PIZZA, llm_enabled=True), bot_id="pizza", llm=port) as call:
            assert said(await call.say("tell me about your pizza")) == ["We bake in a wood oven."]
            assert said(await call.say("what is good here?")) == ["Pepperoni is our favourite."]
        assert len(fake.requests) == 2
        assert fake.requests[-1].last_user_text == "what is good here?"
    bot_turns = [t for t in of_kind(call.records, Turn) if t.role == "bot"]
    assert bot_turns[-1].llm_ms is not None and bot_turns[-1].llm_ms > 0


async def test_llm_failure_gets_a_scripted_apology_and_an_error_row() -> None:
    async with http_context.open(), FakeOpenAI(replies=[Fail(500), Fail(500), Fail(500)]) as fake:
        port = LivekitLLM(fake.llm())
        async with TextCall(engine_for(PIZZA, llm_enabled=True), bot_id="pizza", llm=port) as call:
            await call.say("tell me about your pizza")
            reply = said(await call.say("what is good here?"))
    assert reply == ["Sorry, I can't answer that right now."]
    errors = of_kind(call.records, ErrorLogged)
    assert errors and errors[0].error_type == "llm_error"

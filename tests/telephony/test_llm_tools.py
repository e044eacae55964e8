"""LLM states call declared actions as tools: the real openai plugin against the fake (tool calls), the
engine validating arguments against slot types before the real HTTP runner calls the company's API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from livekit.agents.utils import http_context

from tests.fakes import FakeCompanyApi
from tests.fakes.openai import FakeOpenAI, ToolCall
from voicebot.actions import ActionRegistry
from voicebot.actions.http import HttpActionRunner
from voicebot.outcomes import HostPolicy
from voicebot.telephony.actions import CallActions
from voicebot.telephony.llm import LivekitLLM
from voicebot.telephony.textcall import TextCall

from .conftest import engine_for, said

BOT = """
version: 1
bot: {id: nimbus, name: Nimbus, language: en, greeting: "Nimbus support."}
slots:
  account_number: {type: number, integer: true, prompt: "Your account number?"}
  account_status: {type: enum, values: [active, suspended]}
actions:
  lookup_account:
    description: "Look up the caller's account by its number."
    method: GET
    url: "ORIGIN/v1/accounts/{account_number}"
    result: {account_status: status}
start: chat
states:
  chat:
    say: "How can I help?"
    llm: {instructions: "You are Nimbus support.", tools: [lookup_account], max_turns: 5}
    transitions:
      - {fallback: true, to: bye}
  bye: {say: "Bye.", end: true, outcome: done}
"""


@pytest.fixture
async def api() -> AsyncIterator[FakeCompanyApi]:
    async with FakeCompanyApi() as server:
        yield server


async def _talk(api: FakeCompanyApi, fake: FakeOpenAI, line: str) -> tuple[list[str], dict[str, object]]:
    engine = engine_for(BOT.replace("ORIGIN", api.origin), llm_enabled=True)
    async with HttpActionRunner(policy=HostPolicy.parse("127.0.0.0/8")) as http:
        actions = CallActions(
            ActionRegistry({"http": http}), call_id=uuid.uuid4(), company_id=None, bot_id=None
        )
        port = LivekitLLM(fake.llm())
        async with TextCall(engine, bot_id="nimbus", llm=port, actions=actions) as call:
            await call.say("hi")
            reply = said(await call.say(line))
            slots = dict(call.conversation.call.slots)
    return reply, slots


async def test_the_llm_calls_a_declared_action_and_answers_from_its_result(api: FakeCompanyApi) -> None:
    async with http_context.open(), FakeOpenAI() as fake:
        fake.script(
            "Sure, what's your account number?",
            ToolCall("lookup_account", {"account_number": 77777}),
            "Your account is suspended.",
        )
        reply, slots = await _talk(api, fake, "it's 77777")
    assert reply == ["Your account is suspended."]
    assert [r.path for r in api.requests] == ["/v1/accounts/77777"]
    assert slots["account_number"] == 77777 and slots["account_status"] == "suspended"
    offered = fake.requests[1].tools
    assert [t["function"]["name"] for t in offered] == ["lookup_account"]
    assert offered[0]["function"]["parameters"]["properties"] == {"account_number": {"type": "integer"}}
    assert fake.requests[2].tools == []  # the answer from the result is words, not another call
    assert "Result of lookup_account" in fake.requests[2].messages[0]["content"]


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        (ToolCall("lookup_account", {"account_number": "abc"}), "is not a valid number"),
        (ToolCall("lookup_account", {}), "missing account_number"),
        (ToolCall("lookup_account", {"account_number": 1, "admin": True}), "'admin' is not a parameter"),
        (ToolCall("delete_account", {"account_number": 1}), "not an action you may call here"),
    ],
)
async def test_bad_or_undeclared_calls_are_refused_before_any_request(
    api: FakeCompanyApi, call: ToolCall, reason: str
) -> None:
    async with http_context.open(), FakeOpenAI() as fake:
        fake.script("What's your account number?", call, "Could you tell me your account number?")
        reply, _ = await _talk(api, fake, "check my account")
    assert reply == ["Could you tell me your account number?"]
    assert api.requests == []
    assert reason in fake.requests[2].messages[0]["content"] and fake.requests[2].tools == []

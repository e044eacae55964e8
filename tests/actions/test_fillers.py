"""The filler phrase outside a caller's turn: an action state entered on DTMF speaks it with session.say."""

from __future__ import annotations

import uuid
from typing import Any

from livekit.agents import llm

from tests.fakes import FakeCompanyApi
from tests.telephony.conftest import engine_for
from voicebot.actions import ActionRegistry
from voicebot.actions.http import HttpActionRunner
from voicebot.dialogue import Dtmf
from voicebot.outcomes import HostPolicy
from voicebot.telephony.actions import CallActions
from voicebot.telephony.textcall import TextCall

BOT = """
version: 1
bot: {id: t, name: T, language: en, greeting: "Hello."}
slots:
  account_status: {type: enum, values: [active, suspended]}
actions:
  slow:
    method: GET
    url: "ORIGIN/slow?ms=1000"
    result: {account_status: status}
    filler: "Hold on a second."
    filler_after_ms: 300
start: menu
states:
  menu:
    say: "Press 1 to check."
    transitions:
      - {dtmf: "1", to: check}
      - {fallback: true, to: done}
  check:
    action: {run: slow, ok: done, error: done}
  done: {say: "Your account is {account_status}.", end: true, outcome: done}
"""


async def test_a_slow_action_after_dtmf_says_the_filler_then_the_answer() -> None:
    async with FakeCompanyApi() as api, HttpActionRunner(policy=HostPolicy.parse("127.0.0.0/8")) as http:
        actions = CallActions(
            ActionRegistry({"http": http}), call_id=uuid.uuid4(), company_id=None, bot_id=None
        )
        async with TextCall(
            engine_for(BOT.replace("ORIGIN", api.origin)), bot_id="t", actions=actions
        ) as call:
            heard: list[str] = []

            def added(ev: Any) -> None:
                if isinstance(ev.item, llm.ChatMessage) and ev.item.role == "assistant":
                    heard.append(ev.item.text_content or "")

            call.session.on("conversation_item_added", added)
            results = await call.send(Dtmf("1"))
    assert heard[:2] == ["Hold on a second.", "Your account is active."]
    [(run, done)] = [pair for r in results for pair in r.action_calls]
    assert run.name == "slow" and done.status == "ok" and done.filler is True

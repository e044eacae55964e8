"""Per-state turn-taking on the full audio path (espeak caller -> Silero VAD -> real Deepgram plugin ->
fake Deepgram -> bridge -> real Cartesia plugin -> fake Cartesia): a legal read-out with
``barge_in: false`` plays to the end although the caller talks over it, and an account number read in
two groups with a pause is one caller turn under the ``digits`` preset but cut in two under livekit's
default timing (the single setting every state had before). Real time: seconds per test."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from livekit.agents import vad as lk_vad
from livekit.plugins import silero

from tests.fakes import CallerAudioInput, CapturingAudioOutput, FakeCartesia, FakeDeepgram
from tests.fakes.fixtures import requires_espeak
from voicebot.dialogue import CallContext, Conversation
from voicebot.scenario.model import Providers
from voicebot.storage.records import Record, Turn
from voicebot.telephony.bridge import CallAgent, NullControl
from voicebot.telephony.recording import CallInfo
from voicebot.telephony.session import ProviderConfig, audio_session

from .conftest import engine_for, of_kind

pytestmark = [requires_espeak, pytest.mark.slow]

LEGAL = """
version: 1
bot: {id: legal, name: Legal, language: en,
      greeting: "Before we start, please listen to this notice. Calls are recorded for quality and
                 training purposes, and your data is processed under our privacy policy, which you can
                 read on our website at any time."}
start: notice
states:
  notice:
    barge_in: false
    say: "Do you agree?"
    transitions:
      - {intent: yes, to: done}
      - {fallback: true, to: done}
  done: {say: "Thank you.", end: true, outcome: agreed}
"""

ACCOUNT = """
version: 1
bot: {id: acct, name: Acct, language: en, greeting: "Hello."%s}
slots:
  account: {type: text, input: [speech, dtmf], digits: 8, prompt: "Your account number?"}
start: ask
states:
  ask:
    collect: [account]
    transitions: [{when: "filled('account')", to: done}, {fallback: true, to: done}]
  done: {say: "Thanks.", end: true, outcome: done}
"""
PINNED = "}\nsettings: {turn_taking: {digits: normal}"


@pytest.fixture(scope="module")
def vad() -> lk_vad.VAD:
    return silero.VAD.load()


Call = tuple[CallAgent, CallerAudioInput, CapturingAudioOutput, list[Record]]


@pytest.fixture
def open_call(
    vad: silero.VAD, fake_deepgram: FakeDeepgram, fake_cartesia: FakeCartesia, lk_http: None
) -> Callable[[str], object]:
    @asynccontextmanager
    async def opened(source: str) -> AsyncIterator[Call]:
        config = ProviderConfig(
            fake_deepgram.api_key, fake_deepgram.base_url, fake_cartesia.api_key, fake_cartesia.base_url
        )
        session = audio_session(Providers(), "en", config, vad_model=vad)
        records: list[Record] = []
        agent = CallAgent(
            Conversation(engine_for(source), CallContext(), bot_id="t"),
            info=CallInfo(uuid.uuid4(), None, "t"),
            record=records.append,
            control=NullControl(),
            no_input_timer=False,
        )
        caller, speaker = CallerAudioInput(), CapturingAudioOutput()
        session.input.audio, session.output.audio = caller, speaker
        await session.start(agent)
        try:
            yield agent, caller, speaker, records
        finally:
            caller.close()
            await agent.aclose_tasks()
            await session.aclose()
            await speaker.aclose()
            vad.update_options(min_silence_duration=0.55)

    return opened


async def test_a_read_out_without_barge_in_plays_to_the_end(
    open_call: Callable[[str], object], fake_deepgram: FakeDeepgram
) -> None:
    async with open_call(LEGAL) as (_agent, caller, speaker, records):  # type: ignore[attr-defined]
        fake_deepgram.script("yes")
        await speaker.wait_segment_started(0, timeout=15)
        await asyncio.sleep(1.0)
        await caller.say_and_wait("yes yes I agree")
        notice = await speaker.wait_segment_finished(0, timeout=30)
        assert not notice.interrupted
        assert notice.played >= notice.captured - 0.05
        for _ in range(50):
            bot = [t for t in of_kind(records, Turn) if t.role == "bot"]
            if bot:
                break
            await asyncio.sleep(0.1)
        assert not bot[0].interrupted and bot[0].text.endswith("Do you agree?")


@pytest.mark.parametrize(("pinned", "caller_turns"), [(False, 1), (True, 2)])
async def test_an_account_number_read_with_a_pause(
    pinned: bool, caller_turns: int, open_call: Callable[[str], object], fake_deepgram: FakeDeepgram
) -> None:
    async with open_call(ACCOUNT % (PINNED if pinned else "")) as (agent, caller, speaker, records):  # type: ignore[attr-defined]
        await speaker.wait_segment_finished(0, timeout=15)
        fake_deepgram.script("one two three four", "five six seven eight")
        caller.say("one two three four")
        caller.pause(0.8)
        await caller.say_and_wait("five six seven eight")
        await asyncio.sleep(3.0)
        turns = [t.text for t in of_kind(records, Turn) if t.role == "caller"]
        assert len(turns) == caller_turns
        if not pinned:
            assert turns == ["one two three four five six seven eight"]
            assert agent.conversation.call.slots["account"] == "12345678"

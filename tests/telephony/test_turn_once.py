"""A caller turn is processed exactly once: a caller who pauses mid-sentence and goes on is one turn.

Real audio path (espeak-ng -> Silero VAD -> real Deepgram plugin -> fake Deepgram -> bridge -> real
Cartesia plugin -> fake Cartesia). The fake Deepgram sends a final transcript for the words before the
pause; livekit's preemptive generation would run the reply hook on it before the turn is committed,
which advanced the dialogue and recorded a caller turn that the caller had not finished."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from livekit.agents import AgentSession
from livekit.agents import vad as lk_vad

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

# every caller turn moves one state on: a turn processed twice would skip a state
STEPS = """
version: 1
bot: {id: steps, name: Steps, language: en, greeting: "Hello."}
intents:
  order: {examples: [I would like to order some bread, I would like, to order some bread, bread]}
start: first
states:
  first:
    say: "First question."
    transitions:
      - {intent: order, to: second}
      - {fallback: true, to: second}
  second:
    say: "Second question."
    transitions:
      - {intent: order, to: third}
      - {fallback: true, to: third}
  third: {say: "Third question.", end: true, outcome: lead}
"""


@dataclass
class Call:
    session: AgentSession[None]
    agent: CallAgent
    caller: CallerAudioInput
    speaker: CapturingAudioOutput
    records: list[Record]


@pytest.fixture
async def fake_deepgram() -> AsyncIterator[FakeDeepgram]:
    # a final transcript after 0.25 s of silence (Deepgram's own endpointing is quicker still): a 0.4 s
    # pause then splits the transcript while livekit's VAD (0.55 s of silence) still hears one turn
    async with FakeDeepgram(endpoint_silence=0.25) as fake:
        yield fake


@pytest.fixture
async def call(
    silero_vad: lk_vad.VAD, fake_deepgram: FakeDeepgram, fake_cartesia: FakeCartesia, lk_http: None
) -> AsyncIterator[Call]:
    config = ProviderConfig(
        deepgram_api_key=fake_deepgram.api_key,
        deepgram_base_url=fake_deepgram.base_url,
        cartesia_api_key=fake_cartesia.api_key,
        cartesia_base_url=fake_cartesia.base_url,
    )
    session = audio_session(Providers(), "en", config, vad_model=silero_vad)
    records: list[Record] = []
    conversation = Conversation(engine_for(STEPS), CallContext(call_id="once"), bot_id="steps")
    agent = CallAgent(
        conversation,
        info=CallInfo(call_id=uuid.uuid4(), bot_id=None, bot_slug="steps"),
        record=records.append,
        control=NullControl(),
        no_input_timer=False,
    )
    caller, speaker = CallerAudioInput(), CapturingAudioOutput()
    session.input.audio = caller
    session.output.audio = speaker
    await session.start(agent)
    try:
        yield Call(session, agent, caller, speaker, records)
    finally:
        caller.close()
        await agent.aclose_tasks()
        await session.aclose()
        await speaker.aclose()


async def test_a_caller_who_pauses_and_resumes_is_one_turn(
    call: Call, fake_deepgram: FakeDeepgram, fake_cartesia: FakeCartesia
) -> None:
    # the greeting and the first state's prompt, heard to the end
    await call.speaker.wait_segment_finished(0, timeout=15)
    await asyncio.wait_for(_until(lambda: call.caller.idle and not call.speaker.playing), timeout=15)
    await asyncio.sleep(0.3)

    # "I would like" ... (a pause long enough for Deepgram's final, shorter than the end of turn) ...
    fake_deepgram.script("I would like", "to order some bread")
    call.caller.say("I would like")
    call.caller.pause(0.4)
    await call.caller.say_and_wait("to order some bread")
    finals = await fake_deepgram.wait_finals(2, timeout=10)
    assert finals[-2:] == ["I would like", "to order some bread"]  # the pause did split the transcript

    await asyncio.wait_for(_until(lambda: len(fake_cartesia.spoken) >= 2), timeout=15)
    await asyncio.sleep(1.5)  # time for a second processing of the same words to show up

    caller_turns = [t.text for t in of_kind(call.records, Turn) if t.role == "caller"]
    assert caller_turns == ["I would like to order some bread"]
    assert call.agent.conversation.call.state == "second"
    assert fake_cartesia.spoken == ["Hello. First question.", "Second question."]


async def _until(predicate: object) -> None:
    while not predicate():  # type: ignore[operator]
        await asyncio.sleep(0.05)

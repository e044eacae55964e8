"""The full audio path: espeak caller audio -> Silero VAD -> real Deepgram plugin -> fake Deepgram ->
bridge + engine -> real Cartesia plugin -> fake Cartesia -> captured audio. Real time (seconds a test)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from livekit.agents import AgentSession
from livekit.agents import vad as lk_vad
from livekit.plugins import silero

from tests.fakes import CallerAudioInput, CapturingAudioOutput, FakeCartesia, FakeDeepgram, FakeOpenAI
from tests.fakes.fixtures import requires_espeak
from voicebot.dialogue import CallContext, Conversation
from voicebot.scenario.model import Providers
from voicebot.storage.records import CallEnded, Record, Turn
from voicebot.telephony.bridge import CallAgent, NullControl
from voicebot.telephony.recording import CallInfo
from voicebot.telephony.session import ProviderConfig, audio_session

from .conftest import engine_for, of_kind

pytestmark = [requires_espeak, pytest.mark.slow]

SHOP = """
version: 1
bot: {id: shop, name: Shop, language: en,
      greeting: "Hello and welcome to the corner shop. We sell bread, milk, cheese, fruit and vegetables,
                 and we deliver to the whole town every morning except on Sundays and public holidays."}
intents:
  sales: {examples: [sales please, I want to buy something]}
start: menu
states:
  menu:
    say: "Say sales to order."
    transitions:
      - {intent: sales, to: sales}
      - {fallback: true, to: sales}
  sales: {say: "Thank you, goodbye.", end: true, outcome: lead}
"""


@dataclass
class AudioCall:
    session: AgentSession[None]
    agent: CallAgent
    caller: CallerAudioInput
    speaker: CapturingAudioOutput
    records: list[Record]


@pytest.fixture(scope="module")
def vad() -> lk_vad.VAD:
    return silero.VAD.load()


@pytest.fixture
async def call(
    vad: silero.VAD,
    fake_deepgram: FakeDeepgram,
    fake_cartesia: FakeCartesia,
    fake_openai: FakeOpenAI,
    lk_http: None,
) -> AsyncIterator[AudioCall]:
    config = ProviderConfig(
        deepgram_api_key=fake_deepgram.api_key,
        deepgram_base_url=fake_deepgram.base_url,
        cartesia_api_key=fake_cartesia.api_key,
        cartesia_base_url=fake_cartesia.base_url,
    )
    session = audio_session(Providers(), "en", config, vad_model=vad)
    records: list[Record] = []
    engine = engine_for(SHOP)
    conversation = Conversation(engine, CallContext(call_id="audio"), bot_id="shop")
    import uuid

    agent = CallAgent(
        conversation,
        info=CallInfo(call_id=uuid.uuid4(), bot_id=None, bot_slug="shop"),
        record=records.append,
        control=NullControl(),
    )
    caller, speaker = CallerAudioInput(), CapturingAudioOutput()
    session.input.audio = caller
    session.output.audio = speaker
    await session.start(agent)
    try:
        yield AudioCall(session, agent, caller, speaker, records)
    finally:
        caller.close()
        await agent.aclose_tasks()
        await session.aclose()
        await speaker.aclose()
    assert fake_openai.requests == []  # template states: the LLM is never asked


async def test_caller_barges_into_the_greeting_and_is_answered(
    call: AudioCall, fake_deepgram: FakeDeepgram, fake_cartesia: FakeCartesia
) -> None:
    fake_deepgram.script("sales please")
    greeting = await call.speaker.wait_segment_started(0, timeout=15)
    await asyncio.sleep(1.0)
    await call.caller.say_and_wait("sales please")
    greeting = await call.speaker.wait_segment_finished(0, timeout=10)
    assert greeting.interrupted and greeting.played < greeting.captured

    answer = await call.speaker.wait_segment_finished(1, timeout=15)
    assert not answer.interrupted and answer.played > 0.3
    assert fake_cartesia.spoken[-1] == "Thank you, goodbye."
    await asyncio.wait_for(call.agent.done.wait(), timeout=10)
    assert isinstance(call.agent.control, NullControl) and call.agent.control.hung_up

    turns = of_kind(call.records, Turn)
    bot_turns = [t for t in turns if t.role == "bot"]
    assert bot_turns[0].interrupted
    assert [t.text for t in turns if t.role == "caller"] == ["sales please"]
    final = bot_turns[-1]
    assert final.text == "Thank you, goodbye." and not final.interrupted
    assert final.tts_ms is not None and final.e2e_ms is not None
    caller_turn = next(t for t in turns if t.role == "caller")
    assert caller_turn.stt_ms is not None
    # the provider's confidence (the fake Deepgram's 0.99) is kept for the post-call pipeline
    assert caller_turn.metadata["stt_confidence"] == pytest.approx(0.99)
    # and the word timings Deepgram sent with the final transcript
    words = caller_turn.metadata["words"]
    assert [w["word"] for w in words] == ["sales", "please"]
    assert all(w["end"] > w["start"] >= 0 and w["confidence"] == pytest.approx(0.99) for w in words)
    print(
        f"\nstage latencies (ms): stt={caller_turn.stt_ms} engine={final.engine_ms} "
        f"tts={final.tts_ms} e2e={final.e2e_ms}"
    )
    assert of_kind(call.records, CallEnded)[0].status == "completed"

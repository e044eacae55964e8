"""Outbound calls over the full audio path (espeak callee -> Silero VAD -> real Deepgram plugin -> fake
Deepgram; real Cartesia plugin -> fake Cartesia; hang-up through the real livekit-api client against the
fake LiveKit server): a machine gets the voicemail message after its beep, a person gets the greeting."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from livekit import api
from livekit.agents import AgentSession
from livekit.plugins import silero

from tests.fakes import CallerAudioInput, CapturingAudioOutput, FakeCartesia, FakeDeepgram, FakeLiveKitServer
from tests.fakes.audio import pcm_to_frames
from tests.fakes.fixtures import requires_espeak
from voicebot.dialogue import CallContext, Conversation
from voicebot.scenario.model import Providers
from voicebot.storage.records import CallEnded, Record, Turn
from voicebot.telephony.control import LiveKitControl
from voicebot.telephony.recording import CallInfo
from voicebot.telephony.session import ProviderConfig, audio_session
from voicebot.telephony.voicemail import VoicemailAgent, declares_voicemail

from .conftest import engine_for, of_kind
from .greetings import GREETINGS, RATE, greeting_audio

pytestmark = [requires_espeak, pytest.mark.slow]

OUTBOUND = """
bot: {id: remind, name: Dental Care, language: en, greeting: "Hello, this is Dental Care calling."}
voicemail: {message: "Hello, this is {bot_name}. Please call us back about your appointment. Goodbye."}
start: confirm
states:
  confirm:
    say: "Can you still make it tomorrow?"
    transitions:
      - {intent: yes, to: done}
      - {fallback: true, to: done}
  done: {say: "Thank you, goodbye.", end: true, outcome: confirmed}
"""


@dataclass
class Outbound:
    session: AgentSession[None]
    agent: VoicemailAgent
    callee: CallerAudioInput
    speaker: CapturingAudioOutput
    records: list[Record]
    lkapi: api.LiveKitAPI


@pytest.fixture(scope="module")
def vad() -> silero.VAD:
    return silero.VAD.load()


@pytest.fixture
async def outbound(
    vad: silero.VAD,
    fake_deepgram: FakeDeepgram,
    fake_cartesia: FakeCartesia,
    fake_livekit: FakeLiveKitServer,
    lk_http: None,
) -> AsyncIterator[Outbound]:
    config = ProviderConfig(
        deepgram_api_key=fake_deepgram.api_key,
        deepgram_base_url=fake_deepgram.base_url,
        cartesia_api_key=fake_cartesia.api_key,
        cartesia_base_url=fake_cartesia.base_url,
    )
    session = audio_session(Providers(), "en", config, vad_model=vad)
    engine = engine_for(OUTBOUND)
    assert declares_voicemail(engine.compiled.scenario)
    records: list[Record] = []
    lkapi = fake_livekit.api()
    agent = VoicemailAgent(
        Conversation(engine, CallContext(call_id="out", direction="outbound"), bot_id="remind"),
        info=CallInfo(call_id=uuid.uuid4(), bot_id=None, bot_slug="remind", direction="outbound"),
        record=records.append,
        control=LiveKitControl(lkapi, room="out-1", participant_identity="callee"),
    )
    callee, speaker = CallerAudioInput(), CapturingAudioOutput()
    session.input.audio = callee
    session.output.audio = speaker
    try:
        yield Outbound(session, agent, callee, speaker, records, lkapi)
    finally:
        callee.close()
        await agent.aclose_tasks()
        await session.aclose()
        await speaker.aclose()
        await lkapi.aclose()


async def test_a_machine_gets_the_voicemail_after_its_beep_and_the_call_hangs_up(
    outbound: Outbound, fake_cartesia: FakeCartesia, fake_livekit: FakeLiveKitServer
) -> None:
    machine = GREETINGS[10]  # "The person you are calling is not available. ... after the beep." + beep
    assert machine.label == "machine" and machine.beep
    samples, speech_end = greeting_audio(machine, after=6.0)
    answered = time.time()
    outbound.callee.play(pcm_to_frames(samples.tobytes(), RATE), text=machine.text)
    await outbound.session.start(outbound.agent)
    message = await outbound.speaker.wait_segment_started(0, timeout=20)
    await asyncio.wait_for(outbound.agent.done.wait(), timeout=30)

    assert fake_cartesia.spoken == [
        "Hello, this is Dental Care. Please call us back about your appointment. Goodbye."
    ]  # the greeting and the first question are for people: never spoken
    beep_end = answered + speech_end + 0.4 + 0.5
    assert message.started_at is not None and message.started_at >= beep_end - 0.1  # not over the greeting
    assert message.started_at - beep_end < 2.5
    assert [r.room for r in fake_livekit.calls_to("RoomService/DeleteRoom")] == ["out-1"]
    finished = outbound.agent.finished
    assert finished is not None and (finished.outcome, finished.end_reason) == ("voicemail", "voicemail")
    bot_turns = [t for t in of_kind(outbound.records, Turn) if t.role == "bot"]
    assert [t.metadata["source"] for t in bot_turns] == [["voicemail"]]
    assert of_kind(outbound.records, Turn)[0].role == "bot"  # the machine's greeting is not a caller turn
    assert of_kind(outbound.records, CallEnded)[0].end_reason == "voicemail"


async def test_a_person_who_says_hello_gets_the_greeting(
    outbound: Outbound, fake_cartesia: FakeCartesia, fake_deepgram: FakeDeepgram
) -> None:
    fake_deepgram.script("hello")
    outbound.callee.say("Hello?")
    await outbound.session.start(outbound.agent)
    first = await outbound.speaker.wait_segment_started(0, timeout=20)
    said = outbound.callee.utterances[0]
    assert said.ended_at is not None and first.started_at is not None
    assert 0.5 < first.started_at - said.ended_at < 2.5  # after the person's pause, not over their hello
    await outbound.speaker.wait_segment_finished(0, timeout=20)
    assert fake_cartesia.spoken[0] == "Hello, this is Dental Care calling. Can you still make it tomorrow?"
    assert outbound.agent.detector.verdict == "human"
    await asyncio.sleep(1.0)
    assert len(fake_cartesia.spoken) == 1  # the person's "hello" was not a turn (no reprompt)
    assert [t.text for t in of_kind(outbound.records, Turn) if t.role == "caller"] == []
    assert not outbound.agent.done.is_set()

"""A whole call over the fakes: espeak audio in -> fake Deepgram -> agent -> fake OpenAI -> fake Cartesia ->
captured audio out, with the real AgentSession, plugins and Silero VAD (a trivial echo agent, not voicebot's
bridge). Real time: each test takes a few seconds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from livekit.agents import Agent, AgentSession
from livekit.plugins import silero

from tests.fakes import (
    CallerAudioInput,
    CapturingAudioOutput,
    FakeCartesia,
    FakeDeepgram,
    FakeOpenAI,
    attach_call_audio,
)
from tests.fakes.fixtures import requires_espeak

pytestmark = [requires_espeak, pytest.mark.slow]

STORY = (
    "Once upon a time there was a small salon by the river. "
    "Every morning the owner opened the shutters and swept the floor. "
    "Customers came from the whole town to have their hair cut there. "
    "One day a stranger walked in and asked for something unusual."
)


# playback speed of caller and speaker; 2.0 also passes (measured), but latencies then mean less
SPEED = 1.0


class EchoAgent(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="Repeat what the caller said.")


@dataclass
class Call:
    session: AgentSession
    caller: CallerAudioInput
    speaker: CapturingAudioOutput
    stt: FakeDeepgram
    llm: FakeOpenAI
    tts: FakeCartesia


@pytest.fixture
async def call(
    silero_vad: silero.VAD,
    fake_deepgram: FakeDeepgram,
    fake_openai: FakeOpenAI,
    fake_cartesia: FakeCartesia,
    lk_http: None,
) -> AsyncIterator[Call]:
    session: AgentSession = AgentSession(
        stt=fake_deepgram.stt(),
        llm=fake_openai.llm(),
        tts=fake_cartesia.tts(),
        vad=silero_vad,
        turn_handling={"turn_detection": "vad", "interruption": {"mode": "vad"}},
        aec_warmup_duration=None,
        # at hangup the session waits this long for a final transcript; a silent caller never gets one
        session_close_transcript_timeout=0.3,
    )
    caller, speaker = attach_call_audio(session, speed=SPEED)
    await session.start(EchoAgent())
    try:
        yield Call(session, caller, speaker, fake_deepgram, fake_openai, fake_cartesia)
    finally:
        caller.close()
        await session.aclose()
        await speaker.aclose()


async def test_caller_speech_is_answered_with_audio(call: Call) -> None:
    call.stt.script("hello there")
    call.llm.responder = lambda req: f"You said {req.last_user_text}."
    t0 = time.monotonic()
    said = await call.caller.say_and_wait("hello there")
    heard = await call.speaker.wait_segment_finished(0, timeout=15)

    assert call.stt.finals == ["hello there"]
    assert [r.last_user_text for r in call.llm.requests] == ["hello there"]
    assert call.tts.spoken == ["You said hello there."]
    assert not heard.interrupted
    assert heard.played == pytest.approx(heard.captured, abs=0.05) and heard.played > 0.5
    assert heard.audible_at is not None and said.ended_at is not None
    voice_to_voice = heard.audible_at - said.ended_at
    print(f"\nvoice-to-voice {voice_to_voice:.2f}s; turn took {time.monotonic() - t0:.2f}s")
    assert 0 < voice_to_voice < 3.0


async def test_caller_barging_in_interrupts_the_agent(call: Call) -> None:
    call.stt.script("tell me a story", "stop")
    call.llm.script(STORY, "Okay, I stopped.")
    await call.caller.say_and_wait("tell me a story")
    story = await call.speaker.wait_segment_started(0, timeout=15)
    await asyncio.sleep(1.0)
    barge = await call.caller.say_and_wait("stop")
    story = await call.speaker.wait_segment_finished(0, timeout=10)
    assert story.interrupted
    assert 0.5 < story.played < story.captured - 3.0
    assert barge.started_at is not None and story.ended_at is not None
    reaction = story.ended_at - barge.started_at
    print(f"\nbarge-in: agent silenced {reaction:.2f}s after the caller started")
    assert reaction < 1.5

    answer = await call.speaker.wait_segment_finished(1, timeout=15)
    assert not answer.interrupted
    assert call.tts.spoken[-1] == "Okay, I stopped."
    assert [r.last_user_text for r in call.llm.requests] == ["tell me a story", "stop"]

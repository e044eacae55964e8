"""The real deepgram.STT plugin against FakeDeepgram: scripted transcripts from real (espeak) audio."""

from __future__ import annotations

import asyncio
import time

import pytest
from livekit import rtc
from livekit.agents import APIConnectOptions, APIStatusError, stt

from tests.fakes import FakeDeepgram, silence_frames, speak_to_frames
from tests.fakes.fixtures import requires_espeak

NO_RETRY = APIConnectOptions(max_retry=0, timeout=5.0)


async def _events_until(
    stream: stt.SpeechStream, finals: int, timeout: float = 10.0
) -> list[stt.SpeechEvent]:
    events: list[stt.SpeechEvent] = []
    seen = 0
    async with asyncio.timeout(timeout):
        async for ev in stream:
            if ev.type == stt.SpeechEventType.RECOGNITION_USAGE:
                continue
            events.append(ev)
            if ev.type == stt.SpeechEventType.END_OF_SPEECH:
                seen += 1
                if seen == finals:
                    return events
    return events


def _push(stream: stt.SpeechStream, frames: list[rtc.AudioFrame]) -> None:
    for f in frames:
        stream.push_frame(f)


@requires_espeak
async def test_stream_answers_scripted_transcript_for_spoken_audio(
    fake_deepgram: FakeDeepgram, lk_http: None
) -> None:
    fake_deepgram.script("I would like a haircut tomorrow")
    stream = fake_deepgram.stt().stream(conn_options=NO_RETRY)
    _push(stream, silence_frames(0.3))
    _push(stream, speak_to_frames("I would like a haircut tomorrow"))
    _push(stream, silence_frames(0.8))
    events = await _events_until(stream, finals=1)
    await stream.aclose()

    kinds = [e.type for e in events]
    assert kinds[0] == stt.SpeechEventType.START_OF_SPEECH
    assert stt.SpeechEventType.INTERIM_TRANSCRIPT in kinds
    finals = [e for e in events if e.type == stt.SpeechEventType.FINAL_TRANSCRIPT]
    assert [f.alternatives[0].text for f in finals] == ["I would like a haircut tomorrow"]
    assert kinds[-1] == stt.SpeechEventType.END_OF_SPEECH
    # speech timing is the audio's: it started after the 0.3 s of leading silence
    assert 0.25 <= finals[0].alternatives[0].start_time <= 0.45

    conn = fake_deepgram.connections[0]
    assert conn.query["encoding"] == "linear16" and conn.query["sample_rate"] == "16000"
    assert conn.query["model"] == "nova-3" and conn.query["language"] == "en-US"
    assert conn.audio_seconds > 2.0
    assert conn.controls[0] == "KeepAlive" and conn.controls[-1] == "CloseStream"


@requires_espeak
async def test_each_utterance_consumes_the_next_transcript_and_silence_none(
    fake_deepgram: FakeDeepgram, lk_http: None
) -> None:
    fake_deepgram.script("yes", "my name is Anna")
    stream = fake_deepgram.stt().stream(conn_options=NO_RETRY)
    _push(stream, silence_frames(1.0))
    _push(stream, speak_to_frames("yes"))
    _push(stream, silence_frames(0.8))
    _push(stream, speak_to_frames("my name is Anna"))
    _push(stream, silence_frames(0.8))
    events = await _events_until(stream, finals=2)
    await stream.aclose()
    texts = [e.alternatives[0].text for e in events if e.type == stt.SpeechEventType.FINAL_TRANSCRIPT]
    assert texts == ["yes", "my name is Anna"]
    assert fake_deepgram.finals == ["yes", "my name is Anna"]
    assert all(u.scripted and u.finalized_by == "endpoint" for u in fake_deepgram.utterances)


@requires_espeak
async def test_final_latency_is_injected_after_end_of_speech(lk_http: None) -> None:
    async with FakeDeepgram(final_latency=0.7, transcripts=["hello"]) as fake:
        stream = fake.stt().stream(conn_options=NO_RETRY)
        _push(stream, speak_to_frames("hello"))
        _push(stream, silence_frames(1.0))
        t0 = time.monotonic()
        events = await _events_until(stream, finals=1)
        elapsed = time.monotonic() - t0
        await stream.aclose()
    assert [e.alternatives[0].text for e in events if e.type == stt.SpeechEventType.FINAL_TRANSCRIPT] == [
        "hello"
    ]
    # audio was pushed faster than real time: only the injected part of the latency shows on the clock
    assert elapsed >= 0.7 - fake.endpoint_silence - 0.05


@requires_espeak
async def test_finalize_flushes_the_utterance_in_progress(fake_deepgram: FakeDeepgram, lk_http: None) -> None:
    fake_deepgram.script("cancel my booking")
    stream = fake_deepgram.stt().stream(conn_options=NO_RETRY)
    _push(stream, speak_to_frames("cancel my booking"))
    stream.flush()  # the plugin sends Finalize: no trailing silence needed
    events = await _events_until(stream, finals=1)
    await stream.aclose()
    assert [e.alternatives[0].text for e in events if e.type == stt.SpeechEventType.FINAL_TRANSCRIPT] == [
        "cancel my booking"
    ]
    assert fake_deepgram.utterances[0].finalized_by == "finalize"
    assert "Finalize" in fake_deepgram.connections[0].controls


async def test_wrong_api_key_is_refused_with_401(fake_deepgram: FakeDeepgram, lk_http: None) -> None:
    stream = fake_deepgram.stt(api_key="wrong").stream(conn_options=NO_RETRY)
    stream.push_frame(silence_frames(0.02)[0])
    with pytest.raises(APIStatusError) as info:
        async with asyncio.timeout(5):
            async for _ in stream:
                pass
    assert info.value.status_code == 401
    assert fake_deepgram.connections == []


@requires_espeak
async def test_prerecorded_recognize(fake_deepgram: FakeDeepgram, lk_http: None) -> None:
    fake_deepgram.script("what are your opening hours")
    frames = silence_frames(0.2) + speak_to_frames("what are your opening hours") + silence_frames(0.2)
    event = await fake_deepgram.stt().recognize(frames, conn_options=NO_RETRY)
    assert event.type == stt.SpeechEventType.FINAL_TRANSCRIPT
    assert event.alternatives[0].text == "what are your opening hours"
    silent = await fake_deepgram.stt().recognize(silence_frames(0.5), conn_options=NO_RETRY)
    assert silent.alternatives[0].text == ""

"""The real cartesia.TTS plugin against FakeCartesia: streamed and chunked synthesis of espeak speech."""

from __future__ import annotations

import time

import pytest
from livekit import rtc
from livekit.agents import APIConnectOptions, APIError, APIStatusError

from tests.fakes import FakeCartesia
from tests.fakes.fixtures import requires_espeak
from tests.fakes.speech import rms_dbfs

NO_RETRY = APIConnectOptions(max_retry=0, timeout=5.0)


async def _collect(stream: object) -> list[rtc.AudioFrame]:
    frames = []
    async for ev in stream:  # type: ignore[attr-defined]
        frames.append(ev.frame)
    return frames


@requires_espeak
async def test_stream_synthesizes_every_sentence_and_records_the_text(
    fake_cartesia: FakeCartesia, lk_http: None
) -> None:
    tts = fake_cartesia.tts(sample_rate=24000)
    stream = tts.stream(conn_options=NO_RETRY)
    stream.push_text("Hello, this is the salon. ")
    stream.push_text("How can I help you today?")
    stream.end_input()
    frames = await _collect(stream)
    await stream.aclose()
    await tts.aclose()

    assert fake_cartesia.spoken == ["Hello, this is the salon. How can I help you today?"]
    ctx = fake_cartesia.contexts[0]
    assert ctx.continue_flags[-1] is False and all(ctx.continue_flags[:-1])
    assert ctx.model_id == "sonic-3" and ctx.voice["mode"] == "id"
    assert ctx.output_format == {"container": "raw", "encoding": "pcm_s16le", "sample_rate": 24000}
    assert ctx.done_sent
    pcm = b"".join(bytes(f.data) for f in frames)
    assert {f.sample_rate for f in frames} == {24000}
    seconds = len(pcm) / 2 / 24000
    assert seconds == pytest.approx(ctx.audio_seconds, abs=0.05)
    assert 2.0 < seconds < 8.0
    assert rms_dbfs(pcm) > -40  # speech, not silence


@requires_espeak
async def test_chunked_synthesize_uses_the_bytes_endpoint(fake_cartesia: FakeCartesia, lk_http: None) -> None:
    tts = fake_cartesia.tts(sample_rate=16000)
    frames = await _collect(tts.synthesize("Goodbye.", conn_options=NO_RETRY))
    await tts.aclose()
    assert fake_cartesia.spoken == ["Goodbye."]
    assert fake_cartesia.bytes_requests[0]["transcript"] == "Goodbye."
    assert sum(f.duration for f in frames) > 0.3


async def test_ttfb_is_injected(lk_http: None) -> None:
    async with FakeCartesia(ttfb=0.4, synth=lambda text, rate: b"\x01\x00" * rate) as fake:
        tts = fake.tts()
        stream = tts.stream(conn_options=NO_RETRY)
        t0 = time.monotonic()
        stream.push_text("One.")
        stream.end_input()
        first: float | None = None
        async for _ in stream:
            first = first or time.monotonic() - t0
        await stream.aclose()
        await tts.aclose()
    assert first is not None and first >= 0.4
    assert fake.contexts[0].first_audio_wall is not None


async def test_wrong_key_and_injected_error_fail_the_stream(
    fake_cartesia: FakeCartesia, lk_http: None
) -> None:
    tts = fake_cartesia.tts(api_key="wrong")
    with pytest.raises(APIStatusError) as info:
        await _collect(tts.synthesize("x", conn_options=NO_RETRY))
    assert info.value.status_code == 401
    await tts.aclose()

    fake_cartesia.fail_contexts = 1
    tts = fake_cartesia.tts()
    stream = tts.stream(conn_options=NO_RETRY)
    stream.push_text("Hello.")
    stream.end_input()
    with pytest.raises(APIError):
        await _collect(stream)
    await stream.aclose()
    await tts.aclose()

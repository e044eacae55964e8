"""The warm transfer's consult voice over the audio fakes: the person hears the brief (real Cartesia
plugin -> fake Cartesia), says yes (espeak -> Silero VAD -> real Deepgram plugin -> fake Deepgram), and is
connected (real livekit-api client -> fake LiveKit server). The rtc room join itself needs a media server."""

from __future__ import annotations

import asyncio
import textwrap

import pytest
from livekit.plugins import silero

from tests.fakes import (
    Callee,
    CallerAudioInput,
    CapturingAudioOutput,
    FakeCartesia,
    FakeDeepgram,
    FakeLiveKitServer,
)
from tests.fakes.fixtures import requires_espeak
from voicebot.scenario.model import Providers
from voicebot.telephony.consult import SessionConsultVoice, decision_of
from voicebot.telephony.session import ProviderConfig, audio_session
from voicebot.telephony.textcall import TextCall
from voicebot.telephony.warm_transfer import LiveKitWarmLine

from .conftest import engine_for
from .test_warm_transfer import AGENT, SCENARIO


def test_yes_and_no_from_the_offline_nlu() -> None:
    assert decision_of("yes put them through", "en") == "accept"
    assert decision_of("sure", "en") == "accept"
    assert decision_of("no sorry I am busy", "en") == "decline"
    assert decision_of("да, соединяйте", "ru") == "accept"
    assert decision_of("what is the weather", "en") is None


@requires_espeak
@pytest.mark.slow
async def test_the_person_hears_the_brief_says_yes_and_is_connected(
    fake_deepgram: FakeDeepgram, fake_cartesia: FakeCartesia, fake_livekit: FakeLiveKitServer, lk_http: None
) -> None:
    config = ProviderConfig(
        deepgram_api_key=fake_deepgram.api_key,
        deepgram_base_url=fake_deepgram.base_url,
        cartesia_api_key=fake_cartesia.api_key,
        cartesia_base_url=fake_cartesia.base_url,
    )
    session = audio_session(Providers(), "en", config, vad_model=silero.VAD.load())
    person, heard = CallerAudioInput(), CapturingAudioOutput()
    session.input.audio, session.output.audio = person, heard
    voice = SessionConsultVoice(session)
    await voice.start()
    fake_deepgram.script("yes put them through")
    fake_livekit.rooms.script_callee(AGENT, Callee("answered", ring_seconds=0.1))
    fake_livekit.rooms.join("call-9", "sip-caller")
    client = fake_livekit.api()
    scenario = textwrap.dedent(SCENARIO).replace("accept_timeout: 3", "accept_timeout: 20")
    line = LiveKitWarmLine(
        client, room="call-9", caller_identity="sip-caller", trunk_id="ST_out", voice=lambda r, i: voice
    )
    try:
        async with TextCall(engine_for(scenario), bot_id="salon", warm_line=line) as call:
            await call.say("my name is Anna")
            brief = await heard.wait_segment_finished(0, timeout=30)
            assert not brief.interrupted and brief.played > 2.0
            await person.say_and_wait("yes, put them through")
            await asyncio.wait_for(call.agent.done.wait(), timeout=20)
    finally:
        person.close()
        await voice.aclose()
        await heard.aclose()
        await client.aclose()
    assert fake_cartesia.spoken[0].startswith("Anna is calling about a booking. Details: name: Anna.")
    assert voice.heard_texts == ["yes put them through"]
    finished = call.agent.finished
    assert (
        finished is not None and finished.transfer is not None and finished.transfer["result"] == "connected"
    )
    assert finished.transfer["agent"] in fake_livekit.rooms.rooms["call-9"]


async def test_keys_1_and_2_accept_and_decline() -> None:
    from voicebot.telephony.session import text_session

    voice = SessionConsultVoice(text_session())
    voice.dtmf("5")
    voice.dtmf("2")
    voice.dtmf("1")
    queue = voice.decisions()
    assert [queue.get_nowait(), queue.get_nowait()] == ["decline", "accept"] and queue.empty()

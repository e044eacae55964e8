"""The caller hears hold music during a warm transfer (audio path: real Cartesia plugin -> fake Cartesia,
captured output; the person answers after 4 s through the fake LiveKit server) and it stops on connect."""

from __future__ import annotations

import asyncio
import uuid

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
from tests.fakes.speech import rms_dbfs
from voicebot.dialogue import CallContext, Conversation
from voicebot.scenario.model import Providers
from voicebot.telephony.bridge import CallAgent
from voicebot.telephony.control import LiveKitControl
from voicebot.telephony.recording import CallInfo
from voicebot.telephony.session import ProviderConfig, audio_session
from voicebot.telephony.warm_transfer import LiveKitWarmLine, WarmTransfers

from .conftest import engine_for

pytestmark = [requires_espeak, pytest.mark.slow]

AGENT = "+4930555000"
HANDOVER = f"""
bot: {{id: desk, name: Desk, language: en, greeting: "Hello."}}
start: handover
states:
  handover:
    say: "One moment."
    transfer: {{mode: warm, to: "{AGENT}", fallback: sorry, timeout: 10}}
    outcome: transferred
  sorry: {{say: "Sorry, nobody is free.", end: true, outcome: missed}}
"""


async def test_hold_music_plays_until_the_person_is_connected(
    fake_deepgram: FakeDeepgram, fake_cartesia: FakeCartesia, fake_livekit: FakeLiveKitServer, lk_http: None
) -> None:
    config = ProviderConfig(
        deepgram_api_key=fake_deepgram.api_key,
        deepgram_base_url=fake_deepgram.base_url,
        cartesia_api_key=fake_cartesia.api_key,
        cartesia_base_url=fake_cartesia.base_url,
    )
    session = audio_session(Providers(), "en", config, vad_model=silero.VAD.load())
    fake_livekit.rooms.script_callee(
        AGENT, Callee("answered", ring_seconds=4.0, attributes={"voicebot.transfer": "accept"})
    )
    fake_livekit.rooms.join("call-h", "sip-caller")
    client = fake_livekit.api()
    warm = WarmTransfers(
        LiveKitWarmLine(
            client, room="call-h", caller_identity="sip-caller", trunk_id="ST_out", poll_seconds=0.05
        )
    )
    agent = CallAgent(
        Conversation(engine_for(HANDOVER), CallContext(call_id="h"), bot_id="desk"),
        info=CallInfo(call_id=uuid.uuid4(), bot_id=None, bot_slug="desk"),
        record=lambda _r: None,
        control=LiveKitControl(client, room="call-h", participant_identity="sip-caller"),
        on_result=warm.on_result,
    )
    warm.attach(agent)
    caller, speaker = CallerAudioInput(), CapturingAudioOutput()
    session.input.audio, session.output.audio = caller, speaker
    try:
        await session.start(agent)
        await asyncio.wait_for(agent.done.wait(), timeout=30)
        hold = await speaker.wait_segment_finished(1, timeout=10)
    finally:
        caller.close()
        await agent.aclose_tasks()
        await session.aclose()
        await speaker.aclose()
        await client.aclose()
    assert fake_cartesia.spoken == ["Hello. One moment."]  # the hold segment is music, not speech
    # the dial starts at once: the music fills the 4 s of ringing left after "Hello. One moment." (~1.7 s)
    assert 1.5 < hold.played < 3.5 and hold.interrupted  # stopped (buffer dropped) on connect
    assert rms_dbfs(bytes(hold.pcm)) > -55  # music (the clip starts softly, about -41 dBFS), not silence
    assert agent.finished is not None and agent.finished.transfer is not None
    assert agent.finished.transfer["result"] == "connected"

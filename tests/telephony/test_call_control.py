"""Hang-up, transfer and outbound calls against the local fake of LiveKit's server API (Twirp)."""

from __future__ import annotations

import json

import pytest

from tests.fakes.livekit_server import FakeLiveKitServer, TwirpFailure
from voicebot.errors import ConfigError, ProviderError
from voicebot.storage.records import CallEnded, ErrorLogged
from voicebot.telephony.control import AGENT_NAME, LiveKitControl, livekit_api, place_call
from voicebot.telephony.textcall import TextCall

from .conftest import engine_for, of_kind, said
from .test_text_calls import TINY


async def test_terminal_state_deletes_the_room(fake_livekit: FakeLiveKitServer) -> None:
    async with livekit_api(fake_livekit.url, fake_livekit.api_key, fake_livekit.api_secret) as client:
        control = LiveKitControl(client, room="call-1", participant_identity="sip-caller")
        async with TextCall(engine_for(TINY), bot_id="tiny", control=control) as call:
            assert said(await call.say("sales please")) == ["Our sales team thanks you. Goodbye."]
    assert [r.room for r in fake_livekit.calls_to("RoomService/DeleteRoom")] == ["call-1"]


async def test_transfer_to_a_human_is_a_sip_transfer_to_the_scenario_number(
    fake_livekit: FakeLiveKitServer,
) -> None:
    async with livekit_api(fake_livekit.url, fake_livekit.api_key, fake_livekit.api_secret) as client:
        control = LiveKitControl(client, room="call-2", participant_identity="sip-caller")
        async with TextCall(engine_for(TINY), bot_id="tiny", control=control) as call:
            await call.say("can I talk to a person please")
    (transfer,) = fake_livekit.calls_to("SIP/TransferSIPParticipant")
    assert (transfer.room_name, transfer.participant_identity, transfer.transfer_to) == (
        "call-2",
        "sip-caller",
        "tel:+15550100999",
    )
    assert fake_livekit.calls_to("RoomService/DeleteRoom") == []
    assert of_kind(call.records, CallEnded)[0].status == "transferred"


async def test_a_failed_transfer_hangs_up_and_is_logged(fake_livekit: FakeLiveKitServer) -> None:
    fake_livekit.fail_next("SIP/TransferSIPParticipant", TwirpFailure(500, "internal", "trunk down"))
    async with livekit_api(fake_livekit.url, fake_livekit.api_key, fake_livekit.api_secret) as client:
        control = LiveKitControl(client, room="call-3", participant_identity="sip-caller")
        async with TextCall(engine_for(TINY), bot_id="tiny", control=control) as call:
            await call.say("can I talk to a person please")
    assert [r.room for r in fake_livekit.calls_to("RoomService/DeleteRoom")] == ["call-3"]
    (error,) = of_kind(call.records, ErrorLogged)
    assert error.error_type == "call_control_error"


async def test_outbound_call_dispatches_the_worker_and_dials_from_the_bot_number(
    fake_livekit: FakeLiveKitServer,
) -> None:
    async with livekit_api(fake_livekit.url, fake_livekit.api_key, fake_livekit.api_secret) as client:
        placed = await place_call(client, number="+14155550123", bot_number="+14155550100", trunk_id="ST_out")
    (dispatch,) = fake_livekit.calls_to("AgentDispatchService/CreateDispatch")
    assert dispatch.agent_name == AGENT_NAME and dispatch.room == placed.room
    assert json.loads(dispatch.metadata) == {
        "direction": "outbound",
        "bot_number": "+14155550100",
        "to": "+14155550123",
    }
    (sip,) = fake_livekit.calls_to("SIP/CreateSIPParticipant")
    assert (sip.sip_trunk_id, sip.sip_call_to, sip.sip_number, sip.room_name) == (
        "ST_out",
        "+14155550123",
        "+14155550100",
        placed.room,
    )


async def test_outbound_call_failure_is_a_provider_error(fake_livekit: FakeLiveKitServer) -> None:
    fake_livekit.fail_next(
        "SIP/CreateSIPParticipant",
        TwirpFailure(
            400, "failed_precondition", "busy", {"sip_status_code": "486", "sip_status": "Busy Here"}
        ),
    )
    async with livekit_api(fake_livekit.url, fake_livekit.api_key, fake_livekit.api_secret) as client:
        with pytest.raises(ProviderError) as caught:
            await place_call(client, number="+14155550123", bot_number="+14155550100", trunk_id="ST_out")
    assert caught.value.provider == "livekit"


async def test_missing_livekit_settings_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="LIVEKIT_URL"):
        async with livekit_api(None, "k", "s"):
            pass

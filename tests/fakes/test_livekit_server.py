"""livekit.api.LiveKitAPI against FakeLiveKitServer: Twirp protobuf calls, JWT checks, injected errors."""

from __future__ import annotations

import pytest
from livekit import api
from livekit.protocol import sip as sip_pb

from tests.fakes import FakeLiveKitServer, TwirpFailure


async def test_delete_room_transfer_and_create_sip_participant_reach_the_fake(
    fake_livekit: FakeLiveKitServer,
) -> None:
    lkapi = fake_livekit.api()
    try:
        await lkapi.room.delete_room(api.DeleteRoomRequest(room="call-42"))
        resp = await lkapi.sip.transfer_sip_participant(
            api.TransferSIPParticipantRequest(
                room_name="call-42", participant_identity="sip_caller", transfer_to="tel:+4930123456"
            )
        )
        info = await lkapi.sip.create_sip_participant(
            api.CreateSIPParticipantRequest(
                sip_trunk_id="ST_out",
                sip_call_to="+4930999",
                room_name="call-43",
                participant_identity="callee",
            )
        )
    finally:
        await lkapi.aclose()

    assert [r.room for r in fake_livekit.calls_to("RoomService/DeleteRoom")] == ["call-42"]
    [transfer] = fake_livekit.calls_to("SIP/TransferSIPParticipant")
    assert (transfer.room_name, transfer.participant_identity, transfer.transfer_to) == (
        "call-42",
        "sip_caller",
        "tel:+4930123456",
    )
    assert resp.status == sip_pb.SIPTransferStatus.STS_TRANSFER_SUCCESSFUL
    [create] = fake_livekit.calls_to("SIP/CreateSIPParticipant")
    assert (create.sip_trunk_id, create.sip_call_to, create.room_name) == ("ST_out", "+4930999", "call-43")
    assert info.room_name == "call-43" and info.participant_identity == "callee"
    assert fake_livekit.calls[1].claims.sip.call is True


async def test_bad_credentials_get_401_and_nothing_is_recorded(fake_livekit: FakeLiveKitServer) -> None:
    lkapi = fake_livekit.api(api_secret="not-the-secret-but-long-enough-for-hs256")
    try:
        with pytest.raises(api.ServerError) as info:
            await lkapi.room.delete_room(api.DeleteRoomRequest(room="r"))
    finally:
        await lkapi.aclose()
    assert info.value.status == 401 and info.value.code == "unauthenticated"
    assert fake_livekit.calls == [] and fake_livekit.rejected[0][:2] == ("RoomService/DeleteRoom", 401)


async def test_injected_sip_failure_raises_sip_call_error(fake_livekit: FakeLiveKitServer) -> None:
    fake_livekit.fail_next(
        "SIP/TransferSIPParticipant",
        TwirpFailure(
            status=400,
            code="failed_precondition",
            msg="busy",
            meta={"sip_status_code": "486", "sip_status": "Busy"},
        ),
    )
    lkapi = fake_livekit.api()
    try:
        with pytest.raises(api.SipCallError) as info:
            await lkapi.sip.transfer_sip_participant(
                api.TransferSIPParticipantRequest(
                    room_name="r", participant_identity="p", transfer_to="tel:+1"
                )
            )
    finally:
        await lkapi.aclose()
    assert info.value.sip_status_code == 486
    assert len(fake_livekit.calls_to("SIP/TransferSIPParticipant")) == 1

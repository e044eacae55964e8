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


async def _dial(
    lkapi: api.LiveKitAPI, number: str, *, wait: bool, room: str = "out-1"
) -> sip_pb.SIPParticipantInfo:
    return await lkapi.sip.create_sip_participant(
        api.CreateSIPParticipantRequest(
            sip_trunk_id="ST_out",
            sip_call_to=number,
            room_name=room,
            participant_identity=f"callee-{number}",
            wait_until_answered=wait,
        )
    )


@pytest.mark.parametrize(
    ("answer", "code"), [("busy", 486), ("no-answer", 480), ("declined", 603), ("unreachable", 404)]
)
async def test_a_scripted_callee_fails_the_waiting_dial_with_its_sip_status(
    fake_livekit: FakeLiveKitServer, answer: str, code: int
) -> None:
    fake_livekit.rooms.script_callee("+4930111", answer=answer)
    lkapi = fake_livekit.api()
    try:
        with pytest.raises(api.SipCallError) as info:
            await _dial(lkapi, "+4930111", wait=True)
    finally:
        await lkapi.aclose()
    assert info.value.sip_status_code == code
    assert fake_livekit.rooms.sip_status["callee-+4930111"] == ["ringing", "hangup"]
    assert "callee-+4930111" not in fake_livekit.rooms.rooms.get("out-1", {})


async def test_a_callee_ringing_past_the_ringing_timeout_is_a_no_answer(
    fake_livekit: FakeLiveKitServer,
) -> None:
    fake_livekit.rooms.script_callee("+4930222", answer="answered", ring_seconds=30)
    lkapi = fake_livekit.api()
    try:
        req = api.CreateSIPParticipantRequest(
            sip_trunk_id="ST_out", sip_call_to="+4930222", room_name="r", wait_until_answered=True
        )
        req.ringing_timeout.seconds = 1
        with pytest.raises(api.SipCallError) as info:
            await lkapi.sip.create_sip_participant(req)
    finally:
        await lkapi.aclose()
    assert info.value.sip_status_code == 480


async def test_without_waiting_the_participant_rings_then_is_active_or_leaves(
    fake_livekit: FakeLiveKitServer,
) -> None:
    rooms = fake_livekit.rooms
    rooms.script_callee("+1", answer="answered", ring_seconds=0.05)
    rooms.script_callee("+2", answer="busy", ring_seconds=0.05)
    lkapi = fake_livekit.api()
    try:
        await _dial(lkapi, "+1", wait=False)
        await _dial(lkapi, "+2", wait=False)
        early = await lkapi.room.get_participant(
            api.RoomParticipantIdentity(room="out-1", identity="callee-+1")
        )
        await rooms.wait_for(lambda: rooms.sip_status["callee-+1"][-1] == "active")
        await rooms.wait_for(lambda: "callee-+2" not in rooms.rooms["out-1"])
        listed = await lkapi.room.list_participants(api.ListParticipantsRequest(room="out-1"))
    finally:
        await lkapi.aclose()
    assert early.attributes["sip.callStatus"] in ("dialing", "ringing")
    assert [p.identity for p in listed.participants] == ["callee-+1"]
    assert listed.participants[0].attributes["sip.callStatus"] == "active"
    assert rooms.sip_status["callee-+2"] == ["dialing", "ringing", "hangup"]
    assert ("left", "callee-+2", "busy") in rooms.events_of("out-1")


async def test_mute_update_and_move_change_what_get_participant_answers(
    fake_livekit: FakeLiveKitServer,
) -> None:
    rooms = fake_livekit.rooms
    caller = rooms.join("call-1", "caller", attributes={"sip.phoneNumber": "+49301"})
    [track] = caller.tracks
    lkapi = fake_livekit.api()
    try:
        await lkapi.room.mute_published_track(
            api.MuteRoomTrackRequest(room="call-1", identity="caller", track_sid=track, muted=True)
        )
        await lkapi.room.update_participant(
            api.UpdateParticipantRequest(room="call-1", identity="caller", attributes={"voicebot.hold": "on"})
        )
        held = await lkapi.room.get_participant(api.RoomParticipantIdentity(room="call-1", identity="caller"))
        rooms.join("call-1-consult", "agent")
        await lkapi.room.move_participant(
            api.MoveParticipantRequest(room="call-1-consult", identity="agent", destination_room="call-1")
        )
        with pytest.raises(api.ServerError) as missing:
            await lkapi.room.get_participant(api.RoomParticipantIdentity(room="call-1", identity="nobody"))
    finally:
        await lkapi.aclose()
    assert held.tracks[0].muted is True and held.attributes["voicebot.hold"] == "on"
    assert set(rooms.rooms["call-1"]) == {"caller", "agent"} and rooms.rooms["call-1-consult"] == {}
    assert missing.value.status == 404
    assert [e[0] for e in rooms.events_of("call-1")] == ["joined", "muted", "updated", "moved_in"]

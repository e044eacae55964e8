"""FakeRoom: a real rtc.Room fed the SDK's room events emits SIP DTMF from the participant who joined;
the fake local participant records published keys and fails like the real one when told to."""

from __future__ import annotations

import pytest
from livekit import rtc
from livekit.rtc.participant import PublishDTMFError

from tests.fakes import FakeRoom


async def test_keys_pressed_arrive_as_sip_dtmf_from_the_participant() -> None:
    room = FakeRoom("r1")
    got: list[tuple[int, str, str | None]] = []
    room.room.on(
        "sip_dtmf_received",
        lambda ev: got.append((ev.code, ev.digit, ev.participant.identity if ev.participant else None)),
    )
    caller = room.join_sip("sip_caller", {"sip.phoneNumber": "+15555550100"})
    assert caller.kind == rtc.ParticipantKind.PARTICIPANT_KIND_SIP
    assert caller.attributes["sip.phoneNumber"] == "+15555550100" and room.room.name == "r1"
    room.press("sip_caller", "1*#")
    room.press("stranger", "2")
    assert got == [(1, "1", "sip_caller"), (10, "*", "sip_caller"), (11, "#", "sip_caller"), (2, "2", None)]
    room.leave("sip_caller")
    assert "sip_caller" not in room.room.remote_participants


async def test_published_dtmf_is_recorded_and_can_fail() -> None:
    room = FakeRoom()
    await room.room.local_participant.publish_dtmf(code=11, digit="#")
    assert room.local.digits == "#"
    with pytest.raises(PublishDTMFError):
        await room.local.publish_dtmf(code=3, digit="4")
    room.local.fail_next()
    with pytest.raises(PublishDTMFError):
        await room.local.publish_dtmf(code=4, digit="4")
    assert room.local.digits == "#"

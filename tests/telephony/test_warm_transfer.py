"""Warm transfer end to end: a text call's engine and bridge, LiveKit's real server-API client, the fake
LiveKit server ringing a scripted person (answers and accepts, is busy, declines, hangs up)."""

from __future__ import annotations

import asyncio
import textwrap

from livekit import api

from tests.fakes import Callee, FakeLiveKitServer
from voicebot.dialogue import CallFinished
from voicebot.storage.records import CallEnded, Transition
from voicebot.telephony.bridge import CallAgent
from voicebot.telephony.textcall import TextCall
from voicebot.telephony.warm_transfer import LiveKitWarmLine

from .conftest import engine_for, of_kind, said

AGENT = "+4930555000"
SCENARIO = textwrap.dedent(
    f"""
    bot: {{id: salon, name: Salon, language: en, greeting: "Salon, hello."}}
    slots:
      name: {{type: text, prompt: "Your name?"}}
    start: ask
    states:
      ask:
        collect: [name]
        transitions:
          - {{when: "filled('name')", to: handover}}
          - {{fallback: true, to: handover}}
      handover:
        say: "One moment, I'll put you through."
        transfer: {{mode: warm, to: "{AGENT}", brief: "{{name}} is calling about a booking.",
                   hold_audio: silence, timeout: 5, accept_timeout: 3, fallback: take_message}}
        outcome: transferred
      take_message:
        say: "Sorry, nobody can take your call right now. What message should I pass on?"
        transitions:
          - {{event: utterance, to: bye}}
          - {{fallback: true, to: bye}}
      bye: {{say: "Thank you, we will call you back. Goodbye.", end: true, outcome: message_taken}}
    """
)


async def _wait_done(agent: CallAgent, timeout: float = 10) -> None:
    await asyncio.wait_for(agent.done.wait(), timeout)


async def _on_hold_until_result(call: TextCall, timeout: float = 10) -> None:
    """Wait until the warm transfer has answered the engine (the caller is no longer on hold)."""

    async def settled() -> None:
        while call.conversation.on_hold:
            await asyncio.sleep(0.02)

    await asyncio.wait_for(settled(), timeout)


def _line(fake: FakeLiveKitServer, client: api.LiveKitAPI, room: str) -> LiveKitWarmLine:
    fake.rooms.join(room, "sip-caller", attributes={"sip.phoneNumber": "+4930111222"})
    return LiveKitWarmLine(
        client, room=room, caller_identity="sip-caller", trunk_id="ST_out", poll_seconds=0.05
    )


async def test_the_person_accepts_and_is_connected_to_the_caller(fake_livekit: FakeLiveKitServer) -> None:
    fake_livekit.rooms.script_callee(
        AGENT, Callee("answered", ring_seconds=0.1, attributes={"voicebot.transfer": "accept"})
    )
    client = fake_livekit.api()
    try:
        call = TextCall(engine_for(SCENARIO), bot_id="salon", warm_line=_line(fake_livekit, client, "call-1"))
        async with call:
            assert said(await call.say("my name is Anna")) == ["One moment, I'll put you through."]
            assert (
                said(await call.say("hello? are you there?")) == []
            )  # on hold: nothing the caller says counts
            await _wait_done(call.agent)
    finally:
        await client.aclose()
    rooms = fake_livekit.rooms
    [dial] = fake_livekit.calls_to("SIP/CreateSIPParticipant")
    assert (dial.sip_call_to, dial.room_name, dial.wait_until_answered) == (AGENT, "call-1-consult", True)
    assert dial.ringing_timeout.seconds == 5
    agent_id = dial.participant_identity
    assert set(rooms.rooms["call-1"]) == {"sip-caller", agent_id}  # the person is in the caller's room
    assert (
        rooms.rooms["call-1"][agent_id]
        .attributes["voicebot.brief"]
        .startswith("Anna is calling about a booking. Details: name: Anna.")
    )
    caller_events = [e[0] for e in rooms.events_of("call-1") if e[1] == "sip-caller"]
    assert caller_events[:3] == ["joined", "muted", "updated"] and caller_events[-2:] == [
        "unmuted",
        "updated",
    ]
    assert rooms.rooms["call-1"]["sip-caller"].audio_track.muted is False  # type: ignore[union-attr]
    assert fake_livekit.calls_to("RoomService/DeleteRoom") == []  # the bot leaves; the call goes on
    finished = call.agent.finished
    assert isinstance(finished, CallFinished)
    assert (finished.outcome, finished.end_reason) == ("transferred", "transferred")
    assert finished.transfer == {"mode": "warm", "to": AGENT, "result": "connected", "agent": agent_id}
    ended = of_kind(call.records, CallEnded)[0]
    assert ended.status == "transferred"
    assert ended.decision is not None and ended.decision["transfer"]["agent"] == agent_id  # for the sweeper


async def test_a_busy_person_brings_the_caller_back_to_leave_a_message(
    fake_livekit: FakeLiveKitServer,
) -> None:
    before = _count("warm", "busy")
    fake_livekit.rooms.script_callee(AGENT, answer="busy")
    client = fake_livekit.api()
    try:
        call = TextCall(engine_for(SCENARIO), bot_id="salon", warm_line=_line(fake_livekit, client, "call-2"))
        async with call:
            await call.say("my name is Anna")
            await _on_hold_until_result(call)
            assert call.conversation.call.state == "take_message"
            # what the bot said when the caller came back, then its answer to the message
            assert said(await call.say("please call me back tomorrow")) == [
                "Sorry, nobody can take your call right now. What message should I pass on?",
                "Thank you, we will call you back. Goodbye.",
            ]
    finally:
        await client.aclose()
    finished = call.agent.finished
    assert finished is not None and finished.outcome == "message_taken"
    assert finished.transfer == {"mode": "warm", "to": AGENT, "result": "busy", "agent": None}
    fallback = [t for t in of_kind(call.records, Transition) if t.trigger_type == "transfer_fallback"]
    assert [(t.from_state, t.to_state, t.trigger_data) for t in fallback] == [
        ("handover", "take_message", {"result": "busy"})
    ]
    assert fake_livekit.rooms.rooms["call-2"]["sip-caller"].audio_track.muted is False  # type: ignore[union-attr]
    assert _count("warm", "busy") == before + 1


def _count(mode: str, result: str) -> float:
    from prometheus_client import REGISTRY

    value = REGISTRY.get_sample_value("voicebot_transfers_total", {"mode": mode, "result": result})
    return value or 0.0


async def test_a_person_who_declines_is_hung_up_and_the_caller_comes_back(
    fake_livekit: FakeLiveKitServer,
) -> None:
    rooms = fake_livekit.rooms
    rooms.script_callee(AGENT, Callee("answered", ring_seconds=0.05))
    client = fake_livekit.api()
    try:
        call = TextCall(engine_for(SCENARIO), bot_id="salon", warm_line=_line(fake_livekit, client, "call-3"))
        async with call:
            await call.say("my name is Anna")
            await rooms.wait_for(
                lambda: any(
                    "voicebot.brief" in p.attributes for p in rooms.rooms.get("call-3-consult", {}).values()
                )
            )
            [person] = rooms.rooms["call-3-consult"]
            rooms.set_attributes("call-3-consult", person, **{"voicebot.transfer": "decline"})
            await _on_hold_until_result(call)
            assert call.conversation.call.state == "take_message"
    finally:
        await client.aclose()
    assert rooms.rooms["call-3-consult"] == {}  # the person's leg was removed
    assert ("left", person, "removed") in rooms.events_of("call-3-consult")
    assert call.agent.finished is not None and call.agent.finished.transfer["result"] == "declined"  # type: ignore[index]


async def test_a_person_who_answers_but_never_decides_is_a_no_answer(fake_livekit: FakeLiveKitServer) -> None:
    fake_livekit.rooms.script_callee(AGENT, Callee("answered"))
    client = fake_livekit.api()
    try:
        call = TextCall(engine_for(SCENARIO), bot_id="salon", warm_line=_line(fake_livekit, client, "call-4"))
        async with call:
            await call.say("my name is Anna")
            await _on_hold_until_result(call)
            assert call.conversation.call.transfer["result"] == "no_answer"  # type: ignore[index]
            assert call.conversation.call.state == "take_message"
    finally:
        await client.aclose()


async def test_the_caller_hanging_up_on_hold_releases_the_person(fake_livekit: FakeLiveKitServer) -> None:
    rooms = fake_livekit.rooms
    rooms.script_callee(AGENT, Callee("answered", ring_seconds=0.05))
    client = fake_livekit.api()
    try:
        call = TextCall(engine_for(SCENARIO), bot_id="salon", warm_line=_line(fake_livekit, client, "call-5"))
        async with call:
            await call.say("my name is Anna")
            await rooms.wait_for(lambda: bool(rooms.rooms.get("call-5-consult")))
            await call.agent.caller_hung_up("caller_hangup")
            await rooms.wait_for(lambda: rooms.rooms["call-5-consult"] == {})
    finally:
        await client.aclose()
    finished = call.agent.finished
    assert finished is not None and finished.end_reason == "caller_hangup"


async def test_without_a_phone_line_the_transfer_falls_back_at_once() -> None:
    async with TextCall(engine_for(SCENARIO), bot_id="salon") as call:
        await call.say("my name is Anna")
        await _on_hold_until_result(call)
        assert call.conversation.call.state == "take_message"
        assert call.conversation.call.transfer["result"] == "failed"  # type: ignore[index]

"""Warm transfer: hold the caller, call a person, brief them, connect on acceptance, else come back.

The engine asks with a :class:`~voicebot.dialogue.WarmTransfer` action (after the state's "one moment"
has been spoken) and waits for a :class:`~voicebot.dialogue.TransferResult`. :class:`WarmTransfers`
watches the call's results (the bridge's ``on_result`` hook), runs the steps below in a task owned by the
call, and answers the engine:

1. hold: the caller's microphone is muted server-side (MutePublishedTrack, so nothing they say on hold
   reaches the bot or, later, the person) and the participant gets ``voicebot.hold=on``; hold audio
   (livekit's hold music clip, looped) plays to the caller through the call's session.
2. dial: the person is dialled into a consult room ``<room>-consult`` (CreateSIPParticipant,
   ``wait_until_answered``, ``ringing_timeout`` = the transfer's ``timeout``). A SIP failure maps to the
   result: 486/600 ``busy``, 480/408/487 ``no_answer``, 603 ``declined``, anything else ``failed``.
3. brief: the brief is set as the person's participant attribute ``voicebot.brief`` (agent softphones and
   consoles show it) and, when a :class:`ConsultVoice` is given, spoken to them in the consult room.
4. decision: the person accepts or declines by DTMF 1/2 or a spoken yes/no heard by the consult voice,
   or by setting the attribute ``voicebot.transfer`` to ``accept``/``decline`` (a console button); hanging
   up is a decline; no decision within ``accept_timeout`` is ``no_answer``.
5. connect: the person is moved into the caller's room (MoveParticipant), the caller is taken off hold;
   the engine ends the call as ``transferred`` with the person's identity as the agent, and the bot leaves
   the room without deleting it. Otherwise the person's leg is removed, the caller is taken off hold and
   the engine goes to the transfer's ``fallback`` state (take a message, offer a callback).

If the caller hangs up while on hold, the person's leg is removed (result ``abandoned``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, Literal, Protocol

import aiohttp
import structlog
from livekit import api, rtc
from livekit.protocol import models

from voicebot.dialogue import Transfer, TransferResult, TurnResult, WarmTransfer
from voicebot.observability import metrics

if TYPE_CHECKING:
    from voicebot.telephony.bridge import CallAgent

__all__ = ["ConsultVoice", "LiveKitWarmLine", "TransferFailed", "WarmLine", "WarmTransfers", "hold_frames"]

log = structlog.get_logger("voicebot.telephony")

Result = Literal["connected", "no_answer", "busy", "declined", "failed"]

BRIEF_ATTRIBUTE = "voicebot.brief"
DECISION_ATTRIBUTE = "voicebot.transfer"
HOLD_ATTRIBUTE = "voicebot.hold"

_SIP_RESULTS: dict[int, Result] = {
    486: "busy",
    600: "busy",
    480: "no_answer",
    408: "no_answer",
    487: "no_answer",
}
_SIP_RESULTS[603] = "declined"


class TransferFailed(Exception):
    """A step of the warm transfer failed; ``result`` is what the engine is told."""

    def __init__(self, result: Result, detail: str = "") -> None:
        super().__init__(f"{result}: {detail}" if detail else result)
        self.result: Result = result


class ConsultVoice(Protocol):
    """The bot's voice in the consult room: speaks to the person and hears their yes/no or keys."""

    async def say(self, text: str) -> None: ...
    def decisions(self) -> asyncio.Queue[str]:
        """``accept`` / ``decline`` as the person answers (DTMF 1/2, or a spoken yes/no)."""
        ...

    async def aclose(self) -> None: ...


class WarmLine(Protocol):
    """The phone-side steps of a warm transfer (LiveKit's server API in production)."""

    async def hold(self, on: bool) -> None: ...
    async def dial(self, number: str, *, timeout: float) -> str: ...
    async def brief(self, identity: str, text: str) -> None: ...
    async def decision(self, identity: str, *, timeout: float) -> bool: ...
    async def connect(self, identity: str) -> None: ...
    async def release(self, identity: str) -> None: ...


class LiveKitWarmLine:
    """:class:`WarmLine` over ``livekit.api`` (see the module docstring for each step)."""

    def __init__(
        self,
        client: api.LiveKitAPI,
        *,
        room: str,
        caller_identity: str,
        trunk_id: str | None,
        bot_number: str | None = None,
        voice: Callable[[str, str], ConsultVoice] | None = None,
        poll_seconds: float = 0.2,
    ) -> None:
        self._api = client
        self.room = room
        self.consult_room = f"{room}-consult"
        self.caller_identity = caller_identity
        self._trunk = trunk_id
        self._bot_number = bot_number
        self._voice_factory = voice
        self._voice: ConsultVoice | None = None
        self._poll = poll_seconds

    async def hold(self, on: bool) -> None:
        try:
            caller = await self._api.room.get_participant(
                api.RoomParticipantIdentity(room=self.room, identity=self.caller_identity)
            )
            for track in caller.tracks:
                if track.type == models.TrackType.AUDIO:
                    await self._api.room.mute_published_track(
                        api.MuteRoomTrackRequest(
                            room=self.room, identity=self.caller_identity, track_sid=track.sid, muted=on
                        )
                    )
            await self._api.room.update_participant(
                api.UpdateParticipantRequest(
                    room=self.room,
                    identity=self.caller_identity,
                    attributes={HOLD_ATTRIBUTE: "on" if on else ""},
                )
            )
        except (api.TwirpError, aiohttp.ClientError, TimeoutError) as exc:
            # Hold is a courtesy: the transfer goes on without it (the caller hears the hold audio anyway).
            log.warning("transfer_hold_failed", on=on, error=str(exc))

    async def dial(self, number: str, *, timeout: float) -> str:
        if not self._trunk:
            raise TransferFailed("failed", "no outbound SIP trunk configured (LIVEKIT_SIP_OUTBOUND_TRUNK)")
        identity = f"agent-{uuid.uuid4().hex[:8]}"
        req = api.CreateSIPParticipantRequest(
            sip_trunk_id=self._trunk,
            sip_call_to=number,
            sip_number=self._bot_number or "",
            room_name=self.consult_room,
            participant_identity=identity,
            participant_name="agent",
            participant_attributes={"voicebot.call_room": self.room},
            wait_until_answered=True,
        )
        req.ringing_timeout.FromNanoseconds(int(timeout * 1e9))
        try:
            await self._api.sip.create_sip_participant(req)
        except api.SipCallError as exc:
            raise TransferFailed(_SIP_RESULTS.get(exc.sip_status_code or 0, "failed"), str(exc)) from exc
        except (api.TwirpError, aiohttp.ClientError, TimeoutError) as exc:
            raise TransferFailed("failed", str(exc)) from exc
        if self._voice_factory is not None:
            self._voice = self._voice_factory(self.consult_room, identity)
        return identity

    async def brief(self, identity: str, text: str) -> None:
        with contextlib.suppress(api.TwirpError, aiohttp.ClientError, TimeoutError):
            await self._api.room.update_participant(
                api.UpdateParticipantRequest(
                    room=self.consult_room, identity=identity, attributes={BRIEF_ATTRIBUTE: text}
                )
            )
        if self._voice is not None:
            await self._voice.say(text)

    async def decision(self, identity: str, *, timeout: float) -> bool:
        """True: accepted. Raises TransferFailed: declined (or hung up), no_answer (no decision in time)."""
        heard = self._voice.decisions() if self._voice is not None else None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if heard is not None and not heard.empty():
                return self._decided(heard.get_nowait())
            try:
                person = await self._api.room.get_participant(
                    api.RoomParticipantIdentity(room=self.consult_room, identity=identity)
                )
            except api.TwirpError as exc:
                if exc.code == "not_found":
                    raise TransferFailed("declined", "the person hung up") from exc
                raise TransferFailed("failed", str(exc)) from exc
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise TransferFailed("failed", str(exc)) from exc
            said = person.attributes.get(DECISION_ATTRIBUTE, "")
            if said in ("accept", "decline"):
                return self._decided(said)
            await asyncio.sleep(self._poll)
        raise TransferFailed("no_answer", "the person did not accept in time")

    @staticmethod
    def _decided(decision: str) -> bool:
        if decision != "accept":
            raise TransferFailed("declined", "the person declined")
        return True

    async def connect(self, identity: str) -> None:
        try:
            await self._api.room.move_participant(
                api.MoveParticipantRequest(
                    room=self.consult_room, identity=identity, destination_room=self.room
                )
            )
        except (api.TwirpError, aiohttp.ClientError, TimeoutError) as exc:
            raise TransferFailed("failed", f"moving the person into the call failed: {exc}") from exc
        finally:
            await self._close_voice()
        await self.hold(False)

    async def release(self, identity: str) -> None:
        await self._close_voice()
        with contextlib.suppress(api.TwirpError, aiohttp.ClientError, TimeoutError):
            await self._api.room.remove_participant(
                api.RoomParticipantIdentity(room=self.consult_room, identity=identity)
            )
        await self.hold(False)

    async def _close_voice(self) -> None:
        if self._voice is not None:
            voice, self._voice = self._voice, None
            with contextlib.suppress(Exception):
                await voice.aclose()


async def hold_frames(
    kind: str, stop: asyncio.Event, *, sample_rate: int = 24000, lead: float = 0.2
) -> AsyncIterator[rtc.AudioFrame]:
    """Hold audio until ``stop``: livekit's hold music clip, looped, or frames of silence. Paced in real
    time (at most ``lead`` seconds ahead), so the clip is not decoded into memory all at once."""
    started = time.monotonic()
    sent = 0.0

    async def paced(frame: rtc.AudioFrame) -> None:
        nonlocal sent
        sent += frame.duration
        ahead = sent - (time.monotonic() - started) - lead
        if ahead > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), ahead)

    if kind == "music":
        from livekit.agents.utils.audio import audio_frames_from_file
        from livekit.agents.voice.background_audio import BuiltinAudioClip

        path = BuiltinAudioClip.HOLD_MUSIC.path()
        while not stop.is_set():
            async for frame in audio_frames_from_file(path, sample_rate=sample_rate, num_channels=1):
                if stop.is_set():
                    return
                yield frame
                await paced(frame)
        return
    samples = sample_rate // 50
    while not stop.is_set():
        frame = rtc.AudioFrame(b"\0\0" * samples, sample_rate, 1, samples)
        yield frame
        await paced(frame)


class WarmTransfers:
    """Runs the warm transfers of one call (see the module docstring); also counts cold transfers."""

    def __init__(self, line: WarmLine | None, *, hold_audio: bool = True) -> None:
        self._line = line
        self._hold_audio = hold_audio
        self._agent: CallAgent | None = None

    def attach(self, agent: CallAgent) -> None:
        self._agent = agent

    def on_result(self, result: TurnResult) -> None:
        """The bridge's ``on_result`` hook: start a warm transfer when the engine asks for one."""
        for action in result.actions:
            if isinstance(action, Transfer):
                metrics.transfer("cold", "requested")
            elif isinstance(action, WarmTransfer) and self._agent is not None:
                self._agent._spawn(self.run(self._agent, action))

    async def run(self, agent: CallAgent, action: WarmTransfer) -> None:
        started = time.monotonic()
        result: Result = "failed"
        identity: str | None = None
        stop = asyncio.Event()
        hold: Any = None
        await _played_out(agent)
        line = self._line
        try:
            if line is None:
                raise TransferFailed("failed", "no phone line (text mode)")
            await line.hold(True)
            if self._hold_audio and action.hold_audio != "silence":
                hold = _play_hold(agent, action.hold_audio, stop)
            identity = await line.dial(action.to, timeout=action.timeout)
            if agent.conversation.ended:
                raise TransferFailed("failed", "the caller hung up")
            await line.brief(identity, action.brief)
            await line.decision(identity, timeout=action.accept_timeout)
            if agent.conversation.ended:
                raise TransferFailed("failed", "the caller hung up")
            await line.connect(identity)
            result = "connected"
        except TransferFailed as exc:
            result = exc.result
            log.info("warm_transfer_failed", result=result, detail=str(exc))
        finally:
            stop.set()
            if hold is not None:
                with contextlib.suppress(Exception):
                    hold.interrupt(force=True)  # drop what is still buffered of the music
            if result != "connected" and identity is not None and line is not None:
                await line.release(identity)
            elif result != "connected" and line is not None:
                await line.hold(False)
        abandoned = agent.conversation.ended
        metrics.transfer("warm", "abandoned" if abandoned else result, time.monotonic() - started)
        log.info("warm_transfer_ended", result=result, abandoned=abandoned, agent=identity)
        if not abandoned:
            handle = await agent.send(
                TransferResult(result, agent=identity if result == "connected" else None)
            )
            if handle is not None:
                await handle


async def _played_out(agent: CallAgent) -> None:
    """Let the state's "one moment" finish before the hold starts."""
    speech = agent.session.current_speech
    if speech is not None:
        with contextlib.suppress(Exception):
            await speech.wait_for_playout()


def _play_hold(agent: CallAgent, kind: str, stop: asyncio.Event) -> Any:
    """Hold audio to the caller through the call's session (not added to the chat history)."""
    try:
        return agent.session.say(
            "", audio=hold_frames(kind, stop), allow_interruptions=False, add_to_chat_ctx=False
        )
    except Exception as exc:  # text mode has no audio output: holding is silent there
        log.warning("hold_audio_failed", error_class=type(exc).__name__)
        return None

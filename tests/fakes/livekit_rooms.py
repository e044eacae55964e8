"""Rooms, participants, tracks and scripted SIP callees for :class:`FakeLiveKitServer`.

The server API methods that read or change room state (ListParticipants, GetParticipant,
MutePublishedTrack, UpdateParticipant, RemoveParticipant, MoveParticipant, DeleteRoom,
CreateSIPParticipant) work on a :class:`Rooms`. A dialled number answers as its :class:`Callee` script
says: it rings (``sip.callStatus`` goes ``dialing`` -> ``ringing``), then is ``active`` (answered), or
the call fails with the SIP status a real trunk gives (busy 486, no-answer 480, declined 603,
unreachable 404): with ``wait_until_answered`` the request itself fails with that status (the SDK raises
``SipCallError``); without it the participant is created at once and later disconnects with
``sip.callStatus = hangup`` and the status in ``sip.callStatusCode``, as the LiveKit SIP service does.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from livekit.protocol import models as models_pb

Answer = Literal["answered", "busy", "no-answer", "declined", "unreachable"]

SIP_FAILURES: dict[str, tuple[int, str, str]] = {
    # answer -> (SIP status code, reason phrase, Twirp code)
    "busy": (486, "Busy Here", "resource_exhausted"),
    "no-answer": (480, "Temporarily Unavailable", "deadline_exceeded"),
    "declined": (603, "Decline", "permission_denied"),
    "unreachable": (404, "Not Found", "not_found"),
}


@dataclass(frozen=True)
class Callee:
    """How a dialled number answers: ``answer`` after ringing ``ring_seconds``.

    ``hangup_after`` (s after answering) makes an answered callee leave on its own;
    ``attributes`` are added to its participant's attributes once it answers."""

    answer: Answer = "answered"
    ring_seconds: float = 0.0
    hangup_after: float | None = None
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeTrack:
    sid: str
    muted: bool = False
    kind: int = models_pb.TrackType.AUDIO


@dataclass
class FakeParticipant:
    identity: str
    kind: int = models_pb.ParticipantInfo.Kind.STANDARD
    name: str = ""
    metadata: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    tracks: dict[str, FakeTrack] = field(default_factory=dict)
    can_subscribe: bool = True
    can_publish: bool = True
    sid: str = field(default_factory=lambda: f"PA_{uuid.uuid4().hex[:12]}")
    joined_at: float = field(default_factory=time.time)

    @property
    def audio_track(self) -> FakeTrack | None:
        return next(iter(self.tracks.values()), None)

    def info(self) -> models_pb.ParticipantInfo:
        p = models_pb.ParticipantInfo(
            sid=self.sid,
            identity=self.identity,
            name=self.name,
            metadata=self.metadata,
            kind=self.kind,  # type: ignore[arg-type]
            state=models_pb.ParticipantInfo.State.ACTIVE,
            joined_at=int(self.joined_at),
            permission=models_pb.ParticipantPermission(
                can_subscribe=self.can_subscribe, can_publish=self.can_publish
            ),
        )
        p.attributes.update(self.attributes)
        for t in self.tracks.values():
            p.tracks.append(models_pb.TrackInfo(sid=t.sid, type=t.kind, muted=t.muted))  # type: ignore[arg-type]
        return p


@dataclass(frozen=True)
class RoomEvent:
    """What happened in a room, in order: ``joined``, ``left``, ``status`` (sip.callStatus), ``muted``,
    ``unmuted``, ``updated``, ``moved_in``, ``moved_out``."""

    kind: str
    room: str
    identity: str
    detail: str = ""
    at: float = field(default_factory=time.monotonic)


class RoomError(Exception):
    """A request on a room or participant that does not exist (the server answers ``not_found``)."""


class Rooms:
    """Room state of the fake server. Tests read it and drive participants (:meth:`join`, :meth:`leave`)."""

    def __init__(self, spawn: Callable[..., object]) -> None:
        self.rooms: dict[str, dict[str, FakeParticipant]] = {}
        self.callees: dict[str, Callee] = {}
        self.events: list[RoomEvent] = []
        self.sip_status: dict[str, list[str]] = {}
        """Per SIP participant identity, every sip.callStatus it went through."""
        self._spawn = spawn
        self._changed = asyncio.Condition()

    # ------------------------------------------------------------ what tests call

    def script_callee(self, number: str, callee: Callee | None = None, **kwargs: object) -> None:
        """How ``number`` (``sip_call_to``) answers: ``script_callee("+49301", answer="busy")``."""
        self.callees[number] = callee or Callee(**kwargs)  # type: ignore[arg-type]

    def join(
        self,
        room: str,
        identity: str,
        *,
        kind: int = models_pb.ParticipantInfo.Kind.STANDARD,
        attributes: dict[str, str] | None = None,
        audio: bool = True,
    ) -> FakeParticipant:
        """A participant joins ``room`` (created if needed), with one audio track unless ``audio=False``."""
        p = FakeParticipant(identity, kind=kind, attributes=dict(attributes or {}))
        if audio:
            sid = f"TR_{uuid.uuid4().hex[:12]}"
            p.tracks[sid] = FakeTrack(sid)
        self.rooms.setdefault(room, {})[identity] = p
        self._event("joined", room, identity)
        return p

    def leave(self, room: str, identity: str, *, reason: str = "left") -> None:
        """``identity`` leaves (hangs up); a no-op when it is not there."""
        if self.rooms.get(room, {}).pop(identity, None) is not None:
            self._event("left", room, identity, reason)

    def set_attributes(self, room: str, identity: str, **attributes: str) -> None:
        """Change a participant's attributes, as its client would (e.g. an agent's softphone)."""
        self.participant(room, identity).attributes.update(attributes)
        self._event("updated", room, identity, ",".join(sorted(attributes)))

    def participant(self, room: str, identity: str) -> FakeParticipant:
        try:
            return self.rooms[room][identity]
        except KeyError:
            raise RoomError(f"participant {identity} not found in room {room}") from None

    def events_of(self, room: str) -> list[tuple[str, str, str]]:
        return [(e.kind, e.identity, e.detail) for e in self.events if e.room == room]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` holds after some room change (TimeoutError otherwise)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    # ------------------------------------------------------------ what the server methods do

    def move(self, room: str, identity: str, destination: str) -> None:
        p = self.participant(room, identity)
        del self.rooms[room][identity]
        self.rooms.setdefault(destination, {})[identity] = p
        self._event("moved_out", room, identity, destination)
        self._event("moved_in", destination, identity, room)

    def mute(self, room: str, identity: str, track_sid: str, muted: bool) -> FakeTrack:
        p = self.participant(room, identity)
        track = p.tracks.get(track_sid)
        if track is None:
            raise RoomError(f"track {track_sid} not found for {identity}")
        track.muted = muted
        self._event("muted" if muted else "unmuted", room, identity, track_sid)
        return track

    def delete_room(self, room: str) -> None:
        for identity in list(self.rooms.get(room, {})):
            self.leave(room, identity, reason="room_deleted")
        self.rooms.pop(room, None)

    def callee_for(self, number: str) -> Callee:
        return self.callees.get(number, Callee())

    async def dial(
        self, room: str, identity: str, number: str, *, wait: bool, ringing_timeout: float | None = None
    ) -> tuple[int, str, str] | None:
        """Ring ``number`` into ``room`` as ``identity``; the SIP failure (code, reason, twirp code) if any.

        With ``wait`` the ringing happens before returning; without it, in the background. A callee that
        rings longer than the request's ``ringing_timeout`` is a no-answer after that timeout."""
        callee = self.callee_for(number)
        if ringing_timeout and callee.ring_seconds > ringing_timeout:
            callee = Callee("no-answer", ringing_timeout)
        if wait:
            self._set_status(room, identity, "ringing", create=False)
            await asyncio.sleep(callee.ring_seconds)
            failure = SIP_FAILURES.get(callee.answer)
            self.sip_status.setdefault(identity, []).append("hangup" if failure else "active")
            if failure is None:
                self._answer(room, identity, callee)
            return failure
        self._set_status(room, identity, "dialing", create=True)
        self._spawn(self._ring(room, identity, callee))
        return None

    async def _ring(self, room: str, identity: str, callee: Callee) -> None:
        self._set_status(room, identity, "ringing")
        await asyncio.sleep(callee.ring_seconds)
        failure = SIP_FAILURES.get(callee.answer)
        if identity not in self.rooms.get(room, {}):
            return  # removed (hung up by the bot) while ringing
        if failure is not None:
            p = self.participant(room, identity)
            p.attributes["sip.callStatusCode"] = str(failure[0])
            self._set_status(room, identity, "hangup")
            self.leave(room, identity, reason=callee.answer)
            return
        self._answer(room, identity, callee)

    def _answer(self, room: str, identity: str, callee: Callee) -> None:
        if identity not in self.rooms.get(room, {}):
            self.join(room, identity, kind=models_pb.ParticipantInfo.Kind.SIP)
        p = self.participant(room, identity)
        p.attributes.update(callee.attributes)
        if not p.tracks:
            sid = f"TR_{uuid.uuid4().hex[:12]}"
            p.tracks[sid] = FakeTrack(sid)
        self._set_status(room, identity, "active")
        if callee.hangup_after is not None:
            self._spawn(self._hang_up_later(room, identity, callee.hangup_after))

    async def _hang_up_later(self, room: str, identity: str, after: float) -> None:
        await asyncio.sleep(after)
        self.leave(room, identity, reason="callee_hangup")

    def _set_status(self, room: str, identity: str, status: str, *, create: bool = False) -> None:
        self.sip_status.setdefault(identity, []).append(status)
        if create:
            p = self.join(room, identity, kind=models_pb.ParticipantInfo.Kind.SIP, audio=False)
            p.attributes["sip.callStatus"] = status
        elif identity in self.rooms.get(room, {}):
            self.rooms[room][identity].attributes["sip.callStatus"] = status
        self._event("status", room, identity, status)

    def _event(self, kind: str, room: str, identity: str, detail: str = "") -> None:
        self.events.append(RoomEvent(kind, room, identity, detail))
        self._spawn(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

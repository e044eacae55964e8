"""A LiveKit room without a server: a REAL ``livekit.rtc.Room`` fed the FFI room events the SDK's Rust
core delivers when the server sends them, and a local participant that records published DTMF.

What is real: ``rtc.Room``'s own event dispatch (``Room._on_room_event``): a participant joining
(``participant_connected`` with its kind and SIP attributes) becomes an ``rtc.RemoteParticipant``; a
SIP DTMF data packet (``data_packet_received.sip_dtmf``, what the SIP service sends for each RFC 4733
key the caller presses) becomes the ``sip_dtmf_received`` event with an ``rtc.SipDTMF`` naming that
participant; ``participant_disconnected`` removes it. What is faked: the transport (no FFI handle, no
WebRTC) and the local participant: :class:`FakeLocalParticipant.publish_dtmf` records ``(code, digit)``
where the real one asks the Rust core to send the SIP DTMF packet, and can fail like it
(``PublishDTMFError``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass

from livekit import rtc
from livekit.rtc._proto import participant_pb2 as proto_participant
from livekit.rtc._proto import room_pb2 as proto_room
from livekit.rtc.participant import PublishDTMFError

__all__ = ["FakeLocalParticipant", "FakeRoom", "PublishedDtmf"]

CODES = {**{str(d): d for d in range(10)}, "*": 10, "#": 11, "A": 12, "B": 13, "C": 14, "D": 15}


@dataclass(frozen=True)
class PublishedDtmf:
    code: int
    digit: str
    at: float
    """``time.monotonic()`` when it was published."""


class FakeLocalParticipant:
    """The agent's side of the room: ``publish_dtmf`` is recorded (``fail_next()`` makes it raise)."""

    def __init__(self, identity: str = "agent") -> None:
        self.identity = identity
        self.published: list[PublishedDtmf] = []
        self._failures = 0

    def fail_next(self, times: int = 1) -> None:
        self._failures += times

    async def publish_dtmf(self, *, code: int, digit: str) -> None:
        await asyncio.sleep(0)
        if self._failures:
            self._failures -= 1
            raise PublishDTMFError("injected: the SIP participant is gone")
        if CODES.get(digit) != code:
            raise PublishDTMFError(f"code {code} does not match digit {digit!r}")
        self.published.append(PublishedDtmf(code, digit, time.monotonic()))

    @property
    def digits(self) -> str:
        return "".join(p.digit for p in self.published)


class _Room(rtc.Room):
    """``rtc.Room`` with the fake local participant and a name (both come from the server when connected)."""

    def __init__(self, name: str, local: FakeLocalParticipant) -> None:
        super().__init__()
        self._info.name = name
        self._fake_local = local

    @property
    def local_participant(self) -> rtc.LocalParticipant:
        return self._fake_local  # type: ignore[return-value]


class FakeRoom:
    """``room`` is a real ``rtc.Room``; participants join, press keys and leave through it."""

    def __init__(self, name: str = "call-room-1") -> None:
        self.name = name
        self.local = FakeLocalParticipant()
        self.room: rtc.Room = _Room(name, self.local)

    def join_sip(self, identity: str, attributes: Mapping[str, str] | None = None) -> rtc.RemoteParticipant:
        """A SIP participant (the caller) joins the room."""
        owned = proto_participant.OwnedParticipant()
        owned.info.identity = identity
        owned.info.sid = f"PA_{identity}"
        owned.info.kind = proto_participant.ParticipantKind.PARTICIPANT_KIND_SIP
        for key, value in (attributes or {}).items():
            owned.info.attributes[key] = value
        event = proto_room.RoomEvent()
        event.participant_connected.info.CopyFrom(owned)
        self.room._on_room_event(event)
        return self.room.remote_participants[identity]

    def press(self, identity: str, keys: str) -> None:
        """``identity`` presses ``keys``: one SIP DTMF packet per key, as the SIP service sends them."""
        for key in keys:
            event = proto_room.RoomEvent()
            packet = event.data_packet_received
            packet.participant_identity = identity
            packet.kind = proto_room.DataPacketKind.KIND_RELIABLE
            packet.sip_dtmf.code = CODES[key]
            packet.sip_dtmf.digit = key
            self.room._on_room_event(event)

    async def type(self, identity: str, keys: str, *, gap: float = 0.05) -> None:
        """Press ``keys`` one at a time, ``gap`` seconds apart (a person at a keypad)."""
        for key in keys:
            self.press(identity, key)
            await asyncio.sleep(gap)

    def leave(self, identity: str) -> None:
        event = proto_room.RoomEvent()
        event.participant_disconnected.participant_identity = identity
        self.room._on_room_event(event)

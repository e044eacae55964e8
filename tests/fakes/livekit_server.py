"""A local LiveKit server API: the Twirp endpoints voicebot's call control uses, protobuf in and out.

``livekit.api.LiveKitAPI(url=fake.url, api_key=fake.api_key, api_secret=fake.api_secret)`` reaches it.
Each request's ``Authorization: Bearer <jwt>`` is verified like the server does (HS256 with the secret,
issuer = the api key, ``exp`` required) and its grants are checked against the method; a bad token gets
401 ``unauthenticated``, missing grants 403 ``permission_denied`` (Twirp JSON errors, which the SDK turns
into ``ServerError``). Requests are decoded with the ``livekit.protocol`` types and recorded.

Implemented: RoomService/DeleteRoom, RoomService/RemoveParticipant, SIP/TransferSIPParticipant,
SIP/CreateSIPParticipant, AgentDispatchService/CreateDispatch (outbound calls dispatch the agent to their
room), and over the room state of ``fake.rooms`` (tests/fakes/livekit_rooms.py): RoomService/
ListParticipants, GetParticipant, MutePublishedTrack, UpdateParticipant, MoveParticipant. CreateSIPParticipant
rings the scripted callee (``fake.rooms.script_callee(number, answer="busy")``). Anything else answers 404
``bad_route``.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from google.protobuf.message import Message
from livekit.api import TokenVerifier
from livekit.api.access_token import Claims
from livekit.protocol import agent_dispatch as dispatch_pb
from livekit.protocol import models as models_pb
from livekit.protocol import room as room_pb
from livekit.protocol import sip as sip_pb

from ._server import FakeServer
from .livekit_rooms import SIP_FAILURES, RoomError, Rooms

DEFAULT_API_KEY = "fake-lk-key"
DEFAULT_API_SECRET = "fake-lk-secret-that-is-long-enough-for-hs256"


@dataclass(frozen=True)
class TwirpFailure:
    """An injected Twirp error: HTTP ``status`` with ``{"code", "msg", "meta"}``.

    SIP failures carry ``meta={"sip_status_code": "486", "sip_status": "Busy Here"}`` (the SDK then raises
    ``SipCallError``). ``delay`` holds the answer back (s), e.g. past the client's timeout.
    """

    status: int = 500
    code: str = "internal"
    msg: str = "injected failure"
    meta: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class TwirpCall:
    """One authenticated request, decoded."""

    service: str
    method: str
    request: Message
    claims: Claims
    received_wall: float


def _grant_delete_room(c: Claims, _req: Any) -> bool:
    return bool(c.video and c.video.room_create)


def _grant_room_admin(c: Claims, req: Any) -> bool:
    room = getattr(req, "room", "") or getattr(req, "room_name", "")
    return bool(c.video and c.video.room_admin and c.video.room == room)


def _grant_transfer(c: Claims, req: Any) -> bool:
    return _grant_room_admin(c, req) and bool(c.sip and c.sip.call)


def _grant_sip_call(c: Claims, _req: Any) -> bool:
    return bool(c.sip and c.sip.call)


@dataclass(frozen=True)
class _Method:
    request_type: type[Message]
    allowed: Callable[[Claims, Any], bool]
    respond: Callable[[Any], Message]


def _transfer_ok(req: sip_pb.TransferSIPParticipantRequest) -> Message:
    return sip_pb.TransferSIPParticipantResponse(
        transfer_id=f"TR_{uuid.uuid4().hex[:12]}",
        status=sip_pb.SIPTransferStatus.STS_TRANSFER_SUCCESSFUL,
        reason=sip_pb.SIPTransferReason.STR_COMPLETED,
    )


def _created(req: sip_pb.CreateSIPParticipantRequest) -> Message:
    return sip_pb.SIPParticipantInfo(
        participant_id=f"PA_{uuid.uuid4().hex[:12]}",
        participant_identity=req.participant_identity or f"sip_{req.sip_call_to}",
        room_name=req.room_name,
        sip_call_id=f"SCL_{uuid.uuid4().hex[:12]}",
    )


def _dispatched(req: dispatch_pb.CreateAgentDispatchRequest) -> Message:
    return dispatch_pb.AgentDispatch(
        id=f"AD_{uuid.uuid4().hex[:12]}", agent_name=req.agent_name, room=req.room, metadata=req.metadata
    )


def _unused(_r: Any) -> Message:
    raise AssertionError("answered by the room state")  # pragma: no cover


_METHODS: dict[tuple[str, str], _Method] = {
    ("RoomService", "ListParticipants"): _Method(room_pb.ListParticipantsRequest, _grant_room_admin, _unused),
    ("RoomService", "GetParticipant"): _Method(room_pb.RoomParticipantIdentity, _grant_room_admin, _unused),
    ("RoomService", "MutePublishedTrack"): _Method(room_pb.MuteRoomTrackRequest, _grant_room_admin, _unused),
    ("RoomService", "UpdateParticipant"): _Method(
        room_pb.UpdateParticipantRequest, _grant_room_admin, _unused
    ),
    ("RoomService", "MoveParticipant"): _Method(room_pb.MoveParticipantRequest, _grant_room_admin, _unused),
    ("RoomService", "DeleteRoom"): _Method(
        room_pb.DeleteRoomRequest, _grant_delete_room, lambda _r: room_pb.DeleteRoomResponse()
    ),
    ("RoomService", "RemoveParticipant"): _Method(
        room_pb.RoomParticipantIdentity, _grant_room_admin, lambda _r: room_pb.RemoveParticipantResponse()
    ),
    ("SIP", "TransferSIPParticipant"): _Method(
        sip_pb.TransferSIPParticipantRequest, _grant_transfer, _transfer_ok
    ),
    ("SIP", "CreateSIPParticipant"): _Method(sip_pb.CreateSIPParticipantRequest, _grant_sip_call, _created),
    # the server requires roomAdmin on the dispatch's room
    ("AgentDispatchService", "CreateDispatch"): _Method(
        dispatch_pb.CreateAgentDispatchRequest, _grant_room_admin, _dispatched
    ),
}


class FakeLiveKitServer(FakeServer):
    """LiveKit server API (Twirp) over loopback.

    Attributes:
        calls: every authenticated, authorized request (``TwirpCall``), in order.
        rejected: ``(method, status, reason)`` of requests refused for auth or grants.
        failures: per ``"Service/Method"``, a queue of ``TwirpFailure`` answered instead of success.
        responses: per ``"Service/Method"``, a queue of protobuf responses answered instead of the default.
    """

    def __init__(self, *, api_key: str = DEFAULT_API_KEY, api_secret: str = DEFAULT_API_SECRET) -> None:
        super().__init__()
        self.api_key = api_key
        self.api_secret = api_secret
        self.calls: list[TwirpCall] = []
        self.rejected: list[tuple[str, int, str]] = []
        self.failures: dict[str, deque[TwirpFailure]] = {}
        self.responses: dict[str, deque[Message]] = {}
        self._verifier = TokenVerifier(api_key, api_secret)
        self.rooms = Rooms(self._spawn)
        """Rooms, participants, tracks and scripted callees (tests/fakes/livekit_rooms.py)."""

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/twirp/livekit.{service}/{method}", self._twirp)

    @property
    def url(self) -> str:
        """What to pass as ``LiveKitAPI(url=...)`` (and as LIVEKIT_URL)."""
        return self.origin

    def api(self, **kwargs: Any) -> Any:
        """A real ``livekit.api.LiveKitAPI`` for this fake (caller closes it: ``await api.aclose()``)."""
        from livekit import api

        kwargs.setdefault("api_key", self.api_key)
        kwargs.setdefault("api_secret", self.api_secret)
        kwargs.setdefault("failover", False)
        return api.LiveKitAPI(url=self.url, **kwargs)

    def fail_next(self, method: str, failure: TwirpFailure | None = None, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` (``"SIP/TransferSIPParticipant"``) with an error."""
        self.failures.setdefault(method, deque()).extend([failure or TwirpFailure()] * times)

    def respond_next(self, method: str, response: Message) -> None:
        """Answer the next call of ``method`` with ``response`` (e.g. a failed transfer status)."""
        self.responses.setdefault(method, deque()).append(response)

    def calls_to(self, method: str) -> list[Any]:
        """Decoded requests of ``method`` (``"RoomService/DeleteRoom"``...), in order."""
        return [c.request for c in self.calls if f"{c.service}/{c.method}" == method]

    async def _twirp(self, request: web.Request) -> web.Response:
        service, method = request.match_info["service"], request.match_info["method"]
        name = f"{service}/{method}"
        spec = _METHODS.get((service, method))
        if spec is None:
            return _twirp_error(404, "bad_route", f"no handler for {name} in the fake")
        if request.content_type != "application/protobuf":
            return _twirp_error(400, "malformed", f"unexpected content type {request.content_type}")
        auth = request.headers.get("Authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else ""
        try:
            claims = self._verifier.verify(token)
        except Exception as e:  # jwt raises a family of errors; the server answers them all alike
            self.rejected.append((name, 401, f"{type(e).__name__}: {e}"))
            return _twirp_error(401, "unauthenticated", "invalid token")
        req = spec.request_type()
        try:
            req.ParseFromString(await request.read())
        except Exception as e:
            return _twirp_error(400, "malformed", f"cannot decode {spec.request_type.__name__}: {e}")
        if not spec.allowed(claims, req):
            self.rejected.append((name, 403, "missing grants"))
            return _twirp_error(403, "permission_denied", "permissions denied")
        self.calls.append(TwirpCall(service, method, req, claims, time.monotonic()))
        failures = self.failures.get(name)
        if failures:
            failure = failures.popleft()
            if failure.delay:
                await self._sleep(failure.delay)
            return _twirp_error(failure.status, failure.code, failure.msg, failure.meta)
        responses = self.responses.get(name)
        if responses:
            response = responses.popleft()
        else:
            try:
                response = await self._stateful(name, req) or spec.respond(req)
            except RoomError as e:
                return _twirp_error(404, "not_found", str(e))
            except _SipFailed as e:
                code, reason, twirp_code = e.failure
                meta = {"sip_status_code": str(code), "sip_status": reason}
                return _twirp_error(_TWIRP_STATUS[twirp_code], twirp_code, reason.lower(), meta)
        return web.Response(body=response.SerializeToString(), content_type="application/protobuf")

    async def _stateful(self, name: str, req: Any) -> Message | None:
        """Answer from (and change) the room state; None: the method's stateless default answers."""
        rooms = self.rooms
        if name == "RoomService/ListParticipants":
            ps = rooms.rooms.get(req.room, {}).values()
            return room_pb.ListParticipantsResponse(participants=[p.info() for p in ps])
        if name == "RoomService/GetParticipant":
            return rooms.participant(req.room, req.identity).info()
        if name == "RoomService/MutePublishedTrack":
            t = rooms.mute(req.room, req.identity, req.track_sid, req.muted)
            return room_pb.MuteRoomTrackResponse(
                track=models_pb.TrackInfo(sid=t.sid, type=t.kind, muted=t.muted)  # type: ignore[arg-type]
            )
        if name == "RoomService/UpdateParticipant":
            p = rooms.participant(req.room, req.identity)
            if req.metadata:
                p.metadata = req.metadata
            if req.name:
                p.name = req.name
            p.attributes.update(req.attributes)
            for key in [k for k, v in p.attributes.items() if v == ""]:
                del p.attributes[key]  # an empty value deletes the attribute, as on the server
            if req.HasField("permission"):
                p.can_subscribe, p.can_publish = req.permission.can_subscribe, req.permission.can_publish
            rooms._event("updated", req.room, req.identity, "participant")
            return p.info()
        if name == "RoomService/MoveParticipant":
            rooms.move(req.room, req.identity, req.destination_room)
            return room_pb.MoveParticipantResponse()
        if name == "RoomService/RemoveParticipant":
            if req.room in rooms.rooms:
                rooms.participant(req.room, req.identity)  # not_found when absent from a known room
            rooms.leave(req.room, req.identity, reason="removed")
            return None
        if name == "RoomService/DeleteRoom":
            rooms.delete_room(req.room)
            return None
        if name == "SIP/CreateSIPParticipant":
            identity = req.participant_identity or f"sip_{req.sip_call_to}"
            ringing = req.ringing_timeout.seconds if req.HasField("ringing_timeout") else None
            failure = await rooms.dial(
                req.room_name,
                identity,
                req.sip_call_to,
                wait=req.wait_until_answered,
                ringing_timeout=ringing,
            )
            if failure is not None:
                raise _SipFailed(failure)
            return None
        return None


class _SipFailed(Exception):
    def __init__(self, failure: tuple[int, str, str]) -> None:
        super().__init__(failure[1])
        self.failure = failure


_TWIRP_STATUS = {
    "resource_exhausted": 429,
    "deadline_exceeded": 408,
    "permission_denied": 403,
    "not_found": 404,
}
assert set(_TWIRP_STATUS) >= {f[2] for f in SIP_FAILURES.values()}


def _twirp_error(status: int, code: str, msg: str, meta: dict[str, str] | None = None) -> web.Response:
    body: dict[str, Any] = {"code": code, "msg": msg}
    if meta:
        body["meta"] = meta
    return web.json_response(body, status=status)

"""The minimum of scripted SIP callees the campaign tests need, on the local LiveKit server fake.

Branch i14b adds the full version to tests/fakes (``fake.rooms.script_callee(number, answer="busy")``,
with ringing, rooms and participants); until that is merged this subclass answers CreateSIPParticipant
for a scripted number with the SIP failure a real trunk gives (same codes and Twirp codes as i14b's
``SIP_FAILURES``), which the real livekit-api client raises as ``SipCallError``.
"""

from __future__ import annotations

from collections import deque

from aiohttp import web
from livekit.protocol import sip as sip_pb

from tests.fakes.livekit_server import FakeLiveKitServer, TwirpFailure

SIP_FAILURES: dict[str, tuple[int, str, str, int]] = {
    # answer -> (SIP status code, reason phrase, Twirp code, HTTP status)
    "busy": (486, "Busy Here", "resource_exhausted", 429),
    "no-answer": (480, "Temporarily Unavailable", "deadline_exceeded", 408),
    "declined": (603, "Decline", "permission_denied", 403),
    "unreachable": (404, "Not Found", "not_found", 404),
}


class ScriptedCallees(FakeLiveKitServer):
    """``fake.script(number, "busy", "answered")``: the number's answers to successive dials;
    ``"ring:2.5"`` rings 2.5 s, then answers."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[str, deque[str]] = {}
        self.dialed: list[str] = []

    def script(self, number: str, *answers: str) -> None:
        self.answers.setdefault(number, deque()).extend(answers)

    async def _twirp(self, request: web.Request) -> web.Response:
        if request.match_info.get("method") == "CreateSIPParticipant":
            req = sip_pb.CreateSIPParticipantRequest()
            req.ParseFromString(await request.read())  # aiohttp caches the body for the base class
            self.dialed.append(req.sip_call_to)
            script = self.answers.get(req.sip_call_to)
            answer = script.popleft() if script else "answered"
            if answer.startswith("ring:"):
                await self._sleep(float(answer[5:]))
                answer = "answered"
            failure = SIP_FAILURES.get(answer)
            if failure is not None:
                code, reason, twirp_code, http = failure
                # consumed by the base class within this same request (no await in between)
                self.fail_next(
                    "SIP/CreateSIPParticipant",
                    TwirpFailure(
                        status=http,
                        code=twirp_code,
                        msg=reason,
                        meta={"sip_status_code": str(code), "sip_status": reason},
                    ),
                )
        return await super()._twirp(request)

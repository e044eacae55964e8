"""Outbound dialing for the API and campaigns: place a call and learn its SIP answer.

:class:`LiveKitDialer` dispatches the voicebot worker to a new room, then creates the SIP participant
(``CreateSIPParticipant``). With ``wait_until_answered`` (campaigns) the server answers only when the
callee picked up or the call failed; a failure carries the SIP status (``sip_status_code`` metadata,
the SDK's ``SipCallError``), which becomes the attempt's status: answered / busy / no_answer / failed
(:func:`voicebot.campaigns.status_of_sip`). Without it (``POST /v1/calls``) the answer means "ringing".

The job's metadata carries ``call_id``: the worker records the call under that id, so the attempt
and the call row (and its outcome and webhook) are joined.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from typing import Any

import aiohttp
import structlog
from google.protobuf.duration_pb2 import Duration
from livekit import api

from voicebot.campaigns.ports import DialResult
from voicebot.campaigns.retry import status_of_sip
from voicebot.errors import ConfigError
from voicebot.telephony.control import AGENT_NAME

__all__ = ["LiveKitDialer", "livekit_client"]

log = structlog.get_logger("voicebot.telephony.outbound")


def livekit_client(url: str, key: str, secret: str) -> api.LiveKitAPI:
    """A LiveKit server API client (inside a running event loop); the caller closes it (``aclose``)."""
    return api.LiveKitAPI(url=url, api_key=key, api_secret=secret, failover=False)


class LiveKitDialer:
    """The campaigns' and the API's Dialer over one LiveKit server API client."""

    def __init__(
        self,
        client: api.LiveKitAPI,
        *,
        default_trunk: str | None,
        ring_timeout: dt.timedelta = dt.timedelta(seconds=45),
    ) -> None:
        self._api = client
        self._trunk = default_trunk
        self._ring = ring_timeout

    async def dial(
        self,
        *,
        number: str,
        bot_number: str,
        trunk_id: str | None,
        call_id: uuid.UUID,
        variables: Mapping[str, str],
        campaign_id: uuid.UUID | None,
        wait_until_answered: bool = True,
    ) -> DialResult:
        trunk = trunk_id or self._trunk
        if not trunk:
            raise ConfigError(
                "an outbound SIP trunk is needed: LIVEKIT_SIP_OUTBOUND_TRUNK or the campaign's trunk"
            )
        room = f"call-{call_id.hex[:16]}"
        meta: dict[str, Any] = {
            "direction": "outbound",
            "bot_number": bot_number,
            "to": number,
            "call_id": str(call_id),
            "variables": dict(variables),
        }
        if campaign_id is not None:
            meta["campaign_id"] = str(campaign_id)
        try:
            await self._api.agent_dispatch.create_dispatch(
                api.CreateAgentDispatchRequest(agent_name=AGENT_NAME, room=room, metadata=json.dumps(meta))
            )
            info = await self._api.sip.create_sip_participant(
                api.CreateSIPParticipantRequest(
                    sip_trunk_id=trunk,
                    sip_call_to=number,
                    sip_number=bot_number,
                    room_name=room,
                    participant_identity=f"sip-{call_id.hex[:8]}",
                    participant_name="callee",
                    wait_until_answered=wait_until_answered,
                    ringing_timeout=Duration(seconds=int(self._ring.total_seconds())),
                )
            )
        except api.SipCallError as exc:
            code = exc.sip_status_code
            return DialResult(
                status=status_of_sip(code),
                sip_status_code=code,
                sip_status=exc.sip_status,
                room=room,
                error=f"{exc.code}: {exc.message}",
            )
        except api.TwirpError as exc:
            return DialResult(status="failed", room=room, error=f"LiveKit {exc.code}: {exc.message}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            return DialResult(status="failed", room=room, error=f"LiveKit unreachable: {type(exc).__name__}")
        log.info("outbound_call_placed", room=info.room_name or room, waited=wait_until_answered)
        return DialResult(
            status="answered", sip_status_code=200, sip_status="OK", room=info.room_name or room
        )

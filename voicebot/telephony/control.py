"""Call control over LiveKit's server API (Twirp): hang up, cold SIP transfer, outbound calls.

``livekit.api`` errors become :class:`~voicebot.errors.ProviderError` (``provider="livekit"``) here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from livekit import api

from voicebot.errors import ConfigError, ProviderError

__all__ = ["AGENT_NAME", "LiveKitControl", "OutboundCall", "livekit_api", "place_call"]

AGENT_NAME = "voicebot"
"""The worker's agent name: outbound calls dispatch it explicitly to their room."""


@asynccontextmanager
async def livekit_api(url: str | None, key: str | None, secret: str | None) -> AsyncIterator[api.LiveKitAPI]:
    """A LiveKit server API client; ConfigError when the settings are missing."""
    missing = [
        n
        for n, v in (("LIVEKIT_URL", url), ("LIVEKIT_API_KEY", key), ("LIVEKIT_API_SECRET", secret))
        if not v
    ]
    if missing:
        raise ConfigError(f"{', '.join(missing)} must be set (the LiveKit server and its API key)")
    client = api.LiveKitAPI(url=url, api_key=key, api_secret=secret, failover=False)
    try:
        yield client
    finally:
        await client.aclose()


def _failed(what: str, exc: Exception) -> ProviderError:
    if isinstance(exc, api.TwirpError):
        retryable = exc.status >= 500 or exc.code in (
            "unavailable",
            "deadline_exceeded",
            "resource_exhausted",
        )
        return ProviderError(
            f"LiveKit {what} failed: {exc.code}: {exc.message}", provider="livekit", retryable=retryable
        )
    return ProviderError(f"LiveKit {what} failed: {exc}", provider="livekit", retryable=True)


class LiveKitControl:
    """Hang-up and transfer of one call (the bridge's CallControl) through the server API."""

    def __init__(self, client: api.LiveKitAPI, *, room: str, participant_identity: str) -> None:
        self._api = client
        self.room = room
        self.participant_identity = participant_identity

    async def hang_up(self) -> None:
        """Delete the room: every participant, the SIP caller included, is disconnected."""
        try:
            await self._api.room.delete_room(api.DeleteRoomRequest(room=self.room))
        except (api.TwirpError, aiohttp.ClientError, TimeoutError) as exc:
            raise _failed("hang-up (DeleteRoom)", exc) from exc

    async def transfer(self, number: str) -> None:
        """Cold transfer of the SIP caller to ``number`` (E.164 or a sip: URI)."""
        target = number if number.startswith(("tel:", "sip:")) else f"tel:{number}"
        try:
            await self._api.sip.transfer_sip_participant(
                api.TransferSIPParticipantRequest(
                    room_name=self.room,
                    participant_identity=self.participant_identity,
                    transfer_to=target,
                    play_dialtone=False,
                )
            )
        except (api.TwirpError, aiohttp.ClientError, TimeoutError) as exc:
            raise _failed("transfer (TransferSIPParticipant)", exc) from exc


@dataclass(frozen=True, slots=True)
class OutboundCall:
    room: str
    participant_identity: str
    sip_call_id: str
    dispatch_id: str


async def place_call(
    client: api.LiveKitAPI,
    *,
    number: str,
    bot_number: str,
    trunk_id: str,
    room: str | None = None,
    wait_until_answered: bool = False,
) -> OutboundCall:
    """Dispatch the voicebot worker to a new room, then dial ``number`` into it from the bot's number.

    The job's metadata carries the bot's number and the direction, so the worker runs the same scenario
    as for an inbound call to that number."""
    room = room or f"call-{uuid.uuid4().hex[:12]}"
    identity = f"sip-{uuid.uuid4().hex[:8]}"
    metadata = json.dumps({"direction": "outbound", "bot_number": bot_number, "to": number})
    try:
        dispatch = await client.agent_dispatch.create_dispatch(
            api.CreateAgentDispatchRequest(agent_name=AGENT_NAME, room=room, metadata=metadata)
        )
        info = await client.sip.create_sip_participant(
            api.CreateSIPParticipantRequest(
                sip_trunk_id=trunk_id,
                sip_call_to=number,
                sip_number=bot_number,
                room_name=room,
                participant_identity=identity,
                participant_name="caller",
                wait_until_answered=wait_until_answered,
            )
        )
    except (api.TwirpError, aiohttp.ClientError, TimeoutError) as exc:
        raise _failed("outbound call (CreateSIPParticipant)", exc) from exc
    return OutboundCall(room, info.participant_identity or identity, info.sip_call_id, dispatch.id)

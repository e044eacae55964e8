"""``POST /v1/calls``: place one outbound call that runs a bot's scenario.

The number is validated (E.164) and checked against the company's do-not-call list; the bot must be
the company's and active. The answer (202) comes once LiveKit accepted the call: the phone rings. When
answered the call is recorded under the returned ``call_id`` (``GET /v1/calls/{call_id}``), and its
outcome and webhook follow as for any call.
"""

from __future__ import annotations

import uuid
from enum import Enum
from typing import Annotated

from fastapi import FastAPI
from pydantic import BaseModel, Field

from voicebot.api.auth import CurrentCompany, Services
from voicebot.api.campaigns import outbound_of
from voicebot.api.errors import error_responses

__all__ = ["register"]

TAGS: list[str | Enum] = ["calls"]


class CallIn(BaseModel):
    bot_id: uuid.UUID
    to: str = Field(max_length=40, description="E.164, e.g. +14155550100", examples=["+14155550100"])
    variables: dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=1000)]] = Field(
        default_factory=dict, max_length=50, description="given to the call (in the worker's job metadata)"
    )


class CallPlacedOut(BaseModel):
    call_id: uuid.UUID = Field(description="the call's id once answered: GET /v1/calls/{call_id}")
    room: str | None
    to: str
    bot_id: uuid.UUID
    status: str = "ringing"


def register(app: FastAPI) -> None:
    @app.post(
        "/v1/calls",
        tags=TAGS,
        status_code=202,
        response_model=CallPlacedOut,
        responses=error_responses(401, 404, 422, 503),
    )
    async def place_call(body: CallIn, company: CurrentCompany, services: Services) -> CallPlacedOut:
        """Call ``to`` from the bot's number; the worker runs the bot's scenario when it is answered."""
        placed = await outbound_of(services).place_call(company.id, body.bot_id, body.to, body.variables)
        return CallPlacedOut(call_id=placed.call_id, room=placed.room, to=placed.to, bot_id=placed.bot_id)

"""``/v1/do-not-call``: the company's do-not-call list (campaigns and POST /v1/calls never dial it)."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

from fastapi import FastAPI, Query
from pydantic import BaseModel, Field

from voicebot.api.auth import CurrentCompany, Services
from voicebot.api.campaigns import normalized, outbound_of
from voicebot.api.errors import error_responses

__all__ = ["register"]

DNC_TAGS: list[str | Enum] = ["do-not-call"]
COMMON = error_responses(401, 404)


class NumbersIn(BaseModel):
    numbers: list[Annotated[str, Field(max_length=40)]] = Field(min_length=1, max_length=10_000)
    reason: str | None = Field(default=None, max_length=500)


class DncEntryOut(BaseModel):
    phone_number: str
    reason: str | None
    created_at: dt.datetime


class DncPage(BaseModel):
    items: list[DncEntryOut]
    next_cursor: str | None = None


def register(app: FastAPI) -> None:
    @app.get("/v1/do-not-call", tags=DNC_TAGS, response_model=DncPage, responses=COMMON)
    async def list_dnc(
        company: CurrentCompany,
        services: Services,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        cursor: Annotated[
            str | None, Query(max_length=40, description="next_cursor of the previous page")
        ] = None,
    ) -> DncPage:
        """The do-not-call list, in number order."""
        rows = await outbound_of(services).do_not_call.list(company.id, limit=limit + 1, after=cursor)
        more = len(rows) > limit
        rows = rows[:limit]
        return DncPage(
            items=[
                DncEntryOut(phone_number=r.phone_number, reason=r.reason, created_at=r.created_at)
                for r in rows
            ],
            next_cursor=rows[-1].phone_number if more and rows else None,
        )

    @app.post("/v1/do-not-call", tags=DNC_TAGS, responses={**COMMON, **error_responses(422)})
    async def add_dnc(body: NumbersIn, company: CurrentCompany, services: Services) -> dict[str, int]:
        """Add numbers (E.164). Campaigns skip them from their next attempt on; POST /v1/calls
        refuses them."""
        numbers = normalized(body.numbers)
        added = await outbound_of(services).do_not_call.add(company.id, numbers, reason=body.reason)
        return {"added": added}

    @app.post("/v1/do-not-call/remove", tags=DNC_TAGS, responses={**COMMON, **error_responses(422)})
    async def remove_dnc(body: NumbersIn, company: CurrentCompany, services: Services) -> dict[str, int]:
        """Remove numbers; ``removed`` counts those that were on the list."""
        dnc = outbound_of(services).do_not_call
        removed = 0
        for number in normalized(body.numbers):
            removed += int(await dnc.remove(company.id, number))
        return {"removed": removed}

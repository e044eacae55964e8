"""``/v1/analytics``: outcome counts per day; a bot's per-state funnel (where callers drop off)."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum
from typing import Annotated

from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel

from voicebot.api.auth import CurrentCompany, Services
from voicebot.api.errors import error_responses

__all__ = ["register"]

PREFIX = "/v1/analytics"
TAGS: list[str | Enum] = ["analytics"]
COMMON = error_responses(401, 404, 422)


class OutcomeCountOut(BaseModel):
    day: dt.date
    outcome: str
    calls: int


class FunnelStepOut(BaseModel):
    state: str
    calls_reached: int
    calls_ended_here: int
    calls_dropped_here: int
    drop_off_pct: float


def _aware(value: dt.datetime | None, name: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise HTTPException(422, f"{name} needs a time zone, e.g. 2026-01-31T00:00:00Z")
    return value


def register(app: FastAPI) -> None:
    @app.get(PREFIX + "/outcomes", tags=TAGS, response_model=list[OutcomeCountOut], responses=COMMON)
    async def outcomes_per_day(
        company: CurrentCompany,
        services: Services,
        bot_id: uuid.UUID | None = None,
        since: Annotated[dt.datetime | None, Query(alias="from")] = None,
        until: Annotated[dt.datetime | None, Query(alias="to")] = None,
    ) -> list[OutcomeCountOut]:
        """Calls per UTC day (of their start) and outcome, oldest day first. Days without calls are absent."""
        if bot_id is not None:
            await services.company_bots.get(company.id, bot_id)
        rows = await services.analytics.outcomes_per_day(
            company.id, bot_id=bot_id, since=_aware(since, "from"), until=_aware(until, "to")
        )
        return [OutcomeCountOut(day=r.day, outcome=r.outcome, calls=r.calls) for r in rows]

    @app.get(
        PREFIX + "/bots/{bot_id}/funnel", tags=TAGS, response_model=list[FunnelStepOut], responses=COMMON
    )
    async def funnel(
        bot_id: uuid.UUID,
        company: CurrentCompany,
        services: Services,
        version: Annotated[
            int | None, Query(ge=1, le=2_000_000_000, description="one scenario version")
        ] = None,
    ) -> list[FunnelStepOut]:
        """Per state: calls that reached it, ended in it, and dropped off in it (ended there abandoned or
        failed), most reached first. All scenario versions unless ``version``."""
        steps = await services.analytics.funnel(company.id, bot_id, version=version)
        return [
            FunnelStepOut(
                state=s.state,
                calls_reached=s.calls_reached,
                calls_ended_here=s.calls_ended_here,
                calls_dropped_here=s.calls_dropped_here,
                drop_off_pct=s.drop_off_pct,
            )
            for s in steps
        ]

"""``/v1/privacy``, ``/v1/retention`` and ``/v1/calls/{call_id}/analysis``: what the company sets for
the post-call pipeline, and what it produced for one call.

Bad values are 422 with a reason naming the field (an unknown recognizer, a retention of -1 days).
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum
from typing import Any, Literal

from fastapi import FastAPI
from pydantic import BaseModel, Field

from voicebot.analysis.recognizers import RECOGNIZERS
from voicebot.analysis.redaction import PrivacyPolicy
from voicebot.api.auth import CurrentCompany, Services
from voicebot.api.errors import error_responses
from voicebot.api.services import ApiServices
from voicebot.errors import NotFoundError
from voicebot.storage.repositories.post_call import PostCalls
from voicebot.storage.retention import Retention

__all__ = ["register"]

TAGS: list[str | Enum] = ["privacy"]
COMMON = error_responses(401, 404, 422)


class PolicyIn(BaseModel):
    mode: Literal["off", "redact", "redact_drop_raw"]
    drop_raw_after_days: int | None = Field(
        default=None, le=36500, description="redact_drop_raw only; 0: at once"
    )
    recognizers: list[str] | None = Field(
        default=None, max_length=20, description=f"a subset of {', '.join(RECOGNIZERS)}; default all"
    )
    bot: str | None = Field(
        default=None, max_length=200, description="a bot's slug or id; default the company"
    )


class PolicyOut(BaseModel):
    bot: str | None
    mode: str
    drop_raw_after_days: int | None
    recognizers: list[str]
    updated_at: dt.datetime


class RetentionIn(BaseModel):
    calls_days: int | None = Field(
        default=None, le=36500, description="keep calls this many days (null: forever)"
    )
    turns_days: int | None = Field(
        default=None, le=36500, description="keep turns this many days (null: forever)"
    )


class RetentionOut(BaseModel):
    calls_days: int | None
    turns_days: int | None


class AnalysisOut(BaseModel):
    call_id: uuid.UUID
    summary: str
    sentiment: str
    sentiment_score: float
    effort: dict[str, Any]
    quality_flags: list[str]
    analyzed_by: str
    model: str | None
    cost: dict[str, Any]
    config_snapshot: dict[str, Any]
    pii: dict[str, int]
    discarded_turns: int
    created_at: dt.datetime


def _store(services: ApiServices) -> PostCalls:
    if services.post_calls is None:
        raise NotFoundError("the post-call pipeline is not configured on this server")
    return services.post_calls


def _retention(services: ApiServices) -> Retention:
    if services.retention is None:
        raise NotFoundError("retention is not configured on this server")
    return services.retention


def register(app: FastAPI) -> None:
    @app.get("/v1/privacy", tags=TAGS, response_model=list[PolicyOut], responses=COMMON)
    async def get_privacy(company: CurrentCompany, services: Services) -> list[PolicyOut]:
        """The company's privacy policy (bot null) and its bots' policies."""
        return [PolicyOut(**r) for r in await _store(services).policies(company.id)]

    @app.put("/v1/privacy", tags=TAGS, response_model=list[PolicyOut], responses=COMMON)
    async def put_privacy(body: PolicyIn, company: CurrentCompany, services: Services) -> list[PolicyOut]:
        """Set the company's (or a bot's) PII redaction policy."""
        policy = PrivacyPolicy(
            mode=body.mode,
            drop_raw_after_days=body.drop_raw_after_days,
            recognizers=tuple(body.recognizers) if body.recognizers else tuple(RECOGNIZERS),
        )
        store = _store(services)
        await store.set_policy(
            company.id,
            bot=body.bot,
            mode=policy.mode,
            drop_raw_after_days=policy.drop_raw_after_days,
            recognizers=policy.recognizers,
        )
        return [PolicyOut(**r) for r in await store.policies(company.id)]

    @app.get("/v1/retention", tags=TAGS, response_model=RetentionOut, responses=COMMON)
    async def get_retention(company: CurrentCompany, services: Services) -> RetentionOut:
        return RetentionOut(**await _retention(services).get(company.id))

    @app.put("/v1/retention", tags=TAGS, response_model=RetentionOut, responses=COMMON)
    async def put_retention(body: RetentionIn, company: CurrentCompany, services: Services) -> RetentionOut:
        """How long the company's calls and turns are kept (whole days, 1 or more; null: forever)."""
        retention = _retention(services)
        await retention.set(company.id, calls_days=body.calls_days, turns_days=body.turns_days)
        return RetentionOut(**await retention.get(company.id))

    @app.get("/v1/calls/{call_id}/analysis", tags=TAGS, response_model=AnalysisOut, responses=COMMON)
    async def get_analysis(call_id: uuid.UUID, company: CurrentCompany, services: Services) -> AnalysisOut:
        """The post-call analysis of one of the company's calls (404 until the pipeline ran)."""
        row = await _store(services).analysis(call_id)
        if row is None or row["company_id"] != company.id:
            raise NotFoundError(f"no analysis for call {call_id}")
        return AnalysisOut(**{name: row[name] for name in AnalysisOut.model_fields})

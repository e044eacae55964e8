"""``/v1/campaigns``: the company's outbound campaigns (do-not-call: :mod:`voicebot.api.do_not_call`).

A campaign is created with all its numbers at once, from JSON (``POST /v1/campaigns``, up to the JSON
body limit) or from a CSV body (``POST /v1/campaigns/csv``, up to the upload limit: 100,000 numbers
fit). Every row is validated first; any bad row is a 422 listing ``errors`` (row, column, reason, line)
and nothing is created. A created campaign is a ``draft`` until ``start`` (or ``"start": true``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from voicebot.api.auth import CurrentCompany, Services
from voicebot.api.errors import error_responses
from voicebot.api.services import ApiServices, OutboundOps
from voicebot.api.textguard import printable
from voicebot.campaigns import CallingWindow, RetryPolicy
from voicebot.campaigns.numbers import e164
from voicebot.campaigns.spec import CampaignInputError, CampaignSpec
from voicebot.campaigns.windows import parse_days, parse_hhmm
from voicebot.errors import ConfigError

__all__ = ["normalized", "outbound_of", "register"]

PREFIX = "/v1/campaigns"
TAGS: list[str | Enum] = ["campaigns"]
COMMON = error_responses(401, 404)
Retryable = Literal["busy", "no_answer", "failed"]

ROW_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "invalid campaign or numbers: every bad row, nothing created",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "detail": {"type": "string"},
                        "error_count": {"type": "integer"},
                        "errors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "row": {"type": "integer"},
                                    "column": {"type": "string"},
                                    "reason": {"type": "string"},
                                    "line": {"type": "integer"},
                                },
                            },
                        },
                    },
                }
            }
        },
    }
}


def outbound_of(services: ApiServices) -> OutboundOps:
    if services.outbound is None:
        raise HTTPException(503, "outbound calling is not configured on this server")
    return services.outbound


class WindowIn(BaseModel):
    start: str = Field(default="09:00", description="daily opening, the callee's local time (HH:MM)")
    end: str = Field(default="20:00", description="daily closing (HH:MM, 24:00 allowed)")
    days: str = Field(default="all", description="e.g. mon-fri or mon,wed,fri", max_length=100)
    starts_at: dt.datetime | None = Field(default=None, description="not before this instant")
    ends_at: dt.datetime | None = Field(default=None, description="not after this instant")

    def window(self) -> CallingWindow:
        return CallingWindow(
            start=parse_hhmm(self.start, "window.start"),
            end=parse_hhmm(self.end, "window.end"),
            days=parse_days(self.days),
            starts_at=self.starts_at,
            ends_at=self.ends_at,
        )


def _all_retryable() -> list[Retryable]:
    return ["busy", "no_answer", "failed"]


class RetryIn(BaseModel):
    max_attempts: int = Field(default=3, ge=1, le=20, description="dials per number at most")
    on: list[Retryable] = Field(default_factory=_all_retryable)
    delays_s: list[Annotated[int, Field(ge=0, le=2_592_000)]] = Field(
        default_factory=lambda: [300, 1800, 7200],
        min_length=1,
        max_length=20,
        description="seconds after attempt 1, 2, ... (the last repeats)",
    )

    def policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.max_attempts, retry_on=tuple(self.on), delays=tuple(self.delays_s)
        )


class CampaignSettingsIn(BaseModel):
    bot_id: uuid.UUID
    name: str = Field(min_length=1, max_length=200)
    timezone: str | None = Field(default=None, max_length=64, description="default time zone of the numbers")
    window: WindowIn = Field(default_factory=lambda: WindowIn())
    max_concurrent: int = Field(default=5, ge=1, le=1000)
    retry: RetryIn = Field(default_factory=lambda: RetryIn())
    trunk_id: str | None = Field(default=None, max_length=200)
    start: bool = Field(default=False, description="start at once (else a draft)")

    def spec(self) -> CampaignSpec:
        return CampaignSpec(
            bot_id=self.bot_id,
            name=self.name,
            window=self.window.window(),
            default_timezone=self.timezone,
            max_concurrent=self.max_concurrent,
            policy=self.retry.policy(),
            trunk_id=self.trunk_id,
        )


class CampaignIn(CampaignSettingsIn):
    numbers: list[dict[str, Any]] = Field(
        max_length=200_000,
        description="[{phone, timezone?, <variable>: value...}] or with a nested variables object",
    )


class CampaignOut(BaseModel):
    id: uuid.UUID
    bot_id: uuid.UUID
    name: str
    status: str
    timezone: str | None
    window: dict[str, Any]
    max_concurrent: int
    retry: dict[str, Any]
    number_count: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, c: Any) -> CampaignOut:
        end = "24:00" if c.window_end == dt.time.max else c.window_end.strftime("%H:%M")
        return cls(
            id=c.id,
            bot_id=c.bot_id,
            name=c.name,
            status=c.status,
            timezone=c.default_timezone,
            window={
                "start": c.window_start.strftime("%H:%M"),
                "end": end,
                "days": list(c.window_days),
                "starts_at": c.starts_at,
                "ends_at": c.ends_at,
            },
            max_concurrent=c.max_concurrent,
            retry={
                "max_attempts": c.max_attempts,
                "on": list(c.retry_on),
                "delays_s": list(c.retry_delays_s),
            },
            number_count=c.number_count,
            created_at=c.created_at,
            updated_at=c.updated_at,
        )


class ProgressOut(BaseModel):
    numbers: dict[str, int] = Field(description="numbers per status (pending, answered, exhausted, ...)")
    attempts: dict[str, int] = Field(description="dial attempts per SIP status class")
    live: int = Field(description="calls dialing or in progress (counted against max_concurrent)")
    outcomes: dict[str, int] = Field(description="outcome mix of the answered calls that finished")


class CampaignDetailOut(BaseModel):
    campaign: CampaignOut
    progress: ProgressOut


class AttemptOut(BaseModel):
    id: uuid.UUID
    phone_number: str
    attempt_no: int
    status: str
    sip_status_code: int | None
    sip_status: str | None
    error: str | None
    call_id: uuid.UUID | None
    started_at: dt.datetime
    ended_at: dt.datetime | None


def _input_error(exc: CampaignInputError) -> JSONResponse:
    return JSONResponse(
        {
            "detail": printable(str(exc)),
            "error_count": exc.error_count,
            "errors": [
                {"row": e.row, "column": printable(e.column), "reason": printable(e.reason), "line": e.line}
                for e in exc.errors
            ],
        },
        status_code=422,
    )


def normalized(numbers: list[str]) -> list[str]:
    out = []
    for index, number in enumerate(numbers):
        try:
            out.append(e164(number))
        except ConfigError as exc:
            raise ConfigError(f"numbers[{index}] {printable(number)!r} {exc}") from None
    return out


async def _create(
    company_id: uuid.UUID, services: ApiServices, settings: CampaignSettingsIn, **rows: Any
) -> Any:
    outbound = outbound_of(services)
    await services.company_bots.get(company_id, settings.bot_id)  # 404 before reading any row
    try:
        info = await outbound.create(company_id, settings.spec(), **rows)
    except CampaignInputError as exc:
        return _input_error(exc)
    if settings.start:
        info = await outbound.start(company_id, info.id)
    return JSONResponse(CampaignOut.of(info).model_dump(mode="json"), status_code=201)


def register(app: FastAPI) -> None:
    @app.post(
        PREFIX, tags=TAGS, status_code=201, response_model=CampaignOut, responses={**COMMON, **ROW_ERRORS}
    )
    async def create_campaign(body: CampaignIn, company: CurrentCompany, services: Services) -> Any:
        """Create a campaign with its numbers (JSON). All rows are checked; any bad row: 422, nothing made."""
        settings = CampaignSettingsIn.model_validate(body.model_dump(exclude={"numbers"}))
        return await _create(company.id, services, settings, rows=body.numbers)

    @app.post(
        PREFIX + "/csv",
        tags=TAGS,
        status_code=201,
        response_model=CampaignOut,
        responses={**COMMON, **ROW_ERRORS},
    )
    async def create_campaign_csv(
        request: Request,
        company: CurrentCompany,
        services: Services,
        bot_id: uuid.UUID,
        name: Annotated[str, Query(min_length=1, max_length=200)] = "campaign",
        timezone: Annotated[str | None, Query(max_length=64)] = None,
        hours: Annotated[str, Query(max_length=20, description="HH:MM-HH:MM")] = "09:00-20:00",
        days: Annotated[str, Query(max_length=100)] = "all",
        starts_at: dt.datetime | None = None,
        ends_at: dt.datetime | None = None,
        max_concurrent: Annotated[int, Query(ge=1, le=1000)] = 5,
        max_attempts: Annotated[int, Query(ge=1, le=20)] = 3,
        retry_on: Annotated[str, Query(max_length=100)] = "busy,no_answer,failed",
        retry_delays: Annotated[str, Query(max_length=200)] = "300,1800,7200",
        start: bool = False,
    ) -> Any:
        """Create a campaign from a CSV request body (``Content-Type: text/csv``): a header row with
        ``phone``, optional ``timezone`` and variable columns. Settings are query parameters."""
        await services.company_bots.get(company.id, bot_id)
        start_text, sep, end_text = hours.partition("-")
        if not sep:
            raise ConfigError(f"hours {hours!r} must be HH:MM-HH:MM")
        try:
            delays = [int(d) for d in retry_delays.split(",") if d.strip()]
        except ValueError:
            raise ConfigError("retry_delays must be seconds separated by commas") from None
        settings = CampaignSettingsIn(
            bot_id=bot_id,
            name=name,
            timezone=timezone,
            window=WindowIn(start=start_text, end=end_text, days=days, starts_at=starts_at, ends_at=ends_at),
            max_concurrent=max_concurrent,
            retry=RetryIn.model_validate(
                {
                    "max_attempts": max_attempts,
                    "on": [s.strip() for s in retry_on.split(",") if s.strip()],
                    "delays_s": delays,
                }
            ),
            start=start,
        )
        return await _create(company.id, services, settings, csv_data=await request.body())

    @app.get(PREFIX, tags=TAGS, response_model=list[CampaignOut], responses=COMMON)
    async def list_campaigns(
        company: CurrentCompany, services: Services, limit: Annotated[int, Query(ge=1, le=200)] = 50
    ) -> list[CampaignOut]:
        """The company's campaigns, newest first."""
        rows = await outbound_of(services).campaigns.list(company.id, limit=limit)
        return [CampaignOut.of(r) for r in rows]

    @app.get(PREFIX + "/{campaign_id}", tags=TAGS, response_model=CampaignDetailOut, responses=COMMON)
    async def get_campaign(
        campaign_id: uuid.UUID, company: CurrentCompany, services: Services
    ) -> CampaignDetailOut:
        """The campaign and its progress: numbers by status, attempts by SIP status, live calls,
        outcome mix."""
        outbound = outbound_of(services)
        info = await outbound.campaigns.get(company.id, campaign_id)
        p = await outbound.progress(company.id, campaign_id)
        return CampaignDetailOut(
            campaign=CampaignOut.of(info),
            progress=ProgressOut(numbers=p.numbers, attempts=p.attempts, live=p.live, outcomes=p.outcomes),
        )

    @app.get(PREFIX + "/{campaign_id}/attempts", tags=TAGS, response_model=list[AttemptOut], responses=COMMON)
    async def list_attempts(
        campaign_id: uuid.UUID,
        company: CurrentCompany,
        services: Services,
        phone: Annotated[str | None, Query(max_length=40)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[AttemptOut]:
        """Every dial attempt with its SIP status, newest first (optionally of one number)."""
        number = None if phone is None else normalized([phone])[0]
        rows = await outbound_of(services).campaigns.attempts(
            company.id, campaign_id, phone=number, limit=limit
        )
        return [AttemptOut.model_validate(r) for r in rows]

    for verb, doc in (
        ("start", "Start a draft: every number's first attempt is queued at its window's next opening."),
        ("pause", "Pause: no new dial starts; calls in progress go on."),
        ("resume", "Resume a paused campaign."),
        ("stop", "Stop for good: pending numbers are cancelled; calls in progress go on."),
    ):
        _transition(app, verb, doc)


def _transition(app: FastAPI, verb: str, doc: str) -> None:
    async def transition(campaign_id: uuid.UUID, company: CurrentCompany, services: Services) -> CampaignOut:
        info = await getattr(outbound_of(services), verb)(company.id, campaign_id)
        return CampaignOut.of(info)

    transition.__doc__ = doc
    app.post(
        PREFIX + "/{campaign_id}/" + verb,
        tags=TAGS,
        response_model=CampaignOut,
        responses={**COMMON, **error_responses(409)},
        name=f"{verb}_campaign",
    )(transition)

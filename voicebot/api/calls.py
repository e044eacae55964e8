"""``/v1/calls``: a company's calls, filtered and paginated; one call with everything recorded of it."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel

from voicebot.api.auth import CurrentCompany, Services
from voicebot.api.errors import error_responses
from voicebot.api.pagination import Page, decode_cursor, encode_cursor
from voicebot.api.webhooks import AttemptOut, EventOut
from voicebot.storage.repositories.call_history import CallFilters, CallRow

__all__ = ["register"]

PREFIX = "/v1/calls"
TAGS: list[str | Enum] = ["calls"]
COMMON = error_responses(401, 404)

CallStatus = Literal["active", "completed", "transferred", "abandoned", "failed"]


class CallOut(BaseModel):
    id: uuid.UUID
    bot_id: uuid.UUID
    bot_slug: str
    direction: str
    caller_number: str | None
    dialed_number: str | None
    status: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    duration_ms: int | None
    final_state: str | None
    end_reason: str | None
    outcome: str | None
    scenario_version: int | None

    @classmethod
    def of(cls, c: CallRow) -> CallOut:
        return cls(**{name: getattr(c, name) for name in cls.model_fields})


class TurnOut(BaseModel):
    seq: int
    role: str
    text: str
    state: str | None
    interrupted: bool
    at: dt.datetime
    latency_ms: dict[str, float]


class TransitionOut(BaseModel):
    seq: int
    from_state: str | None
    to_state: str
    trigger_type: str
    trigger_data: dict[str, Any]
    at: dt.datetime


class SlotOut(BaseModel):
    seq: int
    name: str
    value: Any
    confidence: float | None
    method: str
    validated: bool
    at: dt.datetime


class OutcomeOut(BaseModel):
    outcome: str
    confidence: float | None
    summary: str | None
    extracted_data: dict[str, Any]
    created_at: dt.datetime


class WebhookOut(BaseModel):
    event: EventOut
    attempts: list[AttemptOut]


class ActionOut(BaseModel):
    seq: int
    action: str
    kind: str
    request: dict[str, Any]  # secrets shown as ***
    status: str
    http_status: int | None
    error: str | None
    error_kind: str | None
    latency_ms: float | None
    attempts: int
    filler: bool
    next_state: str | None
    at: dt.datetime


class CallDetailOut(BaseModel):
    call: CallOut
    transcript: list[TurnOut]
    state_path: list[TransitionOut]
    slots: dict[str, Any]
    slot_history: list[SlotOut]
    outcome: OutcomeOut | None
    webhooks: list[WebhookOut]
    actions: list[ActionOut] = []


def _utc(value: dt.datetime | None, name: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise HTTPException(422, f"{name} needs a time zone, e.g. 2026-01-31T00:00:00Z")
    return value


def register(app: FastAPI) -> None:
    @app.get(PREFIX, tags=TAGS, response_model=Page[CallOut], responses={**COMMON, **error_responses(422)})
    async def list_calls(
        company: CurrentCompany,
        services: Services,
        bot_id: uuid.UUID | None = None,
        since: Annotated[
            dt.datetime | None, Query(alias="from", description="started at or after (ISO 8601)")
        ] = None,
        until: Annotated[
            dt.datetime | None, Query(alias="to", description="started before (ISO 8601)")
        ] = None,
        outcome: Annotated[str | None, Query(max_length=100)] = None,
        status: CallStatus | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        cursor: Annotated[
            str | None, Query(max_length=200, description="next_cursor of the previous page")
        ] = None,
    ) -> Page[CallOut]:
        """Calls newest first. Filters combine; pass ``next_cursor`` as ``cursor`` for the next page."""
        if bot_id is not None:
            await services.company_bots.get(company.id, bot_id)
        filters = CallFilters(
            bot_id=bot_id, since=_utc(since, "from"), until=_utc(until, "to"), outcome=outcome, status=status
        )
        rows = await services.calls.list(company.id, filters, limit=limit + 1, after=decode_cursor(cursor))
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].started_at, rows[-1].id) if more and rows else None
        return Page[CallOut](items=[CallOut.of(r) for r in rows], next_cursor=next_cursor)

    @app.get(PREFIX + "/{call_id}", tags=TAGS, response_model=CallDetailOut, responses=COMMON)
    async def get_call(call_id: uuid.UUID, company: CurrentCompany, services: Services) -> CallDetailOut:
        """One call: transcript, state path (transitions), slots (final values and history), outcome, the
        webhook events it produced with their delivery attempts, and the actions it ran."""
        d = await services.calls.get(company.id, call_id)
        final: dict[str, Any] = {}
        for s in d.slots:
            final[s.name] = s.value
        return CallDetailOut(
            call=CallOut.of(d.call),
            transcript=[
                TurnOut(
                    seq=t.seq,
                    role=t.role,
                    text=t.text,
                    state=t.state,
                    interrupted=t.interrupted,
                    at=t.at,
                    latency_ms={
                        k: v
                        for k, v in (
                            ("stt", t.stt_ms),
                            ("engine", t.engine_ms),
                            ("llm", t.llm_ms),
                            ("tts", t.tts_ms),
                            ("e2e", t.e2e_ms),
                        )
                        if v is not None
                    },
                )
                for t in d.turns
            ],
            state_path=[
                TransitionOut(
                    seq=t.seq,
                    from_state=t.from_state,
                    to_state=t.to_state,
                    trigger_type=t.trigger_type,
                    trigger_data=t.trigger_data,
                    at=t.at,
                )
                for t in d.transitions
            ],
            slots=final,
            slot_history=[
                SlotOut(
                    seq=s.seq,
                    name=s.name,
                    value=s.value,
                    confidence=s.confidence,
                    method=s.method,
                    validated=s.validated,
                    at=s.at,
                )
                for s in d.slots
            ],
            outcome=None
            if d.outcome is None
            else OutcomeOut(
                outcome=d.outcome.outcome,
                confidence=d.outcome.confidence,
                summary=d.outcome.summary,
                extracted_data=d.outcome.extracted_data,
                created_at=d.outcome.created_at,
            ),
            webhooks=[
                WebhookOut(event=EventOut.of(w.event), attempts=[AttemptOut.of(a) for a in w.attempts])
                for w in d.webhooks
            ],
            actions=[
                ActionOut(
                    kind=a.action_kind, **{k: getattr(a, k) for k in ActionOut.model_fields if k != "kind"}
                )
                for a in d.actions
            ],
        )

"""``/v1/webhook``: the company's endpoint, secret rotation, test events, events and their deliveries.

Delivery is the dispatcher's job (``voicebot webhooks run``); the API only changes the outbox. A test
event (``webhook.test`` version 1) goes through the outbox like any other, so it is signed, retried and
logged the same way: poll ``GET /v1/webhook/events/{event_id}`` for its attempts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import Enum
from typing import Annotated, Literal

from fastapi import FastAPI, Query
from pydantic import BaseModel, Field

from voicebot.api.auth import CurrentCompany, Services
from voicebot.api.errors import error_responses
from voicebot.api.pagination import Page, decode_cursor, encode_cursor
from voicebot.storage.repositories.company_webhooks import WebhookEndpoint
from voicebot.storage.repositories.outbox import DeliveryAttempt, OutboxEvent

__all__ = ["AttemptOut", "EventOut", "WebhookTestV1", "register"]

PREFIX = "/v1/webhook"
TAGS: list[str | Enum] = ["webhooks"]
COMMON = error_responses(401, 404)

EventStatus = Literal["pending", "delivered", "dead", "disabled"]


class EndpointOut(BaseModel):
    url: str | None
    disabled_at: dt.datetime | None = Field(description="set when a 410 disabled the endpoint")
    disabled_reason: str | None
    previous_secret_expires_at: dt.datetime | None = Field(
        description="during a rotation's grace period: until when the previous secret still signs"
    )

    @classmethod
    def of(cls, e: WebhookEndpoint) -> EndpointOut:
        return cls(
            url=e.url,
            disabled_at=e.disabled_at,
            disabled_reason=e.disabled_reason,
            previous_secret_expires_at=e.previous_secret_expires_at,
        )


class EndpointUpdate(BaseModel):
    url: str | None = Field(
        max_length=2000,
        description="http(s) URL; null removes the endpoint",
        examples=["https://example.com/hooks"],
    )


class SecretOut(BaseModel):
    secret: str = Field(description="the new signing secret (whsec_...); shown only in this response")
    previous_secret_expires_at: dt.datetime


class EventOut(BaseModel):
    event_id: uuid.UUID
    call_id: uuid.UUID | None
    event_type: str
    version: int
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None

    @classmethod
    def of(cls, e: OutboxEvent) -> EventOut:
        return cls(**{name: getattr(e, name) for name in cls.model_fields})


class AttemptOut(BaseModel):
    attempt: int
    url: str
    attempted_at: dt.datetime
    status_code: int | None
    error: str | None
    duration_ms: float | None

    @classmethod
    def of(cls, a: DeliveryAttempt) -> AttemptOut:
        return cls(**{name: getattr(a, name) for name in cls.model_fields})


class EventDetailOut(BaseModel):
    event: EventOut
    attempts: list[AttemptOut]


class WebhookTestData(BaseModel):
    message: str


class WebhookTestV1(BaseModel):
    """``webhook.test`` version 1: sent on request to check an endpoint and its signature verification."""

    id: uuid.UUID
    type: Literal["webhook.test"] = "webhook.test"
    version: Literal[1] = 1
    timestamp: dt.datetime
    company_id: uuid.UUID
    data: WebhookTestData


def register(app: FastAPI) -> None:
    @app.get(PREFIX, tags=TAGS, response_model=EndpointOut, responses=COMMON)
    async def get_endpoint(company: CurrentCompany, services: Services) -> EndpointOut:
        return EndpointOut.of(await services.webhooks.endpoint(company.id))

    @app.put(PREFIX, tags=TAGS, response_model=EndpointOut, responses={**COMMON, **error_responses(422)})
    async def set_endpoint(body: EndpointUpdate, company: CurrentCompany, services: Services) -> EndpointOut:
        """Set the endpoint URL (a new URL re-enables an endpoint a 410 disabled). Internal addresses are
        refused here (422), by the delivery guard's rules, unless VOICEBOT_WEBHOOK_ALLOW_HOSTS allows."""
        services.webhook_policy.check_registration(body.url)
        return EndpointOut.of(await services.webhooks.set_url(company.id, body.url))

    @app.post(PREFIX + "/secret", tags=TAGS, response_model=SecretOut, responses=COMMON)
    async def rotate_secret(company: CurrentCompany, services: Services) -> SecretOut:
        """Rotate the signing secret. The new secret is shown once; the previous one keeps signing (as a
        second signature) for the grace period, so receivers can switch without losing events."""
        secret = await services.companies.rotate_webhook_secret(
            company.id, grace=services.webhook_secret_grace
        )
        endpoint = await services.webhooks.endpoint(company.id)
        expires = (
            endpoint.previous_secret_expires_at or dt.datetime.now(dt.UTC) + services.webhook_secret_grace
        )
        return SecretOut(secret=secret, previous_secret_expires_at=expires)

    @app.post(PREFIX + "/test", tags=TAGS, status_code=202, response_model=EventOut, responses=COMMON)
    async def send_test(company: CurrentCompany, services: Services) -> EventOut:
        """Queue a signed ``webhook.test`` event to the endpoint; its attempts show on the event."""
        event_id = uuid.uuid4()
        payload = WebhookTestV1(
            id=event_id,
            timestamp=dt.datetime.now(dt.UTC),
            company_id=company.id,
            data=WebhookTestData(message="voicebot test event"),
        )
        event = await services.webhooks.enqueue(
            company.id, event_id, payload.type, payload.version, payload.model_dump(mode="json")
        )
        return EventOut.of(event)

    @app.get(
        PREFIX + "/events",
        tags=TAGS,
        response_model=Page[EventOut],
        responses={**COMMON, **error_responses(422)},
    )
    async def list_events(
        company: CurrentCompany,
        services: Services,
        status: EventStatus | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
    ) -> Page[EventOut]:
        """Webhook events, newest first, with their status and attempt count."""
        rows = await services.webhooks.events(
            company.id, status=status, limit=limit + 1, after=decode_cursor(cursor)
        )
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].event_id) if more and rows else None
        return Page[EventOut](items=[EventOut.of(e) for e in rows], next_cursor=next_cursor)

    @app.get(PREFIX + "/events/{event_id}", tags=TAGS, response_model=EventDetailOut, responses=COMMON)
    async def get_event(event_id: uuid.UUID, company: CurrentCompany, services: Services) -> EventDetailOut:
        """One event and its delivery log (attempt, time, status code, error, latency)."""
        event, attempts = await services.webhooks.event(company.id, event_id)
        return EventDetailOut(event=EventOut.of(event), attempts=[AttemptOut.of(a) for a in attempts])

    @app.post(PREFIX + "/events/{event_id}/redeliver", tags=TAGS, response_model=EventOut, responses=COMMON)
    async def redeliver(event_id: uuid.UUID, company: CurrentCompany, services: Services) -> EventOut:
        """Send the event again now with a fresh retry schedule (same event id: deduplicate on it)."""
        return EventOut.of(await services.webhooks.redeliver(company.id, event_id))

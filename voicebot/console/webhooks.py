"""Webhooks: the endpoint URL, secret rotation (the new secret shown once), the event log filtered by
status (``dead`` = dead letters), one event's delivery attempts, and redelivery."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import FastAPI, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from voicebot.api.pagination import decode_cursor, encode_cursor
from voicebot.console.web import PREFIX, ConsoleDep, CsrfChecked, Signed, render
from voicebot.errors import ConfigError

__all__ = ["EVENT_STATUSES", "register"]

EVENT_STATUSES = ("pending", "delivered", "dead", "disabled")
_PAGE = 50


def register(app: FastAPI) -> None:
    base = PREFIX + "/webhooks"

    @app.get(base, include_in_schema=False)
    async def webhooks(
        request: Request,
        session: Signed,
        console: ConsoleDep,
        status: str = "",
        cursor: Annotated[str | None, Query(max_length=200)] = None,
    ) -> Response:
        if status and status not in EVENT_STATUSES:
            raise ConfigError(f"status must be one of {', '.join(EVENT_STATUSES)}")
        hooks = console.services.webhooks
        endpoint = await hooks.endpoint(session.company_id)
        rows = await hooks.events(
            session.company_id, status=status or None, limit=_PAGE + 1, after=decode_cursor(cursor)
        )
        more = len(rows) > _PAGE
        rows = rows[:_PAGE]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].event_id) if more and rows else None
        return render(
            request,
            "webhooks.html",
            endpoint=endpoint,
            events=rows,
            status=status,
            statuses=EVENT_STATUSES,
            next_cursor=next_cursor,
            secret=None,
            saved=request.query_params.get("saved"),
        )

    @app.post(base + "/endpoint", include_in_schema=False)
    async def set_endpoint(
        session: CsrfChecked, console: ConsoleDep, url: Annotated[str, Form(max_length=2000)] = ""
    ) -> Response:
        value = url.strip() or None
        console.services.webhook_policy.check_registration(value)
        await console.services.webhooks.set_url(session.company_id, value)
        return RedirectResponse(base + "?saved=1", status_code=303)

    @app.post(base + "/secret", include_in_schema=False)
    async def rotate(request: Request, session: CsrfChecked, console: ConsoleDep) -> Response:
        """Rotate the signing secret; the answer page shows the new secret once (never in a URL)."""
        services = console.services
        secret = await services.companies.rotate_webhook_secret(
            session.company_id, grace=services.webhook_secret_grace
        )
        endpoint = await services.webhooks.endpoint(session.company_id)
        rows = await services.webhooks.events(session.company_id, status=None, limit=_PAGE, after=None)
        return render(
            request,
            "webhooks.html",
            endpoint=endpoint,
            events=rows,
            status="",
            statuses=EVENT_STATUSES,
            next_cursor=None,
            secret=secret,
            saved=None,
        )

    @app.get(base + "/events/{event_id}", include_in_schema=False)
    async def event(event_id: uuid.UUID, request: Request, session: Signed, console: ConsoleDep) -> Response:
        found, attempts = await console.services.webhooks.event(session.company_id, event_id)
        return render(request, "event.html", event=found, attempts=attempts)

    @app.post(base + "/events/{event_id}/redeliver", include_in_schema=False)
    async def redeliver(event_id: uuid.UUID, session: CsrfChecked, console: ConsoleDep) -> Response:
        await console.services.webhooks.redeliver(session.company_id, event_id)
        return RedirectResponse(f"{base}/events/{event_id}?redelivered=1", status_code=303)

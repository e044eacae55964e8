"""Calls: the filtered, keyset-paged list; one call's page (timeline, outcome, webhooks); live calls."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated

from fastapi import FastAPI, Query, Request
from fastapi.responses import RedirectResponse, Response

from voicebot.api.pagination import decode_cursor, encode_cursor
from voicebot.console.timeline import timeline
from voicebot.console.web import PREFIX, ConsoleDep, CsrfChecked, Signed, render
from voicebot.errors import ConfigError
from voicebot.storage.repositories.call_history import CallFilters

__all__ = ["PAGE_SIZE", "STATUSES", "register"]

PAGE_SIZE = 50
STATUSES = ("active", "completed", "transferred", "abandoned", "failed")
_PHONE = re.compile(r"[^0-9+]")


def _day(raw: str | None, name: str) -> dt.datetime | None:
    if not raw:
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(raw), dt.time(), tzinfo=dt.UTC)
    except ValueError:
        raise ConfigError(f"{name} must be a date like 2026-01-31") from None


def register(app: FastAPI) -> None:
    @app.get(PREFIX + "/calls", include_in_schema=False)
    async def call_list(
        request: Request,
        session: Signed,
        console: ConsoleDep,
        bot: str = "",
        outcome: Annotated[str, Query(max_length=100)] = "",
        status: str = "",
        since: Annotated[str, Query(alias="from", max_length=10)] = "",
        until: Annotated[str, Query(alias="to", max_length=10)] = "",
        phone: Annotated[str, Query(max_length=32)] = "",
        cursor: Annotated[str | None, Query(max_length=200)] = None,
    ) -> Response:
        services = console.services
        bots = await services.company_bots.list(session.company_id)
        bot_id = None
        if bot:
            try:
                bot_id = uuid.UUID(bot)
            except ValueError:
                raise ConfigError("bot must be one of your bots") from None
            await services.company_bots.get(session.company_id, bot_id)
        if status and status not in STATUSES:
            raise ConfigError(f"status must be one of {', '.join(STATUSES)}")
        start, end = _day(since, "from"), _day(until, "to")
        filters = CallFilters(
            bot_id=bot_id,
            since=start,
            until=end + dt.timedelta(days=1) if end else None,
            outcome=outcome.strip() or None,
            status=status or None,
        )
        digits = _PHONE.sub("", phone)
        rows = await console.queries.calls(
            session.company_id,
            filters,
            phone=digits or None,
            limit=PAGE_SIZE + 1,
            after=decode_cursor(cursor),
        )
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        next_cursor = encode_cursor(rows[-1].started_at, rows[-1].id) if more and rows else None
        query = {"bot": bot, "outcome": outcome, "status": status, "from": since, "to": until, "phone": phone}
        return render(
            request,
            "calls.html",
            calls=rows,
            bots=bots,
            statuses=STATUSES,
            query=query,
            next_cursor=next_cursor,
            first_page=cursor is None,
        )

    @app.get(PREFIX + "/calls/{call_id}", include_in_schema=False)
    async def call_page(
        call_id: uuid.UUID, request: Request, session: Signed, console: ConsoleDep
    ) -> Response:
        detail = await console.services.calls.get(session.company_id, call_id)
        return render(request, "call.html", call=detail.call, detail=detail, tl=timeline(detail))

    @app.post(PREFIX + "/calls/{call_id}/webhooks/{event_id}/redeliver", include_in_schema=False)
    async def redeliver(
        call_id: uuid.UUID, event_id: uuid.UUID, session: CsrfChecked, console: ConsoleDep
    ) -> Response:
        detail = await console.services.calls.get(session.company_id, call_id)
        if not any(w.event.event_id == event_id for w in detail.webhooks):
            raise ConfigError("that webhook event is not one of this call's")
        await console.services.webhooks.redeliver(session.company_id, event_id)
        return RedirectResponse(f"{PREFIX}/calls/{call_id}?redelivered={event_id}#webhooks", status_code=303)

    @app.get(PREFIX + "/live", include_in_schema=False)
    async def live(request: Request, session: Signed, console: ConsoleDep) -> Response:
        rows = await console.queries.live_calls(session.company_id)
        return render(request, "live.html", calls=rows, now=dt.datetime.now(dt.UTC))

    @app.get(PREFIX + "/live/rows", include_in_schema=False)
    async def live_rows(request: Request, session: Signed, console: ConsoleDep) -> Response:
        """The live table's body alone: the page polls it every few seconds (htmx)."""
        rows = await console.queries.live_calls(session.company_id)
        return render(request, "live_rows.html", calls=rows, now=dt.datetime.now(dt.UTC))

"""Live events over Server-Sent Events (docs/api.md "Live events").

* ``GET /v1/calls/{call_id}/events``: the call's events so far (call.started, turn, transition, slot,
  action, call.ended), then live ones as the recorder commits them; the stream ends after call.ended.
* ``GET /v1/events``: the company's call.started / call.ended events, live (never ends by itself).

Each event is ``id: <n>`` / ``event: <kind>`` / ``data: <json>``. A client that reconnects with the
``Last-Event-ID`` header gets only events after that id. ``: keepalive`` comments are sent after
VOICEBOT_SSE_KEEPALIVE_S of silence; a client that lags VOICEBOT_SSE_QUEUE_SIZE events behind is cut off
(it reconnects with Last-Event-ID and catches up from the table).
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from enum import Enum
from typing import Annotated, Any

import anyio
from fastapi import FastAPI, Header, HTTPException
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from voicebot.api.auth import CurrentCompany, Services
from voicebot.api.errors import error_responses
from voicebot.api.event_hub import DROPPED, EventHub, HubFull, Subscription
from voicebot.observability.metrics import sse_events_delivered
from voicebot.storage.repositories.call_events import CallEvent

__all__ = ["STREAM_PATHS", "frame", "register"]

TAGS: list[str | Enum] = ["events"]
STREAM_PATHS = ("/v1/calls/{call_id}/events", "/v1/events")
"""The routes whose responses are streams (tests that walk every route read only their headers)."""

_PAGE = 500
_SSE_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A text/event-stream of events (see docs/api.md)",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}
LastEventId = Annotated[
    str | None,
    Header(
        alias="Last-Event-ID",
        max_length=20,
        description="The id of the last event received: the stream resumes after it",
    ),
]


def frame(event: CallEvent) -> str:
    """One SSE message: ``id``, ``event`` (the kind) and one ``data`` line of JSON."""
    data = json.dumps(
        {
            "id": event.id,
            "type": event.kind,
            "call_id": str(event.call_id),
            "at": event.at.isoformat(),
            "data": event.data,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return f"id: {event.id}\nevent: {event.kind}\ndata: {data}\n\n"


def _after(last_event_id: str | None) -> int:
    if last_event_id is None or last_event_id.strip() == "":
        return 0
    text = last_event_id.strip()
    if not text.isdigit() or not text.isascii():
        raise HTTPException(422, "Last-Event-ID must be the id of an event received (a whole number)")
    return int(text)


def _hub(services: Any) -> EventHub:
    hub: EventHub | None = services.events
    if hub is None:
        raise HTTPException(503, "live events are not enabled on this server")
    return hub


def _subscribe(hub: EventHub, company_id: uuid.UUID, call_id: uuid.UUID | None) -> Subscription:
    try:
        return hub.subscribe(company_id, call_id=call_id)
    except HubFull as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": "5"}) from exc


class EventStream(StreamingResponse):
    """A streaming response that owns its subscription: closed however the response ends (the client
    gone, the stream ended, the server stopping, or the body never started)."""

    def __init__(self, body: AsyncIterator[str], subscription: Subscription) -> None:
        super().__init__(
            body,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self._subscription = subscription
        self._body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            # Watch for the client leaving while the stream waits for events (ASGI 2.4 servers would
            # otherwise notice only at the next write, up to a keepalive later).
            async with anyio.create_task_group() as group:

                async def stream() -> None:
                    with contextlib.suppress(OSError):
                        await self.stream_response(send)
                    group.cancel_scope.cancel()

                async def watch() -> None:
                    await self.listen_for_disconnect(receive)
                    group.cancel_scope.cancel()

                group.start_soon(stream)
                group.start_soon(watch)
        finally:
            self._subscription.close()
            with contextlib.suppress(Exception):
                await self._body.aclose()  # type: ignore[attr-defined]


async def _live(
    hub: EventHub, sub: Subscription, skip: set[int], after: int, *, until_end: bool
) -> AsyncIterator[str]:
    keepalive = hub.settings.keepalive
    while True:
        item = await sub.next(keepalive)
        if item is None:
            yield ": keepalive\n\n"
            continue
        if item is DROPPED or not isinstance(item, CallEvent):
            yield ": dropped (reconnect with Last-Event-ID)\n\n"
            return
        if item.id <= after or item.id in skip:
            continue
        yield frame(item)
        sse_events_delivered(sub.stream)
        if until_end and item.kind == "call.ended":
            return


def register(app: FastAPI) -> None:
    @app.get(
        "/v1/calls/{call_id}/events",
        tags=TAGS,
        response_class=StreamingResponse,
        responses={**_SSE_DOC, **error_responses(401, 404, 422, 503)},
    )
    async def call_events(
        call_id: uuid.UUID, company: CurrentCompany, services: Services, last_event_id: LastEventId = None
    ) -> StreamingResponse:
        """The call's events as Server-Sent Events: those so far, then live; ends after call.ended."""
        after = _after(last_event_id)
        hub = _hub(services)
        sub = _subscribe(hub, company.id, call_id)  # before reading: nothing committed meanwhile is lost
        try:
            status = await hub.events.call_status(company.id, call_id)
        except BaseException:
            sub.close()
            raise
        if status is None:
            sub.close()
            raise HTTPException(404, f"call {call_id} not found")

        async def body() -> AsyncIterator[str]:
            yield f"retry: {hub.settings.retry_ms}\n\n"
            sent: set[int] = set()
            cursor, ended = after, False
            while True:
                rows = await hub.events.for_call(company.id, call_id, after=cursor, limit=_PAGE)
                for event in rows:
                    yield frame(event)
                    sent.add(event.id)
                    cursor = event.id
                    ended = ended or event.kind == "call.ended"
                sse_events_delivered("call", len(rows))
                if len(rows) < _PAGE:
                    break
            if ended or status != "active":  # an ended call: everything is in the table already
                return
            async for chunk in _live(hub, sub, sent, after, until_end=True):
                yield chunk

        return EventStream(body(), sub)

    @app.get(
        "/v1/events",
        tags=TAGS,
        response_class=StreamingResponse,
        responses={**_SSE_DOC, **error_responses(401, 422, 503)},
    )
    async def company_events(
        company: CurrentCompany, services: Services, last_event_id: LastEventId = None
    ) -> StreamingResponse:
        """The company's call.started and call.ended events as Server-Sent Events, live. With
        Last-Event-ID, those committed after that id first."""
        after = _after(last_event_id)
        hub = _hub(services)
        sub = _subscribe(hub, company.id, None)

        async def body() -> AsyncIterator[str]:
            yield f"retry: {hub.settings.retry_ms}\n\n"
            sent: set[int] = set()
            cursor = after
            while after:
                rows = await hub.events.for_company(company.id, after=cursor, limit=_PAGE)
                for event in rows:
                    yield frame(event)
                    sent.add(event.id)
                    cursor = event.id
                sse_events_delivered("company", len(rows))
                if len(rows) < _PAGE:
                    break
            async for chunk in _live(hub, sub, sent, after, until_end=False):
                yield chunk

        return EventStream(body(), sub)

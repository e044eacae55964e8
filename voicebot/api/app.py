"""``create_app(services)``: the admin API as an ASGI app. There is no module-level app.

    services, close = await build_api_services(settings)      # voicebot.runtime_api
    app = create_app(services)                                  # serve with uvicorn

The app owns its background work (knowledge ingestion) and starts the live event hub's feed (one LISTEN
connection): shutting it down (the ASGI lifespan) cancels that work, waits for it and stops the feed;
closing the services is the caller's. A server that stops should call ``services.events.end_streams()``
first (``voicebot api`` does): uvicorn waits for open responses, and an event stream never ends alone.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voicebot import __version__
from voicebot.api import (
    analytics,
    appointments,
    bots,
    calls,
    campaigns,
    do_not_call,
    events,
    health,
    knowledge,
    outbound,
    privacy,
    replay,
    secrets,
    webhooks,
)
from voicebot.api.errors import install_error_handlers
from voicebot.api.limits import BodyLimit
from voicebot.api.scope import TenantScope
from voicebot.api.services import ApiServices
from voicebot.api.tasks import BackgroundWork
from voicebot.api.textguard import UrlTextGuard
from voicebot.observability.metrics import api_request

__all__ = ["create_app"]


class _RequestMetrics:
    """Counts requests and their latency by route *template* (never the raw path with its ids)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            api_request(scope["method"], route, status, time.perf_counter() - started)


def create_app(services: ApiServices) -> FastAPI:
    work = BackgroundWork()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if services.events is not None:
            await services.events.start()  # the process's one LISTEN connection
        try:
            yield
        finally:
            try:
                await work.aclose()
            finally:
                if services.events is not None:
                    await services.events.aclose()

    app = FastAPI(
        title="voicebot admin API",
        version=__version__,
        description="Manage a company's bots, knowledge, calls, analytics and webhooks. "
        "Authenticate with `Authorization: Bearer <API key>`. See docs/api.md.",
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.work = work
    install_error_handlers(app)
    app.add_middleware(BodyLimit, limits=services.limits)
    app.add_middleware(UrlTextGuard)
    app.add_middleware(_RequestMetrics)
    app.add_middleware(TenantScope)  # outermost: each request starts with no company
    # Routes are registered on the app itself (no included routers): app.routes lists every route
    # with its full path template, which the tenant isolation test walks and the metrics label.
    health.register(app)
    bots.register(app)
    knowledge.register(app, services.limits, work)
    calls.register(app)
    analytics.register(app)
    webhooks.register(app)
    outbound.register(app)
    campaigns.register(app)
    do_not_call.register(app)
    replay.register(app)
    secrets.register(app)
    privacy.register(app)
    appointments.register(app)
    events.register(app)
    # The company console under /console (issue 17): pages served by this app, same services.
    from voicebot.console import mount as mount_console

    mount_console(app, services, work)
    return app

"""The company console: server-rendered pages under ``/console``, served by the admin API app.

    from voicebot.console import mount
    mount(app, services, work)        # in voicebot.api.create_app, when services.console is set

See docs/console.md. Pages are Jinja2 templates (autoescaped) enhanced by htmx; the state graph is
drawn in the browser by Mermaid. Both are vendored from the npm registry in ``static/``.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voicebot.api.errors import response_for
from voicebot.api.services import ApiServices
from voicebot.api.tasks import BackgroundWork
from voicebot.console import bots, calls, knowledge, signin, tryit, webhooks
from voicebot.console.web import PREFIX, Console, CsrfRejected, NeedsSignIn, render
from voicebot.errors import VoicebotError

__all__ = ["mount"]

_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class _SecurityHeaders:
    """CSP (no inline scripts), no framing, no referrer, and no caching of pages, on /console only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(PREFIX + "/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(_HEADERS)
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def mount(app: FastAPI, services: ApiServices, work: BackgroundWork) -> None:
    """Serve the console under /console on ``app`` (needs ``services.console_sessions``)."""
    if services.console_sessions is None or services.console is None:
        return
    console = Console(services, services.console_sessions, services.console)
    console.tryit = tryit.TryIt()
    app.state.console = console
    serve = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with serve(app) as state:
            try:
                yield state
            finally:  # the app's shutdown ends the open try-it chats' sessions
                await console.tryit.aclose()

    app.router.lifespan_context = lifespan
    app.add_middleware(_SecurityHeaders)
    app.mount(
        PREFIX + "/static", StaticFiles(packages=[("voicebot.console", "static")]), name="console-static"
    )
    api_handler = app.exception_handlers.get(VoicebotError)

    async def needs_sign_in(request: Request, exc: Exception) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": PREFIX + "/login"})
        if request.method == "GET":
            return RedirectResponse(PREFIX + "/login", status_code=303)
        return render(request, "error.html", 401, title="Signed out", detail="Please sign in again.")

    async def csrf_rejected(request: Request, exc: Exception) -> Response:
        return render(
            request,
            "error.html",
            403,
            title="Refused",
            detail="The form is stale: reload the page and retry.",
        )

    async def voicebot_error(request: Request, exc: Exception) -> Any:
        assert isinstance(exc, VoicebotError)
        if not request.url.path.startswith(PREFIX):
            if api_handler is None:
                return response_for(exc)
            result = api_handler(request, exc)
            return await result if inspect.isawaitable(result) else result
        answer = response_for(exc)
        body = json.loads(bytes(answer.body))
        title = {404: "Not found", 409: "Conflict", 422: "Invalid input"}.get(answer.status_code, "Error")
        return render(request, "error.html", answer.status_code, title=title, detail=body.get("detail", ""))

    validation_handler = app.exception_handlers.get(RequestValidationError)

    async def bad_request(request: Request, exc: Exception) -> Any:
        """A malformed id or value in a console URL or form: a page, not the API's JSON. A path id that
        is not a UUID cannot name anything: 404, like an id that does not exist."""
        if not request.url.path.startswith(PREFIX) or validation_handler is None:
            result = validation_handler(request, exc) if validation_handler else None
            return await result if inspect.isawaitable(result) else result
        in_path = isinstance(exc, RequestValidationError) and any(
            e.get("loc", ("",))[0] == "path" for e in exc.errors()
        )
        if in_path:
            return render(request, "error.html", 404, title="Not found", detail="No such page.")
        return render(
            request, "error.html", 422, title="Invalid input", detail="A value on this page is invalid."
        )

    app.add_exception_handler(RequestValidationError, bad_request)
    app.add_exception_handler(NeedsSignIn, needs_sign_in)
    app.add_exception_handler(CsrfRejected, csrf_rejected)
    app.add_exception_handler(VoicebotError, voicebot_error)

    @app.get(PREFIX, include_in_schema=False)
    async def home() -> Response:
        return RedirectResponse(PREFIX + "/calls", status_code=303)

    signin.register(app)
    calls.register(app)
    bots.register(app)
    knowledge.register(app, work)
    webhooks.register(app)
    tryit.register(app)

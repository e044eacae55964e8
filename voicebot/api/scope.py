"""Each request starts with an empty tenant scope (voicebot.storage.tenancy).

Until authentication names the company (:func:`voicebot.api.auth.current_company`, the console's
session lookup), the request's database work runs as ``voicebot_tenant`` with no company and sees no
rows. The scope ends with the request, so a company never carries over to the next request served by
the same task. Background work a request starts (knowledge ingestion) inherits the request's company.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from voicebot.storage.tenancy import reset_scope, restore_scope

__all__ = ["TenantScope"]


class TenantScope:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        token = reset_scope()
        try:
            await self.app(scope, receive, send)
        finally:
            restore_scope(token)

"""A company's own system on loopback: the documented sample accounts endpoint and misbehaving routes.

The support example's ``lookup_account`` action calls ``GET /v1/accounts/{number}`` (docs/scenarios.md,
"Actions"): 200 with ``{"number", "status", "owner": {"name"}, "billing": {"balance", "currency"}}`` for
a known account, 404 ``{"error": "not_found"}`` otherwise. The other routes misbehave on purpose:
``/status/{code}``, ``/slow?ms=``, ``/badjson``, ``/huge``, ``/redirect?to=``, ``/flaky`` (503 first), and
``misbehave[number]`` makes ``/accounts/{number}`` do the same (for a whole scenario's run).
Every request is kept in ``requests`` (method, path, headers, body) so tests can verify signatures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ._server import FakeServer

__all__ = ["ACCOUNTS", "CompanyApiRequest", "FakeCompanyApi"]

ACCOUNTS: dict[str, dict[str, Any]] = {
    "12345": {
        "number": "12345",
        "status": "active",
        "owner": {"name": "Ann Lee"},
        "billing": {"balance": 42.5, "currency": "USD"},
    },
    "77777": {
        "number": "77777",
        "status": "suspended",
        "owner": {"name": "Bo Park"},
        "billing": {"balance": -10, "currency": "USD"},
    },
}


@dataclass(frozen=True)
class CompanyApiRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class _Counters:
    flaky: int = 0


class FakeCompanyApi(FakeServer):
    """``async with FakeCompanyApi() as api``: ``api.origin`` is ``http://127.0.0.1:PORT``."""

    def __init__(self) -> None:
        self.requests: list[CompanyApiRequest] = []
        self.delay_ms = 0
        """Added to every /accounts answer (a slow system)."""
        self._counters = _Counters()
        self.accounts: dict[str, dict[str, Any]] = {k: dict(v) for k, v in ACCOUNTS.items()}
        self.misbehave: dict[str, str] = {}
        """Account number -> how /accounts answers it: "503", "slow:MS", "badjson", "huge", "redirect:URL"."""
        super().__init__()

    def _routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/v1/accounts/{number}", self._account)
        app.router.add_route("*", "/accounts/{number}", self._account)
        app.router.add_route("*", "/status/{code}", self._status)
        app.router.add_route("*", "/slow", self._slow)
        app.router.add_route("*", "/badjson", self._badjson)
        app.router.add_route("*", "/huge", self._huge)
        app.router.add_route("*", "/redirect", self._redirect)
        app.router.add_route("*", "/flaky", self._flaky)

    async def _keep(self, request: web.Request) -> None:
        body = await request.read()
        self.requests.append(
            CompanyApiRequest(
                request.method, request.path_qs, {k.lower(): v for k, v in request.headers.items()}, body
            )
        )

    async def _account(self, request: web.Request) -> web.Response:
        await self._keep(request)
        if self.delay_ms:
            await self._sleep(self.delay_ms / 1000)
        number = request.match_info["number"]
        how = self.misbehave.get(number, "")
        if how.isdigit():
            return web.json_response({"error": "as asked"}, status=int(how))
        if how.startswith("slow:"):
            await self._sleep(int(how.removeprefix("slow:")) / 1000)
            return web.json_response(self.accounts["12345"])
        if how == "badjson":
            return web.Response(text="<html>oops</html>", content_type="application/json")
        if how == "huge":
            return web.Response(body=b'{"blob": "' + b"x" * (2 * 1024 * 1024) + b'"}')
        if how.startswith("redirect:"):
            raise web.HTTPFound(how.removeprefix("redirect:"))
        account = self.accounts.get(number)
        if account is None:
            return web.json_response({"error": "not_found"}, status=404)
        return web.json_response(account)

    async def _status(self, request: web.Request) -> web.Response:
        await self._keep(request)
        return web.json_response({"error": "as asked"}, status=int(request.match_info["code"]))

    async def _slow(self, request: web.Request) -> web.Response:
        await self._keep(request)
        await self._sleep(int(request.query.get("ms", "1000")) / 1000)
        return web.json_response({"status": "active", "slow": True})

    async def _badjson(self, request: web.Request) -> web.Response:
        await self._keep(request)
        return web.Response(text="<html>oops</html>", content_type="application/json")

    async def _huge(self, request: web.Request) -> web.Response:
        await self._keep(request)
        return web.Response(
            body=json.dumps({"blob": "x" * (2 * 1024 * 1024)}).encode(), content_type="application/json"
        )

    async def _redirect(self, request: web.Request) -> web.Response:
        await self._keep(request)
        raise web.HTTPFound(request.query["to"])

    async def _flaky(self, request: web.Request) -> web.Response:
        await self._keep(request)
        self._counters.flaky += 1
        if self._counters.flaky == 1:
            return web.json_response({"error": "busy"}, status=503)
        return web.json_response({"status": "active", "attempt": self._counters.flaky})

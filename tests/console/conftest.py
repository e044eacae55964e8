"""Console fixtures: the API app (with the console mounted) on a real Postgres, two signed-in tenants.

``signed_in(api, tenant)`` gives an httpx client holding that company's session cookie and its CSRF
token (read from the page, as a browser would)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx

from tests.api.conftest import Api, api, embedder, make_api  # noqa: F401  (fixtures)
from tests.api.seed import Tenant

__all__ = ["Session", "sign_in"]

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_META = re.compile(r'<meta name="csrf-token" content="([^"]*)"')


class Session:
    def __init__(self, client: httpx.AsyncClient, csrf: str) -> None:
        self.client = client
        self.csrf = csrf

    async def post(self, url: str, data: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        return await self.client.post(url, data={"csrf": self.csrf, **(data or {})}, **kw)


async def login_form(client: httpx.AsyncClient) -> str:
    page = await client.get("/console/login")
    found = _CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


async def sign_in(api: Api, tenant: Tenant) -> AsyncIterator[Session]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api.app, raise_app_exceptions=False), base_url="http://console.test"
    ) as client:
        token = await login_form(client)
        answer = await client.post("/console/login", data={"api_key": tenant.api_key, "csrf": token})
        assert answer.status_code == 303, answer.text
        page = await client.get("/console/calls")
        meta = _META.search(page.text)
        assert meta and meta.group(1), page.text
        yield Session(client, meta.group(1))

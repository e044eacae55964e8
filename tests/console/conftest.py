"""Console fixtures: the API app (with the console mounted) on a real Postgres, two signed-in tenants.

``signed_in(api, tenant)`` gives an httpx client holding that company's session cookie and its CSRF
token (read from the page, as a browser would)."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import Api, embedder, make_api  # noqa: F401  (fixtures)
from tests.api.seed import Tenant

__all__ = ["ARTIFACTS", "Session", "login_form", "sign_in"]

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


@pytest.fixture
async def api(make_api: Any) -> AsyncIterator[Api]:  # noqa: F811
    """The API app with the console, on a real Postgres, with companies A and B (tests.api.seed)."""
    async with make_api() as value:
        yield value


async def sign_in(target: Api, tenant: Tenant) -> AsyncIterator[Session]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=target.app, raise_app_exceptions=False),
        base_url="http://console.test",
    ) as client:
        token = await login_form(client)
        answer = await client.post("/console/login", data={"api_key": tenant.api_key, "csrf": token})
        assert answer.status_code == 303, answer.text
        page = await client.get("/console/calls")
        meta = _META.search(page.text)
        assert meta and meta.group(1), page.text
        yield Session(client, meta.group(1))


# --------------------------------------------------------------------------- browser tests

ARTIFACTS = Path(os.environ.get("VOICEBOT_TEST_ARTIFACTS", tempfile.gettempdir())) / "voicebot-console"
"""Screenshots of failed browser tests (and the page's HTML) land here."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call" and report.failed:
        driver = getattr(item.module, "DRIVER", None)
        if driver is not None:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(ARTIFACTS / f"{item.name}.png"))
            (ARTIFACTS / f"{item.name}.html").write_text(driver.page_source, encoding="utf-8")
            report.sections.append(("console", f"screenshot: {ARTIFACTS / (item.name + '.png')}"))

"""API fixtures: the real app (create_app) on a real Postgres, driven through httpx's ASGI transport.

``api`` gives the app, an AsyncClient and two tenants: company A and company B, each with a bot, a
recorded call, a webhook event and a document row. Knowledge uses the real offline embedder and Qdrant
local mode in the test's tmp dir.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.api.seed import Tenant, tenant
from voicebot.api import ApiLimits, ApiServices, create_app
from voicebot.knowledge import MiniLMEmbedder
from voicebot.runtime_api import api_services_on
from voicebot.settings import Settings


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@dataclass
class Api:
    app: FastAPI
    client: httpx.AsyncClient
    services: ApiServices
    pool: Any
    a: Tenant
    b: Tenant


@pytest.fixture
def make_api(db_pool: Any, tmp_path: Path, embedder: MiniLMEmbedder) -> Callable[..., Any]:
    """``async with make_api(limits=...) as api``: an app with its lifespan running."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def make(
        limits: ApiLimits | None = None, services: ApiServices | None = None
    ) -> AsyncIterator[Api]:
        if services is None:
            services, _ = api_services_on(
                db_pool, Settings(data_dir=tmp_path), embedder=embedder, limits=limits
            )
        app = create_app(services)
        a = await tenant(db_pool, "Alpha", "+14155550100")
        b = await tenant(db_pool, "Beta", "+14155550199")
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://api.test"
            ) as client,
        ):
            yield Api(app, client, services, db_pool, a, b)

    return make


@pytest.fixture
async def api(make_api: Callable[..., Any]) -> AsyncIterator[Api]:
    async with make_api() as value:
        yield value

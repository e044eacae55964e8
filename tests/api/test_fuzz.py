"""Fuzz the API from its own OpenAPI document (schemathesis): no 5xx, no traceback in any response.

The real app runs under uvicorn in a thread on a real Postgres, with company A's key, so requests get
past authentication; about half the generated path ids are replaced by A's real ids so handlers run on
existing rows too. Bounded to a few dozen examples per operation (well under a minute in all).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.api.seed import Tenant, tenant
from tests.conftest import _fresh_database
from voicebot.api import create_app
from voicebot.knowledge import MiniLMEmbedder
from voicebot.runtime_api import api_services_on
from voicebot.settings import Settings
from voicebot.storage import create_pool

_TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/', "asyncpg.", "site-packages")


@dataclass
class Server:
    url: str
    tenant: Tenant


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def api_server(
    pg_admin_url: str, pg_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    import uvicorn

    database = _fresh_database(pg_admin_url, pg_template)
    url = next(database)

    async def seed() -> Tenant:
        pool = await create_pool(url, min_size=1, max_size=1)
        try:
            await tenant(pool, "Beta", "+14155550199")
            return await tenant(pool, "Alpha", "+14155550100")
        finally:
            await pool.close()

    a = asyncio.run(seed())
    port = _free_port()
    holder: dict[str, Any] = {}
    data_dir = tmp_path_factory.mktemp("fuzz")

    async def serve() -> None:
        pool = await create_pool(url, min_size=1, max_size=4)
        try:
            services, _ = api_services_on(pool, Settings(data_dir=data_dir), embedder=MiniLMEmbedder())
            config = uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning")
            server = uvicorn.Server(config)
            holder["server"] = server
            await server.serve()
        finally:
            await pool.close()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    try:
        yield Server(base, a)
    finally:
        holder["server"].should_exit = True
        thread.join(30)
        with contextlib.suppress(StopIteration):
            next(database)


@pytest.fixture(scope="module")
def api_schema(api_server: Server) -> Any:
    return schemathesis.openapi.from_url(f"{api_server.url}/openapi.json")


# The company's live event stream never ends by itself (keepalives keep every read alive): it is walked
# over HTTP in tests/api/test_events.py. The per-call stream ends (the seeded call is over) and stays.
schema = schemathesis.pytest.from_fixture("api_schema").exclude(path="/v1/events")

_REAL_IDS = {"bot_id": "bot_id", "call_id": "call_id", "event_id": "event_id", "doc_id": "doc_id"}


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors_and_no_tracebacks(case: Any, api_server: Server) -> None:
    a = api_server.tenant
    # Decide deterministically from the generated case whether to use real ids.
    fingerprint = hashlib.sha256(repr((case.path_parameters, case.query, case.body)).encode()).digest()
    if case.path_parameters and fingerprint[0] % 2 == 0:
        for name in list(case.path_parameters):
            if name in _REAL_IDS:
                case.path_parameters[name] = str(getattr(a, _REAL_IDS[name]))
    if fingerprint[1] % 8 != 0:  # mostly authenticated; sometimes whatever was generated
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {a.api_key}"}
    response = case.call(timeout=30)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
    )
    for marker in _TRACEBACK_MARKERS:
        assert marker not in response.text, f"{case.method} {case.formatted_path} leaks {marker!r}"


def test_the_openapi_document_lists_every_route(api_server: Server) -> None:
    document = httpx.get(f"{api_server.url}/openapi.json").json()
    assert "/v1/bots/{bot_id}/knowledge" in document["paths"]
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"

"""Fixtures for outcome and webhook tests: a real HTTP receiver on 127.0.0.1 that verifies signatures
with the independent ``standardwebhooks`` package, a company with a bot in a real Postgres, and the
outcome services wired as in production (fast retry schedule, loopback allowed)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from voicebot.dialogue.actions import CallFinished
from voicebot.outcomes import CallFacts, HostPolicy, RetrySchedule, WebhookSettings
from voicebot.runtime_outcomes import OutcomeServices, build_outcome_services
from voicebot.storage import Companies

Behaviour = Callable[[int], Any]  # request number (1-based) -> status code, or ("sleep", seconds, status)


@dataclass
class Received:
    event_id: str
    payload: dict[str, Any]
    verified: bool
    error: str | None
    at: float
    status: int


@dataclass
class Receiver:
    """An HTTP endpoint on loopback. ``behaviour(n)`` decides the answer to the n-th request."""

    secret: str = ""
    behaviour: Behaviour = lambda n: 200
    requests: list[Received] = field(default_factory=list)
    started: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""
    arrivals: int = 0
    _runner: web.AppRunner | None = None
    _port: int = 0

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.arrivals += 1
        n = self.arrivals
        verified, error = True, None
        try:
            Webhook(self.secret).verify(body, dict(request.headers))
        except WebhookVerificationError as exc:
            verified, error = False, str(exc)
        answer = self.behaviour(n)
        if isinstance(answer, tuple):
            _, seconds, status = answer
            self.started.set()
            await asyncio.sleep(seconds)
        else:
            status = answer
        self.requests.append(
            Received(
                request.headers.get("webhook-id", ""), json.loads(body), verified, error, time.time(), status
            )
        )
        return web.Response(status=status, text="ok")

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port or self._port)
        await site.start()
        server = site._server
        assert server is not None
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._port}/hook"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def delivered_ids(self) -> list[str]:
        return [r.event_id for r in self.requests if 200 <= r.status < 300]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    try:
        yield r
    finally:
        await r.stop()


def fast_settings(**overrides: Any) -> WebhookSettings:
    args: dict[str, Any] = {
        "schedule": RetrySchedule((0.05, 0.05, 0.05), jitter=0),
        "timeout": 1.0,
        "lease": 3.0,
        "allow": HostPolicy.parse("127.0.0.0/8"),
        "poll_interval": 0.02,
        "heartbeat_timeout": 60.0,
    }
    args.update(overrides)
    return WebhookSettings(**args)


@dataclass
class Tenant:
    company_id: uuid.UUID
    bot_id: uuid.UUID
    secret: str
    pool: Any


async def make_tenant(pool: Any, url: str | None, *, name: str = "Acme") -> Tenant:
    new = await Companies(pool).create(name, webhook_url=url)
    bot_id = await pool.fetchval(
        """INSERT INTO bots (company_id, slug, name, phone_number, language)
           VALUES ($1, 'clinic', 'Clinic', $2, 'en') RETURNING id""",
        new.company.id,
        f"+1555{uuid.uuid4().int % 10**7:07d}",
    )
    return Tenant(new.company.id, bot_id, new.webhook_secret, pool)


@pytest.fixture
async def tenant(db_pool: Any, receiver: Receiver) -> Tenant:
    t = await make_tenant(db_pool, receiver.url)
    receiver.secret = t.secret
    return t


@pytest.fixture
async def services(db_pool: Any) -> AsyncIterator[OutcomeServices]:
    s = build_outcome_services(db_pool, fast_settings())
    try:
        yield s
    finally:
        await s.aclose()


def finished(outcome: str = "information", **kw: Any) -> CallFinished:
    args: dict[str, Any] = {
        "outcome": outcome,
        "confidence": 0.8,
        "rule": "rule[2]: visited('hours')",
        "end_reason": "completed",
        "final_state": "goodbye",
        "slots": {},
    }
    args.update(kw)
    return CallFinished(**args)


def facts(tenant: Tenant, **kw: Any) -> CallFacts:
    now = dt.datetime.now(dt.UTC)
    args: dict[str, Any] = {
        "call_id": uuid.uuid4(),
        "bot_id": tenant.bot_id,
        "started_at": now - dt.timedelta(seconds=42),
        "ended_at": now,
        "caller_number": "+12125550123",
        "dialed_number": "+15550001111",
        "bot_slug": "clinic",
    }
    args.update(kw)
    return CallFacts(**args)


async def run_until(predicate: Callable[[], bool], dispatcher: Any, timeout: float = 10.0) -> None:
    """Run a dispatcher until ``predicate()`` holds (or fail after ``timeout`` seconds)."""
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    deadline = time.monotonic() + timeout
    try:
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await task

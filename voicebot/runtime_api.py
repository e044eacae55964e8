"""Composition of the admin API's services (a companion of :mod:`voicebot.runtime`).

    services, close = await build_api_services(settings)
    app = create_app(services)          # voicebot.api
    ...                                 # serve it (``voicebot api``)
    await close()

The knowledge store: with ``QDRANT_URL`` one server client stays open for the process. In local mode
the directory is locked to one process and call processes need it for their snapshots, so
:class:`ApiKnowledge` opens it per operation (one at a time in this process) and closes it at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from voicebot.api.event_hub import EventHub, EventStreamSettings
from voicebot.api.services import ApiLimits, ApiServices, KnowledgeOps
from voicebot.campaigns.config import CampaignSettings
from voicebot.campaigns.ports import Dialer
from voicebot.knowledge import Embedder, KnowledgeService, QdrantStore, embedder_from_settings, open_store
from voicebot.knowledge.registry import DocRegistry
from voicebot.outcomes.urlguard import HostPolicy
from voicebot.runtime_campaigns import CampaignService
from voicebot.scenario import LoadedScenario
from voicebot.settings import Settings
from voicebot.storage import Bots, Companies, Database, KnowledgeDocs
from voicebot.storage.event_feed import EventFeed
from voicebot.storage.readiness import readiness
from voicebot.storage.repositories.analytics import Analytics
from voicebot.storage.repositories.book import Book
from voicebot.storage.repositories.call_events import CallEvents
from voicebot.storage.repositories.call_history import CallHistory
from voicebot.storage.repositories.company_bots import CompanyBots
from voicebot.storage.repositories.company_secrets import CompanySecrets
from voicebot.storage.repositories.company_webhooks import CompanyWebhooks
from voicebot.storage.repositories.console import ConsoleQueries, ConsoleSessions
from voicebot.storage.repositories.post_call import PostCalls
from voicebot.storage.retention import Retention
from voicebot.storage.tenancy import TenantPool

__all__ = ["ApiKnowledge", "api_services_on", "build_api_services", "event_hub_on"]

CloseFn = Callable[[], Awaitable[None]]


class ApiKnowledge:
    """The API's access to the knowledge service (voicebot.api.KnowledgeAccess)."""

    def __init__(
        self, settings: Settings, *, registry: DocRegistry, embedder: Embedder | None = None
    ) -> None:
        self._settings = settings
        self._registry = registry
        self._embedder = embedder or embedder_from_settings(settings)
        self._lock = asyncio.Lock()
        self._server: QdrantStore | None = None

    @property
    def embedder_name(self) -> str:
        return self._embedder.name

    @asynccontextmanager
    async def open(self) -> AsyncIterator[KnowledgeOps]:
        if self._settings.qdrant_url:
            if self._server is None:
                self._server = await asyncio.to_thread(open_store, self._settings)
            yield self._service(self._server)
            return
        async with self._lock:
            store = await asyncio.to_thread(open_store, self._settings)
            try:
                yield self._service(store)
            finally:
                await asyncio.to_thread(store.close)

    def _service(self, store: QdrantStore) -> KnowledgeService:
        return KnowledgeService(store=store, embedder=self._embedder, registry=self._registry)

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None


def api_services_on(
    pool: Any,
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    limits: ApiLimits | None = None,
    webhook_secret_grace: dt.timedelta = dt.timedelta(hours=24),
    webhook_policy: HostPolicy | None = None,
    dialer: Dialer | None = None,
    events_url: str | None = None,
    event_settings: EventStreamSettings | None = None,
    rls: bool = True,
) -> tuple[ApiServices, ApiKnowledge]:
    """The API's services on an open asyncpg pool (tests pass their own pool and embedder).

    Every repository gets the pool wrapped in a :class:`TenantPool`: each statement runs as
    ``voicebot_tenant`` for the request's company, so Postgres refuses other companies' rows even
    where a query forgot its filter (row-level security, sql/0015). ``rls=False`` leaves the pool
    unwrapped (bench/bench_rls.py measures the difference). The live event feed listens on a
    connection of its own to ``events_url``, or without one on a connection held from ``pool``."""
    raw = pool
    if rls:
        pool = TenantPool(pool)
    docs = KnowledgeDocs(pool)
    knowledge = ApiKnowledge(settings, registry=docs, embedder=embedder)
    services = ApiServices(
        companies=Companies(pool),
        bots=Bots(pool),
        company_bots=CompanyBots(pool),
        calls=CallHistory(pool),
        analytics=Analytics(pool),
        webhooks=CompanyWebhooks(pool),
        knowledge_docs=docs,
        knowledge=knowledge,
        readiness=lambda: readiness(raw),  # reads only schema_migrations
        limits=limits or ApiLimits(),
        webhook_secret_grace=webhook_secret_grace,
        webhook_policy=HostPolicy.from_env() if webhook_policy is None else webhook_policy,
        replay=ApiReplay(pool, settings),
        secrets=CompanySecrets(pool),
        post_calls=PostCalls(pool),
        retention=Retention(pool),
        book=Book(pool),
        console_sessions=ConsoleSessions(pool),
        console=ConsoleQueries(pool),
        outbound=CampaignService(pool, dialer=dialer),
        # The hub's fan-out reads across the companies followed (filtered by the subscriptions, not by
        # the request): they go to the pool as opened, like readiness, never a company-scoped wrapper.
        events=event_hub_on(pool, fanout_pool=raw, url=events_url, settings=event_settings),
    )
    return services, knowledge


def event_hub_on(
    pool: Any,
    *,
    fanout_pool: Any = None,
    url: str | None = None,
    settings: EventStreamSettings | None = None,
) -> EventHub:
    """The live event hub: the stream routes read on ``pool``; the fan-out reads (every followed call
    and company at once, outside requests) on ``fanout_pool`` (default ``pool``). It LISTENs on a
    connection of its own to ``url``, or without one on a connection held from ``fanout_pool``."""
    raw = pool if fanout_pool is None else fanout_pool

    def feed(on_range: Callable[[int, int], None], on_resume: Callable[[], None]) -> EventFeed:
        if url is not None:
            return EventFeed.on_url(url, on_range=on_range, on_resume=on_resume)
        return EventFeed.on_pool(raw, on_range=on_range, on_resume=on_resume)

    return EventHub(
        CallEvents(pool),
        fanout=CallEvents(raw),
        feed=feed,
        settings=settings or EventStreamSettings.from_env(),
    )


class ApiReplay:
    """The API's replay operations over :mod:`voicebot.runtime_replay` (reads calls, keeps results)."""

    def __init__(self, pool: Any, settings: Settings) -> None:
        self._pool = pool
        self._settings = settings

    async def replay(
        self, company_id: uuid.UUID, bot_id: uuid.UUID, scenario: LoadedScenario, *, since: dt.datetime
    ) -> dict[str, Any]:
        from voicebot.runtime_replay import ReplayOptions, replay_loaded

        report = await replay_loaded(
            self._pool,
            bot_id,
            scenario,
            ReplayOptions(since=since),
            settings=self._settings,
        )
        return report.to_json()

    async def deploy(
        self,
        company_id: uuid.UUID,
        phone: str,
        scenario: LoadedScenario,
        *,
        since: dt.datetime,
        warn_only: bool,
    ) -> tuple[dict[str, Any] | None, object | None]:
        from voicebot.runtime_replay import deploy_with_replay

        gated = await deploy_with_replay(
            self._pool,
            company_id,
            phone,
            scenario,
            since=since,
            warn_only=warn_only,
            settings=self._settings,
            activate=False,
        )
        return (gated.report.to_json() if gated.report else None), gated.deployed

    async def kept(self, bot_id: uuid.UUID) -> list[dict[str, Any]]:
        from voicebot.storage.repositories.recordings import ReplayResults

        rows = await ReplayResults(self._pool).for_bot(bot_id)
        return [
            {
                "version": r.version,
                "calls": r.calls,
                "unchanged": r.unchanged,
                "improved": r.improved,
                "changed": r.changed,
                "regressed": r.regressed,
                "skipped": r.skipped,
                "forced": r.forced,
                "created_at": r.created_at.isoformat(),
            }
            for r in rows
        ]


async def build_api_services(settings: Settings) -> tuple[ApiServices, CloseFn]:
    """Open the pool (VOICEBOT_DB_POOL_MIN/MAX) and build the API's services; returns their closer."""
    db = await Database.open(settings)
    # POST /v1/calls places calls through the LiveKit server API when it is configured
    lk_client: Any = None
    dialer: Dialer | None = None
    if settings.livekit_url and settings.livekit_api_key and settings.livekit_api_secret:
        from voicebot.telephony.outbound import LiveKitDialer, livekit_client

        cfg = CampaignSettings.from_env()
        lk_client = livekit_client(
            settings.livekit_url, settings.livekit_api_key, settings.livekit_api_secret
        )
        dialer = LiveKitDialer(lk_client, default_trunk=cfg.outbound_trunk, ring_timeout=cfg.ring_timeout)
    services, knowledge = api_services_on(db.pool, settings, dialer=dialer, events_url=db.url)

    async def close() -> None:
        try:
            await asyncio.to_thread(knowledge.close)
        finally:
            if lk_client is not None:
                await lk_client.aclose()
            await db.close()

    return services, close

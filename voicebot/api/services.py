"""What the admin API needs, handed in by the composition root (:mod:`voicebot.runtime_api`).

The API never opens a pool or a Qdrant client itself: :func:`voicebot.api.create_app` takes an
:class:`ApiServices` built by ``build_api_services(settings)`` (or by a test on its own pool).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from voicebot.errors import ConfigError
from voicebot.outcomes.urlguard import HostPolicy
from voicebot.storage.repositories.analytics import Analytics
from voicebot.storage.repositories.bots import Bots
from voicebot.storage.repositories.call_history import CallHistory
from voicebot.storage.repositories.companies import Companies
from voicebot.storage.repositories.company_bots import CompanyBots
from voicebot.storage.repositories.company_webhooks import CompanyWebhooks
from voicebot.storage.repositories.knowledge_docs import KnowledgeDocs

__all__ = ["ApiLimits", "ApiServices", "KnowledgeAccess", "KnowledgeOps", "OutboundOps"]


class KnowledgeOps(Protocol):
    """The part of :class:`voicebot.knowledge.KnowledgeService` the API uses."""

    async def add(self, bot_id: uuid.UUID, path: Path) -> object: ...
    async def remove(self, bot_id: uuid.UUID, ref: str) -> object: ...


class KnowledgeAccess(Protocol):
    """Opens the knowledge service for one operation.

    Qdrant local mode locks its directory to one process, and call processes must be able to take
    their snapshots, so with a local directory each ingest or removal opens it, works, and closes it
    (one at a time in this process). With a Qdrant server the store stays open.
    """

    @property
    def embedder_name(self) -> str: ...

    def open(self) -> AbstractAsyncContextManager[KnowledgeOps]: ...


class OutboundOps(Protocol):
    """Campaigns, the do-not-call list and single outbound calls
    (:class:`voicebot.runtime_campaigns.CampaignService`)."""

    campaigns: Any
    do_not_call: Any

    async def create(
        self, company_id: uuid.UUID, spec: Any, rows: Any = None, *, csv_data: Any = None
    ) -> Any: ...
    async def start(self, company_id: uuid.UUID, campaign_id: uuid.UUID) -> Any: ...
    async def pause(self, company_id: uuid.UUID, campaign_id: uuid.UUID) -> Any: ...
    async def resume(self, company_id: uuid.UUID, campaign_id: uuid.UUID) -> Any: ...
    async def stop(self, company_id: uuid.UUID, campaign_id: uuid.UUID) -> Any: ...
    async def progress(self, company_id: uuid.UUID, campaign_id: uuid.UUID) -> Any: ...
    async def place_call(
        self, company_id: uuid.UUID, bot_id: uuid.UUID, number: str, variables: Mapping[str, str]
    ) -> Any: ...


@dataclass(frozen=True, slots=True)
class ApiLimits:
    """Request size and paging bounds."""

    max_body_bytes: int = 1024 * 1024  # JSON bodies, scenario YAML included
    max_upload_bytes: int = 25 * 1024 * 1024  # one knowledge document (IngestLimits.max_file_bytes)
    max_page: int = 200

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_upload_bytes", "max_page"):
            if getattr(self, name) < 1:
                raise ConfigError(f"ApiLimits.{name}={getattr(self, name)} must be at least 1")


@dataclass(frozen=True, kw_only=True)
class ApiServices:
    companies: Companies
    bots: Bots
    company_bots: CompanyBots
    calls: CallHistory
    analytics: Analytics
    webhooks: CompanyWebhooks
    knowledge_docs: KnowledgeDocs
    knowledge: KnowledgeAccess
    readiness: Callable[[], Awaitable[str | None]]
    limits: ApiLimits = field(default_factory=ApiLimits)
    webhook_secret_grace: dt.timedelta = dt.timedelta(hours=24)
    webhook_policy: HostPolicy = field(default_factory=HostPolicy)
    """Which webhook URLs may be saved: the delivery guard's rules (VOICEBOT_WEBHOOK_ALLOW_HOSTS)."""
    outbound: OutboundOps | None = None
    """Campaigns, do-not-call and POST /v1/calls (None: those routes answer 503)."""

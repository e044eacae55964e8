"""What the admin API needs, handed in by the composition root (:mod:`voicebot.runtime_api`).

The API never opens a pool or a Qdrant client itself: :func:`voicebot.api.create_app` takes an
:class:`ApiServices` built by ``build_api_services(settings)`` (or by a test on its own pool).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from voicebot.api.event_hub import EventHub
from voicebot.dialogue.ports import Passage
from voicebot.errors import ConfigError
from voicebot.outcomes.urlguard import HostPolicy
from voicebot.scenario import LoadedScenario
from voicebot.storage.repositories.analytics import Analytics
from voicebot.storage.repositories.book import Book
from voicebot.storage.repositories.bots import Bots
from voicebot.storage.repositories.call_history import CallHistory
from voicebot.storage.repositories.companies import Companies
from voicebot.storage.repositories.company_bots import CompanyBots
from voicebot.storage.repositories.company_secrets import CompanySecrets
from voicebot.storage.repositories.company_webhooks import CompanyWebhooks
from voicebot.storage.repositories.console import ConsoleQueries, ConsoleSessions
from voicebot.storage.repositories.knowledge_docs import KnowledgeDocs
from voicebot.storage.repositories.post_call import PostCalls
from voicebot.storage.retention import Retention

__all__ = ["ApiLimits", "ApiServices", "KnowledgeAccess", "KnowledgeOps", "OutboundOps", "ReplayOps"]


class KnowledgeOps(Protocol):
    """The part of :class:`voicebot.knowledge.KnowledgeService` the API uses."""

    async def add(self, bot_id: uuid.UUID, path: Path) -> object: ...
    async def remove(self, bot_id: uuid.UUID, ref: str) -> object: ...
    async def search(self, bot_id: uuid.UUID | str, query: str, *, top_k: int = 5) -> Sequence[Passage]: ...


class KnowledgeAccess(Protocol):
    """Opens the knowledge service for one operation.

    Qdrant local mode locks its directory to one process, and call processes must be able to take
    their snapshots, so with a local directory each ingest or removal opens it, works, and closes it
    (one at a time in this process). With a Qdrant server the store stays open.
    """

    @property
    def embedder_name(self) -> str: ...

    def open(self) -> AbstractAsyncContextManager[KnowledgeOps]: ...


class ReplayOps(Protocol):
    """Replaying a bot's recorded calls on a scenario (voicebot.runtime_replay): /v1/bots/{id}/replay."""

    async def replay(
        self, company_id: uuid.UUID, bot_id: uuid.UUID, scenario: LoadedScenario, *, since: dt.datetime
    ) -> dict[str, Any]: ...

    async def deploy(
        self,
        company_id: uuid.UUID,
        phone: str,
        scenario: LoadedScenario,
        *,
        since: dt.datetime,
        warn_only: bool,
    ) -> tuple[dict[str, Any] | None, object | None]:
        """(the replay report or None for a new bot, the DeployResult or None when refused)."""
        ...

    async def kept(self, bot_id: uuid.UUID) -> list[dict[str, Any]]: ...


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
    book: Book
    """The built-in appointment book (resources and bookings)."""
    replay: ReplayOps | None = None
    """Replaying recorded calls on a new scenario (``/v1/bots/{id}/replay``); None: not offered."""
    secrets: CompanySecrets | None = None
    """The company's action secrets (``/v1/secrets``)."""
    post_calls: PostCalls | None = None
    """Privacy policies, analysis config and analyses (the post-call pipeline); None: routes answer 404."""
    retention: Retention | None = None
    console_sessions: ConsoleSessions | None = None
    """The company console's sign-in sessions (voicebot.console); None: the console is not served."""
    console: ConsoleQueries | None = None
    """The console's extra reads (scenario versions, phone search, live calls, outcome mix)."""
    outbound: OutboundOps | None = None
    """Campaigns, do-not-call and POST /v1/calls (None: those routes answer 503)."""
    events: EventHub | None = None
    """Live call events over SSE (``/v1/calls/{id}/events``, ``/v1/events``); None: those answer 503.
    Started and stopped by the app's lifespan."""

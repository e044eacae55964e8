"""What the campaign dispatcher needs from the outside, as small Protocols.

The composition root (:mod:`voicebot.runtime_campaigns`) hands in the real adapters: the durable queue
(:class:`voicebot.storage.queue.JobQueue`), the campaign store
(:class:`voicebot.storage.repositories.campaigns.CampaignAttempts`) and the LiveKit dialer
(:class:`voicebot.telephony.outbound.LiveKitDialer`). Tests use the same real adapters on a real
Postgres and the local LiveKit server fake.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from voicebot.campaigns.retry import AttemptStatus, RetryPolicy
from voicebot.campaigns.windows import CallingWindow

__all__ = [
    "QUEUE_NAME",
    "AttemptContext",
    "Begun",
    "CampaignStore",
    "DialResult",
    "Dialer",
    "JobLike",
    "Queue",
    "job_key",
]

QUEUE_NAME = "campaign_call"
"""The durable queue's name for campaign call attempts (group = campaign id)."""


def job_key(campaign_id: uuid.UUID, phone: str, attempt_no: int) -> str:
    """The idempotency key of one attempt's job: the same attempt is never enqueued twice."""
    return f"{campaign_id}:{phone}:{attempt_no}"


class JobLike(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def attempt(self) -> int: ...


class Queue(Protocol):
    """The part of voicebot.storage.queue.JobQueue the dispatcher uses."""

    async def claim(self, queue: str, *, limit: int, lease: dt.timedelta, worker: str) -> Sequence[Any]: ...
    async def complete(self, job: Any, *, result: Mapping[str, Any] | None = None) -> bool: ...
    async def retry(self, job: Any, *, error: str, delay: dt.timedelta) -> bool: ...
    async def extend(self, job: Any, *, lease: dt.timedelta) -> bool: ...


@dataclass(frozen=True, slots=True)
class AttemptContext:
    """Everything one attempt needs, read in one query."""

    campaign_id: uuid.UUID
    company_id: uuid.UUID
    campaign_status: str
    number_status: str
    phone: str
    timezone: str
    variables: dict[str, str]
    bot_number: str
    bot_active: bool
    trunk_id: str | None
    window: CallingWindow
    policy: RetryPolicy
    max_concurrent: int
    on_do_not_call: bool


@dataclass(frozen=True, slots=True)
class Begun:
    """The result of reserving a dial: ``started`` (a new attempt row), ``full`` (max_concurrent live
    attempts already), or ``exists`` (this attempt number was begun before, by a dispatcher that may
    have died: its status says what happened)."""

    kind: Literal["started", "full", "exists"]
    attempt_id: uuid.UUID | None = None
    call_id: uuid.UUID | None = None
    status: str | None = None


class CampaignStore(Protocol):
    async def attempt_context(self, campaign_id: uuid.UUID, phone: str) -> AttemptContext | None: ...
    async def begin_attempt(
        self,
        *,
        campaign_id: uuid.UUID,
        phone: str,
        attempt_no: int,
        job_id: uuid.UUID,
        worker: str,
        max_concurrent: int,
    ) -> Begun: ...
    async def finish_attempt(
        self,
        attempt_id: uuid.UUID,
        *,
        status: AttemptStatus,
        sip_status_code: int | None = None,
        sip_status: str | None = None,
        error: str | None = None,
        room: str | None = None,
    ) -> None: ...
    async def record_skipped(
        self, campaign_id: uuid.UUID, phone: str, attempt_no: int, *, status: AttemptStatus
    ) -> None: ...
    async def settle_number(
        self, campaign_id: uuid.UUID, phone: str, *, status: str, attempts: int, last_status: str
    ) -> None: ...
    async def schedule_next(
        self,
        campaign_id: uuid.UUID,
        phone: str,
        *,
        attempt_no: int,
        run_at: dt.datetime,
        last_status: str,
    ) -> None:
        """Enqueue attempt ``attempt_no`` due at ``run_at`` and note the number's last status, atomically."""
        ...

    async def complete_if_done(self, campaign_id: uuid.UUID) -> bool: ...


@dataclass(frozen=True, slots=True)
class DialResult:
    status: AttemptStatus
    sip_status_code: int | None = None
    sip_status: str | None = None
    room: str | None = None
    error: str | None = None


class Dialer(Protocol):
    """Places one outbound call and waits for its SIP answer (or a ring timeout)."""

    async def dial(
        self,
        *,
        number: str,
        bot_number: str,
        trunk_id: str | None,
        call_id: uuid.UUID,
        variables: Mapping[str, str],
        campaign_id: uuid.UUID | None,
        wait_until_answered: bool = True,
    ) -> DialResult: ...

"""Composition of outbound calling: campaigns (API, CLI, dispatcher) and single calls.

    service = CampaignService(pool, dialer=...)          # create / start / pause / resume / stop / progress
    dispatcher = campaign_dispatcher(pool, dialer, cfg)  # voicebot campaigns run
    async with livekit_dialer(settings, cfg) as dialer:  # the LiveKit server API (telephony/)

``voicebot.campaigns`` is pure domain logic; the storage repositories and the telephony dialer meet it
here, through the Protocols of :mod:`voicebot.campaigns.ports`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from voicebot.campaigns.config import CampaignSettings
from voicebot.campaigns.dispatcher import CampaignDispatcher
from voicebot.campaigns.numbers import e164, rows_from_csv
from voicebot.campaigns.ports import AttemptContext, Begun, Dialer
from voicebot.campaigns.retry import AttemptStatus, RetryPolicy
from voicebot.campaigns.spec import CampaignInputError, CampaignSpec, check_numbers
from voicebot.campaigns.windows import CallingWindow, zone
from voicebot.errors import ConfigError, ProviderError
from voicebot.settings import Settings
from voicebot.storage.queue import JobQueue
from voicebot.storage.repositories.campaign_attempts import CampaignAttempts
from voicebot.storage.repositories.campaigns import (
    CampaignInfo,
    CampaignProgress,
    Campaigns,
    NewCampaign,
    NewNumber,
)
from voicebot.storage.repositories.do_not_call import DoNotCall

__all__ = [
    "CampaignService",
    "PlacedCall",
    "StoreAdapter",
    "campaign_dispatcher",
    "livekit_dialer",
    "spec_of",
]

Clock = Callable[[], dt.datetime]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def spec_of(info: CampaignInfo) -> CampaignSpec:
    """The domain view of a stored campaign."""
    return CampaignSpec(
        bot_id=info.bot_id,
        name=info.name,
        window=CallingWindow(
            start=info.window_start,
            end=info.window_end,
            days=tuple(info.window_days),
            starts_at=info.starts_at,
            ends_at=info.ends_at,
        ),
        default_timezone=info.default_timezone,
        max_concurrent=info.max_concurrent,
        policy=RetryPolicy(
            max_attempts=info.max_attempts, retry_on=tuple(info.retry_on), delays=tuple(info.retry_delays_s)
        ),
        trunk_id=info.trunk_id,
    )


class StoreAdapter:
    """storage's CampaignAttempts as the dispatcher's CampaignStore."""

    def __init__(self, attempts: CampaignAttempts) -> None:
        self._a = attempts

    async def attempt_context(self, campaign_id: uuid.UUID, phone: str) -> AttemptContext | None:
        row = await self._a.context(campaign_id, phone)
        if row is None:
            return None
        return AttemptContext(
            campaign_id=row.campaign_id,
            company_id=row.company_id,
            campaign_status=row.campaign_status,
            number_status=row.number_status,
            phone=row.phone,
            timezone=row.timezone,
            variables=dict(row.variables),
            bot_number=row.bot_number,
            bot_active=row.bot_active,
            trunk_id=row.trunk_id,
            window=CallingWindow(
                start=row.window_start,
                end=row.window_end,
                days=tuple(row.window_days),
                starts_at=row.starts_at,
                ends_at=row.ends_at,
            ),
            policy=RetryPolicy(
                max_attempts=row.max_attempts, retry_on=tuple(row.retry_on), delays=tuple(row.retry_delays_s)
            ),
            max_concurrent=row.max_concurrent,
            on_do_not_call=row.on_do_not_call,
        )

    async def begin_attempt(self, **kwargs: Any) -> Begun:
        r = await self._a.begin(**kwargs)
        return Begun(r.kind, r.attempt_id, r.call_id, r.status)

    async def finish_attempt(self, attempt_id: uuid.UUID, **kwargs: Any) -> None:
        await self._a.finish(attempt_id, **kwargs)

    async def record_skipped(
        self, campaign_id: uuid.UUID, phone: str, attempt_no: int, *, status: AttemptStatus
    ) -> None:
        await self._a.record_skipped(campaign_id, phone, attempt_no, status=status)

    async def settle_number(self, campaign_id: uuid.UUID, phone: str, **kwargs: Any) -> None:
        await self._a.settle_number(campaign_id, phone, **kwargs)

    async def schedule_next(self, campaign_id: uuid.UUID, phone: str, **kwargs: Any) -> None:
        await self._a.schedule_next(campaign_id, phone, **kwargs)

    async def complete_if_done(self, campaign_id: uuid.UUID) -> bool:
        return await self._a.complete_if_done(campaign_id)


def campaign_dispatcher(
    pool: Any,
    dialer: Dialer,
    cfg: CampaignSettings,
    *,
    worker: str | None = None,
    clock: Clock = _utcnow,
) -> CampaignDispatcher:
    queue = JobQueue(pool)
    return CampaignDispatcher(
        queue=queue,
        store=StoreAdapter(CampaignAttempts(pool, queue=queue)),
        dialer=dialer,
        worker=worker,
        clock=clock,
        concurrency=cfg.concurrency,
        lease=cfg.lease,
        capacity_wait=cfg.capacity_wait,
        poll_interval=cfg.poll_interval,
    )


@asynccontextmanager
async def livekit_dialer(settings: Settings, cfg: CampaignSettings) -> AsyncIterator[Dialer]:
    """The LiveKit dialer on LIVEKIT_URL / _API_KEY / _API_SECRET (ConfigError when unset)."""
    from voicebot.telephony.control import livekit_api
    from voicebot.telephony.outbound import LiveKitDialer

    async with livekit_api(settings.livekit_url, settings.livekit_api_key, settings.livekit_api_secret) as c:
        yield LiveKitDialer(c, default_trunk=cfg.outbound_trunk, ring_timeout=cfg.ring_timeout)


@dataclass(frozen=True, slots=True)
class PlacedCall:
    call_id: uuid.UUID
    room: str | None
    to: str
    bot_id: uuid.UUID


class CampaignService:
    """What the API and the CLI do with campaigns, the do-not-call list and single outbound calls."""

    def __init__(self, pool: Any, *, dialer: Dialer | None = None, clock: Clock = _utcnow) -> None:
        self._pool = pool
        self.campaigns = Campaigns(pool)
        self.do_not_call = DoNotCall(pool)
        self._dialer = dialer
        self._clock = clock

    async def create(
        self,
        company_id: uuid.UUID,
        spec: CampaignSpec,
        rows: Iterable[Mapping[str, Any]] | None = None,
        *,
        csv_data: bytes | str | None = None,
    ) -> CampaignInfo:
        """Validate every row, then store the campaign and all its numbers at once (status draft).
        CampaignInputError (every bad row) and nothing stored when any row is bad."""
        lines: list[int] | None = None
        if csv_data is not None:
            parsed, lines, file_errors = rows_from_csv(csv_data)
            if file_errors:
                raise CampaignInputError(file_errors, len(file_errors))
            rows = parsed
        dnc = await self.do_not_call.all_numbers(company_id)
        checked = check_numbers(spec, rows or [], now=self._clock(), do_not_call=dnc, lines=lines)
        w = spec.window
        return await self.campaigns.create(
            company_id,
            NewCampaign(
                bot_id=spec.bot_id,
                name=spec.name.strip(),
                window_start=w.start,
                window_end=w.end,
                window_days=w.days,
                starts_at=w.starts_at,
                ends_at=w.ends_at,
                default_timezone=spec.default_timezone,
                max_concurrent=spec.max_concurrent,
                max_attempts=spec.policy.max_attempts,
                retry_on=spec.policy.retry_on,
                retry_delays_s=spec.policy.delays,
                trunk_id=spec.trunk_id,
            ),
            [NewNumber(n.row, n.phone, n.timezone, n.variables) for n in checked.rows],
        )

    async def start(self, company_id: uuid.UUID, campaign_id: uuid.UUID) -> CampaignInfo:
        """draft -> running: every number's first attempt enqueued at its window's next opening."""
        info = await self.campaigns.get(company_id, campaign_id)
        window = spec_of(info).window
        now = self._clock()
        window.check_not_past(now)
        zones = await self.campaigns.timezones(company_id, campaign_id)
        due = {name: window.next_open(now, zone(name)) for name in zones}
        return await self.campaigns.start(company_id, campaign_id, due)

    async def pause(self, company_id: uuid.UUID, campaign_id: uuid.UUID) -> CampaignInfo:
        return await self.campaigns.pause(company_id, campaign_id)

    async def resume(self, company_id: uuid.UUID, campaign_id: uuid.UUID) -> CampaignInfo:
        return await self.campaigns.resume(company_id, campaign_id)

    async def stop(self, company_id: uuid.UUID, campaign_id: uuid.UUID) -> CampaignInfo:
        return await self.campaigns.stop(company_id, campaign_id)

    async def progress(self, company_id: uuid.UUID, campaign_id: uuid.UUID) -> CampaignProgress:
        return await self.campaigns.progress(company_id, campaign_id)

    async def place_call(
        self, company_id: uuid.UUID, bot_id: uuid.UUID, number: str, variables: Mapping[str, str]
    ) -> PlacedCall:
        """One outbound call now (POST /v1/calls): E.164, not on the do-not-call list, the company's
        active bot. Returns once LiveKit accepted the call (it rings); the call is recorded under
        ``call_id`` when answered, with its outcome and webhook as for any call."""
        try:
            to = e164(number)
        except ConfigError as exc:
            raise ConfigError(f"to: {exc}") from None
        bot_number, active = await _bot_of(self._pool, company_id, bot_id)
        if not active:
            raise ConfigError(f"bot {bot_id} is not active")
        if await self.do_not_call.contains(company_id, to):
            raise ConfigError(f"to: {to} is on the company's do-not-call list")
        if self._dialer is None:
            raise ConfigError(
                "outbound calls are not configured: set LIVEKIT_URL, LIVEKIT_API_KEY, "
                "LIVEKIT_API_SECRET and LIVEKIT_SIP_OUTBOUND_TRUNK"
            )
        call_id = uuid.uuid4()
        result = await self._dialer.dial(
            number=to,
            bot_number=bot_number,
            trunk_id=None,
            call_id=call_id,
            variables=variables,
            campaign_id=None,
            wait_until_answered=False,
        )
        if result.status != "answered":
            raise ProviderError(f"the call could not be placed: {result.error}", provider="livekit")
        return PlacedCall(call_id, result.room, to, bot_id)


async def _bot_of(pool: Any, company_id: uuid.UUID, bot_id: uuid.UUID) -> tuple[str, bool]:
    from voicebot.storage.repositories.company_bots import CompanyBots

    bot = await CompanyBots(pool).get(company_id, bot_id)  # NotFoundError for another company's bot
    return bot.phone_number, bot.is_active

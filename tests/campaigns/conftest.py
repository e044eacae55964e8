"""Campaign fixtures: a company with a bot on a real Postgres, the real dialer against the local LiveKit
server fake (scripted SIP callees), the real dispatcher with an injected clock."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.api.seed import scenario
from tests.campaigns.sip_callees import ScriptedCallees
from voicebot.campaigns import CallingWindow, CampaignDispatcher, RetryPolicy
from voicebot.campaigns.config import CampaignSettings
from voicebot.campaigns.spec import CampaignSpec
from voicebot.runtime_campaigns import CampaignService, campaign_dispatcher
from voicebot.scenario.loader import load_text
from voicebot.storage import Bots, Companies
from voicebot.telephony.outbound import LiveKitDialer

MONDAY_NOON = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
"""Monday 12:00 UTC: 13:00 in Berlin (inside 09:00-20:00)."""


@dataclass
class Clock:
    now: dt.datetime = MONDAY_NOON

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class World:
    pool: Any
    company_id: uuid.UUID
    bot_id: uuid.UUID
    bot_number: str
    lk: ScriptedCallees
    dialer: LiveKitDialer
    service: CampaignService
    clock: Clock
    dispatchers: list[CampaignDispatcher] = field(default_factory=list)

    def dispatcher(self, worker: str = "d1", **kwargs: Any) -> CampaignDispatcher:
        cfg = CampaignSettings(
            concurrency=kwargs.pop("concurrency", 10),
            lease=kwargs.pop("lease", dt.timedelta(seconds=60)),
            ring_timeout=dt.timedelta(seconds=2),
            capacity_wait=kwargs.pop("capacity_wait", dt.timedelta(seconds=1)),
            poll_interval=0.02,
        )
        d = campaign_dispatcher(self.pool, self.dialer, cfg, worker=worker, clock=self.clock)
        self.dispatchers.append(d)
        return d

    def spec(self, **kwargs: Any) -> CampaignSpec:
        kwargs.setdefault("window", CallingWindow())
        kwargs.setdefault("default_timezone", "Europe/Berlin")
        kwargs.setdefault("policy", RetryPolicy(max_attempts=3, delays=(0,)))
        return CampaignSpec(bot_id=self.bot_id, name=kwargs.pop("name", "spring recall"), **kwargs)


async def make_world(pool: Any) -> AsyncIterator[World]:
    created = await Companies(pool).create(f"Acme {uuid.uuid4().hex[:6]}")
    bot_number = "+4930" + str(uuid.uuid4().int)[:8]
    deployed = await Bots(pool).deploy(created.company.id, bot_number, load_text(scenario(), "mini.yaml"))
    async with ScriptedCallees() as lk:
        client = lk.api()
        try:
            dialer = LiveKitDialer(client, default_trunk="ST_outbound", ring_timeout=dt.timedelta(seconds=5))
            clock = Clock()
            yield World(
                pool,
                created.company.id,
                deployed.bot_id,
                bot_number,
                lk,
                dialer,
                CampaignService(pool, dialer=dialer, clock=clock),
                clock,
            )
        finally:
            await client.aclose()


@pytest.fixture
async def world(db_pool: Any) -> AsyncIterator[World]:
    async for w in make_world(db_pool):
        yield w

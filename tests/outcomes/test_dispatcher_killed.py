"""A dispatcher process killed (SIGKILL) mid-delivery: after a restart the event is delivered.

The first attempt's lease keeps other dispatchers off the row until it runs out; then the event is
claimed again and delivered (at-least-once, same event id)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from typing import Any

from voicebot.runtime_outcomes import build_outcome_services

from .conftest import Receiver, facts, fast_settings, finished, make_tenant


async def _dispatcher_process(database_url: str) -> asyncio.subprocess.Process:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        VOICEBOT_WEBHOOK_ALLOW_HOSTS="127.0.0.0/8",
        VOICEBOT_WEBHOOK_TIMEOUT="2s",
        VOICEBOT_WEBHOOK_LEASE="3s",
        VOICEBOT_WEBHOOK_POLL_INTERVAL="50ms",
        VOICEBOT_WEBHOOK_SCHEDULE="100ms,100ms",
    )
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "voicebot", "webhooks", "run", "--no-reaper",
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def test_killed_mid_delivery_is_delivered_after_restart(
    db_pool: Any, database_url: str, receiver: Receiver
) -> None:
    receiver.behaviour = lambda n: ("sleep", 4.0, 200) if n == 1 else 200
    tenant = await make_tenant(db_pool, receiver.url)
    receiver.secret = tenant.secret
    services = build_outcome_services(db_pool, fast_settings())
    try:
        [event_id] = (await services.finalizer.finalize(finished(), facts(tenant))).event_ids
    finally:
        await services.aclose()

    first = await _dispatcher_process(database_url)
    await asyncio.wait_for(receiver.started.wait(), 30)  # the request is in flight
    first.send_signal(signal.SIGKILL)
    await first.wait()
    killed_at = time.monotonic()
    row = await db_pool.fetchrow("SELECT status, attempts FROM webhook_outbox WHERE event_id=$1", event_id)
    assert (row["status"], row["attempts"]) == ("pending", 1)  # leased, never settled

    second = await _dispatcher_process(database_url)
    try:
        deadline = time.monotonic() + 30
        while (
            receiver.arrivals < 2
            or await db_pool.fetchval("SELECT status FROM webhook_outbox WHERE event_id=$1", event_id)
            != "delivered"
        ):
            assert time.monotonic() < deadline, "not settled after restart"
            await asyncio.sleep(0.05)
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 15) == 0  # SIGTERM drains and exits cleanly
    assert time.monotonic() - killed_at > 1.0  # it waited for the lease, not sending twice at once
    attempts = await db_pool.fetch(
        "SELECT attempt, status_code FROM webhook_deliveries WHERE event_id=$1", event_id
    )
    assert [(a["attempt"], a["status_code"]) for a in attempts] == [(2, 200)]

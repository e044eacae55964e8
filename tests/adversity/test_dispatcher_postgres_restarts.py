"""Adversity: Postgres restarted again and again under a running dispatcher. It keeps running, logs one
line per outage (not one per poll), and delivers every event exactly once."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

from structlog.testing import capture_logs

from tests.conftest import PrivatePostgres
from tests.outcomes.conftest import facts, finished
from voicebot.runtime_outcomes import build_outcome_services
from voicebot.storage import create_pool

from .conftest import Receiver, fast_settings, make_tenant

RESTARTS = 5


async def test_the_dispatcher_outlives_repeated_postgres_restarts_and_delivers_everything(
    private_postgres: PrivatePostgres, receiver: Receiver, tmp_path: Path
) -> None:
    pool = await create_pool(private_postgres.url, min_size=1, max_size=4, command_timeout=5)
    await pool.execute("TRUNCATE calls, companies CASCADE")
    tenant = await make_tenant(pool, receiver.url)
    receiver.secret = tenant.secret
    services = build_outcome_services(pool, fast_settings())
    stop = asyncio.Event()
    expected: set[str] = set()

    async def finalize_one() -> None:
        for _ in range(100):  # right after a restart the pool may still hand out a dead connection
            try:
                result = await services.finalizer.finalize(finished(), facts(tenant, call_id=uuid.uuid4()))
                expected.update(str(e) for e in result.event_ids)
                return
            except Exception:
                await asyncio.sleep(0.1)
        raise AssertionError("finalize never succeeded")

    with capture_logs() as logs:
        dispatching = asyncio.create_task(services.dispatcher().run(stop))
        try:
            for _ in range(RESTARTS):
                await finalize_one()
                await asyncio.sleep(0.2)
                await asyncio.to_thread(private_postgres.stop)
                await asyncio.sleep(1.0)  # ~50 polls of 20 ms while it is down
                assert not dispatching.done(), "the dispatcher exited during an outage"
                await asyncio.to_thread(private_postgres.start)
            await finalize_one()
            deadline = time.monotonic() + 30
            while not expected <= set(receiver.delivered_ids()):
                assert time.monotonic() < deadline, "not every event was delivered"
                assert not dispatching.done(), "the dispatcher exited"
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            await dispatching
            await services.aclose()
            await pool.close()
    delivered = receiver.delivered_ids()
    assert sorted(delivered) == sorted(expected)  # each exactly once
    down = [e for e in logs if e["event"] == "webhook_claim_failed"]
    up = [e for e in logs if e["event"] == "webhook_claim_recovered"]
    assert 1 <= len(down) <= RESTARTS and len(up) == len(down)

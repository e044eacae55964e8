"""Adversity: the post-call pipeline under a Postgres restart and a worker that dies holding jobs.
Every finalized call is analyzed exactly once (one call_analyses row, one call.analyzed event); no job
is lost."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Any

from tests.analysis.helpers import finalize, seed_call
from tests.conftest import PrivatePostgres
from tests.outcomes.conftest import fast_settings, make_tenant
from voicebot.analysis.config import PipelineSettings
from voicebot.analysis.pipeline import POST_CALL_QUEUE
from voicebot.runtime_analysis import build_analysis_services
from voicebot.runtime_outcomes import build_outcome_services
from voicebot.storage import create_pool

CALLS = 24
LATE = 6


async def _wait(
    pool: Any, predicate_sql: str, want: int, running: asyncio.Task[None], timeout: float = 40
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if await pool.fetchval(predicate_sql) == want:
                return
        except Exception:
            pass  # right after the restart a pooled connection may be dead
        assert time.monotonic() < deadline, f"not reached: {predicate_sql}"
        assert not running.done(), "the worker exited"
        await asyncio.sleep(0.05)


async def test_no_post_call_job_is_lost_to_a_restart_or_a_dead_worker(
    private_postgres: PrivatePostgres,
) -> None:
    pool = await create_pool(private_postgres.url, min_size=1, max_size=4, command_timeout=5)
    outcomes = build_outcome_services(pool, fast_settings())
    analysis = build_analysis_services(pool, PipelineSettings(poll_interval=0.02))
    try:
        tenant = await make_tenant(pool, "https://hooks.example.com/x")
        call_ids = []
        for i in range(CALLS):
            call_id, start, end = await seed_call(
                pool, tenant, [("bot", "Your number?", 0.0), ("caller", f"it is 212 555 01{i:02d}", 2.0)]
            )
            await finalize(outcomes, tenant, call_id, start, end)
            call_ids.append(call_id)

        # A worker claims three jobs and dies without settling them (its lease is short).
        dead = await analysis.queue.claim(
            POST_CALL_QUEUE, limit=3, lease=dt.timedelta(seconds=1), worker="dead"
        )
        assert len(dead) == 3

        worker = analysis.worker(name="survivor", lease=dt.timedelta(seconds=2), backoff=(0.2,))
        running = asyncio.create_task(worker.run())
        await asyncio.sleep(0.1)
        await asyncio.to_thread(private_postgres.stop)
        await asyncio.sleep(1.0)
        assert not running.done(), "the worker exited during the outage"
        await asyncio.to_thread(private_postgres.start)
        for _ in range(LATE):  # calls finalized after the restart (retried while the pool reconnects)
            for _attempt in range(100):
                try:
                    call_id, start, end = await seed_call(pool, tenant, [("caller", "late call", 1.0)])
                    await finalize(outcomes, tenant, call_id, start, end)
                    break
                except Exception:
                    await asyncio.sleep(0.1)

        await _wait(pool, "SELECT count(*) FROM call_analyses", CALLS + LATE, running)
        done = "SELECT count(*) FROM jobs WHERE queue = 'post_call' AND status = 'done'"
        await _wait(pool, done, CALLS + LATE, running)
        await worker.stop()
        await running
        analyzed = "FROM webhook_outbox WHERE event_type = 'call.analyzed'"
        assert await pool.fetchval(f"SELECT count(*) {analyzed}") == CALLS + LATE
        assert await pool.fetchval(f"SELECT count(DISTINCT call_id) {analyzed}") == CALLS + LATE
        claimed_by = {r[0] for r in await pool.fetch("SELECT claimed_by FROM jobs WHERE queue='post_call'")}
        assert claimed_by == {None}  # settled jobs keep no lease
    finally:
        await outcomes.aclose()
        await pool.close()

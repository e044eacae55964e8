"""Adversity: Postgres restarted under a running queue worker. The worker keeps running, logs one line
per outage, and every job enqueued before, during (retried by the producer) and after is done; none is
lost, and none is handled twice unless its lease ran out."""

from __future__ import annotations

import asyncio
import time

from structlog.testing import capture_logs

from tests.conftest import PrivatePostgres
from voicebot.storage import create_pool
from voicebot.storage.queue import Job, JobQueue, JobSpec
from voicebot.storage.queue_worker import QueueWorker

RESTARTS = 3


async def test_a_queue_worker_outlives_postgres_restarts_and_loses_no_job(
    private_postgres: PrivatePostgres,
) -> None:
    pool = await create_pool(private_postgres.url, min_size=1, max_size=4, command_timeout=5)
    await pool.execute("TRUNCATE jobs")
    q = JobQueue(pool)
    handled: list[str] = []

    async def handler(job: Job) -> None:
        handled.append(job.payload["name"])

    async def enqueue(name: str) -> None:
        for _ in range(100):  # right after a restart the pool may still hand out a dead connection
            try:
                await q.enqueue("post_call", JobSpec({"name": name}, key=name))
                return
            except Exception:
                await asyncio.sleep(0.1)
        raise AssertionError("enqueue never succeeded")

    worker = QueueWorker(q, "post_call", handler, worker="w", poll_interval=0.02)
    expected: list[str] = []
    with capture_logs() as logs:
        running = asyncio.create_task(worker.run())
        try:
            for n in range(RESTARTS):
                for i in range(5):
                    expected.append(f"r{n}-{i}")
                    await enqueue(expected[-1])
                await asyncio.sleep(0.2)
                await asyncio.to_thread(private_postgres.stop)
                await asyncio.sleep(1.0)
                assert not running.done(), "the worker exited during an outage"
                await asyncio.to_thread(private_postgres.start)
            expected.append("after")
            await enqueue("after")
            deadline = time.monotonic() + 30
            while not set(expected) <= set(handled):
                assert time.monotonic() < deadline, f"lost: {set(expected) - set(handled)}"
                assert not running.done(), "the worker exited"
                await asyncio.sleep(0.05)
        finally:
            await worker.stop()
            await running
    counts = await q.counts("post_call")
    await pool.close()
    assert counts == {"done": len(expected)}
    assert sorted(set(handled)) == sorted(expected)
    down = [e for e in logs if e["event"] == "queue_worker_db_unavailable"]
    up = [e for e in logs if e["event"] == "queue_worker_db_recovered"]
    assert 1 <= len(down) <= RESTARTS and len(up) == len(down)

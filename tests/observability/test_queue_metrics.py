"""The durable queue's metrics as Prometheus exports them: jobs by result, handler time, the due backlog."""

from __future__ import annotations

import datetime as dt
from typing import Any

from prometheus_client import REGISTRY

from voicebot.errors import StorageError
from voicebot.observability.metrics import QueuePrometheusMetrics, exposition
from voicebot.storage.queue import Job, JobQueue, JobSpec
from voicebot.storage.queue_worker import QueueWorker

QUEUE = "metrics-test"


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"queue": QUEUE, **labels}) or 0.0


async def test_a_worker_exports_jobs_by_result_their_duration_and_the_backlog(db_pool: Any) -> None:
    q = JobQueue(db_pool)
    await q.enqueue_many(
        QUEUE,
        [JobSpec({"do": "ok"}), JobSpec({"do": "ok"}), JobSpec({"do": "flaky"}), JobSpec({"do": "bad"})],
    )
    await q.enqueue(QUEUE, JobSpec({"do": "ok"}, run_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)))
    await db_pool.execute(
        "UPDATE jobs SET run_at = now() - interval '90 seconds' WHERE queue = $1 AND run_at <= now()", QUEUE
    )
    before = {r: _value("voicebot_jobs_total", result=r) for r in ("done", "retry", "dead")}
    runs_before = _value("voicebot_job_duration_seconds_count")

    async def handler(job: Job) -> None:
        if job.payload["do"] == "flaky":
            raise StorageError("the CRM timed out", retryable=True)
        if job.payload["do"] == "bad":
            raise ValueError("not a call")  # retryable unless it says otherwise: retried, not dead
        return None

    async def fatal(job: Job) -> None:
        raise StorageError("no such call", retryable=False)

    worker = QueueWorker(q, QUEUE, handler, worker="w1", metrics=QueuePrometheusMetrics(), backoff=(3600,))
    assert await worker.run_until_idle() == 4
    # sampled before the first claim: 4 due (the future job is not due), the oldest 90 s late
    assert _value("voicebot_jobs_pending") == 4
    assert 89 <= _value("voicebot_jobs_oldest_pending_seconds") < 120
    assert _value("voicebot_jobs_total", result="done") - before["done"] == 2
    assert _value("voicebot_jobs_total", result="retry") - before["retry"] == 2
    assert _value("voicebot_job_duration_seconds_count") - runs_before == 4

    await db_pool.execute("UPDATE jobs SET run_at = now() WHERE queue = $1 AND status = 'pending'", QUEUE)
    dead = QueueWorker(q, QUEUE, fatal, worker="w2", metrics=QueuePrometheusMetrics())
    assert await dead.run_until_idle() == 3  # the two retried and the one that was not due
    assert _value("voicebot_jobs_total", result="dead") - before["dead"] == 3
    assert _value("voicebot_jobs_pending") == 3
    assert (await q.counts(QUEUE)) == {"done": 2, "dead": 3}

    body = exposition()[0].decode()
    assert f'voicebot_jobs_total{{queue="{QUEUE}",result="dead"}}' in body
    assert f'voicebot_jobs_oldest_pending_seconds{{queue="{QUEUE}"}}' in body

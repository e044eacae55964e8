"""The durable job queue on a real Postgres: idempotent enqueue, exclusive leases, fencing, retries
into the dead letter, groups, and the worker that drains a queue."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import pytest

from voicebot.errors import NotFoundError, StorageError
from voicebot.storage.queue import Job, JobQueue, JobSpec
from voicebot.storage.queue_worker import QueueWorker

LEASE = dt.timedelta(seconds=30)


async def test_a_job_with_the_same_key_is_enqueued_once(db_pool: Any) -> None:
    q = JobQueue(db_pool)
    first = await q.enqueue("post_call", JobSpec({"n": 1}, key="call-1"))
    again = await q.enqueue("post_call", JobSpec({"n": 2}, key="call-1"))
    other_queue = await q.enqueue("campaign_call", JobSpec({"n": 3}, key="call-1"))
    assert first is not None and again is None and other_queue is not None
    assert await q.counts("post_call") == {"pending": 1}
    assert (await q.get(first)).payload == {"n": 1}


async def test_a_job_enqueued_in_a_rolled_back_transaction_does_not_exist(db_pool: Any) -> None:
    q = JobQueue(db_pool)
    async with db_pool.acquire() as conn:
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await q.enqueue("post_call", JobSpec({}, key="k"), conn=conn)
                raise RuntimeError("the outcome failed to commit")
    assert await q.counts("post_call") == {}


async def test_enqueue_many_inserts_in_one_statement_and_skips_duplicate_keys(db_pool: Any) -> None:
    q = JobQueue(db_pool)
    specs = [JobSpec({"i": i}, key=f"k{i % 500}", group="g") for i in range(1000)]
    assert await q.enqueue_many("campaign_call", specs) == 500
    assert await q.counts("campaign_call", group="g") == {"pending": 500}


async def test_concurrent_workers_never_claim_the_same_job(db_pool: Any) -> None:
    q = JobQueue(db_pool)
    await q.enqueue_many("post_call", [JobSpec({"i": i}) for i in range(200)])

    async def drain(worker: str) -> list[uuid.UUID]:
        got: list[uuid.UUID] = []
        while jobs := await q.claim("post_call", limit=7, lease=LEASE, worker=worker):
            got += [j.id for j in jobs]
        return got

    claimed = await asyncio.gather(*(drain(f"w{i}") for i in range(4)))
    every = [job for got in claimed for job in got]
    assert len(every) == 200 and len(set(every)) == 200


async def test_a_job_is_not_due_before_run_at(db_pool: Any) -> None:
    q = JobQueue(db_pool)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    await q.enqueue("campaign_call", JobSpec({}, run_at=later))
    assert await q.claim("campaign_call", limit=10, lease=LEASE, worker="w") == []


async def test_a_dead_workers_job_is_claimed_again_after_its_lease_and_the_old_attempt_is_fenced(
    db_pool: Any,
) -> None:
    q = JobQueue(db_pool)
    await q.enqueue("post_call", JobSpec({"x": 1}))
    [first] = await q.claim("post_call", limit=1, lease=dt.timedelta(milliseconds=200), worker="dies")
    assert await q.claim("post_call", limit=1, lease=LEASE, worker="other") == []  # still leased
    await asyncio.sleep(0.3)
    [second] = await q.claim("post_call", limit=1, lease=LEASE, worker="other")
    assert second.id == first.id and second.attempt == first.attempt + 1
    assert await q.complete(first, result={"by": "dies"}) is False  # outlived its lease
    assert await q.complete(second, result={"by": "other"}) is True
    row = await q.get(first.id)
    assert row.status == "done" and row.result == {"by": "other"} and row.attempts == 2


async def test_retries_end_in_the_dead_letter_and_requeue_brings_the_job_back(db_pool: Any) -> None:
    q = JobQueue(db_pool)
    job_id = await q.enqueue("post_call", JobSpec({}, max_attempts=2))
    assert job_id is not None
    for _ in range(2):
        [job] = await q.claim("post_call", limit=1, lease=LEASE, worker="w")
        assert await q.retry(job, error="receiver down", delay=dt.timedelta(0))
    row = await q.get(job_id)
    assert (row.status, row.attempts, row.last_error) == ("dead", 2, "receiver down")
    assert await q.claim("post_call", limit=1, lease=LEASE, worker="w") == []
    again = await q.requeue(job_id)
    assert again.status == "pending" and again.max_attempts == 4
    [job] = await q.claim("post_call", limit=1, lease=LEASE, worker="w")
    assert job.attempt == 3
    with pytest.raises(StorageError, match="only dead or cancelled"):
        await q.requeue(job_id)
    with pytest.raises(NotFoundError):
        await q.requeue(uuid.uuid4())


async def test_a_group_can_be_paused_resumed_and_cancelled(db_pool: Any) -> None:
    q = JobQueue(db_pool)
    await q.enqueue_many("campaign_call", [JobSpec({"i": i}, group="c1") for i in range(5)])
    await q.enqueue("campaign_call", JobSpec({}, group="c2"))
    [leased] = await q.claim("campaign_call", limit=1, lease=LEASE, worker="w")
    assert leased.group == "c1"  # the oldest due job
    assert await q.set_group("campaign_call", "c1", status="paused") == 4  # the leased one runs on
    assert [j.group for j in await q.claim("campaign_call", limit=10, lease=LEASE, worker="w")] == ["c2"]
    assert await q.set_group("campaign_call", "c1", status="pending") == 4
    assert await q.set_group("campaign_call", "c1", status="paused") == 4
    assert await q.set_group("campaign_call", "c1", status="cancelled") == 4
    assert await q.counts("campaign_call", group="c1") == {"cancelled": 4, "pending": 1}
    assert await q.complete(leased)
    assert await q.counts("campaign_call", group="c1") == {"cancelled": 4, "done": 1}


class Permanent(Exception):
    retryable = False


async def test_the_worker_completes_retries_and_dead_letters_by_what_the_handler_does(db_pool: Any) -> None:
    q = JobQueue(db_pool)
    ids = {}
    for name in ("ok", "flaky", "broken"):
        ids[name] = await q.enqueue("post_call", JobSpec({"name": name}, max_attempts=3))
    runs: dict[str, int] = {}

    async def handler(job: Job) -> dict[str, Any]:
        name = job.payload["name"]
        runs[name] = runs.get(name, 0) + 1
        if name == "flaky" and job.attempt < 2:
            raise ConnectionError("the analysis service is restarting")
        if name == "broken":
            raise Permanent("the call has no turns")
        return {"ran": name}

    worker = QueueWorker(q, "post_call", handler, worker="w1", backoff=(0,))
    assert await worker.run_until_idle() == 4
    assert runs == {"ok": 1, "flaky": 2, "broken": 1}
    rows = {name: await q.get(i) for name, i in ids.items() if i}
    assert rows["ok"].status == "done" and rows["ok"].result == {"ran": "ok"}
    assert rows["flaky"].status == "done" and rows["flaky"].attempts == 2
    assert rows["broken"].status == "dead" and "no turns" in (rows["broken"].last_error or "")


async def test_a_running_worker_handles_new_jobs_and_stops_after_the_ones_in_flight(db_pool: Any) -> None:
    q = JobQueue(db_pool)
    done: list[int] = []
    release = asyncio.Event()

    async def handler(job: Job) -> None:
        if job.payload["i"] == 0:
            await release.wait()
        done.append(job.payload["i"])

    worker = QueueWorker(q, "post_call", handler, worker="w", poll_interval=0.02, concurrency=2)
    running = asyncio.create_task(worker.run())
    await q.enqueue_many("post_call", [JobSpec({"i": i}) for i in range(6)])
    for _ in range(200):
        if len(done) == 5:
            break
        await asyncio.sleep(0.02)
    assert sorted(done) == [1, 2, 3, 4, 5]  # one slot held by the slow job, the other drained the rest
    stopping = asyncio.create_task(worker.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waits for the job in flight
    release.set()
    await stopping
    await running
    assert sorted(done) == [0, 1, 2, 3, 4, 5]
    assert await q.counts("post_call") == {"done": 6}


async def test_a_long_job_keeps_its_lease_while_it_runs(db_pool: Any) -> None:
    q = JobQueue(db_pool)
    await q.enqueue("post_call", JobSpec({}))
    started = asyncio.Event()
    finish = asyncio.Event()

    async def slow(job: Job) -> None:
        started.set()
        await finish.wait()

    worker = QueueWorker(q, "post_call", slow, worker="w", lease=dt.timedelta(milliseconds=300))
    running = asyncio.create_task(worker.run_until_idle())
    await started.wait()
    await asyncio.sleep(0.8)  # well past the first lease
    assert await q.claim("post_call", limit=1, lease=LEASE, worker="thief") == []
    finish.set()
    assert await running == 1
    assert await q.counts("post_call") == {"done": 1}


def test_bad_specs_and_settings_are_refused_with_the_rule() -> None:
    with pytest.raises(ValueError, match="max_attempts is 0"):
        JobSpec({}, max_attempts=0)
    with pytest.raises(ValueError, match="timezone-aware"):
        JobSpec({}, run_at=dt.datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="concurrency"):
        QueueWorker(JobQueue(None), "q", lambda job: asyncio.sleep(0), worker="w", concurrency=0)

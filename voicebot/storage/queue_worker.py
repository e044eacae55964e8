"""A worker that drains one queue of :mod:`voicebot.storage.queue`: claim, run the handler, settle.

The handler gets a leased :class:`~voicebot.storage.queue.Job`. Returning normally completes the job
(the returned mapping, if any, is kept as its result); raising an exception whose ``retryable``
attribute is False dead-letters it; any other exception schedules a retry after the next delay of the
backoff schedule (the last delay repeats), until the job's attempts run out. At most ``concurrency``
handlers run at once; a long handler's lease is extended while it runs, so only a dead worker's jobs
are claimed again.

Postgres outages do not stop the loop: the first failure logs ``queue_worker_db_unavailable`` once,
claims back off (doubling up to 5 s), and ``queue_worker_db_recovered`` is logged on the way back. A
job whose settle call fails in an outage is simply claimed again when its lease ends (handlers must be
idempotent). :meth:`QueueWorker.stop` stops claiming and waits for the handlers in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

import structlog

from voicebot.errors import StorageError
from voicebot.storage.queue import Job, JobQueue

__all__ = ["Handler", "NullQueueMetrics", "QueueMetrics", "QueueWorker"]

log = structlog.get_logger("voicebot.storage.queue_worker")

Handler = Callable[[Job], Awaitable[Mapping[str, Any] | None]]


class QueueMetrics(Protocol):
    """What a worker reports (observability.metrics.QueuePrometheusMetrics; the composition root wires it)."""

    def handled(self, queue: str, result: str, seconds: float) -> None: ...
    def backlog(self, queue: str, pending: int, oldest_seconds: float) -> None: ...


class NullQueueMetrics:
    def handled(self, queue: str, result: str, seconds: float) -> None:
        pass

    def backlog(self, queue: str, pending: int, oldest_seconds: float) -> None:
        pass


class QueueWorker:
    def __init__(
        self,
        queue: JobQueue,
        name: str,
        handler: Handler,
        *,
        worker: str,
        lease: dt.timedelta = dt.timedelta(seconds=60),
        batch: int = 10,
        concurrency: int = 4,
        backoff: Sequence[float] = (5, 30, 120, 600, 1800),
        poll_interval: float = 1.0,
        metrics: QueueMetrics | None = None,
        backlog_interval: float = 15.0,
    ) -> None:
        if concurrency < 1 or batch < 1:
            raise ValueError(f"concurrency ({concurrency}) and batch ({batch}) must be at least 1")
        if not backoff or any(d < 0 for d in backoff):
            raise ValueError("backoff must be a non-empty list of delays in seconds, none negative")
        self._queue = queue
        self._name = name
        self._handler = handler
        self._worker = worker
        self._lease = lease
        self._batch = batch
        self._slots = asyncio.Semaphore(concurrency)
        self._concurrency = concurrency
        self._backoff = tuple(backoff)
        self._poll = poll_interval
        self._stop = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._down_since: float | None = None
        self._metrics = metrics or NullQueueMetrics()
        self._backlog_interval = backlog_interval
        self._backlog_at = float("-inf")
        self.handled = 0

    def delay_for(self, attempt: int) -> dt.timedelta:
        """The wait before retrying after failed attempt number ``attempt`` (1-based)."""
        return dt.timedelta(seconds=self._backoff[min(attempt - 1, len(self._backoff) - 1)])

    async def run_until_idle(self) -> int:
        """Handle every job that is due now (and those that become due while it runs); how many."""
        before = self.handled
        await self._sample_backlog()
        while True:
            jobs = await self._queue.claim(
                self._name, limit=self._batch, lease=self._lease, worker=self._worker
            )
            if not jobs:
                break
            await asyncio.gather(*(self._handle(job) for job in jobs))
        return self.handled - before

    async def run(self) -> None:
        """Drain the queue until :meth:`stop`; survives database outages."""
        delay = self._poll
        while not self._stop.is_set():
            free = self._concurrency - len(self._tasks)
            if free <= 0:
                await asyncio.wait(set(self._tasks), return_when=asyncio.FIRST_COMPLETED)
                continue
            jobs: list[Job] = []
            await self._sample_backlog()
            if True:
                try:
                    jobs = await self._queue.claim(
                        self._name, limit=min(free, self._batch), lease=self._lease, worker=self._worker
                    )
                    self._recovered()
                    delay = self._poll
                except StorageError as exc:
                    if not exc.retryable:
                        raise
                    delay = self._failed(exc, delay)
            for job in jobs:
                task = asyncio.create_task(self._handle(job))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            if jobs and len(jobs) == min(free, self._batch):
                await asyncio.sleep(0)  # more may be due: claim again (once a slot is free)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=delay)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def stop(self) -> None:
        """Stop claiming; return when the handlers in flight have settled their jobs."""
        self._stop.set()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, job: Job) -> None:
        async with self._slots:
            keeper = asyncio.create_task(self._keep_leased(job))
            started = time.perf_counter()
            try:
                result = await self._handler(job)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a handler's failure is the job's, not the worker's
                outcome = await self._settle_failure(job, exc)
            else:
                outcome = "done"
                await self._settle(self._queue.complete(job, result=result), job, "done")
            finally:
                keeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await keeper
            self._metrics.handled(self._name, outcome, time.perf_counter() - started)
            self.handled += 1

    async def _settle_failure(self, job: Job, exc: Exception) -> str:
        error = f"{type(exc).__name__}: {exc}"
        if getattr(exc, "retryable", True) is False:
            log.warning(
                "queue_job_failed", queue=self._name, job_id=str(job.id), attempt=job.attempt, error=error
            )
            await self._settle(self._queue.fail(job, error=error), job, "dead")
            return "dead"
        last = job.attempt >= job.max_attempts
        log.warning(
            "queue_job_dead" if last else "queue_job_retry",
            queue=self._name,
            job_id=str(job.id),
            attempt=job.attempt,
            error=error,
        )
        await self._settle(
            self._queue.retry(job, error=error, delay=self.delay_for(job.attempt)), job, "retry"
        )
        return "dead" if last else "retry"

    async def _settle(self, settling: Awaitable[bool], job: Job, outcome: str) -> None:
        try:
            kept = await settling
        except StorageError as exc:
            # The job stays leased; it is claimed again when the lease ends.
            log.warning(
                "queue_settle_failed", queue=self._name, job_id=str(job.id), outcome=outcome, error=str(exc)
            )
            return
        if not kept:
            log.info("queue_lease_lost", queue=self._name, job_id=str(job.id), attempt=job.attempt)

    async def _keep_leased(self, job: Job) -> None:
        interval = max(self._lease.total_seconds() / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(StorageError):
                if not await self._queue.extend(job, lease=self._lease):
                    return

    async def _sample_backlog(self) -> None:
        """The queue's due backlog for the metrics, at most every ``backlog_interval`` seconds."""
        now = time.monotonic()
        if now - self._backlog_at < self._backlog_interval:
            return
        self._backlog_at = now
        with contextlib.suppress(StorageError):  # an outage is the claim's to report
            self._metrics.backlog(self._name, *await self._queue.backlog(self._name))

    def _failed(self, exc: StorageError, delay: float) -> float:
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.warning("queue_worker_db_unavailable", queue=self._name, error=str(exc))
        return min(max(delay, 0.05) * 2, 5.0)  # during an outage, try again at least every 5 s

    def _recovered(self) -> None:
        if self._down_since is not None:
            log.info(
                "queue_worker_db_recovered",
                queue=self._name,
                outage_s=round(time.monotonic() - self._down_since, 3),
            )
            self._down_since = None

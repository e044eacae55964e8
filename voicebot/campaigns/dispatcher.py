"""The campaign dispatcher: drains the ``campaign_call`` queue, one dial per job, any number of instances.

One job is one attempt (payload ``{campaign_id, phone, attempt_no}``). Handling it:

1. Read the attempt's context (campaign, number, bot, do-not-call) in one query. A stopped campaign or a
   number already settled completes the job; a paused one puts it back.
2. The callee's calling window (injected clock): outside it, the job is put back until it opens; when
   it never opens again the number is ``expired``.
3. Reserve the dial in Postgres (:meth:`CampaignStore.begin_attempt`): the campaign row is locked, its
   live attempts counted, and the attempt row inserted only below ``max_concurrent``, so the limit holds
   across every dispatcher instance. Full: the job is put back for ``capacity_wait``.
4. Dial through the telephony port, heartbeating the job's lease; record the SIP status; then settle the
   number (answered, or the next attempt enqueued per the retry schedule inside the window, or
   exhausted) and complete the job.

A dispatcher killed anywhere leaves its job leased; after the lease another instance claims it. If the
attempt row already exists the dial is NOT repeated: a row still ``dialing`` becomes ``interrupted``
(treated like ``failed`` by the retry schedule, under the next attempt number), a finished one is just
settled. So an attempt is never lost and a number is never dialed twice under one attempt number.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

from voicebot.campaigns.ports import (
    QUEUE_NAME,
    AttemptContext,
    CampaignStore,
    Dialer,
    DialResult,
    Queue,
)
from voicebot.campaigns.retry import AttemptStatus
from voicebot.campaigns.windows import zone
from voicebot.errors import VoicebotError
from voicebot.observability import metrics

__all__ = ["CampaignDispatcher", "default_worker_id"]

log = structlog.get_logger("voicebot.campaigns.dispatcher")

Clock = Callable[[], dt.datetime]


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CampaignDispatcher:
    """Claims due attempt jobs and places their calls; see the module docstring."""

    def __init__(
        self,
        *,
        queue: Queue,
        store: CampaignStore,
        dialer: Dialer,
        worker: str | None = None,
        clock: Clock = _utcnow,
        concurrency: int = 10,
        lease: dt.timedelta = dt.timedelta(seconds=120),
        capacity_wait: dt.timedelta = dt.timedelta(seconds=5),
        paused_wait: dt.timedelta = dt.timedelta(seconds=30),
        poll_interval: float = 1.0,
    ) -> None:
        self._queue = queue
        self._store = store
        self._dialer = dialer
        self.worker = worker or default_worker_id()
        self._clock = clock
        self._concurrency = concurrency
        self._lease = lease
        self._capacity_wait = capacity_wait
        self._paused_wait = paused_wait
        self._poll = poll_interval
        self._stop = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()

    async def run_until_idle(self) -> int:
        """Handle every job due now (tests, one-shot runs); returns how many were handled."""
        handled = 0
        while True:
            jobs = await self._queue.claim(
                QUEUE_NAME, limit=self._concurrency, lease=self._lease, worker=self.worker
            )
            if not jobs:
                return handled
            await asyncio.gather(*(self.handle(j) for j in jobs))
            handled += len(jobs)

    async def run(self) -> None:
        """Forever, until :meth:`stop`: claims up to ``concurrency`` jobs at a time; survives outages."""
        backoff = self._poll
        down = False
        while not self._stop.is_set():
            free = self._concurrency - len(self._inflight)
            jobs: list[Any] = []
            if free > 0:
                try:
                    jobs = list(
                        await self._queue.claim(QUEUE_NAME, limit=free, lease=self._lease, worker=self.worker)
                    )
                except VoicebotError as exc:
                    if not exc.retryable:
                        raise
                    if not down:
                        log.error("campaign_claim_failed", error=str(exc))
                        down = True
                    backoff = min(backoff * 2, 30.0)
                    await self._wait(backoff)
                    continue
                if down:
                    log.info("campaign_claim_recovered")
                    down = False
                backoff = self._poll
            for job in jobs:
                task = asyncio.create_task(self.handle(job), name="voicebot-campaign-attempt")
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
            if not jobs:
                await self._wait(self._poll)
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)

    async def stop(self) -> None:
        """Stop claiming; :meth:`run` returns once the attempts in flight are settled."""
        self._stop.set()

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    async def handle(self, job: Any) -> None:
        """One job; a storage failure leaves it leased (it is claimed again after the lease)."""
        try:
            await self._handle(job)
        except VoicebotError as exc:
            log.error("campaign_attempt_error", error=str(exc), retryable=exc.retryable, job_id=str(job.id))
        except Exception as exc:  # an adapter bug must not kill the loop; the lease brings the job back
            log.error("campaign_attempt_crashed", error=repr(exc), job_id=str(job.id), exc_info=exc)

    async def _handle(self, job: Any) -> None:
        payload = job.payload
        campaign_id = uuid.UUID(str(payload["campaign_id"]))
        phone = str(payload["phone"])
        attempt_no = int(payload["attempt_no"])
        ctx = await self._store.attempt_context(campaign_id, phone)
        if ctx is None or ctx.campaign_status in ("stopped", "completed") or ctx.number_status != "pending":
            await self._queue.complete(job, result={"skipped": "not_pending"})
            return
        if ctx.campaign_status != "running" or not ctx.bot_active:
            await self._queue.retry(job, error="campaign paused", delay=self._paused_wait)
            return
        if ctx.on_do_not_call:
            await self._skip(job, ctx, attempt_no, "do_not_call")
            return
        now = self._clock()
        tz = zone(ctx.timezone)
        opens = ctx.window.next_open(now, tz)
        if opens is None:
            await self._skip(job, ctx, attempt_no, "expired")
            return
        if opens > now:
            await self._queue.retry(job, error="outside the calling window", delay=opens - now)
            return
        begun = await self._store.begin_attempt(
            campaign_id=campaign_id,
            phone=phone,
            attempt_no=attempt_no,
            job_id=job.id,
            worker=self.worker,
            max_concurrent=ctx.max_concurrent,
        )
        if begun.kind == "full":
            await self._queue.retry(job, error="max_concurrent reached", delay=self._capacity_wait)
            return
        assert begun.attempt_id is not None
        status: AttemptStatus
        if begun.kind == "exists":
            status = begun.status or "interrupted"  # type: ignore[assignment]
            if status == "dialing":  # the dispatcher that began it died mid-dial: never dial it again
                status = "interrupted"
                await self._store.finish_attempt(
                    begun.attempt_id, status="interrupted", error="dispatcher lost"
                )
                metrics.campaign_attempt("interrupted")
                log.warning("campaign_attempt_interrupted", campaign_id=str(campaign_id), attempt=attempt_no)
        else:
            assert begun.call_id is not None
            heartbeat = asyncio.create_task(self._heartbeat(job), name="voicebot-campaign-lease")
            try:
                result = await self._dial(ctx, begun.call_id)
                # the dial happened: its result must reach Postgres even across an outage
                await self._durably(lambda: self._record(begun.attempt_id, ctx, attempt_no, result))
                await self._durably(lambda: self._after(job, ctx, attempt_no, result.status))
            finally:
                heartbeat.cancel()
                with contextlib.suppress(BaseException):
                    await heartbeat
            return
        await self._after(job, ctx, attempt_no, status)

    async def _record(
        self, attempt_id: uuid.UUID | None, ctx: AttemptContext, attempt_no: int, result: DialResult
    ) -> None:
        assert attempt_id is not None
        await self._store.finish_attempt(
            attempt_id,
            status=result.status,
            sip_status_code=result.sip_status_code,
            sip_status=result.sip_status,
            error=result.error,
            room=result.room,
        )
        metrics.campaign_attempt(result.status)
        log.info(
            "campaign_attempt_ended",
            campaign_id=str(ctx.campaign_id),
            attempt=attempt_no,
            status=result.status,
            sip_status_code=result.sip_status_code,
        )

    async def _durably(self, write: Callable[[], Awaitable[None]]) -> None:
        """Run an idempotent write, retrying retryable failures (Postgres down) for up to the lease."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._lease.total_seconds()
        delay = 0.1
        while True:
            try:
                await write()
                return
            except VoicebotError as exc:
                if not exc.retryable or loop.time() + delay > deadline:
                    raise
                log.warning("campaign_write_retrying", error=str(exc))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _dial(self, ctx: AttemptContext, call_id: uuid.UUID) -> DialResult:
        try:
            return await self._dialer.dial(
                number=ctx.phone,
                bot_number=ctx.bot_number,
                trunk_id=ctx.trunk_id,
                call_id=call_id,
                variables=ctx.variables,
                campaign_id=ctx.campaign_id,
            )
        except VoicebotError as exc:  # e.g. no trunk configured: the attempt failed, and says why
            return DialResult(status="failed", error=str(exc))

    async def _heartbeat(self, job: Any) -> None:
        while True:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            with contextlib.suppress(VoicebotError):
                await self._queue.extend(job, lease=self._lease)

    async def _skip(self, job: Any, ctx: AttemptContext, attempt_no: int, status: AttemptStatus) -> None:
        await self._store.record_skipped(ctx.campaign_id, ctx.phone, attempt_no, status=status)
        metrics.campaign_attempt(status)
        await self._store.settle_number(
            ctx.campaign_id, ctx.phone, status=status, attempts=attempt_no - 1, last_status=status
        )
        await self._queue.complete(job, result={"status": status})
        await self._store.complete_if_done(ctx.campaign_id)

    async def _after(self, job: Any, ctx: AttemptContext, attempt_no: int, status: AttemptStatus) -> None:
        if status == "answered":
            await self._store.settle_number(
                ctx.campaign_id, ctx.phone, status="answered", attempts=attempt_no, last_status=status
            )
        else:
            delay = ctx.policy.next_delay(status, attempt_no)
            run_at = (
                None if delay is None else ctx.window.next_open(self._clock() + delay, zone(ctx.timezone))
            )
            if run_at is None:
                await self._store.settle_number(
                    ctx.campaign_id,
                    ctx.phone,
                    status="exhausted" if delay is None else "expired",
                    attempts=attempt_no,
                    last_status=status,
                )
            else:
                await self._store.schedule_next(
                    ctx.campaign_id, ctx.phone, attempt_no=attempt_no + 1, run_at=run_at, last_status=status
                )
        await self._queue.complete(job, result={"status": status})
        await self._store.complete_if_done(ctx.campaign_id)

"""The outbox dispatcher: claims due events, signs and sends them, settles each attempt.

Several dispatchers may run against one database: a claim is a short ``FOR UPDATE SKIP LOCKED``
statement that leases rows (see :mod:`voicebot.storage.repositories.outbox`), so no row is claimed
twice while its lease lasts and no transaction is held open during HTTP. A dispatcher killed mid-attempt
leaves its rows leased; they are claimed again when the lease ends (at-least-once: the receiver
deduplicates on the event id, which is the ``webhook-id`` header).

Deliveries run as a pipeline of at most ``concurrency`` attempts; a slow receiver holds one slot, not
a batch. :meth:`Dispatcher.run` stops claiming when its stop event is set and waits for the attempts in
flight (each bounded by the per-attempt timeout), so SIGTERM loses nothing and sends nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Protocol

import structlog

from voicebot.errors import DeliveryError, VoicebotError
from voicebot.observability import metrics
from voicebot.outcomes.delivery import Deliverer
from voicebot.outcomes.outage import Outage
from voicebot.outcomes.schedule import RetrySchedule
from voicebot.outcomes.signing import signature_headers

__all__ = ["Claimed", "Dispatcher", "OutboxStore", "encode_body"]

log = structlog.get_logger("voicebot.outcomes.dispatcher")

Settlement = Literal["delivered", "retry", "dead", "disabled"]


class Claimed(Protocol):
    """A leased outbox row (storage's ClaimedEvent)."""

    @property
    def event_id(self) -> uuid.UUID: ...
    @property
    def company_id(self) -> uuid.UUID: ...
    @property
    def event_type(self) -> str: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...
    @property
    def attempt(self) -> int: ...
    @property
    def retry_index(self) -> int: ...
    @property
    def url(self) -> str: ...
    @property
    def secrets(self) -> Sequence[str]: ...


class OutboxStore(Protocol):
    """What the dispatcher needs of the outbox (storage's Outbox)."""

    async def claim(self, limit: int, *, lease: dt.timedelta, worker: str) -> Sequence[Claimed]: ...

    async def settle(
        self,
        event_id: uuid.UUID,
        attempt: int,
        *,
        outcome: Settlement,
        url: str,
        status_code: int | None,
        error: str | None,
        duration_ms: float | None,
        retry_in: dt.timedelta | None = None,
        disable_endpoint: bool = False,
    ) -> bool: ...


def encode_body(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes sent (and signed) for a payload."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class Dispatcher:
    """One dispatcher loop. Collaborators are handed in by the composition root."""

    def __init__(
        self,
        *,
        outbox: OutboxStore,
        deliverer: Deliverer,
        schedule: RetrySchedule,
        lease: float = 60.0,
        batch_size: int = 50,
        concurrency: int = 32,
        poll_interval: float = 0.2,
        worker_id: str | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if concurrency < 1 or batch_size < 1:
            raise ValueError(f"concurrency={concurrency} and batch_size={batch_size} must be at least 1")
        self._outbox = outbox
        self._deliverer = deliverer
        self._schedule = schedule
        self._lease = dt.timedelta(seconds=lease)
        self._batch_size = batch_size
        self._concurrency = concurrency
        self._poll_interval = poll_interval
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._rng = rng or random.Random()
        self._clock = clock
        self._inflight: set[asyncio.Task[None]] = set()
        self.sent = 0
        self.delivered = 0

    async def run_once(self) -> int:
        """Claim one batch, attempt every event, wait for them all; the number of attempts made."""
        claimed = await self._outbox.claim(self._batch_size, lease=self._lease, worker=self.worker_id)
        await asyncio.gather(*(self._attempt(event) for event in claimed))
        return len(claimed)

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until ``stop`` is set, then finish the attempts in flight."""
        log.info("webhook_dispatcher_started", worker=self.worker_id, concurrency=self._concurrency)
        outage = Outage(
            log,
            down_event="webhook_claim_failed",
            up_event="webhook_claim_recovered",
            base=self._poll_interval,
        )
        try:
            while not stop.is_set():
                free = self._concurrency - len(self._inflight)
                claimed: Sequence[Claimed] = ()
                if free > 0:
                    try:
                        claimed = await self._outbox.claim(
                            min(free, self._batch_size), lease=self._lease, worker=self.worker_id
                        )
                    except Exception as exc:  # any database/network error: back off, log once per outage
                        delay = outage.failed(exc)
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stop.wait(), delay)
                        continue
                    outage.recovered()
                for event in claimed:
                    task = asyncio.create_task(self._attempt(event))
                    self._inflight.add(task)
                    task.add_done_callback(self._inflight.discard)
                if claimed and len(claimed) == min(free, self._batch_size):
                    await asyncio.sleep(0)  # more may be due: claim again at once
                    continue
                await self._wait(stop)
        finally:
            if self._inflight:
                log.info("webhook_dispatcher_draining", in_flight=len(self._inflight))
                await asyncio.gather(*self._inflight, return_exceptions=True)
            log.info("webhook_dispatcher_stopped", worker=self.worker_id, sent=self.sent)

    async def _wait(self, stop: asyncio.Event) -> None:
        """Sleep one poll interval, waking early on stop or when a slot frees up while full."""
        stopper = asyncio.ensure_future(stop.wait())
        waiters: set[asyncio.Future[Any]] = {stopper}
        if len(self._inflight) >= self._concurrency:
            waiters |= self._inflight
        try:
            await asyncio.wait(waiters, timeout=self._poll_interval, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stopper

    async def _attempt(self, event: Claimed) -> None:
        body = encode_body(event.payload)
        started = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        outcome: Settlement = "delivered"
        retry_in: dt.timedelta | None = None
        disable = False
        fields = {
            "event_id": str(event.event_id),
            "company_id": str(event.company_id),
            "attempt": event.attempt,
        }
        try:
            headers = signature_headers(
                event.secrets, str(event.event_id), body, timestamp=int(self._clock())
            )
            status_code = await self._deliverer.deliver(event.url, headers, body)
        except DeliveryError as exc:
            status_code, error = exc.status_code, str(exc)
            if exc.status_code == 410:
                outcome, disable = "disabled", True
            elif not exc.retryable:
                outcome = "dead"
            else:
                delay = self._schedule.next_delay(event.retry_index + 1, self._rng)
                if delay is None:
                    outcome = "dead"
                else:
                    outcome, retry_in = "retry", dt.timedelta(seconds=delay)
        except VoicebotError as exc:  # e.g. a malformed secret: no retry will fix it
            error, outcome = str(exc), "dead"
        duration_ms = (time.perf_counter() - started) * 1000
        self.sent += 1
        try:
            settled = await self._outbox.settle(
                event.event_id,
                event.attempt,
                outcome=outcome,
                url=event.url,
                status_code=status_code,
                error=error,
                duration_ms=duration_ms,
                retry_in=retry_in,
                disable_endpoint=disable,
            )
        except Exception as exc:  # the lease expires and the event is attempted again
            # The row stays leased; it is attempted again when the lease ends (at-least-once).
            log.warning("webhook_settle_failed", error=str(exc), **fields)
            return
        metrics.webhook_attempt(outcome)
        if outcome == "delivered":
            self.delivered += 1
            log.debug(
                "webhook_delivered", status_code=status_code, duration_ms=round(duration_ms, 1), **fields
            )
        elif outcome == "retry":
            assert retry_in is not None
            log.info(
                "webhook_attempt_failed",
                status_code=status_code,
                error=error,
                retry_in_s=round(retry_in.total_seconds(), 1),
                **fields,
            )
        elif outcome == "dead":
            log.warning("webhook_dead_lettered", status_code=status_code, error=error, **fields)
        else:
            log.warning("webhook_endpoint_disabled", status_code=status_code, **fields)
        if not settled:
            log.info("webhook_settle_superseded", **fields)

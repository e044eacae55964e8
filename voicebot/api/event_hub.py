"""The API process's fan-out of live call events to its Server-Sent Events clients.

    hub = EventHub(CallEvents(pool), feed=lambda on_range, on_resume: EventFeed.on_pool(pool, ...))
    await hub.start()               # the app lifespan: starts the one LISTEN connection
    sub = hub.subscribe(company_id, call_id=...)     # per client; HubFull over VOICEBOT_SSE_MAX_CLIENTS
    event = await sub.next(timeout)                  # None on timeout (a keepalive), DROPPED when cut off
    sub.close()
    hub.end_streams(); await hub.aclose()

The feed reports id ranges (``lo:hi``) as Postgres commits them. One pump task reads each range's rows
once (only of the calls and companies someone follows), skips ids it already fanned out (ranges of
concurrent transactions can overlap), and puts each event in the bounded queue of every subscriber of
its call (or, for call starts/ends, of its company). A subscriber whose queue is full is cut off: it
gets DROPPED and no more events, and its client reconnects with Last-Event-ID to catch up from the
table. After a lost feed connection the pump reads everything above the highest id it saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal, Protocol

import structlog

from voicebot.errors import ConfigError
from voicebot.observability.metrics import sse_client_dropped, sse_client_opened
from voicebot.settings import env_float, env_int
from voicebot.storage.repositories.call_events import CALL_KINDS, CallEvent

__all__ = ["DROPPED", "EventHub", "EventSource", "EventStreamSettings", "HubFull", "Subscription"]

log = structlog.get_logger("voicebot.api.event_hub")

Stream = Literal["call", "company"]


class _Dropped:
    def __repr__(self) -> str:
        return "DROPPED"


DROPPED: Final = _Dropped()
"""What :meth:`Subscription.next` returns once the subscriber was cut off (slow, or the server stops)."""

_UNBOUNDED: Final = 2**62
_SEEN: Final = 50_000  # ids remembered for de-duplication of overlapping ranges


@dataclass(frozen=True, slots=True)
class EventStreamSettings:
    """Limits of the live event streams (documented in docs/operations.md)."""

    keepalive: float = 15.0
    """Seconds of silence after which a stream gets a ``: keepalive`` comment (VOICEBOT_SSE_KEEPALIVE_S)."""
    retry_ms: int = 3000
    """The reconnection delay the stream advises its client (``retry:``; VOICEBOT_SSE_RETRY_MS)."""
    max_clients: int = 2000
    """Open streams per API process; one more is a 503 (VOICEBOT_SSE_MAX_CLIENTS)."""
    queue_size: int = 256
    """Events a client may lag behind before it is cut off (VOICEBOT_SSE_QUEUE_SIZE)."""

    def __post_init__(self) -> None:
        if not self.keepalive > 0:
            raise ConfigError(f"VOICEBOT_SSE_KEEPALIVE_S={self.keepalive} must be positive")
        for name, env in (
            ("retry_ms", "VOICEBOT_SSE_RETRY_MS"),
            ("max_clients", "VOICEBOT_SSE_MAX_CLIENTS"),
            ("queue_size", "VOICEBOT_SSE_QUEUE_SIZE"),
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"{env}={getattr(self, name)} must be at least 1")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> EventStreamSettings:
        env = os.environ if env is None else env
        return cls(
            keepalive=env_float(env, "VOICEBOT_SSE_KEEPALIVE_S", 15.0, minimum=0.001),
            retry_ms=env_int(env, "VOICEBOT_SSE_RETRY_MS", 3000, minimum=1),
            max_clients=env_int(env, "VOICEBOT_SSE_MAX_CLIENTS", 2000, minimum=1),
            queue_size=env_int(env, "VOICEBOT_SSE_QUEUE_SIZE", 256, minimum=1),
        )


class EventSource(Protocol):
    """The reads the hub and the stream routes need (:class:`voicebot.storage.CallEvents`)."""

    async def call_status(self, company_id: uuid.UUID, call_id: uuid.UUID) -> str | None: ...
    async def for_call(
        self, company_id: uuid.UUID, call_id: uuid.UUID, *, after: int = 0, limit: int = 1000
    ) -> list[CallEvent]: ...
    async def for_company(
        self, company_id: uuid.UUID, *, after: int = 0, limit: int = 1000
    ) -> list[CallEvent]: ...
    async def in_range(
        self,
        lo: int,
        hi: int,
        *,
        calls: Sequence[uuid.UUID],
        companies: Sequence[uuid.UUID],
        limit: int = 10_000,
    ) -> list[CallEvent]: ...
    async def latest_id(self) -> int: ...


class Feed(Protocol):
    async def start(self) -> None: ...
    async def aclose(self) -> None: ...


FeedFactory = Callable[[Callable[[int, int], None], Callable[[], None]], Feed]
"""``factory(on_range, on_resume)``: the LISTEN feed (voicebot.storage.event_feed.EventFeed)."""


class HubFull(Exception):
    """More streams than VOICEBOT_SSE_MAX_CLIENTS are open in this process."""


class Subscription:
    """One client's place in the hub: a bounded queue of its events."""

    def __init__(
        self, hub: EventHub, stream: Stream, company_id: uuid.UUID, call_id: uuid.UUID | None, size: int
    ) -> None:
        self.stream: Stream = stream
        self.company_id = company_id
        self.call_id = call_id
        self._hub = hub
        self._queue: asyncio.Queue[CallEvent | _Dropped] = asyncio.Queue(size + 1)
        self._size = size
        self.dropped = False
        self.closed = False

    def push(self, event: CallEvent) -> bool:
        """Queue ``event``; False (and the subscriber cut off) when its queue is full."""
        if self.dropped:
            return False
        if self._queue.qsize() >= self._size:
            self.cut_off()
            return False
        self._queue.put_nowait(event)
        return True

    def cut_off(self, *, slow: bool = True) -> None:
        """No more events: the client gets DROPPED next, then its stream ends (``slow``: counted)."""
        if self.dropped:
            return
        self.dropped = True
        if slow and not self.closed:
            log.info("sse_client_dropped", stream=self.stream)
            sse_client_dropped("slow")
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(DROPPED)
        self._hub._forget(self)

    async def next(self, timeout: float) -> CallEvent | _Dropped | None:
        """The next event, DROPPED once cut off, or None after ``timeout`` seconds of nothing."""
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None

    def close(self) -> None:
        """The client is gone (idempotent)."""
        if self.closed:
            return
        self.closed = True
        self._hub._forget(self)
        self._hub._closed(self)


class EventHub:
    def __init__(
        self,
        events: EventSource,
        *,
        fanout: EventSource | None = None,
        feed: FeedFactory | None = None,
        settings: EventStreamSettings | None = None,
    ) -> None:
        """``events``: the stream routes' reads, always for the request's company. ``fanout`` (default
        ``events``): the pump's reads, of every followed call and company at once, outside any request:
        give it a pool that row-level security does not restrict to one company."""
        self.events = events
        self._fanout = fanout or events
        self.settings = settings or EventStreamSettings()
        self._feed_factory = feed
        self._feed: Feed | None = None
        self._by_call: dict[uuid.UUID, set[Subscription]] = {}
        self._by_company: dict[uuid.UUID, set[Subscription]] = {}
        self._open = 0
        self._high = 0
        self._pending: tuple[int, int] | None = None
        self._wake = asyncio.Event()
        self._pump_task: asyncio.Task[None] | None = None
        self._seen: set[int] = set()
        self._seen_order: deque[int] = deque()
        self.delivered = 0

    @property
    def clients(self) -> int:
        """Open streams (subscriptions not yet closed)."""
        return self._open

    async def start(self) -> None:
        with contextlib.suppress(Exception):  # Postgres down at start: the feed's resume catches up
            self._high = await self._fanout.latest_id()
        self._pump_task = asyncio.create_task(self._pump(), name="voicebot-event-hub")
        if self._feed_factory is not None:
            self._feed = self._feed_factory(self.notified, self.resumed)
            await self._feed.start()

    def end_streams(self) -> None:
        """Cut every open stream off (the server is stopping: uvicorn waits for open responses)."""
        for subs in [*self._by_call.values(), *self._by_company.values()]:
            for sub in list(subs):
                sub.cut_off(slow=False)

    async def aclose(self) -> None:
        self.end_streams()
        if self._feed is not None:
            await self._feed.aclose()
            self._feed = None
        task, self._pump_task = self._pump_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def subscribe(self, company_id: uuid.UUID, *, call_id: uuid.UUID | None = None) -> Subscription:
        """A subscriber of one call's events (``call_id``) or of the company's call starts/ends."""
        if self._open >= self.settings.max_clients:
            sse_client_dropped("full")
            raise HubFull(
                f"{self._open} event streams are open, the most this server takes "
                f"(VOICEBOT_SSE_MAX_CLIENTS={self.settings.max_clients}); retry later"
            )
        stream: Stream = "company" if call_id is None else "call"
        sub = Subscription(self, stream, company_id, call_id, self.settings.queue_size)
        index = self._by_company if call_id is None else self._by_call
        index.setdefault(company_id if call_id is None else call_id, set()).add(sub)
        self._open += 1
        sse_client_opened(stream)
        return sub

    # -- the feed's callbacks (on the event loop)

    def notified(self, lo: int, hi: int) -> None:
        self._merge(lo, hi)

    def resumed(self) -> None:
        """The feed (re)connected: notifications may have been lost; read all above the highest id."""
        self._merge(self._high + 1, _UNBOUNDED)

    def _merge(self, lo: int, hi: int) -> None:
        if self._pending is None:
            self._pending = (lo, hi)
        else:
            self._pending = (min(lo, self._pending[0]), max(hi, self._pending[1]))
        self._wake.set()

    # -- internals

    def _forget(self, sub: Subscription) -> None:
        index = self._by_company if sub.call_id is None else self._by_call
        key = sub.company_id if sub.call_id is None else sub.call_id
        subs = index.get(key)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del index[key]

    def _closed(self, sub: Subscription) -> None:
        self._open -= 1
        sse_client_opened(sub.stream, -1)

    async def _pump(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            span, self._pending = self._pending, None
            if span is None:
                continue
            try:
                await self._deliver(*span)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Postgres away: keep the range, retry shortly
                log.warning("event_hub_read_failed", error=type(exc).__name__)
                self._merge(*span)
                await asyncio.sleep(1.0)

    async def _deliver(self, lo: int, hi: int) -> None:
        while lo <= hi:
            if not self._by_call and not self._by_company:  # nobody follows anything: nothing to read
                if hi < _UNBOUNDED:
                    self._high = max(self._high, hi)
                return
            limit = 10_000
            rows = await self._fanout.in_range(
                lo, hi, calls=list(self._by_call), companies=list(self._by_company), limit=limit
            )
            for event in rows:
                self._dispatch(event)
            if len(rows) < limit:
                if hi < _UNBOUNDED:
                    self._high = max(self._high, hi)
                return
            lo = rows[-1].id + 1
            await asyncio.sleep(0)

    def _dispatch(self, event: CallEvent) -> None:
        self._high = max(self._high, event.id)
        if event.id in self._seen:
            return
        self._seen.add(event.id)
        self._seen_order.append(event.id)
        if len(self._seen_order) > _SEEN:
            self._seen.discard(self._seen_order.popleft())
        for sub in list(self._by_call.get(event.call_id, ())):
            sub.push(event)
        if event.kind in CALL_KINDS:
            for sub in list(self._by_company.get(event.company_id, ())):
                sub.push(event)

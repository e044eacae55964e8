"""One LISTEN connection per API process: the id ranges of new call events, as Postgres commits them.

    feed = EventFeed.on_url(url, on_range=hub.notified, on_resume=hub.resumed)
    await feed.start()      # returns once listening (or keeps trying in the background)
    ...
    await feed.aclose()

Triggers send ``NOTIFY voicebot_call_events, 'lo:hi'`` (migration 0016); the feed parses each payload and
calls ``on_range(lo, hi)`` on the event loop. The connection is a dedicated one (a URL), or one held
from a pool. When it is lost (a Postgres restart, ``pg_terminate_backend``, a network cut found by the
periodic ping) the feed reconnects with exponential backoff and then calls ``on_resume()``: the
notifications sent while it was away are gone, so the listener reads what it missed from the table.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import structlog

from voicebot.storage.repositories.call_events import CHANNEL

__all__ = ["EventFeed"]

log = structlog.get_logger("voicebot.storage.event_feed")

OnRange = Callable[[int, int], None]


class EventFeed:
    def __init__(
        self,
        *,
        open_connection: Callable[[], Awaitable[Any]],
        release: Callable[[Any], Awaitable[None]],
        on_range: OnRange,
        on_resume: Callable[[], None],
        backoff: tuple[float, float] = (0.2, 10.0),
        ping_interval: float = 15.0,
    ) -> None:
        self._open = open_connection
        self._release = release
        self._on_range = on_range
        self._on_resume = on_resume
        self._backoff = backoff
        self._ping = ping_interval
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self.connected = False
        self.reconnects = 0

    @classmethod
    def on_url(cls, url: str, **kwargs: Any) -> EventFeed:
        """A feed on a connection of its own to ``url``."""

        async def release(conn: Any) -> None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 5)
            if not conn.is_closed():
                conn.terminate()

        return cls(open_connection=lambda: asyncpg.connect(url), release=release, **kwargs)

    @classmethod
    def on_pool(cls, pool: Any, **kwargs: Any) -> EventFeed:
        """A feed on one connection held from ``pool`` for as long as it listens (tests, and callers
        without a URL): the pool has one connection fewer for queries."""

        async def release(conn: Any) -> None:
            with contextlib.suppress(Exception):
                await pool.release(conn, timeout=5)

        return cls(open_connection=pool.acquire, release=release, **kwargs)

    async def start(self, *, wait: float = 5.0) -> None:
        """Start listening; waits up to ``wait`` seconds for the first LISTEN (then keeps trying)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="voicebot-event-feed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), wait)

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        lo, sep, hi = payload.partition(":")
        try:
            first, last = int(lo), int(hi if sep else lo)
        except ValueError:
            log.warning("event_feed_bad_payload", chars=len(payload))
            return
        self._on_range(first, last)

    async def _run(self) -> None:
        delay = self._backoff[0]
        first = True
        while True:
            conn: Any = None
            lost = asyncio.Event()
            try:
                conn = await asyncio.wait_for(self._open(), 10)
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self._notified)
                self.connected = True
                self._listening.set()
                if not first:
                    self.reconnects += 1
                    log.info("event_feed_reconnected", reconnects=self.reconnects)
                first = False
                self._on_resume()  # whatever committed before this LISTEN was not notified to us
                delay = self._backoff[0]
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), self._ping)
                    if not lost.is_set():  # a half-open link shows up as a ping that never returns
                        await asyncio.wait_for(conn.execute("SELECT 1"), 10)
                log.warning("event_feed_lost")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("event_feed_unavailable", error=type(exc).__name__, retry_in_s=round(delay, 2))
            finally:
                self.connected = False
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.remove_listener(CHANNEL, self._notified), 5)
                    await asyncio.shield(self._release(conn))
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._backoff[1])
